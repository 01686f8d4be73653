"""`entrepot link deaths`: INSEE's death records linked to the patients
through the identity vault, run for real (the CLI, a DuckDB warehouse)."""

from __future__ import annotations

import json
import os
import shutil
from datetime import date, timedelta
from pathlib import Path

import ibis
import pyarrow as pa
import pytest

from entrepot.cli import main
from entrepot.linkage import write_insee_deaths
from entrepot.privacy import Decision, SecretKey, entries, vault_path
from entrepot.subgroups._followup import followup
from entrepot.warehouse import Warehouse
from tests.linkage.people import install, population

KEY_HEX = "8f" * 16 + "3c" * 16
KEY = SecretKey(bytes.fromhex(KEY_HEX))
SPLIT = 1000  # January's records, then February's
REQUIRED = {"records", "linked", "review", "threshold", "links"}


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """A warehouse of 1,500 patients with their vault, two monthly files
    (120 of the patients died, 1,500 strangers), and the true pairs."""
    folder = tmp_path_factory.mktemp("deaths")
    vault, records, truth = population(1500, 120, 1500, seed=7)
    with Warehouse.create(folder / "eds.duckdb", vocabulary=False) as wh:
        install(wh, KEY, vault)
    january, february = records.slice(0, SPLIT), records.slice(SPLIT)
    write_insee_deaths(january, folder / "deces-2024-m01.txt")
    write_insee_deaths(february, folder / "deces-2024-m02.txt")
    key = folder / "key"
    key.write_text(KEY_HEX + "\n")
    os.chmod(key, 0o600)
    shift = dict(
        zip(
            *vault.select(["person_id", "shift_days"]).to_pydict().values(), strict=True
        )
    )
    return folder, truth, records, shift


@pytest.fixture
def copy(made, tmp_path) -> Path:
    folder = made[0]
    for name in ("eds.duckdb", "eds.duckdb.identities", "key"):
        shutil.copy2(folder / name, tmp_path / name)
    for name in ("deces-2024-m01.txt", "deces-2024-m02.txt"):
        (tmp_path / name).symlink_to(folder / name)
    return tmp_path


def link(capsys, folder: Path, *files: str, code: int = 0, key: str = "key") -> dict:
    capsys.readouterr()
    args = ["link", "deaths", *(str(folder / f) for f in files)]
    args += ["-w", str(folder / "eds.duckdb"), "--key-file", str(folder / key)]
    assert main([*args, "--json"]) == code
    out = capsys.readouterr()
    return json.loads(out.out) if code == 0 else out.err


def _deaths(folder: Path) -> list[dict]:
    with Warehouse.open(folder / "eds.duckdb") as wh:
        return wh.table("death").to_pyarrow().to_pylist()


def test_links_the_patients_deaths(capsys, made, copy):
    _, truth, records, shift = made
    found = link(capsys, copy, "deces-2024-m01.txt", "deces-2024-m02.txt")
    assert REQUIRED <= found.keys()
    assert found["records"] == len(records) == 1620
    assert found["threshold"] == 0.95
    assert found["linked"] == len(found["links"])
    links = {(x["file"], x["line"]): x for x in found["links"]}
    assert all(x["probability"] >= 0.95 for x in links.values())
    # lines are 1-based and per file: February's first line is record SPLIT + 1
    true = {
        (f"deces-2024-m0{1 + (line > SPLIT)}.txt", line - SPLIT * (line > SPLIT)): pid
        for line, pid in truth.items()
    }
    right = sum(true.get(k) == x["person_id"] for k, x in links.items())
    assert right / len(links) >= 0.99  # precision, on these hand-written people
    assert right / len(true) >= 0.97  # recall
    deaths = {d["person_id"]: d for d in _deaths(copy)}
    assert len(deaths) == found["deaths_added"] == found["linked"]
    x = next(iter(links.values()))
    row = records.slice(
        x["line"] - 1 + SPLIT * (x["file"] == "deces-2024-m02.txt"), 1
    ).to_pylist()[0]
    died = date(
        *map(
            int, (row["death_date"][:4], row["death_date"][4:6], row["death_date"][6:])
        )
    )
    assert deaths[x["person_id"]]["death_type_concept_id"] == 32879  # Registry
    assert deaths[x["person_id"]]["death_date"] == died + timedelta(
        days=shift[x["person_id"]]
    )
    weights = {(w["comparison"], w["level"]): w["weight"] for w in found["weights"]}
    assert weights["birth_date", "exact birth date"] > 5
    assert weights["surname", "All other comparisons"] < 0
    with Warehouse.open(copy / "eds.duckdb") as wh:
        audited = [e for e in entries(wh) if e["action"] == "link.deaths"]
    assert len(audited) == 1 and audited[0]["persons"] == found["linked"]


def _hospital_death(folder: Path, person: int) -> None:
    """The hospital knew this death (its own row, type Death Certificate)."""
    with Warehouse.open(folder / "eds.duckdb") as wh:
        schema = wh.table("death").schema().to_pyarrow()
        row = {"person_id": person, "death_date": date(2020, 1, 1),
               "death_type_concept_id": 32815, "cause_concept_id": 0}  # fmt: skip
        with wh.store.transaction() as tx:
            tx.append("cdm", "death", wh.store.from_arrow(pa.Table.from_pylist([row], schema=schema)))  # fmt: skip


def test_running_again_is_incremental_and_idempotent(capsys, made, copy):
    truth = made[1]
    known = truth[min(truth)]  # dead in January's file, and at the hospital
    _hospital_death(copy, known)
    first = link(capsys, copy, "deces-2024-m01.txt")
    assert known in {x["person_id"] for x in first["links"]}
    assert first["deaths_added"] == first["linked"] - 1
    mine = [d for d in _deaths(copy) if d["person_id"] == known]
    assert [d["death_type_concept_id"] for d in mine] == [32815]  # not duplicated
    deaths = _deaths(copy)
    args = ["link", "deaths", str(copy / "deces-2024-m01.txt"), "-w"]
    args += [str(copy / "eds.duckdb"), "--key-file", str(copy / "key")]
    assert main(args) == 0  # the same file again, read by a person
    again = capsys.readouterr().out
    known = first["linked"] + first["review"]
    assert f"{SPLIT:,} records ({known:,} linked or reviewed before" in again
    assert "0 linked at probability ≥ 0.95, 0 new deaths; 0 pair(s)" in again
    assert "match weights (log2 m/u) of each comparison level:" in again
    assert "birth_date   exact birth date" in again
    assert _deaths(copy) == deaths  # the same file twice: nothing new
    later = link(capsys, copy, "deces-2024-m01.txt", "deces-2024-m02.txt")
    assert {x["file"] for x in later["links"]} == {"deces-2024-m02.txt"}
    assert later["deaths_added"] == later["linked"] > 0
    assert len(_deaths(copy)) == len(deaths) + later["deaths_added"]
    # survival analyses count a death known only from linkage
    person = later["links"][0]["person_id"]
    with Warehouse.open(copy / "eds.duckdb") as wh:
        index = ibis.memtable({"person_id": [person], "index_date": [date(1990, 1, 1)]})
        rows = followup(wh, Decision.unscoped(wh), index).to_pylist()
    assert rows == [{"person_id": person, "days": rows[0]["days"], "died": True}]
    assert rows[0]["days"] > 0


def test_bad_input_is_one_line_and_changes_nothing(capsys, copy):
    (copy / "notes.txt").write_text("not a death record\n")
    err = link(capsys, copy, "notes.txt", code=2)
    assert err.count("\n") == 1 and err.startswith("entrepot: error: ")
    (copy / "other").write_text("ab" * 32 + "\n")
    os.chmod(copy / "other", 0o600)
    err = link(capsys, copy, "deces-2024-m01.txt", key="other", code=2)
    assert "another key" in err and err.count("\n") == 1
    vault_path(Warehouse.open(copy / "eds.duckdb", read_only=True)).unlink()
    err = link(capsys, copy, "deces-2024-m01.txt", code=2)
    assert "no identity vault" in err and err.count("\n") == 1
    with Warehouse.open(copy / "eds.duckdb") as wh:
        assert wh.count("death") == 0
        assert not wh.has_table("death_link") or wh.count("death_link") == 0


@pytest.mark.spark
def test_spark_finds_the_same_links_as_duckdb(spark_session, tmp_path):
    from entrepot.linkage import link_deaths

    vault, records, truth = population(400, 40, 400, seed=3)
    found = {}
    for engine, uri in (
        ("duckdb", tmp_path / "eds.duckdb"),
        ("spark", f"spark:{tmp_path / 'eds'}"),
    ):
        with Warehouse.create(uri, vocabulary=False) as wh:
            install(wh, KEY, vault)
            done = link_deaths(wh, KEY, records)
            found[engine] = {(x["line"], x["person_id"]) for x in done.links}
            dead = wh.table("death").person_id.to_pyarrow().to_pylist()
            assert sorted(dead) == sorted(p for _, p in found[engine])
    assert found["spark"] == found["duckdb"]
    assert len(found["duckdb"] & set(truth.items())) >= 0.97 * len(truth)
