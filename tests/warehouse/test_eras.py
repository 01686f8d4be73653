"""Condition and drug eras built from hand-written rows, worked out by hand,
on each engine; and the `entrepot eras` command."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from entrepot.cli import app
from entrepot.warehouse.eras import ID_BUCKETS, build_eras
from tests.cohort.conftest import write_tables

CONDITION = 100
INGREDIENT, CLINICAL_DRUG, ATC_CLASS, ATC_DRUG = 1125315, 1127433, 21604389, 3000
D = date


def _vocabulary() -> dict[str, pa.Table]:
    """An RxNorm ingredient with a clinical drug below it and an ATC class above
    both (as in Athena), and an ATC 5th-level drug coded as French warehouses do."""
    ids = [CONDITION, INGREDIENT, CLINICAL_DRUG, ATC_CLASS, ATC_DRUG]
    pairs = [(i, i) for i in ids] + [
        (INGREDIENT, CLINICAL_DRUG),
        (ATC_CLASS, INGREDIENT),
        (ATC_CLASS, CLINICAL_DRUG),
    ]
    return {
        "concept": pa.table(
            {
                "concept_id": ids,
                "concept_name": [
                    "X",
                    "acetaminophen",
                    "acetaminophen 500 MG",
                    "N02BE01",
                    "Y",
                ],
                "domain_id": ["Condition", "Drug", "Drug", "Drug", "Drug"],
                "vocabulary_id": ["CIM10", "RxNorm", "RxNorm", "ATC", "ATC"],
                "concept_class_id": [
                    "Code",
                    "Ingredient",
                    "Clinical Drug",
                    "ATC 5th",
                    "ATC 5th",
                ],
                "concept_code": ["X1", "161", "198440", "N02BE01", "Y01"],
                "valid_start_date": [D(1970, 1, 1)] * 5,
                "valid_end_date": [D(2099, 12, 31)] * 5,
            }
        ),  # fmt: skip
        "concept_ancestor": pa.table(
            {
                "ancestor_concept_id": [a for a, _ in pairs],
                "descendant_concept_id": [d for _, d in pairs],
                "min_levels_of_separation": [0] * len(pairs),
                "max_levels_of_separation": [0] * len(pairs),
            }
        ),
    }


def _clinical() -> dict[str, pa.Table]:
    conditions = [  # person, concept, start, end
        (1, CONDITION, D(2020, 1, 1), D(2020, 1, 10)),
        (1, CONDITION, D(2020, 2, 5), None),  # ends the next day, 26 days after
        (1, CONDITION, D(2020, 3, 20), D(2020, 3, 21)),  # 43 days after: a new era
        (2, CONDITION, D(2020, 1, 1), D(2020, 1, 1)),
        (2, 0, D(2020, 1, 1), D(2020, 1, 1)),  # unmapped: no era
    ]
    drugs = [  # person, concept, start, end, days supply
        (1, CLINICAL_DRUG, D(2020, 1, 1), D(2020, 1, 10), None),
        (1, CLINICAL_DRUG, D(2020, 1, 5), D(2020, 1, 15), None),  # overlaps
        (1, CLINICAL_DRUG, D(2020, 2, 1), None, 10),  # 17-day gap: same era
        (1, CLINICAL_DRUG, D(2020, 4, 1), None, None),  # one day, 50 days later
        (1, ATC_DRUG, D(2020, 1, 1), D(2020, 1, 3), None),
        (2, 0, D(2020, 1, 1), D(2020, 1, 2), None),
    ]
    return {
        "condition_occurrence": pa.table(
            {
                "condition_occurrence_id": list(range(1, len(conditions) + 1)),
                "person_id": [c[0] for c in conditions],
                "condition_concept_id": [c[1] for c in conditions],
                "condition_start_date": [c[2] for c in conditions],
                "condition_end_date": pa.array([c[3] for c in conditions], pa.date32()),
                "condition_type_concept_id": [32817] * len(conditions),
            }
        ),
        "drug_exposure": pa.table(
            {
                "drug_exposure_id": list(range(1, len(drugs) + 1)),
                "person_id": [d[0] for d in drugs],
                "drug_concept_id": [d[1] for d in drugs],
                "drug_exposure_start_date": [d[2] for d in drugs],
                "drug_exposure_end_date": pa.array([d[3] for d in drugs], pa.date32()),
                "days_supply": pa.array([d[4] for d in drugs], pa.int64()),
                "drug_type_concept_id": [32838] * len(drugs),
            }
        ),
    }


def _rows(wh, name: str) -> list[tuple]:
    return [tuple(r.values()) for r in wh.table(name).to_pyarrow().to_pylist()]


def test_eras_worked_by_hand(warehouse):
    write_tables(warehouse, _vocabulary() | _clinical())
    assert build_eras(warehouse) == {"condition_era": 3, "drug_era": 3}
    assert sorted(_rows(warehouse, "condition_era")) == [
        (1, 1, CONDITION, D(2020, 1, 1), D(2020, 2, 6), 2),
        (2, 1, CONDITION, D(2020, 3, 20), D(2020, 3, 21), 1),
        (3, 2, CONDITION, D(2020, 1, 1), D(2020, 1, 1), 1),
    ]
    # (id, person, ingredient, start, end, exposures, gap days): the RxNorm drug
    # counts once, for its ingredient, not again for the ATC class above it
    assert sorted(_rows(warehouse, "drug_era")) == [
        (1, 1, ATC_DRUG, D(2020, 1, 1), D(2020, 1, 3), 1, 0),
        (2, 1, INGREDIENT, D(2020, 1, 1), D(2020, 2, 11), 3, 17),
        (3, 1, INGREDIENT, D(2020, 4, 1), D(2020, 4, 2), 1, 0),
    ]
    assert build_eras(warehouse) == {"condition_era": 3, "drug_era": 3}  # replaced


def test_the_eras_command(tmp_path):
    from entrepot.warehouse import Warehouse

    path = tmp_path / "eds.duckdb"
    with Warehouse.create(path, vocabulary=False) as wh:
        write_tables(wh, _vocabulary() | _clinical())
    done = CliRunner().invoke(app, ["eras", "--warehouse", str(path), "--json"])
    assert done.exit_code == 0, done.output
    assert json.loads(done.output) == {"condition_era": 3, "drug_era": 3}


def test_era_ids_are_numbered_in_buckets_of_persons(warehouse):
    """Ids 1..N in (person bucket, person, concept, start) order, on each
    engine alike, without a window over every row; the same after a rebuild."""
    persons = range(1, 151)  # more persons than buckets
    starts = [D(2020, 1, 1), D(2021, 6, 1)]  # far apart: two eras each
    rows = [(p, s) for p in persons for s in starts]
    write_tables(
        warehouse,
        _vocabulary()
        | {
            "condition_occurrence": pa.table(
                {
                    "condition_occurrence_id": list(range(1, len(rows) + 1)),
                    "person_id": [p for p, _ in rows],
                    "condition_concept_id": [CONDITION] * len(rows),
                    "condition_start_date": [s for _, s in rows],
                    "condition_type_concept_id": [32817] * len(rows),
                }
            )
        },
    )
    build_eras(warehouse)
    ids = {(r[1], r[3]): r[0] for r in _rows(warehouse, "condition_era")}
    ordered = sorted(ids, key=lambda k: (k[0] % ID_BUCKETS, k[0], k[1]))
    assert [ids[k] for k in ordered] == list(range(1, len(rows) + 1))
    build_eras(warehouse)
    assert {(r[1], r[3]): r[0] for r in _rows(warehouse, "condition_era")} == ids


SPARK_LOGS = """
import os, sys
from entrepot.warehouse import Warehouse
from entrepot.warehouse._spark import spark_session
from entrepot.warehouse.eras import ID_BUCKETS, build_eras
from tests.cohort.conftest import write_tables
from tests.warehouse.test_eras import _clinical, _vocabulary

def level(session):
    jvm = session.sparkContext._jvm
    return jvm.org.apache.logging.log4j.LogManager.getRootLogger().getLevel().name()

session = spark_session("local[1]")
print(level(session), flush=True)
session.stop()
os.environ["ENTREPOT_SPARK_LOG_LEVEL"] = "WARN"
session = spark_session("local[1]")
print(level(session), flush=True)
with Warehouse.create("spark:" + sys.argv[1], vocabulary=False) as wh:
    write_tables(wh, _vocabulary() | _clinical())
    print(build_eras(wh), flush=True)
"""


@pytest.mark.spark
def test_spark_logs_follow_the_variable_and_eras_warn_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "ENTREPOT_SPARK_LOG_LEVEL"}
    done = subprocess.run(
        [sys.executable, "-c", SPARK_LOGS, str(tmp_path / "eds")],
        capture_output=True,
        text=True,
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "ERROR",  # by default
        "WARN",  # ENTREPOT_SPARK_LOG_LEVEL=WARN
        "{'condition_era': 3, 'drug_era': 3}",
    ]
    assert "No Partition Defined for Window operation" not in done.stderr
