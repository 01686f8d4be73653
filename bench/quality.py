"""Data quality checks and characterization on a synthetic hospital.

Generates a hospital (no notes) into a fresh DuckDB warehouse, then times
every check (per family) and every characterization analysis, and a second,
incremental run with nothing changed. Target: all checks and characterization
in under 2 minutes for 100,000 patients.

Baseline, measured in the same run: the checks of four families (required
fields, primary keys, ends before starts, events before birth: every table
and field they cover) computed by hand-written DuckDB SQL, one query per
table, on the same file; their counts must equal entrepot's, and the ratio is
entrepot's time for those families over the SQL's (best of 2 each).

    python bench/quality.py [--patients 100000] [--workers 4] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb

from entrepot.quality import run_checks
from entrepot.quality.characterization import describe
from entrepot.synth import generate_hospital
from entrepot.warehouse import Warehouse
from entrepot.warehouse.cdm import cdm_tables

TARGET_SECONDS = 120  # for 100,000 patients
BASELINE_FAMILIES = (
    "required_field",
    "primary_key",
    "end_before_start",
    "before_birth",
)
BIRTH = (
    "(SELECT person_id AS _pid, coalesce(CAST(birth_datetime AS DATE), "
    "make_date(year_of_birth, 1, 1)) AS _birth FROM person)"
)


def baseline_queries(tables: list[str]) -> dict[str, str]:
    """Per table, one plain SQL query: (rows, violating rows) of each check id."""
    queries = {}
    for name in tables:
        spec = cdm_tables()[name]
        dates = [f.name for f in spec.fields if f.datatype == "date"]
        counts = []
        for f in spec.fields:
            if f.required:
                counts.append((f"required_field:{name}.{f.name}", f"{f.name} IS NULL"))
            if f.primary_key:
                counts.append((f"primary_key:{name}.{f.name}", None))
            end = f.name.replace("_start_", "_end_")
            if "_start_" in f.name and f.datatype == "date" and end in dates:
                counts.append((f"end_before_start:{name}.{end}", f"{end} < {f.name}"))
            if (
                f.datatype == "date"
                and name != "person"
                and "person_id" in spec.columns
            ):
                counts.append((f"before_birth:{name}.{f.name}", f"{f.name} < _birth"))
        select = ["count(*) AS rows"] + [
            (
                f"count(*) - count(DISTINCT {cid.split('.')[1]})"
                if where is None
                else f"count(*) FILTER (WHERE {where})"
            )
            + f' AS "{cid}"'
            for cid, where in counts
        ]
        join = (
            f" LEFT JOIN {BIRTH} ON person_id = _pid"
            if any(c.startswith("before_birth") for c, _ in counts)
            else ""
        )
        queries[name] = f"SELECT {', '.join(select)} FROM {name}{join}"
    return queries


def run_baseline(path: str, tables: list[str]) -> tuple[float, dict[str, tuple]]:
    """Seconds and {check id: (rows, violating rows)} of the hand-written SQL."""
    con = duckdb.connect(path, read_only=True)
    try:
        started = time.perf_counter()
        found = {}
        for query in baseline_queries(tables).values():
            cursor = con.execute(query)
            names = [d[0] for d in cursor.description]
            row = cursor.fetchone()
            found |= {n: (row[0], v) for n, v in zip(names[1:], row[1:], strict=True)}
        return time.perf_counter() - started, found
    finally:
        con.close()


def compare_with_baseline(path: str) -> dict:
    """entrepot's four baseline families against the hand-written SQL, best of 2."""
    with Warehouse.open(path, read_only=True) as wh:
        tables = [
            t for t, spec in cdm_tables().items()
            if spec.role == "cdm" and wh.has_table(t) and wh.count(t)
        ]  # fmt: skip
        ours, report = None, None
        for _ in range(2):
            report = run_checks(wh, only=BASELINE_FAMILIES, incremental=False)
            ours = min(ours or report.summary["seconds"], report.summary["seconds"])
    theirs, sql = min(
        (run_baseline(path, tables) for _ in range(2)), key=lambda r: r[0]
    )
    measured = {
        c.id: (c.rows, c.violating_rows)
        for c in report.checks
        if c.status in ("pass", "fail")
    }
    return {
        "families": list(BASELINE_FAMILIES),
        "checks": len(measured),
        "same_counts": measured == {k: v for k, v in sql.items() if k in measured}
        and set(measured) == set(sql),
        "entrepot_seconds": round(ours, 3),
        "sql_seconds": round(theirs, 3),
        "ratio": round(ours / theirs, 2),
    }


def run(patients: int, workers: int = 4, folder: Path | None = None) -> dict:
    """Figures of one full quality run, one characterization, one re-run."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        path = str(Path(tmp) / "bench.duckdb")
        generated = generate_hospital(
            path, patients=patients, seed=1, notes=False, workers=workers
        )
        with Warehouse.open(path) as wh:
            report = run_checks(wh, incremental=True)
            started = time.perf_counter()
            description = describe(wh)
            describe_seconds = time.perf_counter() - started
            again = run_checks(wh, incremental=True)
        baseline = compare_with_baseline(path)
    checks_seconds = report.summary["seconds"]
    total = checks_seconds + describe_seconds
    return {
        "patients": patients,
        "rows": sum(generated.rows.values()),
        "generate_seconds": round(generated.seconds, 2),
        "checks": report.summary["checks"],
        "status": {
            k: report.summary[k] for k in ("pass", "fail", "error", "not_applicable")
        },
        "failing": [c.id for c in report.failing],
        "checks_seconds": round(checks_seconds, 2),
        "seconds_by_family": report.summary["seconds_by_family"],
        "describe_seconds": round(describe_seconds, 2),
        "seconds_by_analysis": {
            a["name"]: a["seconds"] for a in description["analyses"]
        },
        "total_seconds": round(total, 2),
        "incremental_rerun_seconds": round(again.summary["seconds"], 2),
        "target_seconds": TARGET_SECONDS * patients / 100_000,
        "ratio_to_target": round(total / (TARGET_SECONDS * patients / 100_000), 3),
        "baseline": baseline,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    f = run(args.patients, args.workers)
    print(
        f"{f['patients']:,} patients, {f['rows']:,} rows (generated in {f['generate_seconds']} s)"
    )
    print(f"{f['checks']} checks: {f['status']}; failing: {', '.join(f['failing'])}")
    for name, seconds in sorted(f["seconds_by_family"].items(), key=lambda x: -x[1]):
        print(f"  check {name:<30} {seconds:8.2f} s")
    for name, seconds in f["seconds_by_analysis"].items():
        print(f"  describe {name:<27} {seconds:8.2f} s")
    print(
        f"checks {f['checks_seconds']} s + characterization {f['describe_seconds']} s "
        f"= {f['total_seconds']} s; target {f['target_seconds']:.0f} s "
        f"(ratio {f['ratio_to_target']}); incremental re-run {f['incremental_rerun_seconds']} s"
    )
    b = f["baseline"]
    print(
        f"baseline: {b['checks']} checks of {', '.join(b['families'])} by hand-written "
        f"DuckDB SQL {b['sql_seconds']} s, by entrepot {b['entrepot_seconds']} s "
        f"(ratio {b['ratio']}; same counts: {b['same_counts']})"
    )
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))


if __name__ == "__main__":
    main()
