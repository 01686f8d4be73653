"""Date shifting is on for a new warehouse and off only when asked
(`--no-shift-dates`); the choice is recorded, audited, and kept by every
later ingestion of that warehouse."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pytest

from entrepot.cli import main
from entrepot.errors import PrivacyError
from entrepot.ingest import ingest_raw, read_extract
from entrepot.privacy import date_shifting, entries, person_id, shift_days
from entrepot.warehouse import Warehouse
from tests.privacy.conftest import KEY

PATIENTS = 3


@pytest.fixture
def small_raw(hospital, tmp_path) -> Path:
    """The hospital's first patients, with their stays only."""
    folder = tmp_path / "raw"
    folder.mkdir()
    patients = read_extract(hospital / "raw" / "patients.csv").slice(0, PATIENTS)
    ipps = patients["ipp"]
    stays = read_extract(hospital / "raw" / "stays.csv")
    pv.write_csv(patients, folder / "patients.csv")
    pv.write_csv(stays.filter(pc.is_in(stays["ipp"], ipps)), folder / "stays.csv")
    return folder


def _expected_starts(raw: Path, shift: bool) -> dict[int, list[datetime]]:
    """Each person's visit starts, computed from the extract and the key."""
    out: dict[int, list[datetime]] = {}
    for stay in read_extract(raw / "stays.csv").to_pylist():
        days = shift_days(KEY, stay["ipp"]) if shift else 0
        start = datetime.fromisoformat(stay["admission"]) + timedelta(days=days)
        out.setdefault(person_id(KEY, stay["ipp"]), []).append(start)
    return {p: sorted(s) for p, s in out.items()}


def _starts(wh) -> dict[int, list[datetime]]:
    rows = wh.table("visit_occurrence").to_pyarrow().to_pylist()
    out: dict[int, list[datetime]] = {}
    for r in rows:
        out.setdefault(r["person_id"], []).append(r["visit_start_datetime"])
    return {p: sorted(s) for p, s in out.items()}


def _ingest_audited(wh) -> list[bool]:
    return [
        json.loads(e["parameters"])["date_shifting"]
        for e in entries(wh, action="ingest")
    ]


def test_a_new_warehouse_is_ingested_with_date_shifting(small_raw, make_warehouse):
    wh = make_warehouse()
    result = ingest_raw(wh, small_raw, key=KEY)
    assert result.date_shifting is True and result.loaded["person"] == PATIENTS
    assert _starts(wh) == _expected_starts(small_raw, shift=True)
    assert _starts(wh) != _expected_starts(small_raw, shift=False)
    assert date_shifting(wh) is True
    assert _ingest_audited(wh) == [True]


def test_no_shift_dates_is_recorded_and_kept_by_later_ingestions(
    small_raw, make_warehouse
):
    wh = make_warehouse()
    first = ingest_raw(wh, small_raw, key=KEY, shift_dates=False)
    assert first.date_shifting is False
    assert _starts(wh) == _expected_starts(small_raw, shift=False)
    assert date_shifting(wh) is False

    again = ingest_raw(wh, small_raw, key=KEY)  # no choice: the warehouse's
    assert again.date_shifting is False and sum(again.loaded.values()) == 0
    before = wh.counts()
    with pytest.raises(PrivacyError, match="ingested without date shifting"):
        ingest_raw(wh, small_raw, key=KEY, shift_dates=True)
    assert wh.counts() == before and date_shifting(wh) is False
    assert _starts(wh) == _expected_starts(small_raw, shift=False)
    assert _ingest_audited(wh) == [False, False]


def test_an_unshifted_warehouse_is_rotated_without_the_ipps(small_raw, make_warehouse):
    """Its dates are the source's: rotation moves none and needs no IPP."""
    from entrepot.ingest import rekey_maps
    from entrepot.privacy import SecretKey, rotate_key

    new = SecretKey(bytes.fromhex("5a" * 32))
    wh = make_warehouse()
    ingest_raw(wh, small_raw, key=KEY, shift_dates=False)
    expected = _expected_starts(small_raw, shift=False)
    rotate_key(wh, KEY, new, rekey_maps(small_raw, KEY, new), user="dpo")
    by_ipp = {
        person_id(new, ipp): expected[person_id(KEY, ipp)]
        for ipp in read_extract(small_raw / "patients.csv")["ipp"].to_pylist()
    }
    assert _starts(wh) == by_ipp
    assert ingest_raw(wh, small_raw, key=new).date_shifting is False


def _cli(*args: str) -> int:
    return main(["ingest", *map(str, args)])


def _init(*paths: Path) -> None:
    for path in paths:
        assert main(["init", "-w", str(path), "--no-vocabulary", "-q"]) == 0


def test_the_ingest_command_shifts_dates_unless_told_not_to(
    small_raw, key_file, tmp_path, capsys
):
    shifted, plain = tmp_path / "shifted.duckdb", tmp_path / "plain.duckdb"
    _init(shifted, plain)
    common = ("--key-file", key_file, "--json", "-q")
    assert _cli(small_raw, "-w", shifted, *common) == 0
    assert json.loads(capsys.readouterr().out)["date_shifting"] is True
    assert _cli(small_raw, "-w", plain, "--no-shift-dates", *common) == 0
    assert json.loads(capsys.readouterr().out)["date_shifting"] is False
    assert _cli(small_raw, "-w", plain, *common) == 0  # the warehouse's choice
    assert json.loads(capsys.readouterr().out)["date_shifting"] is False

    assert _cli(small_raw, "-w", plain, "--shift-dates", *common) == 2
    err = capsys.readouterr().err.strip()
    assert err == (
        "entrepot: error: this warehouse was ingested without date shifting, "
        "and each patient's dates must move together: leave out --shift-dates"
    )
    with Warehouse.open(shifted, read_only=True) as wh:
        assert _starts(wh) == _expected_starts(small_raw, shift=True)
        assert _ingest_audited(wh) == [True]
    with Warehouse.open(plain, read_only=True) as wh:
        assert _starts(wh) == _expected_starts(small_raw, shift=False)
        assert _ingest_audited(wh) == [False, False]


def test_a_shifted_warehouse_refuses_no_shift_dates(
    small_raw, key_file, tmp_path, capsys
):
    eds = tmp_path / "eds.duckdb"
    _init(eds)
    assert _cli(small_raw, "-w", eds, "--key-file", key_file, "-q") == 0
    code = _cli(small_raw, "-w", eds, "--key-file", key_file, "--no-shift-dates", "-q")
    assert code == 2
    assert (
        capsys.readouterr()
        .err.strip()
        .endswith(
            "ingested with date shifting, and each patient's dates must move "
            "together: leave out --no-shift-dates"
        )
    )


@pytest.mark.spark
def test_the_ingest_command_on_spark_shifts_dates_as_duckdb(spark_ingested, ingested):
    folder, printed = spark_ingested
    assert printed["date_shifting"] is True
    with Warehouse.open(f"spark:{folder}") as wh:
        assert date_shifting(wh) is True
        assert _starts(wh) == _starts(ingested)
        assert _ingest_audited(wh) == [True]
    visits = ingested.table("visit_occurrence").to_pyarrow()
    assert pa.types.is_timestamp(visits.schema.field("visit_start_datetime").type)
