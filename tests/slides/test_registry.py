"""The slide registry: slides linked to person, specimen and procedure, with
all their levels and metadata; pseudonymised (opaque stored names, no file
name anywhere); registering audited; bad input refused in one line with
nothing registered; a folder scanned incrementally; on DuckDB and Spark."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import re
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from entrepot.cli import main
from entrepot.privacy import Decision, entries
from entrepot.slides import (
    add,
    open_slide,
    scan,
    slide_folder,
    slide_of,
    slides_of,
    tile,
)
from entrepot.warehouse import Warehouse
from entrepot.warehouse.cdm import cdm_table

from ..conftest import warehouse_uri
from .conftest import NAME, add_clinic, write_dicom_wsi, write_slide

MANIFEST = "file,specimen_id,person_id,date\nDUPONT_Jean_123.tiff,11,,\nsub/MARTIN_Paul_456.tiff,,4,2023-02-01\n"  # fmt: skip


def cli(capsys, *argv: str, code: int = 0):
    done = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out) if code == 0 else err.strip()


def _tables_text(path: Path) -> str:
    """Every row of every table of the warehouse, audit log included, as text."""
    with Warehouse.open(path, read_only=True) as wh:
        return repr(
            [
                wh.store.table(schema, name).to_pyarrow().to_pylist()
                for schema in ("cdm", "results", "entrepot")
                for name in wh.tables(schema)
            ]
        )


def test_add_links_a_slide_to_its_specimen_with_every_level(capsys, clinic, slides):
    source = slides / "DUPONT_Jean_123.tiff"
    found = cli(capsys, "slides", "add", str(source), "--specimen", "11", "-w", str(clinic))  # fmt: skip
    assert found == {
        "slides": [
            {"slide_id": 1, "width": 1200, "height": 900, "levels": 3, "mpp": 0.5}
        ]
    }
    subifds = slides / "MARTIN_Paul_456.tiff"  # levels as SubIFDs: all three read
    found = cli(capsys, "slides", "add", str(subifds), "--specimen", "13", "-w", str(clinic))  # fmt: skip
    assert found["slides"] == [
        {"slide_id": 2, "width": 1000, "height": 900, "levels": 3, "mpp": 0.5}
    ]
    with Warehouse.open(clinic, read_only=True) as wh:
        occ = wh.table("image_occurrence").order_by("image_occurrence_id")
        rows = occ.to_pyarrow().to_pylist()
        slide = (
            wh.table("slide").order_by("image_occurrence_id").to_pyarrow().to_pylist()
        )
        folder = slide_folder(wh)
    link = [(r["person_id"], r["image_occurrence_date"], r["procedure_occurrence_id"],
             r["visit_occurrence_id"]) for r in rows]  # fmt: skip
    assert link == [(1, date(2020, 3, 2), None, None), (3, date(2022, 1, 4), 70, 500)]
    assert [(s["specimen_id"], s["stain"], s["format"]) for s in slide] == [
        (11, "H&E", "tiff"),
        (13, "H&E", "tiff"),
    ]
    assert json.loads(slide[1]["levels"]) == [[1000, 900, 1.0], [500, 450, 2.0], [250, 225, 4.0]]  # fmt: skip
    digest = hashlib.sha256(source.read_bytes()).hexdigest()
    assert slide[0]["checksum"] == digest
    # stored under an opaque name in the warehouse's folder, an exact copy
    assert all(re.fullmatch(r"[0-9a-f]{32}\.tiff", r["local_path"]) for r in rows)
    stored = folder / rows[0]["local_path"]
    assert hashlib.sha256(stored.read_bytes()).hexdigest() == digest
    assert folder == clinic.with_name("eds.duckdb.slides")


def test_no_file_name_is_kept_and_registering_is_audited(capsys, clinic, slides):
    cli(capsys, "slides", "add", str(slides / "DUPONT_Jean_123.tiff"),
        "--person", "2", "--date", "2021-05-06", "-w", str(clinic))  # fmt: skip
    text = _tables_text(clinic)
    assert "DUPONT" not in text and "Jean" not in text and NAME not in text
    out = clinic.parent / "export"
    tables = ["--table", "image_occurrence", "--table", "slide", "--format", "csv"]
    assert cli(capsys, "export", str(out), "--all", *tables, "-w", str(clinic))
    exported = "".join(f.read_text() for f in out.iterdir())
    assert len(exported.splitlines()) == 4 and "DUPONT" not in exported
    with Warehouse.open(clinic, read_only=True) as wh:
        entry = [e for e in entries(wh) if e["action"] == "slides.register"][-1]
    assert (entry["user"], entry["rows"], entry["persons"]) == ("root", 1, 1)
    assert json.loads(entry["parameters"])["slides"] == [1]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--specimen", "99"], "specimen 99: no such specimen"),
        (["--person", "99", "--date", "2020-01-01"], "person 99: no such person"),
        (["--person", "1"], "give --specimen, or --person with --date"),
        (["--specimen", "11", "--person", "1", "--date", "2020-01-01"],
         "give --specimen, or --person with --date"),
        (["--person", "1", "--date", "soon"], "--date 'soon': not a date (YYYY-MM-DD)"),
    ],
)  # fmt: skip
def test_an_unknown_link_registers_nothing(capsys, clinic, slides, args, message):
    source = str(slides / "DUPONT_Jean_123.tiff")
    err = cli(capsys, "slides", "add", source, *args, "-w", str(clinic), code=2)
    assert err == f"entrepot: error: {message}"
    with Warehouse.open(clinic, read_only=True) as wh:
        assert not wh.has_table("image_occurrence") or wh.count("image_occurrence") == 0


def test_an_unreadable_file_registers_nothing(capsys, clinic, slides, tmp_path):
    broken = tmp_path / "broken.svs"
    broken.write_text("not a slide")
    good = str(slides / "DUPONT_Jean_123.tiff")
    err = cli(capsys, "slides", "add", good, str(broken), "--specimen", "11",
              "-w", str(clinic), code=2)  # fmt: skip
    assert err == "entrepot: error: broken.svs: not a readable whole-slide image (TiffFileError)"  # fmt: skip
    with Warehouse.open(clinic, read_only=True) as wh:
        assert wh.count("slide") == 0
        assert not slide_folder(wh).exists()


def _scanner(slides: Path, tmp_path: Path) -> Path:
    folder = tmp_path / "scanner"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(slides / "DUPONT_Jean_123.tiff", folder)
    shutil.copy(slides / "MARTIN_Paul_456.tiff", folder / "sub")
    write_slide(folder / "unlisted.tiff", width=300, height=300)
    (folder / "manifest.csv").write_text(MANIFEST)
    return folder


def test_scan_registers_new_and_changed_files_only(capsys, clinic, slides, tmp_path):
    folder = _scanner(slides, tmp_path)
    w = ["-w", str(clinic)]
    first = cli(capsys, "slides", "scan", str(folder), *w)
    assert (first["registered"], first["unchanged"], first["unlisted"]) == (2, 0, 1)
    assert [s["slide_id"] for s in first["slides"]] == [1, 2]
    again = cli(capsys, "slides", "scan", str(folder), *w)
    assert (again["registered"], again["unchanged"], again["slides"]) == (2 - 2, 2, [])
    write_slide(folder / "sub" / "MARTIN_Paul_456.tiff", seed=9, width=640)  # rescanned
    changed = cli(capsys, "slides", "scan", str(folder), *w)
    assert (changed["registered"], changed["unchanged"]) == (1, 1)
    assert changed["slides"][0]["width"] == 640


@pytest.mark.parametrize(
    "name", ["../DUPONT_Jean_123.tiff", "/etc/passwd", "link.tiff"]
)
def test_scan_refuses_a_path_outside_its_folder(capsys, clinic, slides, tmp_path, name):
    folder = _scanner(slides, tmp_path)
    (folder / "link.tiff").symlink_to(slides / "DUPONT_Jean_123.tiff")
    (folder / "manifest.csv").write_text(MANIFEST + f"{name},12,,\n")
    err = cli(capsys, "slides", "scan", str(folder), "-w", str(clinic), code=2)
    assert err == f"entrepot: error: manifest: {name!r} is not a path inside {folder}"
    with Warehouse.open(clinic, read_only=True) as wh:
        assert not wh.has_table("slide") or wh.count("slide") == 0


def test_an_upgraded_old_warehouse_gets_the_registry(capsys, tmp_path, slides):
    """A warehouse written before the registry (revision 0, upgraded) gets its
    tables when a slide is first registered."""
    data = Path(__file__).parent.parent / "warehouse" / "data"
    old = tmp_path / "old.duckdb"
    with gzip.open(data / "revision0.duckdb.gz") as packed, old.open("wb") as out:
        shutil.copyfileobj(packed, out)
    shutil.copy(data / "revision0.duckdb.audit-anchor", f"{old}.audit-anchor")
    cli(capsys, "upgrade", "-w", str(old), "--backup", str(tmp_path / "backup"))
    with Warehouse.open(old, read_only=True) as wh:
        person = wh.table("person").person_id.min().to_pyarrow().as_py()
        assert slides_of(wh, Decision.unscoped(wh), person) == []  # read, not created
        assert not wh.has_table("image_occurrence")
    found = cli(capsys, "slides", "add", str(slides / "DUPONT_Jean_123.tiff"),
                "--person", str(person), "--date", "2020-01-01", "-w", str(old))  # fmt: skip
    assert found["slides"][0]["slide_id"] == 1


def test_the_registry_on_each_engine(engine, tmp_path, slides):
    """Registering, scanning and reading back through a decision, the same
    on DuckDB and Spark."""
    uri = warehouse_uri(engine, tmp_path)
    folder = _scanner(slides, tmp_path)
    with Warehouse.open(uri, create=True) as wh:  # only the tables it needs
        for name in ("person", "specimen", "procedure_occurrence"):
            wh.store.create_table("cdm", name, cdm_table(name).schema)
        add_clinic(wh)
        decision = Decision.unscoped(wh)
        found = add(wh, decision, [slides / "DUPONT_Jean_123.tiff"], specimen_id=12)
        assert found == [{"slide_id": 1, "width": 1200, "height": 900, "levels": 3, "mpp": 0.5}]  # fmt: skip
        summary = scan(wh, decision, folder)
        assert (summary["registered"], summary["unchanged"]) == (1, 1)
        shown = slide_of(wh, decision, 2)
        assert (shown["person_id"], shown["date"], shown["levels"][2]) == (4, "2023-02-01", [250, 225, 4.0])  # fmt: skip
        assert shown["path"].is_file() and shown["path"].parent == slide_folder(wh)


def test_a_dicom_wsi_is_registered_and_read_like_a_tiff(capsys, clinic, tmp_path):
    """A DICOM WSI (a folder, one file per level) through wsidicom: all its
    levels, its µm per pixel, scanner, objective power and stain; stored under an opaque name, its patient's
    name nowhere in the warehouse; its tiles read like a TIFF's."""
    image = np.full((700, 900, 3), 240, np.uint8)
    image[100:500, 200:700] = (200, 120, 170)
    folder = write_dicom_wsi(tmp_path / "DUPONT_Jean_dicom", image)
    found = cli(capsys, "slides", "add", str(folder), "--specimen", "12", "-w", str(clinic))  # fmt: skip
    assert found["slides"] == [
        {"slide_id": 1, "width": 900, "height": 700, "levels": 3, "mpp": 0.5}
    ]
    assert "DUPONT" not in _tables_text(clinic)
    with Warehouse.open(clinic, read_only=True) as wh:
        shown = slide_of(wh, Decision.unscoped(wh), 1)
    assert (shown["format"], shown["levels"]) == ("dicom", [[900, 700, 1.0], [450, 350, 2.0], [225, 175, 4.0]])  # fmt: skip
    assert (shown["scanner"], shown["objective_power"]) == ("3DHISTECH PANNORAMIC 250", 20.0)  # fmt: skip
    assert shown["stain"] == "hematoxylin stain + water soluble eosin stain"
    assert sorted(p.name for p in shown["path"].iterdir()) == [
        "0.dcm",
        "1.dcm",
        "2.dcm",
    ]
    with open_slide(shown["path"]) as slide:  # Deep Zoom level 8: 225 x 175 px
        pixels = np.asarray(Image.open(io.BytesIO(tile(slide, 8, 0, 0))))
    assert pixels.shape == (175, 225, 3)
    assert np.abs(pixels[80, 110].astype(int) - (200, 120, 170)).max() < 12


def test_a_slide_registered_twice_is_refused(capsys, clinic, slides):
    source = str(slides / "DUPONT_Jean_123.tiff")
    w = ["--specimen", "11", "-w", str(clinic)]
    assert cli(capsys, "slides", "add", source, *w)["slides"][0]["slide_id"] == 1
    err = cli(capsys, "slides", "add", source, *w, code=2)
    assert err == "entrepot: error: DUPONT_Jean_123.tiff: already registered as slide 1"
    with Warehouse.open(clinic, read_only=True) as wh:
        assert wh.count("slide") == 1 and len(list(slide_folder(wh).iterdir())) == 1
