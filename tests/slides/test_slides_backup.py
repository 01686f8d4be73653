"""The slide folder goes into `entrepot backup` and comes back with `entrepot
restore`: after the warehouse and its slides are lost, every registered slide
is there again, the same bytes, readable, and the registry names exactly the
slides the folder holds; a forced restore sets the replaced folder aside. A
backup with `--no-slides`, and the one `entrepot upgrade` takes first, leave
them out, and restoring it keeps the slide folder."""

from __future__ import annotations

import shutil
from pathlib import Path

from entrepot.operations import read_manifest, upgrade
from entrepot.privacy import Decision
from entrepot.slides import checksum, open_slide
from entrepot.warehouse import MIGRATIONS, REVISION, Migration, Warehouse

from .test_registry import cli


def _register(capsys, clinic: Path, slides: Path, mrxs) -> None:
    w = ["-w", str(clinic)]
    cli(capsys, "slides", "add", str(slides / "DUPONT_Jean_123.tiff"), "--specimen", "11", *w)  # fmt: skip
    cli(capsys, "slides", "add", str(mrxs[0]), "--specimen", "12", *w)


def _registry(clinic: Path) -> dict[str, str]:
    """Each registered slide's stored name -> its checksum."""
    with Warehouse.open(clinic, read_only=True) as wh:
        t = wh.table("image_occurrence").join(wh.table("slide"), "image_occurrence_id")
        rows = t.select("local_path", "checksum").to_pyarrow().to_pylist()
    return {r["local_path"]: r["checksum"] for r in rows}


def _stored(folder: Path) -> set[str]:
    """The slides a slide folder holds (an MRXS's data folder is its own)."""
    names = {p.name for p in folder.iterdir()}
    return {n for n in names if f"{n}.mrxs" not in names}


def _contents(folder: Path) -> dict[Path, bytes]:
    return {p.relative_to(folder): p.read_bytes() for p in folder.rglob("*") if p.is_file()}  # fmt: skip


def _check_readable(clinic: Path, folder: Path, count: int) -> None:
    """The registry names exactly the slides the folder holds, each readable."""
    registry = _registry(clinic)
    assert set(registry) == _stored(folder) and len(registry) == count
    for name, digest in registry.items():
        assert checksum(folder / name) == digest
        with open_slide(folder / name) as slide:
            assert slide.read_region((0, 0), 0, (8, 8)).size == (8, 8)


def test_backup_and_restore_bring_the_slides_back(
    capsys, clinic, slides, mrxs, tmp_path
):
    _register(capsys, clinic, slides, mrxs)
    folder = clinic.with_name("eds.duckdb.slides")
    before = _contents(folder)
    dest = tmp_path / "monday"
    assert cli(capsys, "backup", str(dest), "-w", str(clinic))["slides"] == "included"
    manifest = read_manifest(dest)
    copied = manifest["files"]
    assert manifest["slides"] == "included"
    assert {n for n in copied if n.startswith("slides/")} == {
        f"slides/{p}" for p in before
    }
    for lost in clinic.parent.glob("eds.duckdb*"):  # the disk is lost
        shutil.rmtree(lost) if lost.is_dir() else lost.unlink()
    done = cli(capsys, "restore", str(dest), "-w", str(clinic))
    assert done["replaced"] is False
    assert _contents(folder) == before
    _check_readable(clinic, folder, 2)
    mask = tmp_path / "mask.png"
    tissue = cli(capsys, "slides", "tissue", "2", "--mask-out", str(mask), "-w", str(clinic))  # fmt: skip
    assert tissue["mask_size"] == [32, 24] and tissue["tissue_fraction"] > 0.2


def test_a_forced_restore_sets_the_replaced_slides_aside(
    capsys, clinic, slides, mrxs, tmp_path
):
    w = ["-w", str(clinic)]
    cli(capsys, "slides", "add", str(slides / "DUPONT_Jean_123.tiff"), "--specimen", "11", *w)  # fmt: skip
    dest = tmp_path / "monday"
    cli(capsys, "backup", str(dest), *w)
    backed_up = set(_registry(clinic))
    cli(
        capsys, "slides", "add", str(mrxs[0]), "--specimen", "12", *w
    )  # after the backup
    folder = clinic.with_name("eds.duckdb.slides")
    later = _stored(folder) - backed_up
    cli(capsys, "restore", str(dest), "--force", *w)
    registry = _registry(clinic)
    assert set(registry) == _stored(folder) and len(registry) == 1
    (aside,) = clinic.parent.glob("eds.duckdb.slides.before-restore-*")
    assert len(later) == 1 and _stored(aside) == backed_up | later  # nothing deleted


def test_a_backup_without_slides_leaves_the_slide_folder(
    capsys, clinic, slides, tmp_path
):
    """A backup of a warehouse that had no slides (or taken before backups
    held them) restores its tables and leaves the slide folder as it is."""
    w = ["-w", str(clinic)]
    dest = tmp_path / "monday"
    cli(capsys, "backup", str(dest), *w)
    cli(capsys, "slides", "add", str(slides / "DUPONT_Jean_123.tiff"), "--specimen", "11", *w)  # fmt: skip
    folder = clinic.with_name("eds.duckdb.slides")
    kept = _stored(folder)
    done = cli(capsys, "restore", str(dest), "--force", *w)
    assert (
        _stored(folder) == kept and len(kept) == 1 and done["previous_slides"] is None
    )
    assert not list(clinic.parent.glob("eds.duckdb.slides.before-restore-*"))


def test_a_backup_with_no_slides_leaves_them_out_and_restore_keeps_them(
    capsys, clinic, slides, mrxs, tmp_path
):
    _register(capsys, clinic, slides, mrxs)
    folder = clinic.with_name("eds.duckdb.slides")
    before = _contents(folder)
    dest = tmp_path / "monday"
    done = cli(capsys, "backup", str(dest), "--no-slides", "-w", str(clinic))
    manifest = read_manifest(dest)
    assert done["slides"] == manifest["slides"] == "left out"
    assert set(manifest["files"]) == {"warehouse/eds.duckdb", "audit-anchor"}
    restored = cli(capsys, "restore", str(dest), "--force", "-w", str(clinic))
    assert restored["previous_slides"] is None and _contents(folder) == before
    assert not list(clinic.parent.glob("eds.duckdb.slides.before-restore-*"))
    _check_readable(clinic, folder, 2)


def _later(wh) -> None:
    """A migration that changes nothing."""


def test_the_upgrades_backup_leaves_the_slides_out(capsys, clinic, slides, tmp_path):
    """An upgrade changes tables, never slide files: its backup holds no slides."""
    cli(capsys, "slides", "add", str(slides / "DUPONT_Jean_123.tiff"), "--specimen", "11", "-w", str(clinic))  # fmt: skip
    folder = clinic.with_name("eds.duckdb.slides")
    before = _contents(folder)
    steps = [*MIGRATIONS, Migration(REVISION + 1, "a later step", _later)]
    with Warehouse.open(clinic) as wh:
        done = upgrade(wh, Decision.unscoped(wh), tmp_path / "b", steps)
    manifest = read_manifest(tmp_path / "b")
    assert done["slides"] == manifest["slides"] == "left out"
    assert set(manifest["files"]) == {"warehouse/eds.duckdb", "audit-anchor"}
    assert _contents(folder) == before and len(_stored(folder)) == 1
