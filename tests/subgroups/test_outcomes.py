"""Profiles and survival of clusters on a tiny hand-made warehouse whose
Kaplan-Meier curves are worked out by hand, on each engine.

34 persons enter cohort "ssc" on 2015-01-01 (a CIM-10 M34 diagnosis):
cluster 1 (persons 1-20): 2 die at 200 days, 1 is censored at 300 days
(end of observation), 1 dies at 500 days, 16 are followed to 2018-01-01
(1,096 days; person 20 over two observation periods); cluster 2 (21-31): 1
dies at 100 days (after their observation ended), 10 are censored at
2017-01-01 (731 days); cluster 3 (32-34): 1 dies at 31 days, 2 censored at
731 days.
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
import pytest
from lifelines.statistics import multivariate_logrank_test

from entrepot.cohort import run_cohort
from entrepot.errors import CohortNotFoundError, InputFileError, ParameterError
from entrepot.privacy import Decision
from entrepot.subgroups import profile_clusters

from ..cohort.conftest import write_tables
from ..conftest import ENGINES, warehouse_uri

INDEX = date(2015, 1, 1)
SSC = 300
DEFINITION = """\
name: ssc
concept_sets:
  ssc: {items: [{vocabulary: CIM10, code: M34, descendants: true}]}
entry:
  events: [{condition: {concept_set: ssc}}]
"""
#: person -> (cluster, days to death or None, days to the end of observation)
PERSONS = (
    {p: (1, 200, 200) for p in (1, 2)}
    | {3: (1, None, 300), 4: (1, 500, 500)}
    | {p: (1, None, 1096) for p in range(5, 21)}
    | {21: (2, 100, 59)}
    | {p: (2, None, 731) for p in range(22, 32)}
    | {32: (3, 31, 31), 33: (3, None, 731), 34: (3, None, 731)}
)


def _tables() -> dict[str, pa.Table]:
    ids = list(PERSONS)
    day = {p: INDEX + timedelta(days=PERSONS[p][2]) for p in ids}
    periods = [(p, date(2010, 1, 1), day[p]) for p in ids if p != 20]
    periods += [(20, date(2010, 1, 1), date(2015, 6, 1))]
    periods += [(20, date(2015, 6, 2), day[20])]
    deaths = [(p, INDEX + timedelta(days=d)) for p, (_, d, _) in PERSONS.items() if d]
    return {
        "concept": pa.table(
            {
                "concept_id": [1],
                "concept_name": ["Sclérodermie systémique"],
                "domain_id": ["Condition"],
                "vocabulary_id": ["CIM10"],
                "concept_class_id": ["Code"],
                "standard_concept": ["S"],
                "concept_code": ["M34"],
                "valid_start_date": [date(1970, 1, 1)],
                "valid_end_date": [date(2099, 12, 31)],
            }
        ),
        "concept_ancestor": pa.table(
            {
                "ancestor_concept_id": [1],
                "descendant_concept_id": [1],
                "min_levels_of_separation": [0],
                "max_levels_of_separation": [0],
            }
        ),
        "person": pa.table(
            {
                "person_id": ids,
                "gender_concept_id": [8532 if p % 3 else 8507 for p in ids],
                "year_of_birth": [1960 if p <= 20 else 1990 for p in ids],
                "race_concept_id": [0] * len(ids),
                "ethnicity_concept_id": [0] * len(ids),
            }
        ),
        "observation_period": pa.table(
            {
                "observation_period_id": list(range(1, len(periods) + 1)),
                "person_id": [p for p, _, _ in periods],
                "observation_period_start_date": [s for _, s, _ in periods],
                "observation_period_end_date": [e for _, _, e in periods],
                "period_type_concept_id": [32817] * len(periods),
            }
        ),
        "condition_occurrence": pa.table(
            {
                "condition_occurrence_id": ids,
                "person_id": ids,
                "condition_concept_id": [1] * len(ids),
                "condition_start_date": [INDEX] * len(ids),
                "condition_type_concept_id": [32817] * len(ids),
            }
        ),
        "death": pa.table(
            {
                "person_id": [p for p, _ in deaths],
                "death_date": [d for _, d in deaths],
                "death_type_concept_id": [32817] * len(deaths),
            }
        ),
    }


def _build(engine: str, folder):
    """The tiny warehouse with its cohort, on `engine`."""
    from entrepot.warehouse import Warehouse

    (folder / "ssc.yaml").write_text(DEFINITION)
    wh = Warehouse.create(warehouse_uri(engine, folder), vocabulary=False)
    write_tables(wh, _tables())
    run_cohort(wh, folder / "ssc.yaml", cohort_id=SSC)
    return wh


@pytest.fixture(scope="module", params=ENGINES)
def tiny(request, tmp_path_factory):
    """The tiny warehouse on each engine (for the queries' test)."""
    if request.param == "spark":
        request.getfixturevalue("spark_session")
    with _build(request.param, tmp_path_factory.mktemp("outcomes")) as wh:
        yield wh


@pytest.fixture(scope="module")
def tiny_duckdb(tmp_path_factory):
    """The tiny warehouse on DuckDB (for what the engines share anyway)."""
    with _build("duckdb", tmp_path_factory.mktemp("outcomes-duckdb")) as wh:
        yield wh


def clusters(persons=PERSONS) -> pa.Table:
    return pa.table(
        {"person_id": list(persons), "cluster": [v[0] for v in persons.values()]}
    )


#: A decision that reads rows: nothing masked (the hand computation's).
ROWS = Decision("tester", "admin", "read", None, None, None)


def test_kaplan_meier_matches_the_hand_computation(tiny):
    found = profile_clusters(tiny, ROWS, "ssc", clusters())
    by = {c["cluster"]: c for c in found["clusters"]}
    assert [c["size"] for c in found["clusters"]] == [20, 11, 3]
    km = by[1]["km"]
    assert km["times"] == [0.0, 1.0, 2.0, 3.0]  # 1,096 days: 3 years
    assert km["at_risk"] == [20, 17, 16, 16]
    assert km["survival"] == pytest.approx([1.0, 18 / 20, 18 / 20 * 16 / 17, 0.8471], abs=1e-4)  # fmt: skip
    # cluster 2: the death after the end of observation counts; nobody after 731 days
    assert by[2]["km"]["at_risk"] == [11, 10, 10, 0]
    assert by[2]["km"]["survival"][:3] == pytest.approx([1.0, 10 / 11, 10 / 11], abs=1e-4)  # fmt: skip
    assert by[2]["km"]["survival"][3] is None
    low, high = km["ci_low"][1], km["ci_high"][1]
    assert low < 0.9 < high
    assert found["followup"]["reference"] == 1  # the largest cluster
    # Table 1: the cohort's own, of the cluster's persons only
    table = {c["cluster"]: c["table1"] for c in found["clusters"]}
    assert table[1]["persons"] == 20
    women = sum(1 for p, v in PERSONS.items() if v[0] == 1 and p % 3)
    assert table[1]["sex"] == {"female": women, "male": 20 - women, "other or unknown": 0}  # fmt: skip
    assert table[1]["age"]["bands"]["45-64"] == 20  # born 1960, 55 in 2015
    assert table[2]["age"]["bands"]["18-44"] == 11
    assert table[2]["conditions"][0]["persons"] == 11


def test_log_rank_and_cox_match_lifelines(tiny_duckdb):
    found = profile_clusters(tiny_duckdb, ROWS, str(SSC), clusters())
    days = [d if d is not None else end for _, d, end in PERSONS.values()]
    days[20] = 100  # person 21 died after their observation ended
    died = [d is not None for _, d, _ in PERSONS.values()]
    groups = [c for c, _, _ in PERSONS.values()]
    direct = multivariate_logrank_test(days, groups, died)
    assert found["logrank"]["p"] == pytest.approx(direct.p_value)
    assert found["logrank"]["statistic"] == pytest.approx(direct.test_statistic, abs=1e-4)  # fmt: skip
    assert found["logrank"]["df"] == 2
    by = {c["cluster"]: c for c in found["clusters"]}
    assert by[1]["cox"] == {"hr": 1.0, "ci": None, "p": None, "reference": True}
    assert by[3]["cox"]["hr"] > 1 and by[3]["cox"]["ci"][0] < by[3]["cox"]["hr"]


def test_small_clusters_and_at_risk_counts_are_masked(tiny_duckdb):
    found = profile_clusters(
        tiny_duckdb, Decision.unscoped(tiny_duckdb), "ssc", clusters()
    )
    by = {c["cluster"]: c for c in found["clusters"]}
    assert by[3] == {"cluster": 3, "size": "<10"}  # nothing else of it
    # the sizes add up to the cohort's count: the gate hides another one
    assert by[1] == {"cluster": 1, "size": "*"}
    assert by[2]["size"] == by[2]["table1"]["persons"] == 11
    assert by[2]["km"]["at_risk"] == [11, 10, 10, 0]
    assert by[2]["km"]["survival"][1] == pytest.approx(10 / 11, abs=1e-4)
    # a higher threshold: the persons at risk are suppressed, the curve stops
    found = profile_clusters(
        tiny_duckdb, Decision.unscoped(tiny_duckdb, 11), "ssc", clusters()
    )
    km = found["clusters"][1]["km"]
    assert km["at_risk"] == [11, "<11", "<11", 0]  # at the index date: its size
    assert km["survival"] == [1.0, None, None, None]


def test_distinguishing_features_by_smd(tiny_duckdb):
    ids = list(PERSONS)
    features = pa.table(
        {
            "person_id": ids,
            "dlco": [40.0 + (p % 4) if p <= 20 else 70.0 + (p % 4) for p in ids],
            "ulcers": [p <= 14 or p > 31 for p in ids],
            "calcinosis": [p in (5, 6, 7) for p in ids],
            "scl70": [None if p == 1 else ("yes" if p <= 20 else "no") for p in ids],
        }
    )
    found = profile_clusters(tiny_duckdb, ROWS, "ssc", clusters(), features, top=4)
    first = found["clusters"][0]["features"]
    assert [(f["feature"], f["level"]) for f in first] == [
        ("scl70", "no"),  # every member with it known is "yes", no one else
        ("scl70", "yes"),
        ("dlco", None),
        ("ulcers", None),
    ]
    assert [(f["smd"], f["complete"]) for f in first[:2]] == [(None, True)] * 2
    assert (first[1]["cluster"], first[1]["rest"]) == (1.0, 0.0)  # 19 of 19 known
    dlco = np.array([40.0 + (p % 4) for p in range(1, 21)])
    rest = np.array([70.0 + (p % 4) for p in range(21, 35)])
    pooled = np.sqrt((dlco.var(ddof=1) + rest.var(ddof=1)) / 2)
    assert first[2]["smd"] == pytest.approx((dlco.mean() - rest.mean()) / pooled, abs=1e-4)  # fmt: skip
    p, q = 14 / 20, 3 / 14
    assert first[3]["smd"] == pytest.approx((p - q) / np.sqrt((p * (1 - p) + q * (1 - q)) / 2), abs=1e-4)  # fmt: skip
    # masked: a figure that counts fewer than 10 persons on either side is
    # withheld (6 of the others have no ulcer, 3 have calcinosis, 3 are "no")
    found = profile_clusters(
        tiny_duckdb, Decision.unscoped(tiny_duckdb), "ssc", clusters(), features
    )
    assert [f["feature"] for f in found["clusters"][1]["features"]] == ["dlco"]


def test_bad_input_is_one_line(tiny_duckdb):
    with pytest.raises(CohortNotFoundError, match="no cohort named 'nope'"):
        profile_clusters(tiny_duckdb, ROWS, "nope", clusters())
    stranger = pa.table({"person_id": [1, 99], "cluster": [1, 2]})
    with pytest.raises(ParameterError, match=r"1 person\(s\) of the clusters file are not in cohort 300"):  # fmt: skip
        profile_clusters(tiny_duckdb, ROWS, "ssc", stranger)
    with pytest.raises(ParameterError, match="a single cluster"):
        profile_clusters(tiny_duckdb, ROWS, "ssc", pa.table({"person_id": [1, 2], "cluster": [1, 1]}))  # fmt: skip
    named = pa.table({"person_id": ["a"] * 34, "x": [1.0] * 34})
    with pytest.raises(InputFileError, match="features file's person_id is not an integer"):  # fmt: skip
        profile_clusters(tiny_duckdb, ROWS, "ssc", clusters(), named)
    with pytest.raises(InputFileError, match="lists a person_id twice"):
        profile_clusters(tiny_duckdb, ROWS, "ssc", pa.table({"person_id": [1, 1], "cluster": [1, 2]}))  # fmt: skip
