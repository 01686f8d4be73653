import logging
import re
import shutil
from datetime import timedelta

import pytest

from entrepot.errors import InputFileError, KeyFileError
from entrepot.ingest import ingest_raw, read_extract
from entrepot.privacy import (
    SecretKey,
    entries,
    mask_threshold,
    person_id,
    retention,
    set_mask_threshold,
    set_retention,
    shift_days,
    verify,
)
from entrepot.warehouse import Warehouse
from tests.privacy.conftest import KEY, PERSON_TABLES, table_rows


def test_counts_per_table_equal_the_synthetic_reference(hospital, ingested):
    with Warehouse.open(hospital / "synth.duckdb", read_only=True) as ref:
        for table in PERSON_TABLES:
            assert ingested.count(table) == ref.count(table), table


def test_person_ids_are_keyed_pseudonyms_of_the_ipp(hospital, ingested):
    ipps = read_extract(hospital / "raw" / "patients.csv")["ipp"].to_pylist()
    ids = set(ingested.table("person").person_id.to_pyarrow().to_pylist())
    assert ids == {person_id(KEY, i) for i in ipps}
    assert not ids & {int(i) for i in ipps}


def _all_text(wh) -> str:
    parts = []
    for name in wh.tables("cdm"):
        t = wh.table(name)
        strings = [c for c, typ in t.schema().items() if typ.is_string()]
        if strings and name not in ("concept", "concept_synonym") and wh.count(name):
            for column in t.select(*strings).to_pyarrow().columns:
                parts += [v for v in column.to_pylist() if v]
    return "\n".join(parts)


def test_no_identifier_enters_the_warehouse(hospital, ingested):
    text = _all_text(ingested)
    patients = read_extract(hospital / "raw" / "patients.csv").to_pylist()
    for p in patients:
        for field in ("ipp", "nir", "phone", "email", "street"):
            assert p[field] not in text, field
        for name in (p["last_name"], p["last_name"].upper()):  # as words: Ren ≠ PRENOM
            assert not re.search(rf"(?<!\w){re.escape(name)}(?!\w)", text), name
    assert "[NOM]" in text and "[TEL]" in text


def test_reloading_the_same_extracts_adds_nothing(hospital, ingested):
    before = ingested.counts()
    result = ingest_raw(ingested, hospital / "raw", key=KEY)
    assert sum(result.loaded.values()) == 0
    assert result.skipped["measurement"] == before["measurement"]
    assert ingested.counts() == before


def test_another_key_is_refused_without_showing_it(hospital, ingested):
    other = SecretKey(b"k" * 32)
    with pytest.raises(KeyFileError, match="another key") as e:
        ingest_raw(ingested, hospital / "raw", key=other)
    assert "kkkk" not in str(e.value)


def test_other_settings_keep_the_key_check(hospital, ingested):
    set_mask_threshold(ingested, 5)
    set_retention(ingested, 30)
    with pytest.raises(KeyFileError, match="another key"):
        ingest_raw(ingested, hospital / "raw", key=SecretKey(b"k" * 32))
    assert (mask_threshold(ingested), retention(ingested)) == (5, 30)


def test_a_failed_first_ingestion_does_not_bind_its_key(hospital, tmp_path):
    partial = tmp_path / "raw"
    partial.mkdir()
    shutil.copy(hospital / "raw" / "patients.csv", partial)  # no stays.csv
    with Warehouse.create(tmp_path / "w.duckdb") as wh:
        with pytest.raises(InputFileError, match="missing stays.csv"):
            ingest_raw(wh, partial, key=SecretKey(b"k" * 32))
        assert wh.count("person") == 0
        ingest_raw(wh, hospital / "raw", key=KEY)  # the right key, this time
        assert wh.count("person") == len(
            read_extract(hospital / "raw" / "patients.csv")
        )
        with pytest.raises(KeyFileError, match="another key"):
            ingest_raw(wh, hospital / "raw", key=SecretKey(b"k" * 32))


def test_date_shifting_keeps_intervals(hospital, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    with Warehouse.create(tmp_path / "s.duckdb") as wh:
        ingest_raw(wh, hospital / "raw", key=KEY, shift_dates=True)
        stays = read_extract(hospital / "raw" / "stays.csv").to_pylist()[0]
        visit = wh.table("visit_occurrence")
        row = visit.filter(visit.person_id == person_id(KEY, stays["ipp"]))
        rows = row.order_by("visit_start_datetime").to_pyarrow().to_pylist()
    from datetime import datetime

    start = datetime.fromisoformat(stays["admission"])
    end = datetime.fromisoformat(stays["discharge"])
    days = shift_days(KEY, stays["ipp"])
    match = [r for r in rows if r["visit_start_datetime"] == start + timedelta(days)]
    assert len(match) == 1
    assert (
        match[0]["visit_end_datetime"] - match[0]["visit_start_datetime"] == end - start
    )
    assert "8f8f" not in caplog.text


@pytest.mark.spark
def test_the_ingest_command_on_spark_loads_what_duckdb_loads(spark_ingested, ingested):
    folder, printed = spark_ingested
    assert sum(printed["loaded"].values()) > 10_000 and printed["notes_deidentified"]
    with Warehouse.open(f"spark:{folder}") as wh:
        for table, n in printed["loaded"].items():
            assert wh.count(table) == ingested.count(table) == n, table
            # every column, as read back: 18-digit nullable ids once came back
            # rounded through doubles from Spark
            assert table_rows(wh, table) == table_rows(ingested, table), table
        result = verify(wh)
        actions = [e["action"] for e in entries(wh)]
    assert actions == [
        "authorise.ingest",
        "ingest",
    ]  # the caller's right, then the load
    assert result["ok"] and result["entries"] == 2
    assert result["anchor"] == {
        "file": f"{folder}.audit-anchor",
        "entries": 2,
        "ok": True,
    }
