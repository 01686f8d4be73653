"""A night's ingestion is one atomic unit with its IPP merges (`merges.csv`)
and the identity vault: a night that fails anywhere, or whose merges.csv is
wrong, leaves the warehouse as it was, on each engine."""

from __future__ import annotations

import csv
import hashlib
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import entrepot
from entrepot.cli import main
from entrepot.errors import EntrepotError, PrivacyError
from entrepot.ingest import ingest_raw
from entrepot.privacy import (
    SecretKey,
    anchor_path,
    entries,
    erase_identities,
    merge_log,
    read_identities,
    vault_path,
    verify,
)
from entrepot.warehouse import Warehouse
from entrepot.warehouse._beside import STAGED
from entrepot.warehouse._store import PAUSE_AFTER

KEY = SecretKey(bytes.fromhex("4d" * 32))


def rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def nights(tmp_path_factory) -> dict:
    """A small raw hospital (`first`) and the next night (`second`): a lab
    value corrected, and two patients merged in `merges.csv` (`pair`)."""
    from entrepot.synth import generate_hospital

    folder = tmp_path_factory.mktemp("atomic")
    first, second = folder / "first", folder / "second"
    generate_hospital(
        folder / "synth.duckdb", patients=6, seed=11, raw=first, workers=1
    )
    shutil.copytree(first, second)
    lab = rows(first / "lab.csv")
    lab[0]["high"] = "123.4"  # not a key column: an update, the same id
    with (second / "lab.csv").open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, list(lab[0]))
        out.writeheader()
        out.writerows(lab)
    ipps = list(dict.fromkeys(r["ipp"] for r in rows(first / "stays.csv")))
    (second / "merges.csv").write_text(
        f"old_ipp,new_ipp,merged_on\n{ipps[0]},{ipps[1]},2024-03-01\n"
    )
    key = folder / "key"
    key.write_text("4d" * 32 + "\n")
    key.chmod(0o600)
    return {"first": first, "second": second, "ipps": ipps, "key": key}


@pytest.fixture(scope="module")
def first_night(nights, tmp_path_factory) -> Path:
    """A DuckDB warehouse of the first night (copied per test)."""
    path = tmp_path_factory.mktemp("first") / "eds.duckdb"
    with Warehouse.create(path, vocabulary=False) as wh:
        ingest_raw(wh, nights["first"], key=KEY)
    return path


@pytest.fixture(scope="module")
def spark_first_night(nights, built_once, spark_session) -> Path:
    """A Spark warehouse of the first night, made once per test run (copied
    per test): a Spark ingestion costs minutes on a loaded machine."""

    def ingest(folder: Path) -> None:
        with Warehouse.create(f"spark:{folder / 'eds'}", vocabulary=False) as wh:
            ingest_raw(wh, nights["first"], key=KEY)

    return built_once("atomic-first-night-spark", ingest) / "eds"


def copy_of(first_night: Path, tmp_path: Path) -> Path:
    """The first night's warehouse (a DuckDB file or a Spark folder) copied,
    with its vault and its anchor."""
    path = tmp_path / first_night.name
    (shutil.copytree if first_night.is_dir() else shutil.copy)(first_night, path)
    for suffix in (".identities", ".audit-anchor"):
        shutil.copy(f"{first_night}{suffix}", f"{path}{suffix}")
    return path


def state(wh: Warehouse) -> dict:
    """Everything the warehouse holds: on Spark, each file's SHA-256 (a
    failure must put the very files back); on DuckDB, every table's rows."""
    if wh.engine == "spark":
        root = wh.uri.path
        return {
            str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*"))
            if p.is_file() and "_staging" not in p.parts
        }
    return {
        (schema, name): sorted(map(repr, wh.table(name).to_pyarrow().to_pylist()))
        for schema in ("cdm", "results", "entrepot")
        for name in wh.tables(schema)
    }


def test_a_night_failing_after_its_merges_leaves_the_warehouse_as_it_was(
    first_night, nights, tmp_path
):
    path = copy_of(first_night, tmp_path)
    with Warehouse.open(path) as wh:
        vault = vault_path(wh)
        good = vault.read_bytes()
        vault.write_bytes(b"damaged")  # read after the load and the merges
        before, logged = state(wh), len(entries(wh))
        anchor = anchor_path(wh).read_bytes()
        with pytest.raises(PrivacyError, match="not an entrepot identity vault"):
            ingest_raw(wh, nights["second"], key=KEY)
        assert state(wh) == before
        assert merge_log(wh) == [] and len(entries(wh)) == logged
        assert anchor_path(wh).read_bytes() == anchor
        assert vault.read_bytes() == b"damaged"

        vault.write_bytes(good)  # repaired: the same night loads and merges
        done = ingest_raw(wh, nights["second"], key=KEY)
        assert done.merges == 1 and done.tables["measurement"]["updated"] == 1
        assert len(merge_log(wh)) == 1


@pytest.mark.spark
def test_on_spark_a_failed_ingest_puts_back_every_file(
    spark_session, new_warehouse, nights, tmp_path
):
    """Its load writes every table, its merges rewrite some, then it fails:
    each table is the very files it was, and nothing is left beside them."""
    with new_warehouse(f"spark:{tmp_path / 'eds'}") as wh:
        vault_path(wh).write_bytes(b"damaged")
        before, logged = state(wh), len(entries(wh))
        with pytest.raises(PrivacyError, match="not an entrepot identity vault"):
            ingest_raw(wh, nights["second"], key=KEY)
        assert state(wh) == before
        assert wh.count("person") == 0 and merge_log(wh) == []
        assert len(entries(wh)) == logged
        assert not list((tmp_path / "eds" / "_staging").glob("*"))


@pytest.mark.parametrize(
    ("lines", "line", "message"),
    [
        ("{a},{b},2024-13-01", 2, "merged_on is not a date"),
        ("0000000000,{b},2024-03-01", 2, "the IPP to merge away is not in the"),
        ("{a},{b},\n{b},{c},", 2, "the surviving IPP is merged away on another"),
        ("{a},{b},\n{b},{a},", 2, "the surviving IPP is merged away on"),
        ("{a},{b},\n{a},{c},", 2, "the IPP to merge away is merged twice"),
    ],
    ids=["date", "unknown", "chain", "cycle", "twice"],
)
def test_a_wrong_merges_csv_is_one_line_naming_file_and_row_and_changes_nothing(
    first_night, nights, tmp_path, capsys, lines, line, message
):
    path = tmp_path / "eds.duckdb"
    shutil.copy(first_night, path)
    with Warehouse.open(path) as wh:
        before, logged = state(wh), len(entries(wh))
    raw = tmp_path / "raw"
    shutil.copytree(nights["second"], raw)
    a, b, c = nights["ipps"][:3]
    merges = raw / "merges.csv"
    merges.write_text(f"old_ipp,new_ipp,merged_on\n{lines.format(a=a, b=b, c=c)}\n")
    with Warehouse.open(path) as wh:
        with pytest.raises(EntrepotError) as e:
            ingest_raw(wh, raw, key=KEY)
        assert str(e.value).startswith(f"{merges}, line {line}: {message}")
        assert state(wh) == before and len(entries(wh)) == logged
    command = ["ingest", str(raw), "-w", str(path), "--key-file", str(nights["key"])]
    assert main(command) == 2
    assert capsys.readouterr().err == f"entrepot: error: {e.value}\n"


def killed_in_the_night(uri: str, marker: Path, raw: Path, key: Path, changes: int):
    """Run `entrepot ingest` of `raw` in another process, paused at the
    atomic unit's `changes`th change (`PAUSE_AFTER`), and kill it there
    (SIGKILL, its whole process group: Spark's JVM too)."""
    env = {
        **os.environ,
        PAUSE_AFTER: str(changes),
        "PYTHONPATH": str(Path(entrepot.__file__).parents[1]),
    }
    command = [sys.executable, "-m", "entrepot", "ingest", str(raw), "-w", uri]
    night = subprocess.Popen(
        [*command, "--key-file", str(key)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        while not marker.exists():
            assert night.poll() is None, night.stderr.read().decode()[-2000:]
            time.sleep(0.2)
    finally:
        os.killpg(night.pid, signal.SIGKILL)
        night.wait()
        night.stderr.close()
    assert night.returncode == -signal.SIGKILL
    marker.unlink()


def unlogged(state: dict) -> dict:
    """A `state` but the audit log (the command's authorisation is logged
    before the night's unit begins)."""
    return {k: v for k, v in state.items() if "audit_log" not in str(k)}


def after_night(wh, before: dict, logged: int) -> None:
    """Every table as `before` the night, its log and the authorisation."""
    assert unlogged(state(wh)) == unlogged(before)
    assert [e["action"] for e in entries(wh)][logged:] == ["authorise.ingest"]
    assert verify(wh)["ok"] and merge_log(wh) == []


def pending(wh) -> Path:
    """Where a unit stages the identity vault's next content."""
    vault = vault_path(wh)
    return vault.with_name(vault.name + ".pending")


@pytest.mark.parametrize("changes", [12, STAGED], ids=["load", "vault"])
def test_a_night_killed_in_its_unit_leaves_duckdb_as_it_was(
    first_night, nights, tmp_path, changes
):
    """Killed after eleven writes of its one transaction (its load's), or
    once its new identity vault is staged, at the end of the unit: the
    reopened file is the warehouse before the night (DuckDB's own log), and
    the vault is the one before the night."""
    path = copy_of(first_night, tmp_path)
    with Warehouse.open(path) as wh:
        before, logged = state(wh), len(entries(wh))
        vault = vault_path(wh).read_bytes()
    marker = Path(f"{path}.paused")
    killed_in_the_night(str(path), marker, nights["second"], nights["key"], changes)
    assert pending(wh).exists() == (changes == STAGED)
    with Warehouse.open(path) as wh:
        after_night(wh, before, logged)
        assert vault_path(wh).read_bytes() == vault
        assert not pending(wh).exists()


def test_a_vault_staged_by_a_committed_unit_is_put_in_place_at_the_next_open(
    first_night, nights, tmp_path, caplog
):
    """A process killed after its unit committed and before it renamed the
    new vault into place leaves it pending: the next open puts it in place.
    One whose unit did not commit is removed."""
    path = copy_of(first_night, tmp_path)
    with Warehouse.open(path) as wh:
        old = vault_path(wh).read_bytes()
        ingest_raw(wh, nights["second"], key=KEY)  # the merge forgets a patient
        new = vault_path(wh).read_bytes()
    assert new != old
    pending(wh).write_bytes(new)  # as the kill left them
    vault_path(wh).write_bytes(old)
    with caplog.at_level(logging.WARNING, logger="entrepot.warehouse._beside"):
        with Warehouse.open(path) as wh:
            assert vault_path(wh).read_bytes() == new and not pending(wh).exists()
            pending(wh).write_bytes(old)  # a unit that did not commit
        with Warehouse.open(path, read_only=True) as wh:
            assert vault_path(wh).read_bytes() == new and not pending(wh).exists()
    assert caplog.messages == [
        f"{vault_path(wh)}: put in place, its unit had committed",
        f"{vault_path(wh)}: left as it was, its unit had not committed",
    ]


def test_a_unit_failing_after_it_wrote_the_vault_leaves_it_as_it_was(
    first_night, tmp_path
):
    """Inside the unit the vault reads as written; the unit fails: the vault
    and its recorded digest are as before, nothing left pending."""
    path = copy_of(first_night, tmp_path)
    with Warehouse.open(path) as wh:
        vault, before = vault_path(wh).read_bytes(), state(wh)
        everyone = read_identities(wh, KEY)["person_id"].to_pylist()
        with pytest.raises(RuntimeError, match="later"), wh.store.atomic():
            assert erase_identities(wh, KEY, everyone[:2]) == 2
            assert len(read_identities(wh, KEY)) == len(everyone) - 2
            assert pending(wh).exists() and vault_path(wh).read_bytes() == vault
            raise RuntimeError("a later step of the unit fails")
        assert vault_path(wh).read_bytes() == vault and not pending(wh).exists()
        assert state(wh) == before
        assert erase_identities(wh, KEY, everyone[:2]) == 2  # a unit of its own
        assert len(read_identities(wh, KEY)) == len(everyone) - 2
        assert not pending(wh).exists()


@pytest.mark.spark
@pytest.mark.parametrize("changes", [12, STAGED], ids=["load", "vault"])
def test_on_spark_a_night_killed_half_way_is_rolled_back_at_the_next_open(
    spark_session, spark_first_night, nights, tmp_path, caplog, changes
):
    """Killed after 12 of its changes (tables replaced by its load, kept aside
    and journalled), or once its new identity vault is staged: the next open
    puts back every file, the vault too, says so in one line of the log (and
    one for the vault), and the audit chain verifies."""
    root = copy_of(spark_first_night, tmp_path)
    with Warehouse.open(f"spark:{root}", spark_session=spark_session) as wh:
        before, logged = state(wh), len(entries(wh))
    vault = vault_path(wh).read_bytes()
    marker = tmp_path / "eds.paused"
    killed_in_the_night(
        f"spark:{root}", marker, nights["second"], nights["key"], changes
    )
    assert len(list((root / "_staging").glob("*.journal"))) == 1
    assert unlogged(state(wh)) != unlogged(before)  # half-replaced
    assert pending(wh).exists() == (changes == STAGED)
    with caplog.at_level(logging.WARNING, logger="entrepot.warehouse"):
        wh = Warehouse.open(f"spark:{root}", spark_session=spark_session)
    with wh:
        line, *vaults = caplog.messages
        assert line.startswith(f"{root}: rolled back atomic unit ")
        if changes == STAGED:
            assert re.search(r", interrupted after \d+ of its changes$", line)
            assert vaults == [
                f"{vault_path(wh)}: left as it was, its unit had not committed"
            ]
        else:
            assert line.endswith(", interrupted after 12 of its changes")
            assert vaults == []
        after_night(wh, before, logged)
        assert vault_path(wh).read_bytes() == vault and not pending(wh).exists()
        assert not list((root / "_staging").glob("*"))
