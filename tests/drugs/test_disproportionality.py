"""Case / non-case disproportionality (ROR, PRR) against the adverse drug events
planted in a synthetic hospital (`synth_truth`, module drug_events)."""

from __future__ import annotations

import shutil

import pytest

from entrepot.cohort import ConceptSet, run_cohort, shipped_definitions
from entrepot.drugs import disproportionality
from entrepot.drugs._disproportionality import _signal
from entrepot.errors import CohortNotFoundError
from entrepot.synth._drug_events import drug_events
from entrepot.warehouse import Warehouse

SPEC = drug_events()
CONTROLS = set(SPEC.controls)


def _codes(*codes: str) -> ConceptSet:
    return ConceptSet(
        items=[{"vocabulary": "CIM10", "code": c, "descendants": True} for c in codes]
    )


@pytest.fixture(scope="module")
def wh(pv_hospital):
    with Warehouse.open(str(pv_hospital), read_only=True) as opened:
        yield opened


def test_ror_and_prr_of_a_two_by_two_table():
    # 10 exposed cases, 90 exposed non-cases, 20 unexposed cases, 880 others
    s = _signal("x", "X", a=10, exposed=100, cases=30, n=1000)
    assert (s.cases_exposed, s.noncases_exposed) == (10, 90)
    assert s.ror == pytest.approx(8800 / 1800)
    assert s.ror_ci == pytest.approx((2.2199, 10.767), rel=1e-3)
    assert s.prr == pytest.approx(4.5)
    assert s.prr_ci == pytest.approx((2.1676, 9.3419), rel=1e-3)
    # a zero cell: 0.5 added to each
    z = _signal("x", "X", a=0, exposed=50, cases=30, n=1000)
    assert z.ror == pytest.approx(0.5 * 920.5 / (50.5 * 30.5))


@pytest.mark.parametrize(
    ("event", "code"),
    [
        ("toxidermie", "L27.1"),
        ("acute_kidney_injury", "N17.0"),
        ("agranulocytosis", "D70"),
    ],
)
def test_the_planted_culprits_rank_above_the_negative_controls(wh, event, code):
    result = disproportionality(wh, _codes(code), name=event)
    culprits = {p.drug for p in SPEC.pairs if p.event == event}
    ranked = [d.atc for d in result.drugs]
    assert culprits <= set(ranked)
    controls = [ranked.index(c) for c in CONTROLS if c in ranked]  # taken by cases
    assert max(ranked.index(c) for c in culprits) < min(controls, default=len(ranked))
    for drug in result.drugs:
        assert drug.cases_exposed >= 1
        if drug.atc in culprits:
            assert drug.ror_ci[0] > 1 and drug.prr_ci[0] > 1, drug
        if drug.atc in CONTROLS:  # no signal
            assert drug.ror_ci[0] < 1 and drug.prr_ci[0] < 1, drug


def test_the_counts_are_those_of_the_warehouse(wh):
    result = disproportionality(wh, _codes("D70"), name="agranulocytosis")
    [(cases,)] = wh.con.raw_sql(
        """SELECT count(DISTINCT person_id) FROM condition_occurrence
           WHERE condition_source_value = 'D70'"""
    ).fetchall()
    [(persons,)] = wh.con.raw_sql("SELECT count(*) FROM person").fetchall()
    assert (result.outcome, result.cases, result.persons) == (
        "agranulocytosis",
        cases,
        persons,
    )
    [(exposed_cases, exposed)] = wh.con.raw_sql(
        """WITH cases AS (SELECT person_id, min(condition_start_date) AS day
                          FROM condition_occurrence
                          WHERE condition_source_value = 'D70' GROUP BY 1),
                taking AS (SELECT DISTINCT d.person_id, c.day IS NOT NULL AS is_case
                           FROM drug_exposure d
                           JOIN concept k ON k.concept_id = d.drug_concept_id
                           LEFT JOIN cases c USING (person_id)
                           WHERE k.concept_code = 'H03BB01'
                             AND (c.day IS NULL OR d.drug_exposure_start_date <= c.day))
           SELECT count(*) FILTER (WHERE is_case), count(*) FROM taking"""
    ).fetchall()
    carbimazole = next(d for d in result.drugs if d.atc == "H03BB01")
    assert carbimazole.drug == "carbimazole"
    assert (carbimazole.cases_exposed, carbimazole.noncases_exposed) == (
        exposed_cases,
        exposed - exposed_cases,
    )
    assert carbimazole.cases_exposed >= 3


def test_a_saved_cohort_is_an_outcome_and_later_drugs_are_not_culprits(
    pv_hospital, tmp_path
):
    """The shipped toxidermie cohort: the culprits are signals; the dermocorticoid
    given from the reaction on (the skin-reaction module's) is no drug of it."""
    path = tmp_path / "pv.duckdb"
    shutil.copy(pv_hospital, path)
    with Warehouse.open(str(path)) as wh:
        definition = shipped_definitions()["skin_reactions_since_2015"]
        cohort = run_cohort(wh, definition).cohort_definition_id
        result = disproportionality(wh, cohort)
        by_atc = {d.atc: d for d in result.drugs}
        assert result.outcome == str(cohort) and result.cases > 50
        culprits = [p.drug for p in SPEC.pairs if p.event == "toxidermie"]
        assert all(by_atc[c].ror_ci[0] > 1 for c in culprits)
        assert "D07AC01" not in by_atc
        [(treated,)] = wh.con.raw_sql(
            f"""SELECT count(DISTINCT d.person_id) FROM drug_exposure d
                JOIN concept k ON k.concept_id = d.drug_concept_id
                JOIN results.cohort c ON c.subject_id = d.person_id
                WHERE k.concept_code = 'D07AC01' AND c.cohort_definition_id = {cohort}"""
        ).fetchall()
        assert treated > 10  # after their reaction
        with pytest.raises(CohortNotFoundError, match="no cohort named 'nothing'"):
            disproportionality(wh, "nothing")
