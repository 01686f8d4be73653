from datetime import datetime, timedelta

import pyarrow as pa
import pytest

from entrepot.errors import KeyFileError, PrivacyError
from entrepot.ingest import ingest_raw, read_extract, rekey_maps
from entrepot.privacy import (
    DeidConfig,
    SecretKey,
    optout_add,
    person_id,
    read_identities,
    rotate_key,
    shift_days,
    visit_id,
)
from entrepot.warehouse import Warehouse
from tests.privacy.conftest import KEY, PERSON_TABLES

NEW = SecretKey(bytes.fromhex("51" * 32))


def _ints(wh) -> set[int]:
    """Every integer stored anywhere in the warehouse, quarantined JSON included."""
    out = set()
    for schema in ("cdm", "results", "entrepot"):
        for name in wh.tables(schema):
            t = wh.table(name)
            ints = [c for c, typ in t.schema().items() if typ.is_integer()]
            for column in t.select(*ints).to_pyarrow().columns if ints else []:
                out.update(v for v in column.to_pylist() if v is not None)
    for record in wh.table("quarantine").record.to_pyarrow().to_pylist():
        out.update(int(w) for w in record.replace(",", " ").split() if w.isdigit())
    return out


def test_rotation_leaves_no_old_pseudonym_and_keeps_joins(hospital, ingested_on):
    ingested = ingested_on
    raw = hospital / "raw"
    ipps = read_extract(raw / "patients.csv")["ipp"].to_pylist()
    optout_add(ingested, KEY, [ipps[0]])
    bad = pa.table(
        {
            "person_id": [person_id(KEY, ipps[1])],
            "measurement_id": [1],
            "measurement_concept_id": [0],
            "measurement_date": ["soon"],
            "measurement_type_concept_id": [0],
        }
    )
    ingested.load({"measurement": bad})
    before = ingested.counts()
    maps = rekey_maps(raw, KEY, NEW)
    old_ids = {v for m in maps.values() for v in m["old"].to_pylist()}
    assert old_ids & _ints(ingested)

    rotate_key(ingested, KEY, NEW, maps, ipps=ipps, user="dpo")  # dates shifted
    assert not old_ids & _ints(ingested)
    assert ingested.counts() == before
    persons = set(ingested.table("person").person_id.to_pyarrow().to_pylist())
    assert persons == {person_id(NEW, i) for i in ipps[1:]}
    assert ingested.table("optout").person_id.to_pyarrow().to_pylist() == [
        person_id(NEW, ipps[0])
    ]
    for table in ("visit_occurrence", "measurement", "note", "condition_occurrence"):
        t = ingested.table(table)
        assert set(t.person_id.to_pyarrow().to_pylist()) <= persons
    visits = ingested.table("visit_occurrence")
    c = ingested.table("condition_occurrence")
    assert c.anti_join(visits, "visit_occurrence_id").count().execute() == 0

    assert sum(ingest_raw(ingested, raw, key=NEW).loaded.values()) == 0
    with pytest.raises(KeyFileError, match="another key"):
        ingest_raw(ingested, raw, key=KEY)


def test_rotation_with_the_wrong_old_key_changes_nothing(hospital, ingested):
    before = ingested.table("person").person_id.to_pyarrow().to_pylist()
    with pytest.raises(KeyFileError, match="old key"):
        rotate_key(ingested, NEW, KEY, rekey_maps(hospital / "raw", NEW, KEY))
    assert ingested.table("person").person_id.to_pyarrow().to_pylist() == before


# -- with date shifting --------------------------------------------------------
COMPARED = ["location", "care_site", *PERSON_TABLES]
SURROGATES = DeidConfig(mode="surrogate")


def _rows(wh, table: str) -> list[dict]:
    t = wh.table(table)
    return sorted(t.to_pyarrow().to_pylist(), key=lambda r: sorted(r.items(), key=str))


def _shifted_warehouse(path, raw, key: SecretKey) -> Warehouse:
    wh = Warehouse.create(path)
    ingest_raw(wh, raw, key=key, shift_dates=True, deid=SURROGATES)
    return wh


def test_rotation_moves_shifted_dates_to_the_new_keys_shifts(hospital, tmp_path):
    raw = hospital / "raw"
    ipps = read_extract(raw / "patients.csv")["ipp"].to_pylist()
    wh = _shifted_warehouse(tmp_path / "old.duckdb", raw, KEY)
    visits = wh.table("visit_occurrence").to_pyarrow().to_pylist()
    measurement, visit = (
        wh.table("measurement").limit(1).to_pyarrow().to_pylist()[0],
        visits[0],
    )
    links = pa.table(
        {
            "domain_concept_id_1": [21, 27],
            "fact_id_1": [measurement["measurement_id"], 1],
            "domain_concept_id_2": [8, 27],
            "fact_id_2": [visit["visit_occurrence_id"], 2],
            "relationship_concept_id": [0, 0],
        }
    )
    cohort = pa.table(
        {
            "cohort_definition_id": pa.array([1], pa.int64()),
            "subject_id": pa.array([visit["person_id"]], pa.int64()),
            "cohort_start_date": pa.array([visit["visit_start_date"]], pa.date32()),
            "cohort_end_date": pa.array([visit["visit_end_date"]], pa.date32()),
        }
    )
    waiting = pa.table(  # quarantined: no type concept; its date is shifted
        {
            "measurement_id": [5],
            "person_id": [visit["person_id"]],
            "measurement_concept_id": [0],
            "measurement_date": [str(visit["visit_start_date"])],
            "measurement_type_concept_id": pa.array([None], pa.int64()),
        }
    )
    assert wh.load({"fact_relationship": links}).loaded == {"fact_relationship": 2}
    assert wh.load({"measurement": waiting}).quarantined == {"measurement": 1}
    with wh.store.transaction() as tx:
        tx.append("results", "cohort", wh.store.from_arrow(cohort))
    maps = rekey_maps(raw, KEY, NEW)
    old_ids = {v for m in maps.values() for v in m["old"].to_pylist()}

    with pytest.raises(PrivacyError, match="needs every patient's IPP"):
        rotate_key(wh, KEY, NEW, maps)
    rotate_key(wh, KEY, NEW, maps, ipps=ipps, user="dpo")

    assert not old_ids & _ints(wh)
    with _shifted_warehouse(tmp_path / "new.duckdb", raw, NEW) as direct:
        for table in COMPARED:  # what ingesting with the new key gives, notes included
            assert _rows(wh, table) == _rows(direct, table), table
        # the identity vault too: new pseudonyms, new shifts, the new key's cipher
        assert read_identities(wh, NEW) == read_identities(direct, NEW)
    stays = read_extract(raw / "stays.csv").to_pylist()
    rotated = {
        r["visit_occurrence_id"]: r
        for r in wh.table("visit_occurrence").to_pyarrow().to_pylist()
    }
    for stay in stays:  # every date is the source date plus the new key's shift
        row = rotated[visit_id(NEW, stay["nda"])]
        days = timedelta(days=shift_days(NEW, stay["ipp"]))
        assert (
            row["visit_start_datetime"]
            == datetime.fromisoformat(stay["admission"]) + days
        )
        assert row["visit_end_datetime"] - row["visit_start_datetime"] == (
            datetime.fromisoformat(stay["discharge"])
            - datetime.fromisoformat(stay["admission"])
        )
    ipp = next(
        s["ipp"]
        for s in stays
        if visit_id(KEY, s["nda"]) == visit["visit_occurrence_id"]
    )
    moved = timedelta(days=shift_days(NEW, ipp) - shift_days(KEY, ipp))
    assert _rows(wh, "cohort") == [
        {
            "cohort_definition_id": 1,
            "subject_id": person_id(NEW, ipp),
            "cohort_start_date": visit["visit_start_date"] + moved,
            "cohort_end_date": visit["visit_end_date"] + moved,
        }
    ]
    (record,) = wh.table("quarantine").record.to_pyarrow().to_pylist()
    assert f'"person_id": {person_id(NEW, ipp)}' in record
    assert f'"measurement_date": "{visit["visit_start_date"] + moved}"' in record
    new_measurement = dict(
        zip(
            maps["measurement_id"]["old"].to_pylist(),
            maps["measurement_id"]["new"].to_pylist(),
            strict=True,
        )
    )[measurement["measurement_id"]]
    assert _rows(wh, "fact_relationship") == _rows_of(
        [
            (21, new_measurement, 8, visit_id(NEW, _nda_of(stays, visit)), 0),
            (27, 1, 27, 2, 0),
        ]
    )
    assert sum(ingest_raw(wh, raw, key=NEW, shift_dates=True).loaded.values()) == 0
    wh.close()


def _nda_of(stays: list[dict], visit: dict) -> str:
    return next(
        s["nda"]
        for s in stays
        if visit_id(KEY, s["nda"]) == visit["visit_occurrence_id"]
    )


def _rows_of(tuples: list[tuple]) -> list[dict]:
    names = [
        "domain_concept_id_1",
        "fact_id_1",
        "domain_concept_id_2",
        "fact_id_2",
        "relationship_concept_id",
    ]
    return sorted(
        (dict(zip(names, t, strict=True)) for t in tuples),
        key=lambda r: sorted(r.items(), key=str),
    )


def test_a_shifted_warehouse_refuses_an_unshifted_ingestion(hospital, tmp_path):
    with _shifted_warehouse(tmp_path / "s.duckdb", hospital / "raw", KEY) as wh:
        before = wh.counts()
        with pytest.raises(PrivacyError, match="ingested with date shifting"):
            ingest_raw(wh, hospital / "raw", key=KEY, shift_dates=False)
        assert wh.counts() == before
