"""`entrepot backup` and `entrepot restore`, for real: a warehouse with users,
an audit chain, its anchor and a search index goes to a backup folder and
comes back, every table's rows and every copied file the same; a restore
refuses a warehouse that is not empty unless forced, and a damaged backup."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest

from entrepot.cli import main
from entrepot.operations import backup, read_manifest, restore
from entrepot.privacy import Decision, add_user, entries, verify
from entrepot.search import index_path, update_index
from entrepot.warehouse import Warehouse

from ..cohort.conftest import build_tiny, tiny_tables, write_tables
from ..conftest import warehouse_uri
from ..search.conftest import NOTES, add_notes

SKIPPED = ("audit_log",)  # it grows with each command: compared up to the backup
#: Tables given rows on Spark, and read back (a job each): every table's
#: files are compared byte for byte.
TINY_ON_SPARK = ("person", "observation_period")


def _rows(wh: Warehouse, only=None) -> dict[str, list]:
    """Every table's rows (or `only` these), sorted."""
    found = {}
    for schema in ("cdm", "results", "entrepot"):
        for name in wh.tables(schema):
            if name not in SKIPPED and (only is None or name in only):
                rows = wh.store.table(schema, name).to_pyarrow().to_pylist()
                found[f"{schema}.{name}"] = sorted(rows, key=repr)
    return found


def _files(folder: Path) -> dict[str, str]:
    """Every file under `folder` -> its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _cli(capsys, *argv: str, code: int = 0):
    done = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out) if code == 0 else err.strip()


@pytest.fixture(scope="module")
def source(tmp_path_factory) -> Path:
    """The tiny warehouse with notes, a user and a search index."""
    path = tmp_path_factory.mktemp("source") / "eds.duckdb"
    with build_tiny(str(path)) as wh:
        add_notes(wh, NOTES)
        add_user(wh, "dora", "data_engineer", "correct horse battery")
        update_index(wh)
    return path


@pytest.fixture(scope="module")
def taken(source, tmp_path_factory) -> tuple[Path, dict]:
    """A backup of `source` by the CLI, and its manifest."""
    dest = tmp_path_factory.mktemp("backups") / "monday"
    assert main(["backup", str(dest), "-w", str(source), "-q"]) == 0
    return dest, read_manifest(dest)


def test_a_backup_holds_tables_anchor_and_index(source, taken):
    dest, manifest = taken
    with Warehouse.open(source, read_only=True) as wh:
        log = entries(wh)
        index = index_path(wh)
    assert [e["action"] for e in log[-2:]] == ["authorise.manage", "backup"]
    assert manifest["audit_head"]["entries"] == log[-2]["seq"]  # copied with it
    assert (manifest["engine"], manifest["revision"]) == ("duckdb", 1)
    copied = _files(dest)
    assert copied.pop("manifest.json") and copied == {
        name: f["sha256"] for name, f in manifest["files"].items()
    }
    assert {f"search/{n}": h for n, h in _files(index).items()} == {
        n: h for n, h in copied.items() if n.startswith("search/")
    }
    assert "warehouse/eds.duckdb" in copied and "audit-anchor" in copied
    assert sum(n.startswith("search/") for n in copied) >= 3  # meta, state, segments
    assert oct(dest.stat().st_mode & 0o777) == "0o700"


def test_restore_round_trips_every_table(capsys, source, taken, tmp_path):
    dest, manifest = taken
    target = tmp_path / "restored.duckdb"
    done = _cli(capsys, "restore", str(dest), "-w", str(target))
    assert (done["replaced"], done["audit_head"]) == (False, manifest["audit_head"])
    with Warehouse.open(source, read_only=True) as wh:
        expected, log = _rows(wh), entries(wh)
    with Warehouse.open(target, read_only=True) as wh:
        assert _rows(wh) == expected
        restored = entries(wh)
        assert _files(index_path(wh)) == _files(dest / "search")
    head = manifest["audit_head"]["entries"]
    assert restored[:head] == log[:head]
    assert [(e["action"], e["user"]) for e in restored[head:]] == [
        ("authorise.manage", "root"),
        ("restore", "root"),
    ]
    anchor = Path(f"{target}.audit-anchor").read_text()
    assert anchor.startswith((dest / "audit-anchor").read_text())
    checked = _cli(capsys, "audit", "verify", "-w", str(target))
    assert (checked["ok"], checked["anchor"]["ok"]) == (True, True)


def test_restore_refuses_a_warehouse_that_is_not_empty(capsys, taken, tmp_path):
    dest, manifest = taken
    target = tmp_path / "other.duckdb"
    with build_tiny(str(target)) as wh:
        add_user(wh, "ursula", "viewer", "another password here")
        before = _rows(wh)
    refused = _cli(capsys, "restore", str(dest), "-w", str(target), code=2)
    assert refused == (
        f"entrepot: error: {target} is not empty: give --force to replace it "
        "by the backup"
    )
    with Warehouse.open(target, read_only=True) as wh:
        assert _rows(wh) == before
    done = _cli(capsys, "restore", str(dest), "-w", str(target), "--force")
    assert done["replaced"] and Path(done["previous_anchor"]).is_file()
    with Warehouse.open(target, read_only=True) as wh:
        users = [r["name"] for r in wh.table("access_user").to_pyarrow().to_pylist()]
        assert users == ["dora"] and verify(wh)["ok"]
    assert not Path(f"{target}.wal").exists()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_a_damaged_backup_is_refused(capsys, taken, tmp_path):
    dest, _ = taken
    damaged = tmp_path / "damaged"
    shutil.copytree(dest, damaged)
    with (damaged / "warehouse" / "eds.duckdb").open("r+b") as f:
        f.seek(10_000)
        byte = f.read(1)
        f.seek(10_000)
        f.write(bytes([byte[0] ^ 1]))
    target = tmp_path / "new.duckdb"
    refused = _cli(capsys, "restore", str(damaged), "-w", str(target), code=2)
    assert refused == (
        f"entrepot: error: {damaged}: warehouse/eds.duckdb differs from the "
        "manifest: the backup is damaged"
    )
    assert sorted(p.name for p in tmp_path.iterdir()) == ["damaged"]
    refused = _cli(capsys, "backup", str(dest), "-w", str(target), code=2)
    assert "no warehouse at" in refused


def test_a_backup_goes_to_a_new_folder(capsys, source, taken):
    dest, _ = taken
    refused = _cli(capsys, "backup", str(dest), "-w", str(source), code=2)
    assert refused == (
        f"entrepot: error: {dest}: already exists; a backup goes to a new folder"
    )


@pytest.mark.spark
def test_spark_round_trip(spark_session, tmp_path):
    """A snapshot of the Parquet folders: restored, every table's rows and
    every Parquet file are the same (the audit log grows by the restore)."""
    uri = warehouse_uri("spark", tmp_path)
    with Warehouse.create(uri, vocabulary=False) as wh:
        write_tables(wh, {name: tiny_tables()[name] for name in TINY_ON_SPARK})
        decision = Decision.unscoped(wh)
        manifest = backup(wh, tmp_path / "snapshot")
        expected = _rows(wh, only=TINY_ON_SPARK)
    assert len(expected["cdm.person"]) == 5
    assert "warehouse/cdm/person" in {n.rsplit("/", 1)[0] for n in manifest["files"]}
    target = warehouse_uri("spark", tmp_path, "restored")
    restore(tmp_path / "snapshot", target, lambda wh: decision)
    with Warehouse.open(target) as wh:
        assert _rows(wh, only=TINY_ON_SPARK) == expected and verify(wh)["ok"]
        assert entries(wh)[-1]["action"] == "restore"
    before, after = _files(tmp_path / "eds"), _files(tmp_path / "restored")
    unchanged = {n: h for n, h in after.items() if "audit_log" not in n}
    assert unchanged == {n: h for n, h in before.items() if "audit_log" not in n}
