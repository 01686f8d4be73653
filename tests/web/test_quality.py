"""The data quality page and `GET /api/quality`: the last stored run's checks,
by category, person counts through the release gate; in a real browser too."""

from __future__ import annotations

import shutil

import pytest
from playwright.sync_api import expect

from entrepot.quality import STATUSES, last_run
from tests.web.accessibility import assert_accessible
from tests.web.conftest import LiveServer

#: A few families (a full run takes half a minute): one of each category.
FAMILIES = ["age_over_120", "missing_value", "future_date", "primary_key"]
TOO_OLD = "age_over_120:person.year_of_birth"


@pytest.fixture(scope="module")
def live(web_file, tmp_path_factory):
    """A served copy where two persons were born in 1880, checked."""
    from entrepot.quality import run_checks
    from entrepot.warehouse import Warehouse

    folder = tmp_path_factory.mktemp("quality")
    path = folder / "eds.duckdb"
    shutil.copy(web_file, path)
    shutil.copytree(web_file.parent / "eds.duckdb.search", folder / "eds.duckdb.search")
    with Warehouse.open(path) as wh:
        wh.con.raw_sql(
            "UPDATE person SET year_of_birth = 1880 WHERE person_id IN "
            "(SELECT person_id FROM person ORDER BY person_id LIMIT 2)"
        )
        run_checks(wh, only=FAMILIES)
        stored, _ = last_run(wh)
    server = LiveServer(path)
    yield server, {r.id: r for r in stored}
    server.stop()


def _masked(count, below: int):
    return count if count is None or count == 0 or count >= below else f"<{below}"


def test_the_api_gives_the_stored_results(live):
    server, stored = live
    with server.client("eve") as api:  # a data engineer, warehouse-wide
        q = api.get("/api/quality").json()
    below = q["mask_below"]
    assert below == 10
    assert [c["id"] for c in q["checks"]] == sorted(stored)
    for c in q["checks"]:
        r = stored[c["id"]]
        assert (c["status"], c["category"], c["description"]) == (
            r.status, r.category, r.description)  # fmt: skip
        assert (c["rows"], c["violating_rows"]) == (
            _masked(r.rows, below), _masked(r.violating_rows, below))  # fmt: skip
        assert "examples" not in c
    too_old = next(c for c in q["checks"] if c["id"] == TOO_OLD)
    assert (too_old["status"], too_old["violating_rows"], too_old["rows"]) == (
        "fail", "<10", 300)  # fmt: skip
    assert stored[TOO_OLD].violating_rows == 2 and too_old["about_persons"] is True
    for category, counts in q["summary"].items():
        assert counts == {
            s: sum(r.category == category and r.status == s for r in stored.values())
            for s in STATUSES
        }
    assert q["summary"]["plausibility"]["fail"] >= 1
    assert sum(q["summary"]["completeness"].values()) > 0
    assert sum(q["summary"]["conformance"].values()) > 0


def test_counts_go_through_the_gate(live):
    server, stored = live
    with server.client("rita") as api:  # project cardio: counts masked under 10
        masked = {c["id"]: c for c in api.get("/api/quality?project=cardio").json()["checks"]}  # fmt: skip
    with server.client("dora") as api:  # project htn: a cohort's persons only
        narrowed = {c["id"]: c for c in api.get("/api/quality?project=htn").json()["checks"]}  # fmt: skip
    assert masked[TOO_OLD]["violating_rows"] == "<10"
    assert masked[TOO_OLD]["violating_percent"] == "*"
    assert masked[TOO_OLD]["rows"] == 300
    assert narrowed[TOO_OLD]["rows"] is None
    assert narrowed[TOO_OLD]["violating_rows"] is None
    assert narrowed[TOO_OLD]["violating_percent"] is None
    assert narrowed[TOO_OLD]["status"] == "fail"
    other = next(
        i for i, r in stored.items() if not r.about_persons and (r.rows or 0) > 10
    )
    assert masked[other]["rows"] == stored[other].rows  # rows of a table: masked
    assert narrowed[other]["rows"] is None  # outside the perimeter too
    assert narrowed[other]["violating_percent"] == stored[other].violating_percent


def test_without_a_stored_run_the_api_says_so(server):
    with server.client("rita") as api:
        q = api.get("/api/quality?project=cardio").json()
    assert (q["checked_at"], q["checks"]) == (None, [])


@pytest.mark.browser
def test_the_quality_page_in_a_browser(page_as, live):
    """By category, failing checks first; French, then English; accessible,
    and on a phone."""
    server, stored = live
    page = page_as(server, "rita", "/quality")
    expect(page.locator("h1")).to_have_text("Qualité des données")
    failing = page.locator(f".q-category[data-category=plausibility] tr[data-check='{TOO_OLD}']")  # fmt: skip
    expect(failing.locator(".badge")).to_have_text("échec")
    assert failing.locator("td.n").all_inner_texts()[:2] == ["<10", "300"]
    fails = sum(r.status == "fail" for r in stored.values() if r.category == "plausibility")  # fmt: skip
    expect(page.locator("#quality-summary tr[data-category=plausibility] td[data-status=fail]")).to_have_text(str(fails))  # fmt: skip
    expect(page.locator(".q-category[data-category=completeness] summary")).to_contain_text("Voir les")  # fmt: skip
    assert_accessible(page, "quality")
    page.set_viewport_size({"width": 390, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(failing).to_be_visible()
    assert_accessible(page, "phone-quality")
    page.goto(f"{server.url}/quality?lang=en")
    expect(failing.locator(".badge")).to_have_text("failed")
