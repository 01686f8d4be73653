"""Shipped definitions (the demo's questions) on a synthetic hospital, checked by
plain SQL on the same file; and the benchmark, run small (no timing asserted)."""

import pytest

from bench import cohort as bench
from entrepot.cohort import count_persons, shipped_definitions
from entrepot.warehouse import Warehouse

from .conftest import HOSPITAL_PATIENTS

DESCENDANTS = """(SELECT descendant_concept_id FROM concept_ancestor
  JOIN concept ON concept_id = ancestor_concept_id
  WHERE vocabulary_id = '{vocabulary}' AND concept_code IN ({codes}))"""


def concepts(vocabulary: str, *codes: str) -> str:
    return DESCENDANTS.format(
        vocabulary=vocabulary, codes=", ".join(f"'{c}'" for c in codes)
    )


IMMUNOSUPPRESSANTS = concepts("ATC", "L04AX01", "L04AA06")
EXPECTED = {
    "systemic_sclerosis": "SELECT count(DISTINCT person_id) FROM condition_occurrence"
    " WHERE condition_source_value LIKE 'M34%'",
    "skin_reactions_since_2015": "SELECT count(DISTINCT person_id) FROM"
    " condition_occurrence WHERE condition_source_value IN ('L270', 'L271', 'L511',"
    " 'L512') AND condition_start_date >= DATE '2015-01-01'",
    "immunosuppressed": "SELECT count(DISTINCT person_id) FROM drug_exposure"
    f" WHERE drug_concept_id IN {IMMUNOSUPPRESSANTS}",
    "immunosuppressed_2021_08": "SELECT count(DISTINCT person_id) FROM drug_exposure"
    f" WHERE drug_concept_id IN {IMMUNOSUPPRESSANTS}"
    " AND drug_exposure_start_date <= DATE '2021-08-31'"
    " AND drug_exposure_end_date >= DATE '2021-08-01'",
    "covid_immunosuppressed": f"""
    WITH covid AS (
      SELECT person_id, min(condition_start_date) AS day FROM condition_occurrence
      WHERE condition_concept_id IN {concepts("CIM10", "U07.1")} GROUP BY 1)
    SELECT count(DISTINCT c.person_id) FROM covid c JOIN drug_exposure d
      ON d.person_id = c.person_id
     AND d.drug_exposure_start_date <= c.day + INTERVAL 30 DAY
    WHERE d.drug_concept_id IN {concepts("ATC", "L04", "L01BA01")}""",
}


COVID = "SELECT count(DISTINCT person_id) FROM condition_occurrence" + (
    f" WHERE condition_concept_id IN {concepts('CIM10', 'U07.1')}"
)


@pytest.fixture
def hospital(hospital_folder):
    path = bench.warehouse_path(hospital_folder, HOSPITAL_PATIENTS)
    with Warehouse.open(path, read_only=True) as wh:
        yield wh


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_shipped_definition_counts_match_sql(hospital, name):
    expected = hospital.con.raw_sql(EXPECTED[name]).fetchone()[0]
    assert count_persons(hospital, shipped_definitions()[name]) == expected
    if name == "covid_immunosuppressed":  # about 1 person expected at this size:
        inputs = [EXPECTED["immunosuppressed"], COVID]  # its inputs are not empty
        assert all(hospital.con.raw_sql(sql).fetchone()[0] > 0 for sql in inputs)
    elif name != "immunosuppressed_2021_08":
        assert expected > 0


def test_benchmark_runs_small(hospital_folder):
    figures = bench.run(patients=HOSPITAL_PATIENTS, repeat=1, folder=hospital_folder)
    assert figures["all_identical"] is True
    assert [r["definition"] for r in figures["definitions"]] == list(bench.DEFINITIONS)
    for r in figures["definitions"]:
        assert r["ratio"] == pytest.approx(
            r["entrepot_seconds"] / r["circe_seconds"], rel=0.01
        )
    assert sum(r["persons"] for r in figures["definitions"]) > 0
