"""The synthetic hospital's pathology lab (`entrepot synth --slides`): some
pathology reports get a specimen and a scanned slide, with the planted masks
kept and a manifest that `entrepot slides scan` registers."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import numpy as np
import pytest

from entrepot.cli import main
from entrepot.warehouse import Warehouse

SIZE = 512


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> tuple[Path, Path]:
    """A small hospital (mostly systemic sclerosis: skin biopsies) with two
    slides: (warehouse, scanner folder)."""
    folder = tmp_path_factory.mktemp("lab")
    path, scanner = folder / "eds.duckdb", folder / "scanner"
    argv = ["synth", "-n", "20", "--seed", "3", "--workers", "1", "--years", "2020-2021",
            "--enrich", "systemic_sclerosis=0.8", "--slides", "2", "--slides-dir",
            str(scanner), "--slide-size", str(SIZE), "-w", str(path), "--json"]  # fmt: skip
    assert main(argv) == 0
    return path, scanner


def _json(capsys, argv: list[str], code: int = 0):
    done = main(argv)
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out) if code == 0 else err.strip()


def test_reports_get_a_specimen_a_slide_and_its_truth(lab):
    path, scanner = lab
    with (scanner / "manifest.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["specimen_id"] for r in rows] == ["1", "2"]
    with Warehouse.open(path, read_only=True) as wh:
        for row in rows:
            s, n = wh.table("specimen"), wh.table("note")
            specimen = s.filter(s.specimen_id == int(row["specimen_id"])).to_pyarrow().to_pylist()[0]  # fmt: skip
            note = (
                n.filter(n.note_id == int(row["note_id"])).to_pyarrow().to_pylist()[0]
            )
            assert note["note_source_value"] == "CR-ANAPATH"
            assert (specimen["person_id"], specimen["specimen_date"]) == (note["person_id"], note["note_date"])  # fmt: skip
            assert row["file"].startswith(f"AP{note['note_date'].year}-")
            truth = np.load(scanner / "truth" / row["file"].replace(".tiff", ".npz"))
            assert truth["tissue"].shape == truth["lesion"].shape == (SIZE // 16, SIZE // 16)  # fmt: skip
            assert bool(truth["lesion"].any()) == (row["lesion"] == "1")


def test_the_manifest_registers_the_slides(capsys, lab):
    path, scanner = lab
    w = ["-w", str(path), "--json"]
    found = _json(capsys, ["slides", "scan", str(scanner), *w])
    assert (found["registered"], found["unchanged"], found["unlisted"]) == (2, 0, 0)
    assert [(s["width"], s["height"]) for s in found["slides"]] == [(SIZE, SIZE)] * 2
    again = _json(capsys, ["slides", "scan", str(scanner), *w])
    assert (again["registered"], again["unchanged"]) == (0, 2)
    with Warehouse.open(path, read_only=True) as wh:
        occ = wh.table("image_occurrence").join(
            wh.table("slide"), "image_occurrence_id"
        )
        s = wh.table("specimen").select("specimen_id", "person_id", "specimen_date")
        linked = occ.join(s, "specimen_id").to_pyarrow().to_pylist()
        text = repr([wh.table(t).to_pyarrow().to_pylist() for t in
                     ("image_occurrence", "slide", "audit_log")])  # fmt: skip
    assert len(linked) == 2
    assert all(r["person_id"] == r["person_id_right"] for r in linked)
    assert all(r["image_occurrence_date"] == r["specimen_date"] for r in linked)
    assert "AP20" not in text  # the accession numbers: file names and labels


def test_slides_need_the_scanner_folder(capsys, tmp_path):
    argv = ["synth", "--slides", "2", "-w", str(tmp_path / "x.duckdb"), "--json"]
    err = _json(capsys, argv, code=2)
    assert err == "entrepot: error: --slides needs --slides-dir, the scanner's folder"
    assert not (tmp_path / "x.duckdb").exists()
