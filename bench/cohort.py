"""Cohort generation: entrepot's compiler vs OHDSI Circe's SQL (circepy), same file.

Each representative definition (Circe JSON over the bundled vocabulary) runs
twice on the same synthetic DuckDB warehouse in the same run: through
`entrepot.cohort.run_cohort` (written to results.cohort, attrition included)
and through the SQL that `ohdsi-circepy` generates, translated to DuckDB.
Both must give the same rows. entrepot keeps the SQL that Ibis compiles for a
definition per connection, as circepy's SQL is built once and run: `ratio` is
entrepot's best time (run and write cohort and attrition) over the best
execution of Circe's SQL (target <= 1.0, and under 1 s per 100,000 patients for
a typical definition). With compilation: `ratio_first` is entrepot's first run
of a definition (build and compile included) over Circe's execution, and
`ratio_end_to_end` that first run over circepy's build and execution.

    python bench/cohort.py [--patients 100000] [--repeat 3] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from entrepot.cohort import run_cohort
from entrepot.cohort._files import definition_from_data
from entrepot.warehouse import Warehouse
from entrepot.warehouse.vocabulary import local_concept_id

CIRCE_TABLE = "results.circe_cohort"  # persistent, as entrepot's results


def circe_sql(expression: dict, cohort_id: int = 1) -> list[str]:
    """The statements circepy generates for a Circe expression, for DuckDB."""
    from circe.api import build_cohort_query, cohort_expression_from_json
    from circe.cohortdefinition import BuildExpressionQueryOptions
    from circe.sqlrender import render, split_sql, translate

    options = BuildExpressionQueryOptions()
    options.cdm_schema = options.vocabulary_schema = options.result_schema = "main"
    options.target_table = CIRCE_TABLE
    options.cohort_id = cohort_id
    sql = build_cohort_query(
        cohort_expression_from_json(json.dumps(expression)), options
    )
    return split_sql(translate(render(sql), "duckdb"))


def run_circe(wh: Warehouse, statements: list[str]) -> None:
    """Run Circe's statements on the warehouse's DuckDB connection (reference SQL:
    benchmarks and tests only), into a persistent table beside entrepot's."""
    con = wh.con.con
    con.execute("CREATE SCHEMA IF NOT EXISTS results")
    con.execute(
        f"CREATE TABLE IF NOT EXISTS {CIRCE_TABLE} (cohort_definition_id BIGINT,"
        " subject_id BIGINT, cohort_start_date DATE, cohort_end_date DATE)"
    )
    for statement in statements:
        con.execute(statement)


def circe_rows(wh: Warehouse, cohort_id: int) -> list[tuple]:
    """The rows Circe's SQL wrote for a cohort, sorted."""
    return wh.con.con.execute(
        f"SELECT subject_id, cohort_start_date, cohort_end_date FROM {CIRCE_TABLE}"
        " WHERE cohort_definition_id = ? ORDER BY 1, 2, 3",
        [cohort_id],
    ).fetchall()


def entrepot_rows(wh: Warehouse, cohort_id: int) -> list[tuple]:
    """The rows entrepot wrote for a cohort, sorted."""
    cohort = wh.store.table("results", "cohort")
    mine = cohort.filter(cohort.cohort_definition_id == cohort_id)
    rows = mine.select("subject_id", "cohort_start_date", "cohort_end_date")
    return sorted(tuple(r.values()) for r in rows.to_pyarrow().to_pylist())


def _codes(vocabulary: str, *codes: str, descendants: bool = True) -> dict:
    return {
        "items": [
            {
                "concept": {"CONCEPT_ID": local_concept_id(vocabulary, c)},
                "includeDescendants": descendants,
            }
            for c in codes
        ]
    }


def _set(i: int, vocabulary: str, *codes: str) -> dict:
    return {"id": i, "name": f"set {i}", "expression": _codes(vocabulary, *codes)}


def _primary(kind: str, codeset: int, limit: str = "All", **more) -> dict:
    return {
        "CriteriaList": [{kind: {"CodesetId": codeset, **more}}],
        "ObservationWindow": {"PriorDays": 0, "PostDays": 0},
        "PrimaryCriteriaLimit": {"Type": limit},
    }


def _window(before: int, after: int) -> dict:
    return {"Start": {"Days": before, "Coeff": -1}, "End": {"Days": after, "Coeff": 1}}


IMMUNOSUPPRESSANTS = _set(0, "ATC", "L04AX01", "L04AA06")
DEFINITIONS: dict[str, dict] = {
    "first diagnosis (systemic sclerosis)": {
        "ConceptSets": [_set(0, "CIM10", "M34")],
        "PrimaryCriteria": _primary("ConditionOccurrence", 0, "First", First=True),
    },
    "drug era exit (immunosuppressants, 30-day gap)": {
        "ConceptSets": [IMMUNOSUPPRESSANTS],
        "PrimaryCriteria": _primary("DrugExposure", 0),
        "EndStrategy": {"CustomEra": {"DrugCodesetId": 0, "GapDays": 30, "Offset": 0}},
        "CollapseSettings": {"CollapseType": "ERA", "EraPad": 0},
    },
    "inclusion rules (COVID-19 on immunosuppressants, adults)": {
        "ConceptSets": [_set(0, "CIM10", "U07.1"), _set(1, "ATC", "L04", "L01BA01")],
        "PrimaryCriteria": _primary("ConditionOccurrence", 0, "First"),
        "InclusionRules": [
            {
                "name": "immunosuppressant in the year before",
                "expression": {
                    "Type": "ALL",
                    "CriteriaList": [
                        {
                            "Criteria": {"DrugExposure": {"CodesetId": 1}},
                            "StartWindow": _window(365, 0),
                            "Occurrence": {"Type": 2, "Count": 1},
                        }
                    ],
                },
            },
            {
                "name": "adult",
                "expression": {
                    "Type": "ALL",
                    "DemographicCriteriaList": [{"Age": {"Value": 18, "Op": "gte"}}],
                },
            },
        ],
        "EndStrategy": {"DateOffset": {"DateField": "StartDate", "Offset": 30}},
    },
    "all events, censoring, era pad (skin reactions since 2015)": {
        "ConceptSets": [
            _set(0, "CIM10", "L27.0", "L27.1", "L51.1", "L51.2"),
            _set(1, "CIM10", "M34"),
        ],
        "PrimaryCriteria": _primary(
            "ConditionOccurrence",
            0,
            "All",
            OccurrenceStartDate={"Value": "2015-01-01", "Op": "gte"},
        ),
        "EndStrategy": {"DateOffset": {"DateField": "EndDate", "Offset": 90}},
        "CensoringCriteria": [{"ConditionOccurrence": {"CodesetId": 1}}],
        "CollapseSettings": {"CollapseType": "ERA", "EraPad": 30},
    },
}


def compare(
    wh: Warehouse, name: str, expression: dict, cohort_id: int, repeat: int = 1
) -> dict:
    """Both routes on one definition: rows checked equal, best times kept."""
    definition = definition_from_data(expression, name, default_name=name)
    ours, theirs, build = float("inf"), float("inf"), float("inf")
    first = None
    for _ in range(repeat):
        started = time.perf_counter()
        statements = circe_sql(expression, cohort_id)
        build = min(build, time.perf_counter() - started)
        started = time.perf_counter()
        result = run_cohort(wh, definition, cohort_id=cohort_id)
        ours = min(ours, time.perf_counter() - started)
        first = time.perf_counter() - started if first is None else first
        started = time.perf_counter()
        run_circe(wh, statements)
        theirs = min(theirs, time.perf_counter() - started)
    same = entrepot_rows(wh, cohort_id) == circe_rows(wh, cohort_id)
    return {
        "definition": name,
        "persons": result.count,
        "entries": result.entries,
        "identical": same,
        "entrepot_seconds": round(ours, 4),
        "entrepot_first_seconds": round(first, 4),  # SQL not yet compiled
        "circe_seconds": round(theirs, 4),
        "circe_build_seconds": round(build, 4),
        "ratio": round(ours / theirs, 3),
        "ratio_first": round(first / theirs, 3),
        "ratio_end_to_end": round(first / (theirs + build), 3),
    }


def _warm_up(wh: Warehouse) -> None:
    """One generation outside the figures: Python's lazy imports and first
    compilations are not any definition's cost (its cohort is then deleted)."""
    from entrepot.cohort import delete_cohort

    expression = {
        "ConceptSets": [_set(0, "CIM10", "L27.0")],
        "PrimaryCriteria": _primary("ConditionOccurrence", 0, "First"),
    }
    definition = definition_from_data(expression, "warm-up", default_name="warm-up")
    run_cohort(wh, definition, cohort_id=999)
    delete_cohort(wh, 999)
    circe_sql(expression, 999)


def warehouse_path(folder: Path, patients: int) -> Path:
    """Where the synthetic hospital of that size lives in `folder`."""
    return folder / f"bench-cohort-{patients}.duckdb"


def run(
    patients: int = 10_000, repeat: int = 3, seed: int = 7, folder: Path | None = None
) -> dict:
    """Build a synthetic hospital (or reuse one in `folder`), then time every definition."""
    from entrepot.synth import generate_hospital

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(folder or scratch)
        path = warehouse_path(folder, patients)
        if not path.exists():
            generate_hospital(str(path), patients=patients, seed=seed, notes=False)
        with Warehouse.open(path) as wh:
            _warm_up(wh)
            rows = [
                compare(wh, name, expression, i, repeat)
                for i, (name, expression) in enumerate(DEFINITIONS.items(), 1)
            ]
    return {
        "patients": patients,
        "definitions": rows,
        "all_identical": all(r["identical"] for r in rows),
        "max_ratio": max(r["ratio"] for r in rows),
        "max_ratio_end_to_end": max(r["ratio_end_to_end"] for r in rows),
        "median_seconds": sorted(r["entrepot_seconds"] for r in rows)[len(rows) // 2],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path, help="keep the warehouse here")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    figures = run(args.patients, args.repeat, folder=args.folder)
    for r in figures["definitions"]:
        print(
            f"{r['definition']:<62} {r['persons']:>7,} persons "
            f"{r['entrepot_seconds']:>7.3f} s vs Circe {r['circe_seconds']:>7.3f} s"
            f" (+{r['circe_build_seconds']:.3f} s to build its SQL)"
            f"  ratio {r['ratio']:.2f}; first run {r['entrepot_first_seconds']:.3f} s:"
            f" {r['ratio_first']:.2f} ({r['ratio_end_to_end']:.2f} end to end)"
            f"  identical: {r['identical']}"
        )
    print(
        f"median {figures['median_seconds']} s at {figures['patients']:,} patients; "
        f"worst ratio {figures['max_ratio']} "
        f"({figures['max_ratio_end_to_end']} end to end)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
