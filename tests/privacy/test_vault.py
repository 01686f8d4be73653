"""The identity vault `ingest` writes beside the warehouse: encrypted, kept
up to date by later ingestions, erased with an opt-out."""

import shutil
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pv
import pytest

from entrepot.errors import PrivacyError
from entrepot.ingest import ingest_raw, read_extract
from entrepot.linkage import linked_deaths
from entrepot.privacy import (
    SecretKey,
    optout_add,
    person_id,
    read_identities,
    vault_path,
)
from entrepot.privacy._tables import ensure_table
from entrepot.warehouse import Warehouse
from tests.privacy.conftest import KEY


@pytest.fixture(scope="module")
def vaulted(hospital, tmp_path_factory):
    """A warehouse ingested from the raw extracts, with its vault (copied per test)."""
    folder = tmp_path_factory.mktemp("vaulted")
    with Warehouse.create(folder / "eds.duckdb") as wh:
        ingest_raw(wh, hospital / "raw", key=KEY)
    return folder


@pytest.fixture
def wh(vaulted, tmp_path):
    for f in vaulted.iterdir():
        shutil.copy(f, tmp_path / f.name)
    with Warehouse.open(tmp_path / "eds.duckdb") as wh:
        yield wh


def test_ingest_writes_an_encrypted_vault_beside_the_warehouse(hospital, wh):
    patients = read_extract(hospital / "raw" / "patients.csv").to_pylist()
    path = vault_path(wh)
    assert path.name == "eds.duckdb.identities"
    assert path.stat().st_mode & 0o077 == 0
    sealed = path.read_bytes()
    assert patients[0]["last_name"].encode() not in sealed
    assert patients[0]["nir"][:13].encode() not in sealed
    rows = {r["person_id"]: r for r in read_identities(wh, KEY).to_pylist()}
    assert len(rows) == len(patients) == wh.count("person")
    for p in patients:
        row = rows[person_id(KEY, p["ipp"])]
        assert row["surname"] == p["last_name"]
        assert row["first_names"] == p["first_names"]  # every one, in order
        assert row["first_names"].split()[0] == p["first_name"]
        assert row["birth_name"] == p["birth_name"]
        assert row["birth_date"] == date.fromisoformat(p["birth_date"])
        assert row["sex"] == p["sex"]
        assert row["birthplace_code"] == p["nir"][5:10]  # from the NIR


def test_the_vault_opens_with_its_key_only(wh):
    other = SecretKey(b"another key of at least thirty-two bytes")
    with pytest.raises(PrivacyError, match="cannot be opened with this key"):
        read_identities(wh, other)
    vault_path(wh).write_bytes(b"not a vault")
    with pytest.raises(PrivacyError, match="not an entrepot identity vault"):
        read_identities(wh, KEY)
    vault_path(wh).unlink()
    with pytest.raises(PrivacyError, match="no identity vault at .*ingest"):
        read_identities(wh, KEY)


def test_an_opt_out_erases_the_identity(hospital, wh):
    ipp = read_extract(hospital / "raw" / "patients.csv")["ipp"][0].as_py()
    before = read_identities(wh, KEY)
    done = optout_add(wh, KEY, [ipp])
    after = read_identities(wh, KEY)
    assert done["rows_removed"]["identities"] == 1
    assert len(after) == len(before) - 1
    assert person_id(KEY, ipp) not in after["person_id"].to_pylist()


def test_a_later_ingestion_updates_a_changed_name(hospital, wh, tmp_path):
    """... and keeps the death that linkage found for that patient."""
    raw = tmp_path / "raw"
    raw.mkdir()
    patients = read_extract(hospital / "raw" / "patients.csv")
    alive = patients.filter(pc.is_null(patients["death_date"]))
    first = alive.slice(0, 1).to_pylist()[0]
    linked = {"record_id": 1, "person_id": person_id(KEY, first["ipp"]),
              "file": "deces-2024-m01.txt", "line": 3, "probability": 0.99,
              "status": "linked", "death_date": date(2024, 1, 5), "linked_at": None}  # fmt: skip
    schema = ensure_table(wh, "death_link").schema().to_pyarrow()
    with wh.store.transaction() as tx:
        tx.append("entrepot", "death_link", wh.store.from_arrow(pa.Table.from_pylist([linked], schema=schema)))  # fmt: skip
    with wh.store.transaction() as tx:
        tx.append("cdm", "death", wh.store.from_arrow(linked_deaths(wh, [linked["person_id"]])))  # fmt: skip
    first["last_name"] = "Nouveaunom"
    pv.write_csv(
        patients.from_pylist([first], schema=patients.schema), raw / "patients.csv"
    )
    stays = read_extract(hospital / "raw" / "stays.csv")
    pv.write_csv(stays.slice(0, 0), raw / "stays.csv")
    ingest_raw(wh, raw, key=KEY)
    rows = {r["person_id"]: r for r in read_identities(wh, KEY).to_pylist()}
    assert rows[person_id(KEY, first["ipp"])]["surname"] == "Nouveaunom"
    assert len(rows) == len(patients)
    d = wh.table("death")
    kept = d.filter(d.person_id == linked["person_id"]).to_pyarrow().to_pylist()
    assert [(r["death_type_concept_id"], r["death_date"]) for r in kept] == [
        (32879, date(2024, 1, 5))
    ]
