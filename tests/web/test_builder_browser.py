"""The logic builder in a real browser (Playwright over Debian's Chromium):
a nested cohort with an exclusion and a temporal constraint built with the
mouse and keyboard, its live counts checked against the library and SQL, its
YAML edited back into the builder, and its Circe export imported again."""

from __future__ import annotations

import re

import pytest
import yaml
from playwright.sync_api import expect

from entrepot.cohort import count_persons
from entrepot.cohort._counts import count_parts
from entrepot.cohort._files import definition_from_data
from tests.web.conftest import _serve_copy, shot
from tests.web.test_builder import NESTED_YAML, PATHS

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live(web_file, tmp_path_factory):
    yield from _serve_copy(web_file, tmp_path_factory.mktemp("builder-browser"))


@pytest.fixture
def page(page_as, live):
    """The cohorts page, as the administrator (no project: counts masked,
    with no differencing defence between the builder's successive counts)."""
    return page_as(live, "ada", "/cohorts", viewport={"width": 1366, "height": 900})


def shown(n) -> re.Pattern:
    """A count as the page writes it (masked below 10; "*" as it is)."""
    if isinstance(n, str):
        return re.compile(r"^\s*" + re.escape(n) + r"\s*$")
    if n < 10 and n:
        return re.compile(r"^\s*<10\s*$")
    return re.compile(r"^\s*" + r"\D?".join(str(n)) + r"\s*$")


def _codes(page, where: str, codes: str) -> None:
    page.locator(f"{where} .lb-codes").first.fill(codes)
    page.locator(f"{where} .lb-codes").first.press("Tab")  # the change event


def _crit(path: str) -> str:
    return f'li[data-path="{path}"]'


def _build(page) -> None:
    """The definition of NESTED_YAML, with the mouse and the keyboard."""
    page.fill("#lb-name", "builder (browser)")
    _codes(page, "#lb-entry", "CIM10:I10")
    page.locator("#lb-entry .lb-first").check()
    # rule 1: a renin-angiotensin drug, or (a high systolic pressure, aged 50+)
    page.click("#lb-add-rule")
    rule = 'div.lb-group[data-path="rules/0"]'
    page.select_option(f"{rule} > div.row .lb-group-type", "any")
    page.click(f"{rule} > div.row .lb-add-criterion")
    page.select_option(f"{_crit('rules/0/criteria/0')} > .lb-event .lb-domain", "drug")
    _codes(page, _crit("rules/0/criteria/0"), "ATC:C09")
    page.fill(f"{_crit('rules/0/criteria/0')} > div.row .lb-start", "-365")
    page.fill(f"{_crit('rules/0/criteria/0')} > div.row .lb-end", "365")
    page.click(f"{rule} > div.row .lb-add-group")
    inner = 'div.lb-group[data-path="rules/0/groups/0"]'
    page.select_option(f"{inner} > div.row .lb-group-type", "all")
    page.click(f"{inner} > div.row .lb-add-criterion")
    high = _crit("rules/0/groups/0/criteria/0")
    page.select_option(f"{high} > .lb-event .lb-domain", "measurement")
    _codes(page, high, "LOINC:8480-6")
    page.fill(f"{high} .lb-value-min", "140")
    page.fill(f"{high} > div.row .lb-start", "-30")
    page.fill(f"{high} > div.row .lb-end", "30")
    page.click(f"{inner} > div.row .lb-add-demographics")
    page.fill(f"{_crit('rules/0/groups/0/demographics/0')} .lb-age-min", "50")
    # rule 2: no type 2 diabetes, ever (an exclusion)
    page.click("#lb-add-rule")
    page.click('div.lb-group[data-path="rules/1"] > div.row .lb-add-exclusion')
    _codes(page, _crit("rules/1/criteria/0"), "CIM10:E11")
    # rule 3: at most one furosemide start with a potassium test within 7 days
    page.click("#lb-add-rule")
    rule = 'div.lb-group[data-path="rules/2"]'
    page.select_option(f"{rule} > div.row .lb-group-type", "at_most")
    page.fill(f"{rule} > div.row .lb-group-count", "1")
    page.click(f"{rule} > div.row .lb-add-criterion")
    furosemide = _crit("rules/2/criteria/0")
    page.select_option(f"{furosemide} > .lb-event .lb-domain", "drug")
    _codes(page, furosemide, "ATC:C03CA01")
    page.click(f"{furosemide} .lb-add-temporal")
    after = f"{furosemide} .lb-temporal"
    page.select_option(f"{after} > .lb-event .lb-domain", "measurement")
    _codes(page, after, "LOINC:2823-3")
    page.fill(f"{after} > div.row .lb-start", "0")
    page.fill(f"{after} > div.row .lb-end", "7")


def _expect_counts(page, live, definition) -> None:
    counts = live.web.use(count_parts, definition)
    for path in PATHS:
        if path != "cohort":
            n = len(counts.persons[path])
            expect(
                page.locator(f'#logic-builder .lb-n[data-path="{path}"]')
            ).to_have_text(shown(n))
    expect(page.locator("#lb-count")).to_have_text(shown(len(counts.persons["cohort"])))


def test_build_a_nested_cohort_with_an_exclusion_and_a_temporal_constraint(page, live):
    _build(page)
    definition = definition_from_data(yaml.safe_load(NESTED_YAML), "test")
    _expect_counts(page, live, definition)
    entry = live.web.use(
        lambda wh: wh.con.raw_sql(
            "SELECT count(DISTINCT person_id) FROM condition_occurrence"
            " WHERE condition_source_value LIKE 'I10%'"
        ).fetchone()[0]
    )
    expect(page.locator('#logic-builder .lb-n[data-path="entry"]')).to_have_text(
        shown(entry)
    )
    expect(page.locator("#lb-count")).to_have_text(
        shown(live.web.use(count_persons, definition))
    )
    expect(page.locator("#lb-attrition tbody tr")).to_have_count(4)
    # the YAML shown is the same definition (the CLI's model)
    text = page.locator("#lb-yaml").input_value()
    written = definition_from_data(yaml.safe_load(text), "page")
    assert written.name == "builder (browser)"
    assert live.web.use(count_persons, written) == live.web.use(
        count_persons, definition
    )
    assert "at_most" in text and "window:" in text
    shot(page, "builder")
    from axe_playwright_python.sync_playwright import Axe

    found = Axe().run(page).response["violations"]
    serious = [v["id"] for v in found if v["impact"] in ("serious", "critical")]
    assert not serious, serious

    # YAML -> builder: a systolic pressure of 160, applied
    page.fill("#lb-yaml", text.replace("gte: 140", "gte: 160"))
    page.click("#lb-apply")
    high = _crit("rules/0/groups/0/criteria/0")
    expect(page.locator(f"{high} .lb-value-min")).to_have_value("160")
    stricter = definition_from_data(
        yaml.safe_load(NESTED_YAML.replace("gte: 140", "gte: 160")), "t"
    )
    _expect_counts(page, live, stricter)

    # Circe: export, then import back: the same counts
    page.click("#logic-builder details:has(#lb-circe) summary")
    page.click("#lb-circe-export")
    expect(page.locator("#lb-circe")).to_have_value(re.compile("PrimaryCriteria"))
    page.fill("#lb-yaml", "")
    page.click("#lb-circe-import")
    expect(page.locator("#lb-yaml")).to_have_value(re.compile("inclusion_rules"))
    _expect_counts(page, live, stricter)

    # saved as a cohort: generated as `cohort run` does, the same count
    name = page.locator("#lb-name").input_value()
    assert name == "builder (browser)"  # kept through Circe
    page.click("#lb-save")
    row = page.locator("#saved-cohorts tr", has_text=name)
    expect(row).to_have_count(1)
    expect(row.locator("td").nth(2)).to_have_text(
        shown(live.web.use(count_persons, stricter))
    )


def test_a_unit_criterion_picks_units_by_name(page, live):
    """A unit stay (`visit_detail`) chosen by name in the care-site
    hierarchy: a pôle takes its units, whose care-site ids the definition
    holds, counted as the library counts it."""
    page.fill("#lb-name", "réanimation (browser)")
    _codes(page, "#lb-entry", "CIM10:I10")
    page.click("#lb-add-rule")
    page.click('div.lb-group[data-path="rules/0"] > div.row .lb-add-criterion')
    stay = _crit("rules/0/criteria/0")
    page.select_option(f"{stay} > .lb-event .lb-domain", "visit_detail")
    units = page.locator(f"{stay} .unit-picker")
    units.locator("summary").click()
    units.get_by_label("Pôle Urgences-Réanimation", exact=True).check()
    expect(units.get_by_label("Urgences", exact=True)).to_be_checked()
    expect(units.locator("summary")).to_contain_text("(Pôle Urgences-Réanimation)")
    ids = live.web.use(
        lambda wh: wh.con.raw_sql(
            "SELECT care_site_id FROM care_site WHERE care_site_source_value"
            " IN ('Réanimation médicale', 'Urgences') ORDER BY 1"
        ).fetchall()
    )
    yaml_shown = page.locator("#lb-yaml")
    expect(yaml_shown).to_have_value(re.compile("care_site"))
    written = yaml.safe_load(yaml_shown.input_value())
    event = written["inclusion_rules"][0]["criteria"]["criteria"][0]["event"]
    assert event == {"visit_detail": {"care_site": [i for (i,) in ids]}}
    counts = live.web.use(count_parts, definition_from_data(written, "page"))
    n = len(counts.persons["rules/0/criteria/0"])
    assert n >= 10
    expect(page.locator(f'{stay} .lb-n[data-path="rules/0/criteria/0"]')).to_have_text(
        shown(n)
    )
    assert page.console_errors == []
