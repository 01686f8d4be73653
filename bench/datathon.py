"""Datathon set-up: teams on one shared synthetic hospital, against one
hospital per team.

Times `create_datathon` (the hospital, the task's labels, the cut-off at the
index dates, one project and login per team, their files) and, in the same
run, one generation of the same hospital alone: the baseline of one hospital
per team is that generation times the number of teams (extrapolated, not
run N times). Target (issue 21): 30 teams on a shared 10,000-patient hospital
ready in under 5 minutes on 2 cores: `--full`.

    python bench/datathon.py [--patients 1000] [--teams 30] [--full] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from entrepot.datathon import create_datathon, load_task
from entrepot.synth import generate_hospital

TASK = "heart_failure_mortality"
TARGET_SECONDS = 300


def run(patients: int, teams: int, workers: int = 2) -> dict:
    """Seconds for a shared datathon, and for one hospital of the same size."""
    enrich = load_task(TASK).hospital.enrich
    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        made = create_datathon(
            Path(tmp) / "dt",
            TASK,
            teams=teams,
            seed=1,
            patients=patients,
            workers=workers,
        )
        shared = time.perf_counter() - start
        to_predict = (Path(made.teams[0]["folder"]) / "to_predict.csv").read_text()
        start = time.perf_counter()
        generate_hospital(
            str(Path(tmp) / "one.duckdb"),
            patients=patients,
            seed=1,
            enrich=enrich,
            workers=workers,
        )
        one = time.perf_counter() - start
    per_team = one * teams
    return {
        "task": TASK,
        "patients": patients,
        "teams": teams,
        "workers": workers,
        "cohort": to_predict.count("\n") - 1,
        "shared_seconds": round(shared, 1),
        "one_hospital_seconds": round(one, 1),
        "per_team_seconds_extrapolated": round(per_team, 1),
        "ratio": round(per_team / shared, 1),
        "target_seconds": TARGET_SECONDS if (patients, teams) == (10_000, 30) else None,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--teams", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--full", action="store_true", help="10,000 patients, 30 teams")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    patients, teams = (10_000, 30) if args.full else (args.patients, args.teams)
    f = run(patients, teams, args.workers)
    print(
        f"{f['teams']} teams on a shared {f['patients']:,}-patient hospital "
        f"({f['cohort']} patients to predict): {f['shared_seconds']} s"
        + (f" (target {f['target_seconds']} s)" if f["target_seconds"] else "")
    )
    print(
        f"one hospital per team: {f['one_hospital_seconds']} s x {f['teams']} = "
        f"{f['per_team_seconds_extrapolated']} s (extrapolated); ratio {f['ratio']}x"
    )
    if args.json:
        args.json.write_text(json.dumps(f, indent=1) + "\n")
    return f


if __name__ == "__main__":
    main()
