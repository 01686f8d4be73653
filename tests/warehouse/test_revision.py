"""Schema revisions: a warehouse records the revision and the entrepot version
that wrote it; an older one (the fixture, written by entrepot 0.1.0 before
revisions were recorded) is read but not written until `entrepot upgrade`
migrates it, after a backup, all steps or none; a newer one is refused."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import ibis
import pytest

from entrepot import __version__
from entrepot.cli import main
from entrepot.errors import WarehouseRevisionError
from entrepot.operations import read_manifest, upgrade
from entrepot.privacy import Decision, entries, verify
from entrepot.warehouse import (
    MIGRATIONS,
    REVISION,
    Migration,
    Warehouse,
    revision_history,
    revision_of,
    stamp_revision,
)

from ..conftest import warehouse_uri

DATA = Path(__file__).parent / "data"
#: What the fixture holds (tests/warehouse/data/make_revision0.py).
FIXTURE_ROWS = {"person": 10, "measurement": 3646, "note": 130, "drug_era": 60}
_COLUMNS = ibis.schema({"x": "int64"})


@pytest.fixture
def revision0(tmp_path) -> Path:
    """A copy of the warehouse written by entrepot 0.1.0, with its anchor."""
    path = tmp_path / "old.duckdb"
    with gzip.open(DATA / "revision0.duckdb.gz") as packed, path.open("wb") as out:
        shutil.copyfileobj(packed, out)
    shutil.copy(DATA / "revision0.duckdb.audit-anchor", f"{path}.audit-anchor")
    return path


def _rows(wh: Warehouse) -> dict[str, list]:
    """Every table's rows, sorted, but the audit log and the revisions."""
    found = {}
    for schema in ("cdm", "results", "entrepot"):
        for name in wh.tables(schema):
            if name not in ("audit_log", "schema_revision"):
                rows = wh.store.table(schema, name).to_pyarrow().to_pylist()
                found[f"{schema}.{name}"] = sorted(rows, key=repr)
    return found


def _cli(capsys, *argv: str, code: int = 0):
    done = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out) if code == 0 else err.strip()


def test_a_new_warehouse_records_its_revision(warehouse):
    history = revision_history(warehouse.store)
    assert revision_of(warehouse.store) == REVISION == MIGRATIONS[-1].revision
    assert [(h["revision"], h["entrepot_version"], h["summary"]) for h in history] == [
        (REVISION, __version__, "first written by entrepot")
    ]


def test_an_old_warehouse_is_read_not_written(capsys, revision0):
    message = (
        f"entrepot: error: {revision0} is at schema revision 0 (written by "
        "entrepot 0.1.0 before versions were recorded), this entrepot "
        f"{__version__} writes revision 1: run `entrepot upgrade -w {revision0}` "
        "first (it takes a backup)"
    )
    with Warehouse.open(revision0) as wh:
        assert revision_of(wh.store) == 0 and revision_history(wh.store) == []
        before = _rows(wh)
        assert {n: wh.count(n) for n in FIXTURE_ROWS} == FIXTURE_ROWS
    assert _cli(capsys, "eras", "-w", str(revision0), code=2) == message
    assert _cli(capsys, "tables", "-w", str(revision0))["cdm"]["person"] == 10
    with Warehouse.open(revision0) as wh:  # reading was audited, nothing written
        assert _rows(wh) == before
        assert [e["action"] for e in entries(wh)][-2:] == ["authorise.count", "tables"]


def test_upgrade_migrates_an_old_warehouse(capsys, revision0, tmp_path):
    with Warehouse.open(revision0) as wh:
        before = _rows(wh)
    backup = tmp_path / "before"
    done = _cli(capsys, "upgrade", "-w", str(revision0), "--backup", str(backup))
    summary = MIGRATIONS[0].summary
    assert done == {
        "from": 0,
        "to": 1,
        "steps": [{"from": 0, "to": 1, "summary": summary}],
        "backup": str(backup),
        "slides": "left out",
    }
    assert read_manifest(backup)["revision"] == 0
    with Warehouse.open(revision0) as wh:
        assert _rows(wh) == before
        assert [(h["revision"], h["summary"]) for h in revision_history(wh.store)] == [
            (1, summary)
        ]
        log = entries(wh)[-2:]
        assert verify(wh)["ok"]
    assert [e["action"] for e in log] == ["authorise.manage", "upgrade"]
    assert json.loads(log[-1]["parameters"]) == done["steps"][0] | {
        "backup": str(backup)
    }
    assert _cli(capsys, "eras", "-w", str(revision0)) == {"condition_era": 53, "drug_era": 60}  # fmt: skip
    again = _cli(capsys, "upgrade", "-w", str(revision0))
    assert again == {"from": 1, "to": 1, "steps": [], "backup": None}


def _fails(wh) -> None:
    """A migration that fails halfway."""
    wh.store.create_table("entrepot", "half_done", _COLUMNS)
    raise OSError("disk full")


def test_a_failed_upgrade_leaves_the_warehouse_as_it_was(revision0, tmp_path):
    steps = [*MIGRATIONS, Migration(REVISION + 1, "fails halfway", _fails)]
    with Warehouse.open(revision0) as wh:
        before, tables = _rows(wh), wh.tables("entrepot")
        with pytest.raises(WarehouseRevisionError) as failed:
            upgrade(wh, Decision.unscoped(wh), tmp_path / "b", steps)
        assert str(failed.value) == (
            f"{revision0}: upgrade from revision 0 failed (disk full); the "
            f"warehouse was left as it was, a backup is in {tmp_path / 'b'}"
        )
        assert (revision_of(wh.store), wh.tables("entrepot")) == (0, tables)
        assert _rows(wh) == before
        assert entries(wh)[-1]["action"] == "upgrade.failed"
        with pytest.raises(WarehouseRevisionError, match="run `entrepot upgrade"):
            wh.store.create_table("entrepot", "later", _COLUMNS)


def test_a_newer_warehouse_is_refused(capsys, new_duckdb, tmp_path):
    path = tmp_path / "new.duckdb"
    with new_duckdb(path) as wh:
        stamp_revision(wh.store, REVISION + 1, "from the future")
    with pytest.raises(WarehouseRevisionError):
        Warehouse.open(path, read_only=True)
    assert _cli(capsys, "tables", "-w", str(path), code=2) == (
        f"entrepot: error: {path} is at schema revision {REVISION + 1}, newer "
        f"than this entrepot ({__version__}, revision {REVISION}) knows: "
        "upgrade entrepot"
    )


@pytest.mark.spark
def test_upgrade_on_spark(spark_session, tmp_path):
    """A Spark warehouse whose revisions are removed is at revision 0; a
    failed upgrade puts the backup's folders back; then it migrates."""
    uri = warehouse_uri("spark", tmp_path)
    Warehouse.create(uri, vocabulary=False).close()
    shutil.rmtree(tmp_path / "eds" / "entrepot" / "schema_revision")
    steps = [*MIGRATIONS, Migration(REVISION + 1, "fails halfway", _fails)]
    with Warehouse.open(uri) as wh:
        assert revision_of(wh.store) == 0
        tables = wh.tables("entrepot")
        with pytest.raises(WarehouseRevisionError, match="left as it was"):
            upgrade(wh, Decision.unscoped(wh), tmp_path / "b1", steps)
        assert (revision_of(wh.store), wh.tables("entrepot")) == (0, tables)
        done = upgrade(wh, Decision.unscoped(wh), tmp_path / "b2")
        assert (done["from"], done["to"], revision_of(wh.store)) == (0, 1, 1)
        assert verify(wh)["ok"]
