"""The hospital's marginals against published French figures
(entrepot/data/synth/reference_figures.csv, sources in its `source` column).

Tolerances, stated once:
- age at first contact, by 5-year band and sex: the INSEE share ± 3 standard
  errors of a share among the hospital's patients of that sex, + 0.5 point;
- prevalences (share of patients with at least one code of the group, whatever
  its position): between half and twice the population figure (a CHU's patients,
  followed for years, are sicker than the population, and coding is incomplete);
- principal diagnoses of full stays: the 10 most frequent are all among the
  published frequent ones, and syncope is rarer than hypertension;
- records per year (2,000 patients over ten years), and persons with a record:
  the last year and the first year within 15 % of the mean of the three years
  next to them, or 3 standard deviations of that difference where wider (no jump
  when the extract ends, no ramp when it starts).
"""

from __future__ import annotations

import csv
import io
from importlib.resources import files

import duckdb
import numpy as np
import pytest

from entrepot.synth import generate_hospital
from tests.synth.conftest import PATIENTS


def _figures(measure: str) -> list[dict[str, str]]:
    text = files("entrepot.data.synth").joinpath("reference_figures.csv").read_text()
    rows = list(csv.DictReader(io.StringIO(text)))
    assert all(r["source"] for r in rows)
    return [r for r in rows if r["measure"] == measure]


def _pattern(codes: str) -> str:
    return "^(" + "|".join(codes.split()) + ")"


def test_ages_at_first_contact_follow_the_insee_pyramid_by_sex(sql):
    population = _figures("population")
    for sex, concept in (("M", 8507), ("F", 8532)):
        reference = {r["key"]: int(r["value"]) for r in population if r["sex"] == sex}
        total = sum(reference.values())
        rows = dict(
            sql(
                f"""SELECT least(floor(date_diff('day', p.birth_datetime::date,
                                       o.observation_period_start_date) / 365.25 / 5), 20),
                           count(*)
                    FROM person p JOIN observation_period o USING (person_id)
                    WHERE p.gender_concept_id = {concept} GROUP BY 1"""
            )
        )
        n = sum(rows.values())
        for band, persons in reference.items():
            expected = persons / total
            share = rows.get(int(band.split("-")[0]) // 5, 0) / n
            tolerance = 3 * (expected * (1 - expected) / n) ** 0.5 + 0.005
            assert share == pytest.approx(expected, abs=tolerance), (sex, band)


def test_prevalences_are_those_of_the_french_population(sql):
    for row in _figures("prevalence"):
        [(patients,)] = sql(
            f"""SELECT count(DISTINCT person_id) FROM (
                  SELECT person_id, condition_source_value AS code FROM condition_occurrence
                  UNION ALL SELECT person_id, observation_source_value FROM observation)
                WHERE regexp_matches(code, '{_pattern(row["codes"])}')"""
        )
        share, expected = 100 * patients / PATIENTS, float(row["value"])
        assert expected / 2 <= share <= expected * 2, (row["key"], share, expected)


def _principal_categories(sql) -> list[tuple[str, int]]:
    return sql(
        """SELECT left(c.condition_source_value, 3), count(*) FROM condition_occurrence c
           JOIN visit_occurrence v USING (visit_occurrence_id)
           WHERE c.condition_status_concept_id = 32902 AND v.visit_source_value = 'MCO'
           GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT 10"""
    )


def test_frequent_principal_diagnoses_are_those_of_the_pmsi(sql):
    frequent = {r["codes"] for r in _figures("frequent_dp")}
    top = [code for code, _ in _principal_categories(sql)]
    assert set(top) <= frequent, set(top) - frequent


def test_syncope_is_rarer_than_hypertension(sql):
    [(syncope, hypertension)] = sql(
        """SELECT count(DISTINCT person_id) FILTER (WHERE condition_source_value LIKE 'R55%'),
                  count(DISTINCT person_id) FILTER (
                      WHERE regexp_matches(condition_source_value, '^I1[0-35]'))
           FROM condition_occurrence"""
    )
    assert syncope < hypertension / 2


@pytest.fixture(scope="module")
def decade(tmp_path_factory):
    """2,000 patients over 2016-2025: thousands of rows a year, hundreds of procedures."""
    path = tmp_path_factory.mktemp("decade") / "chu.duckdb"
    generate_hospital(
        str(path), patients=2_000, seed=4, years=(2016, 2025), notes=False, workers=1
    )
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


@pytest.mark.parametrize(
    ("table", "day"),
    [
        ("visit_occurrence", "visit_start_date"),
        ("condition_occurrence", "condition_start_date"),
        ("observation", "observation_date"),
        ("drug_exposure", "drug_exposure_start_date"),
        ("measurement", "measurement_date"),
        ("procedure_occurrence", "procedure_date"),
    ],
)
def test_records_per_year_neither_jump_at_the_end_nor_ramp_at_the_start(
    decade, table, day
):
    rows = decade.sql(
        f"SELECT person_id, year({day}) - 2016 AS y, count(*) AS n FROM {table}"
        " GROUP BY ALL"
    ).fetchnumpy()
    assert sorted(set(rows["y"])) == list(range(10))  # 2016-2025
    persons, row = np.unique(rows["person_id"], return_inverse=True)
    counts = np.zeros((len(persons), 10))
    counts[row, rows["y"]] = rows["n"]
    for per_person in (counts, counts > 0):  # records, persons with one
        years = per_person.sum(axis=0).tolist()
        for end, next_three in ((-1, slice(-4, -1)), (0, slice(1, 4))):
            mean = per_person[:, next_three].mean(axis=1)
            found, expected = per_person[:, end].sum(), mean.sum()
            rel = _tolerance(per_person[:, end] - mean, expected)
            assert found == pytest.approx(expected, rel=rel), years


def _tolerance(differences: np.ndarray, mean_of_three: float) -> float:
    """15 %, or three standard deviations of the year's difference to the
    mean of three where that is wider, patients independent: a patient's
    records come together (a course of drugs, a stay's results), so that for
    2,000 patients drug exposures a year vary by about 13 %, not Poisson's 2 %."""
    return max(0.15, 3 * float(np.sqrt(np.sum(differences**2))) / mean_of_three)
