from datetime import datetime, timedelta

import pytest

from entrepot.privacy import audit, entries, prune, set_retention, verify
from entrepot.warehouse import Warehouse


@pytest.fixture
def logged(tmp_path):
    wh = Warehouse.create(tmp_path / "a.duckdb", vocabulary=False)
    for i in range(5):
        audit(
            wh, f"user{i % 2}", "cohort.count", {"cohort": i}, "P1", rows=i, persons=i
        )
    yield wh
    wh.close()


def _sql(wh, statement: str) -> None:
    wh.con.raw_sql(statement)


def test_an_untouched_log_verifies(logged):
    assert verify(logged) == {"ok": True, "entries": 5, "first_bad": None}
    assert [e["seq"] for e in entries(logged, user="user1")] == [2, 4]
    assert len(entries(logged, action="cohort", project="P1", limit=2)) == 2


def test_a_modified_entry_is_found(logged):
    _sql(logged, "UPDATE entrepot.audit_log SET persons = 0 WHERE seq = 3")
    assert verify(logged) == {"ok": False, "entries": 5, "first_bad": 3}


def test_a_deleted_entry_is_found(logged):
    _sql(logged, "DELETE FROM entrepot.audit_log WHERE seq = 2")
    assert verify(logged)["first_bad"] == 2


def test_reordered_entries_are_found(logged):
    _sql(logged, "UPDATE entrepot.audit_log SET seq = 10 - seq WHERE seq IN (4, 6)")
    _sql(
        logged,
        "UPDATE entrepot.audit_log SET seq = CASE seq WHEN 2 THEN 3 "
        "WHEN 3 THEN 2 ELSE seq END",
    )
    assert verify(logged)["ok"] is False


def test_a_rewritten_hash_is_found(logged):
    _sql(logged, "UPDATE entrepot.audit_log SET rows = 99, hash = 'f' WHERE seq = 5")
    assert verify(logged)["first_bad"] == 5


def test_retention_keeps_a_valid_chain(logged):
    set_retention(logged, 30)
    removed = prune(logged, "admin", now=datetime.now() + timedelta(days=40))
    assert removed == 5
    result = verify(logged)
    assert result == {"ok": True, "entries": 1, "first_bad": None}
    assert entries(logged)[0]["action"] == "audit.prune"
