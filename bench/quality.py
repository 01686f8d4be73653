"""Data quality checks and characterization on a synthetic hospital.

Generates a hospital (no notes) into a fresh DuckDB warehouse, then times
every check (per family) and every characterization analysis, and a second,
incremental run with nothing changed. Target: all checks and characterization
in under 2 minutes for 100,000 patients (OHDSI's DQD and Achilles, the
baseline, take hours on databases of this size: a published order of
magnitude, not measured here).

    python bench/quality.py [--patients 100000] [--workers 4] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from entrepot.quality import run_checks
from entrepot.quality.characterization import describe
from entrepot.synth import generate_hospital
from entrepot.warehouse import Warehouse

TARGET_SECONDS = 120  # for 100,000 patients


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
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))


if __name__ == "__main__":
    main()
