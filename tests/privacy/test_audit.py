"""The audit log on each engine: the chain finds changed, deleted and reordered
entries; the anchor outside the warehouse finds entries cut from its end."""

import json
import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import ibis
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from entrepot.errors import PrivacyError
from entrepot.privacy import (
    ANCHOR_ENV,
    anchor_path,
    audit,
    audit_head,
    defer_audit,
    entries,
    prune,
    set_retention,
    verify,
)
from entrepot.privacy._audit import entry_hash
from entrepot.warehouse import Warehouse


@pytest.fixture
def logged(make_warehouse):
    wh = make_warehouse("a")
    for i in range(5):
        audit(
            wh, f"user{i % 2}", "cohort.count", {"cohort": i}, "P1", rows=i, persons=i
        )
    return wh


def _chain(result: dict) -> dict:
    return {k: result[k] for k in ("ok", "entries", "first_bad")}


def _rewrite(wh, change) -> None:
    """Replace the log by `change(log)`, as someone with write access could."""
    t = wh.table("audit_log")
    rows = wh.store.materialize(change(t))
    with wh.store.transaction() as tx:
        tx.replace("entrepot", "audit_log", rows)


def _cut(wh, keep: int) -> Warehouse:
    """Delete the entries after `keep` from the stored log, then reopen the
    warehouse as a later process would: SQL on DuckDB, Parquet files on Spark."""
    if wh.engine == "duckdb":
        wh.con.raw_sql(f"DELETE FROM entrepot.audit_log WHERE seq > {keep}")
        return wh
    for part in (wh.uri.path / "entrepot" / "audit_log").glob("*.parquet"):
        rows = pq.read_table(part)
        kept = rows.filter(pc.less_equal(rows["seq"], keep))
        if len(kept) < len(rows):
            part.unlink()
            if len(kept):
                pq.write_table(kept, part)
    wh.close()
    return Warehouse.open(str(wh.uri))


def test_an_untouched_log_verifies(logged):
    result = verify(logged)
    assert _chain(result) == {"ok": True, "entries": 5, "first_bad": None}
    assert result["anchor"] == {
        "file": str(anchor_path(logged)),
        "entries": 5,
        "ok": True,
    }
    assert [e["seq"] for e in entries(logged, user="user1")] == [2, 4]
    assert len(entries(logged, action="cohort", project="P1", limit=2)) == 2


def test_the_last_entries_are_chosen_by_the_engine_in_order(logged):
    every = entries(logged)
    assert [e["seq"] for e in every] == [1, 2, 3, 4, 5]
    assert entries(logged, limit=3) == every[-3:]
    assert entries(logged, limit=9) == every
    mine = [e for e in every if e["user"] == "user1"]
    assert entries(logged, user="user1", limit=1) == mine[-1:]


def test_a_modified_entry_is_found(logged):
    _rewrite(logged, lambda t: t.mutate(persons=ibis.ifelse(t.seq == 3, 0, t.persons)))
    assert _chain(verify(logged)) == {"ok": False, "entries": 5, "first_bad": 3}


def test_a_deleted_entry_is_found(logged):
    _rewrite(logged, lambda t: t.filter(t.seq != 2))
    assert verify(logged)["first_bad"] == 2


def test_reordered_entries_are_found(logged):
    swapped = {2: 3, 3: 2}
    _rewrite(
        logged,
        lambda t: t.mutate(seq=t.seq.substitute(swapped, else_=t.seq)),
    )
    assert [e["seq"] for e in entries(logged)] == [1, 2, 3, 4, 5]
    assert verify(logged)["first_bad"] == 2


def test_a_rewritten_hash_is_found(logged):
    _rewrite(
        logged,
        lambda t: t.mutate(
            rows=ibis.ifelse(t.seq == 5, 99, t.rows),
            hash=ibis.ifelse(t.seq == 5, "f", t.hash),
        ),
    )
    assert verify(logged)["first_bad"] == 5


def test_entries_cut_from_the_end_are_found_by_the_anchor(logged):
    assert verify(logged)["ok"] is True
    after = _cut(logged, keep=3)
    assert [e["seq"] for e in entries(after)] == [1, 2, 3]
    result = verify(after)
    assert _chain(result) == {"ok": False, "entries": 3, "first_bad": 4}
    assert result["anchor"]["entries"] == 5 and result["anchor"]["ok"] is False
    after.close()


def _forge(wh, seq: int, previous: str, persons: int) -> str:
    """Append an entry with a valid hash, behind entrepot's back (no anchor)."""
    t = wh.table("audit_log")
    row = t.filter(t.seq == 1).to_pyarrow().to_pylist()[0]
    row |= {"seq": seq, "persons": persons, "prev_hash": previous}
    row["hash"] = entry_hash(previous, row)
    forged = pa.Table.from_pylist([row], schema=t.schema().to_pyarrow())
    with wh.store.transaction() as tx:
        tx.append("entrepot", "audit_log", wh.store.from_arrow(forged))
    return row["hash"]


def test_a_chain_rewritten_from_some_entry_is_found_by_the_anchor(logged):
    kept = entries(logged)[2]["hash"]
    _rewrite(logged, lambda t: t.filter(t.seq <= 3))
    previous = kept
    for seq in (4, 5, 6):
        previous = _forge(logged, seq, previous, persons=0)
    result = verify(logged)
    assert result["anchor"]["ok"] is False
    assert _chain(result) == {"ok": False, "entries": 6, "first_bad": 4}
    anchor_path(logged).unlink()  # the chain itself is valid: only the anchor tells
    assert _chain(verify(logged)) == {"ok": True, "entries": 6, "first_bad": None}


def test_an_expected_head_must_still_be_in_the_log(logged):
    head = audit_head(logged)
    assert head.entries == 5 and head.hash == entries(logged)[-1]["hash"]
    audit(logged, "user0", "cohort.count")
    result = verify(logged, expect_head=head.hash)
    assert result["ok"] and result["expected"] == {
        "hash": head.hash,
        "entries": 5,
        "ok": True,
    }
    anchor_path(logged).unlink()
    _rewrite(logged, lambda t: t.filter(t.seq <= 4))
    result = verify(logged, expect_head=head.hash)
    assert _chain(result) == {"ok": False, "entries": 4, "first_bad": 5}
    assert result["anchor"]["ok"] is None and result["expected"]["ok"] is False
    with pytest.raises(PrivacyError, match="64 hexadecimal digits"):
        verify(logged, expect_head="abc")


def test_retention_keeps_a_valid_chain(logged):
    set_retention(logged, 30)
    removed = prune(logged, "admin", now=datetime.now() + timedelta(days=40))
    assert removed == 5
    result = verify(logged)
    assert _chain(result) == {"ok": True, "entries": 1, "first_bad": None}
    assert (result["anchor"]["entries"], result["anchor"]["ok"]) == (6, True)
    assert entries(logged)[0]["action"] == "audit.prune"


def test_an_unwritable_anchor_is_reported_and_the_entry_kept(
    logged, tmp_path, monkeypatch, caplog
):
    monkeypatch.setenv(ANCHOR_ENV, str(tmp_path / "absent" / "anchor"))
    caplog.set_level(logging.WARNING)
    audit(logged, "user0", "cohort.count")
    assert "cannot be written" in caplog.text and "entry 6" in caplog.text
    assert _chain(verify(logged)) == {"ok": True, "entries": 6, "first_bad": None}
    assert verify(logged)["anchor"]["ok"] is None


def test_a_malformed_anchor_is_an_error_naming_the_line(logged):
    with anchor_path(logged).open("a") as f:
        f.write("not json\n")
    with pytest.raises(PrivacyError, match=r"audit-anchor line 6"):
        verify(logged)


def _entrepot(*args: str, env: dict, code: int = 0) -> dict:
    done = subprocess.run(
        [sys.executable, "-m", "entrepot", *args, "--json"],
        capture_output=True,
        text=True,
        env=os.environ | env,
        timeout=120,
    )
    assert done.returncode == code, done.stderr
    return json.loads(done.stdout)


def test_cli_head_and_verify_with_an_anchor_kept_elsewhere(tmp_path, monkeypatch):
    path, anchor = tmp_path / "w.duckdb", tmp_path / "elsewhere" / "w.anchor"
    anchor.parent.mkdir()
    env = {ANCHOR_ENV: str(anchor), "ENTREPOT_WAREHOUSE": str(path)}
    monkeypatch.setenv(ANCHOR_ENV, str(anchor))
    with Warehouse.create(path, vocabulary=False) as wh:
        for i in range(4):
            audit(wh, "dpo", "optout.list", {"i": i})
    monkeypatch.delenv(ANCHOR_ENV)
    assert not Path(f"{path}.audit-anchor").exists()
    assert len(anchor.read_text().splitlines()) == 4
    # each look at the log is an entry of its own (the caller's authorisation)
    head = _entrepot("audit", "head", env=env)
    assert head["entries"] == 5
    verified = _entrepot("audit", "verify", "--expect-head", head["hash"], env=env)
    assert verified["ok"] and verified["anchor"]["file"] == str(anchor)
    assert verified["entries"] == verified["anchor"]["entries"] == 6

    with Warehouse.open(path) as wh:  # entries cut from the end
        wh.con.raw_sql("DELETE FROM entrepot.audit_log WHERE seq >= 4")
    broken = _entrepot("audit", "verify", env=env, code=1)
    # the look's own entry is seq 4 again, with another hash than the anchor's
    assert broken["first_bad"] == 4 and broken["anchor"]["entries"] == 4
    other = tmp_path / "copy.anchor"
    other.write_text("".join(anchor.read_text().splitlines(True)[:3]))
    partial = _entrepot("audit", "verify", "--anchor", str(other), env=env)
    assert partial["ok"] and partial["anchor"]["entries"] == 3
    assert partial["entries"] == 5
    cut = _entrepot(
        "audit",
        "verify",
        "--anchor",
        str(other),
        "--expect-head",
        head["hash"],
        env=env,
        code=1,
    )
    assert cut["expected"]["ok"] is False and cut["first_bad"] == 7


def test_a_warehouse_without_a_log_gets_one_when_it_is_read(eunomia_file, tmp_path):
    """Eunomia has no audit log: reading it (as its administrator) is audited,
    so the log starts with that look."""
    path = tmp_path / "eunomia.duckdb"
    path.write_bytes(eunomia_file.read_bytes())
    env = {"ENTREPOT_WAREHOUSE": str(path)}
    result = _entrepot("audit", "verify", env=env)
    assert result == {
        "ok": True,
        "entries": 1,
        "first_bad": None,
        "anchor": {"file": f"{path}.audit-anchor", "entries": 1, "ok": True},
    }
    assert _entrepot("audit", "head", env=env)["entries"] == 2
    shown = _entrepot("audit", "show", env=env)
    assert [(e["user"], e["action"]) for e in shown] == [
        ("root", "authorise.manage")
    ] * 3


def _stored(wh) -> int:
    """Entries in the table itself, queued ones not written first."""
    return wh.table("audit_log").count().to_pyarrow().as_py()


def test_deferred_entries_are_written_in_order_in_one_go(make_warehouse):
    """A server's entries wait in memory; a read of the log writes them first,
    chained in the order they came, with one head in the anchor."""
    wh = make_warehouse("q")
    audit(wh, "ada", "user.add")
    queue = defer_audit(wh)
    try:
        for i in range(5):
            audit(wh, "rita", "overview", {"i": i}, "P1", persons=300)
        assert (_stored(wh), len(queue)) == (1, 5)
        assert len(anchor_path(wh).read_text().splitlines()) == 1
        log = entries(wh)  # writes the queue first
        assert [e["seq"] for e in log] == [1, 2, 3, 4, 5, 6]
        assert [json.loads(e["parameters"]).get("i") for e in log] == [None, *range(5)]
        assert (_stored(wh), len(queue)) == (6, 0)
        assert len(anchor_path(wh).read_text().splitlines()) == 2
        audit(wh, "rita", "overview", {"i": 5}, "P1")
        assert audit_head(wh).entries == 7 and verify(wh)["ok"]
        audit(wh, "rita", "overview", {"i": 6}, "P1")
    finally:
        queue.close(wh)  # writes what is left; later entries at once
    assert _stored(wh) == 8
    audit(wh, "ada", "user.list")
    assert _stored(wh) == 9 and verify(wh) | {"anchor": None} == {
        "ok": True,
        "entries": 9,
        "first_bad": None,
        "anchor": None,
    }


def test_verify_reads_the_log_in_batches(new_duckdb, tmp_path):
    """100 entries read 10 at a time give what one read gives: a retention
    prune's start, a modified entry, an anchored head and an expected head
    found in later batches."""
    wh = new_duckdb(tmp_path / "long.duckdb")

    def log(n: int) -> None:  # queued, written in one transaction (fast)
        queue = defer_audit(wh)
        for i in range(n):
            audit(wh, "ada", "cohort.count", {"cohort": i}, "P1", rows=i, persons=i)
        queue.close(wh)

    log(99)
    set_retention(wh, 30)
    assert prune(wh, "admin", now=datetime.now() + timedelta(days=40)) == 99
    log(100)
    expected = entries(wh)[63]["hash"]
    whole = verify(wh, expect_head=expected)
    assert verify(wh, expect_head=expected, batch_size=10) == whole
    assert _chain(whole) == {"ok": True, "entries": 101, "first_bad": None}
    assert whole["expected"]["entries"] == 163 and whole["anchor"]["ok"]
    _rewrite(wh, lambda t: t.mutate(rows=ibis.ifelse(t.seq == 137, 0, t.rows)))
    broken = verify(wh, expect_head=expected, batch_size=10)
    assert broken == verify(wh, expect_head=expected)
    assert _chain(broken) == {"ok": False, "entries": 101, "first_bad": 38}
    wh.close()
