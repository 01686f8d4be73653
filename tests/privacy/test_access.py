import json
from datetime import date

import pyarrow as pa
import pytest

from entrepot.cli import main
from entrepot.errors import AccessDeniedError, AuthenticationError
from entrepot.privacy import (
    add_project,
    add_user,
    authenticate,
    authorise,
    entries,
    list_users,
)
from tests.privacy.conftest import set_password_hash


@pytest.fixture
def governed(ingested_on):
    """Two projects: one on a cohort of three persons, one on 2021 diagnoses
    (on each engine)."""
    ingested = ingested_on
    persons = ingested.table("person").person_id.to_pyarrow().to_pylist()[:3]
    cohort = pa.table(
        {
            "cohort_definition_id": pa.array([7] * 3, pa.int64()),
            "subject_id": pa.array(persons, pa.int64()),
            "cohort_start_date": pa.array([date(2020, 1, 1)] * 3, pa.date32()),
            "cohort_end_date": pa.array([date(2020, 1, 2)] * 3, pa.date32()),
        }
    )
    with ingested.store.transaction() as tx:
        tx.append("results", "cohort", ingested.store.from_arrow(cohort))
    add_project(ingested, "sepsis", cohort_id=7, mask_below=5)
    add_project(
        ingested,
        "diagnoses-2021",
        domains=["condition_occurrence"],
        start=date(2021, 1, 1),
        end=date(2021, 12, 31),
    )
    add_user(ingested, "ana", "researcher", "ana's long secret", projects=["sepsis"])
    add_user(ingested, "vic", "viewer", "vic's long secret", projects=["sepsis"])
    add_user(
        ingested, "rob", "researcher", "rob's long secret", projects=["diagnoses-2021"]
    )
    return ingested, persons


def test_passwords_are_argon2_hashes_and_checked(governed):
    wh, _ = governed
    assert authenticate(wh, "ana", "ana's long secret") == "researcher"
    for name, password in [("ana", "wrong password"), ("nobody", "ana's long secret")]:
        with pytest.raises(AuthenticationError, match="unknown user or wrong password"):
            authenticate(wh, name, password)
    stored = wh.table("access_user").to_pyarrow().to_pylist()
    assert all(u["password_hash"].startswith("$argon2id$") for u in stored)
    assert "secret" not in str(stored) and "password" not in str(list_users(wh))


def test_a_tampered_or_copied_hash_opens_nothing(governed):
    wh, _ = governed
    hashes = {
        u["name"]: u["password_hash"]
        for u in wh.table("access_user").to_pyarrow().to_pylist()
    }
    set_password_hash(wh, "vic", hashes["ana"])  # ana's hash copied onto vic
    with pytest.raises(AuthenticationError):
        authenticate(wh, "vic", "ana's long secret")
    set_password_hash(wh, "vic", hashes["vic"][:-4] + "AAAA")  # a modified hash
    with pytest.raises(AuthenticationError):
        authenticate(wh, "vic", "vic's long secret")
    set_password_hash(wh, "vic", "not a hash")
    with pytest.raises(AuthenticationError):
        authenticate(wh, "vic", "vic's long secret")


def test_a_viewer_cannot_read_rows_nor_another_project(governed):
    wh, _ = governed
    decision = authorise(wh, "vic", "count", "sepsis")
    assert decision.mask_below == 5 and decision.mask(3) == "<5"
    with pytest.raises(AccessDeniedError, match="viewer may not read"):
        authorise(wh, "vic", "read", "sepsis")
    with pytest.raises(AccessDeniedError, match="not a member"):
        authorise(wh, "vic", "count", "diagnoses-2021")
    with pytest.raises(AccessDeniedError, match="not a member") as unknown:
        authorise(wh, "vic", "count", "no-such-project")  # no hint that it is unknown
    assert "exist" not in str(unknown.value)
    with pytest.raises(AccessDeniedError, match="only within a project"):
        authorise(wh, "vic", "count")
    with pytest.raises(AccessDeniedError, match="not known"):
        authorise(wh, "mallory", "count", "sepsis")
    refused = [
        json.loads(e["parameters"])
        for e in entries(wh, action="authorise")
        if not json.loads(e["parameters"])["allowed"]
    ]
    assert len(refused) == 5
    assert entries(wh, action="authorise.count", user="vic")[0]["project"] == "sepsis"


def test_rows_stay_inside_the_perimeter(governed):
    wh, persons = governed
    cohort = authorise(wh, "ana", "read", "sepsis")
    assert cohort.mask_below is None
    assert sorted(
        cohort.table(wh, "person").person_id.to_pyarrow().to_pylist()
    ) == sorted(persons)
    seen = cohort.table(wh, "visit_occurrence").person_id.to_pyarrow().to_pylist()
    assert seen and set(seen) <= set(persons)
    dated = authorise(wh, "rob", "read", "diagnoses-2021")
    days = dated.table(wh, "condition_occurrence").condition_start_date.to_pyarrow()
    assert 0 < len(days) < wh.count("condition_occurrence")
    assert {d.year for d in days.to_pylist()} == {2021}
    with pytest.raises(AccessDeniedError, match="outside the project"):
        dated.table(wh, "measurement")
    with pytest.raises(AccessDeniedError, match="outside the project"):
        dated.table(wh, "audit_log")
    export = authorise(wh, "rob", "export", "diagnoses-2021")
    assert export.mask_below == 10


def test_cli_user_and_project(ingested, tmp_path, monkeypatch, capsys):
    import io
    import shutil

    path = tmp_path / "cli.duckdb"
    ingested.close()
    shutil.copy(tmp_path / "eds.duckdb", path)
    w = ["--warehouse", str(path)]
    assert main(["project", "add", "p1", "--domains", "person,note", *w]) == 0
    capsys.readouterr()
    assert main(["project", "add", "p1", *w]) == 2
    assert capsys.readouterr().err == "entrepot: error: project: 'p1' exists already\n"
    monkeypatch.setattr("sys.stdin", io.StringIO("a good long password\n"))
    assert (
        main(["user", "add", "eve", "--role", "data-engineer", "--project", "p1", *w])
        == 0
    )
    capsys.readouterr()
    assert main(["user", "list", "--json", *w]) == 0
    assert json.loads(capsys.readouterr().out) == [
        {"name": "eve", "role": "data_engineer", "projects": ["p1"]}
    ]
    monkeypatch.setattr("sys.stdin", io.StringIO("a good long password\n"))
    assert main(["user", "add", "zed", "--role", "king", *w]) == 2
    assert "role: 'king' is not one of" in capsys.readouterr().err


def test_unprintable_names_and_invalid_text_are_refused_cleanly(tmp_path):
    from entrepot.errors import AuthenticationError, PrivacyError
    from entrepot.privacy import add_user, authenticate
    from entrepot.warehouse import Warehouse

    with Warehouse.create(tmp_path / "eds.duckdb") as wh:
        add_user(wh, "nina", "viewer", "long enough \ud800 password")
        assert authenticate(wh, "nina", "long enough \ud800 password") == "viewer"
        for name, password in (
            ("ni\x00na", "long enough"),
            ("\ud800", "long enough"),
            ("x" * 201, "long enough"),
            ("nina", "wrong \udfff"),
        ):
            with pytest.raises(AuthenticationError):
                authenticate(wh, name, password)
        with pytest.raises(PrivacyError, match="not a printable name"):
            add_user(wh, "bad\nname", "viewer", "long enough")
