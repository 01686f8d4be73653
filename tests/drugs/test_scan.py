"""The warehouse scan, on a hand-built warehouse with known overlapping exposures."""

from datetime import date

import pyarrow as pa
import pytest

from entrepot.drugs import cohort_definition_id, scan
from entrepot.errors import DrugInputError
from entrepot.warehouse import Warehouse
from entrepot.warehouse.vocabulary import local_concept_id

D = date.fromisoformat
#: person, label, ATC code (concept), route concept, start, end
EXPOSURES = [
    # 1: miconazole buccal gel within a warfarin course: contraindicated, 2023
    (1, "COUMADINE 5 mg, comprimé sécable", "B01AA03", 0, "2023-01-01", "2023-06-30"),
    (1, "DAKTARIN 2 %, gel buccal", "A01AB09", 0, "2023-03-01", "2023-03-10"),
    # 2: the same pair, cutaneous: nothing
    (2, "COUMADINE 5 mg, comprimé sécable", "B01AA03", 0, "2023-01-01", "2023-06-30"),
    (
        2,
        "DAKTARIN 2 %, poudre pour application cutanée",
        "D01AC02",
        0,
        "2023-03-01",
        "2023-03-10",
    ),
    # 3: escitalopram then hydroxyzine, not at the same time: nothing
    (3, "SEROPLEX 10 mg, comprimé pelliculé", "N06AB10", 0, "2022-01-01", "2022-01-31"),
    (
        3,
        "ATARAX 25 mg, comprimé pelliculé sécable",
        "N05BB01",
        0,
        "2022-02-01",
        "2022-02-28",
    ),
    # 4: escitalopram with hydroxyzine, overlapping 2022-12-20..2023-01-10: CI
    (4, "SEROPLEX 10 mg, comprimé pelliculé", "N06AB10", 0, "2022-12-01", "2023-01-10"),
    (
        4,
        "ATARAX 25 mg, comprimé pelliculé sécable",
        "N05BB01",
        0,
        "2022-12-20",
        "2023-02-28",
    ),
    # 5: antiplatelet aspirin with fluindione (label unknown: ATC code used):
    # association déconseillée, 2021
    (
        5,
        "KARDEGIC 75 mg, poudre pour solution buvable en sachet-dose",
        "B01AC06",
        0,
        "2021-05-01",
        "2021-12-31",
    ),
    (5, "", "B01AA12", 0, "2021-06-01", "2021-06-30"),
    # 6: a beta-blocker with a dihydropyridine: à prendre en compte, 2023
    (6, "atenolol 50 mg cp", "C07AB03", 0, "2023-02-01", "2023-02-10"),
    (6, "AMLOR 5 mg, gélule", "C08CA01", 0, "2023-02-05", "2023-03-01"),
    # 7: hostile label and unknown product, alone
    (7, "'); DROP TABLE drug_exposure; --", "", 0, "2023-01-01", "2023-01-02"),
]


def _load(wh, exposures=EXPOSURES) -> None:
    n = len(exposures)
    table = pa.table(
        {
            "drug_exposure_id": pa.array(range(1, n + 1), pa.int64()),
            "person_id": pa.array([e[0] for e in exposures], pa.int64()),
            "drug_concept_id": pa.array(
                [local_concept_id("ATC", e[2]) if e[2] else 0 for e in exposures],
                pa.int64(),
            ),
            "drug_source_value": [e[1] or None for e in exposures],
            "route_concept_id": pa.array([e[3] for e in exposures], pa.int64()),
            "drug_exposure_start_date": pa.array([D(e[4]) for e in exposures]),
            "drug_exposure_end_date": pa.array([D(e[5]) for e in exposures]),
            "drug_type_concept_id": pa.array([32817] * n, pa.int64()),
        }
    )
    concepts = sorted({e[2] for e in exposures if e[2]})
    concept = pa.table(
        {
            "concept_id": pa.array(
                [local_concept_id("ATC", c) for c in concepts], pa.int64()
            ),
            "concept_name": concepts,
            "domain_id": ["Drug"] * len(concepts),
            "vocabulary_id": ["ATC"] * len(concepts),
            "concept_class_id": ["ATC 5th"] * len(concepts),
            "standard_concept": ["S"] * len(concepts),
            "concept_code": concepts,
            "valid_start_date": pa.array([D("1970-01-01")] * len(concepts)),
            "valid_end_date": pa.array([D("2099-12-31")] * len(concepts)),
            "invalid_reason": pa.array([None] * len(concepts), pa.string()),
        }
    )
    wh.replace_tables({"concept": concept})
    with wh.store.transaction() as tx:
        tx.append("cdm", "drug_exposure", wh.store.from_arrow(table))


def test_scan_finds_the_known_overlaps_and_writes_cohorts(warehouse):
    _load(warehouse)
    result = scan(warehouse)
    assert result.exposures == len(EXPOSURES)
    assert result.patients == 4
    assert result.by_level == {
        "contre-indication": 2,
        "association-deconseillee": 1,
        "precaution-emploi": 0,
        "a-prendre-en-compte": 1,
    }
    pairs = {(p["pair"], p["level"]): p["patients"] for p in result.by_pair}
    assert pairs[("miconazole + warfarine", "contre-indication")] == 1
    assert pairs[("escitalopram + hydroxyzine", "contre-indication")] == 1
    assert (
        pairs[("acide acetylsalicylique + fluindione", "association-deconseillee")] == 1
    )
    assert pairs[("amlodipine + atenolol", "a-prendre-en-compte")] == 1
    years = {(y["year"], y["level"]): y["patients"] for y in result.by_year}
    assert years == {
        (2021, "association-deconseillee"): 1,
        (2022, "contre-indication"): 1,
        (2023, "contre-indication"): 1,
        (2023, "a-prendre-en-compte"): 1,
    }
    ci = result.cohorts["contre-indication"]
    assert ci == cohort_definition_id("2020-10-20", None, None, "contre-indication")
    cohort = warehouse.table("cohort").to_pyarrow().to_pylist()
    spans = {
        (
            r["subject_id"],
            r["cohort_start_date"].isoformat(),
            r["cohort_end_date"].isoformat(),
        )
        for r in cohort
        if r["cohort_definition_id"] == ci
    }
    assert spans == {(1, "2023-03-01", "2023-03-10"), (4, "2022-12-20", "2023-01-10")}
    assert warehouse.count("cohort") == 4
    names = warehouse.table("cohort_definition").to_pyarrow().to_pylist()
    assert {r["cohort_definition_id"] for r in names} == set(result.cohorts.values())

    if warehouse.engine == "duckdb":  # Spark: each scan costs ~20 s of local jobs
        again = scan(warehouse)  # the same scan replaces its cohorts, never doubles
        assert again.cohorts == result.cohorts
        assert warehouse.count("cohort") == 4
        assert warehouse.count("cohort_definition") == 4


@pytest.fixture
def duckdb_warehouse(tmp_path):
    """The other tests run on DuckDB only: Spark is slow to start each query."""
    with Warehouse.create(tmp_path / "eds.duckdb", vocabulary=False) as wh:
        yield wh


def test_scan_of_one_year_clips_the_periods(duckdb_warehouse):
    warehouse = duckdb_warehouse
    _load(warehouse)
    result = scan(warehouse, start=D("2023-01-01"), end=D("2023-12-31"))
    assert result.by_level["contre-indication"] == 2
    assert result.by_level["association-deconseillee"] == 0
    ci = result.cohorts["contre-indication"]
    assert ci != cohort_definition_id("2020-10-20", None, None, "contre-indication")
    rows = warehouse.table("cohort").filter(
        warehouse.table("cohort").cohort_definition_id == ci
    )
    spans = {
        (r["subject_id"], r["cohort_start_date"].isoformat())
        for r in rows.to_pyarrow().to_pylist()
    }
    assert spans == {(1, "2023-03-01"), (4, "2023-01-01")}


def test_scan_of_one_day_and_of_an_empty_warehouse(duckdb_warehouse):
    warehouse = duckdb_warehouse
    assert scan(warehouse).patients == 0
    _load(warehouse)
    assert (
        scan(warehouse, start=D("2023-03-05"), end=D("2023-03-05")).by_level[
            "contre-indication"
        ]
        == 1
    )


def test_scan_rejects_a_period_that_ends_before_it_starts(duckdb_warehouse):
    warehouse = duckdb_warehouse
    with pytest.raises(DrugInputError, match="after it ends"):
        scan(warehouse, start=D("2023-02-01"), end=D("2023-01-01"))


def test_scan_counts_no_rule_below_its_aspirin_doses(duckdb_warehouse):
    # aspirin + diuretics is for analgesic and anti-inflammatory doses only
    rows = [
        (
            1,
            "KARDEGIC 75 mg, poudre pour solution buvable",
            "B01AC06",
            0,
            "2023-01-01",
            "2023-01-31",
        ),
        (1, "FUROSEMIDE 20 mg cp séc", "C03CA01", 0, "2023-01-01", "2023-01-31"),
        (2, "ASPIRINE 1 g x 3/j", "N02BA01", 0, "2023-01-01", "2023-01-31"),
        (2, "FUROSEMIDE 20 mg cp séc", "C03CA01", 0, "2023-01-01", "2023-01-31"),
    ]
    _load(duckdb_warehouse, rows)
    result = scan(duckdb_warehouse)
    assert result.patients == 1
    assert result.by_pair == [
        {
            "pair": "acide acetylsalicylique + furosemide",
            "level": "precaution-emploi",
            "patients": 1,
        }
    ]
