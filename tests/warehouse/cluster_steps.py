"""What the cluster test runs on a warehouse, the same on DuckDB and on a Spark
cluster: load a folder of OMOP files, a cohort, the quality checks and text
processing. Run as a script (`python -m tests.warehouse.cluster_steps URI DIR`),
it prints their answers as one line of JSON."""

from __future__ import annotations

import json
import sys
import time
from datetime import date
from importlib.resources import files
from pathlib import Path

from entrepot.cohort import run_cohort
from entrepot.ingest import load_directory
from entrepot.nlp import run_nlp
from entrepot.quality import run_checks
from entrepot.warehouse import Warehouse
from tests.nlp.test_run import content

TODAY = date(2026, 11, 23)
SETTINGS = ("spark.master", "spark.executor.memory", "spark.sql.shuffle.partitions")
COHORT = files("entrepot.data.cohorts") / "systemic_sclerosis.yaml"


def answers(uri: str, data: Path) -> dict:
    """Create the warehouse at `uri`, run every step on it, and return what each
    found; each step's seconds go to stderr."""
    lap = _laps()
    with Warehouse.create(uri) as wh:
        lap("init")
        loaded = load_directory(wh, data)
        lap("load")
        cohort = run_cohort(wh, COHORT)
        members = wh.table("cohort").to_pyarrow().to_pylist()
        lap("cohort")
        checks = run_checks(wh, today=TODAY, incremental=False)
        lap("quality")
        nlp = run_nlp(wh, workers=1)
        lap("nlp")
        return {
            "loaded": loaded.as_dict(),
            "cohort": {
                "count": cohort.count,
                "entries": cohort.entries,
                "person_days": cohort.person_days,
                "attrition": cohort.attrition,
                "rows": sorted(
                    [
                        r["subject_id"],
                        str(r["cohort_start_date"]),
                        str(r["cohort_end_date"]),
                    ]
                    for r in members
                ),
            },
            "checks": {
                c.id: [c.status, c.violating_rows, c.rows, c.examples]
                for c in checks.checks
            },
            "nlp": nlp,
            "mentions": [list(m) for m in content(wh)],
            "spark": spark_settings(wh) if wh.engine == "spark" else None,
        }


def _laps():
    """A function printing the seconds since its last call (or since now)."""
    last = [time.perf_counter()]

    def lap(step: str) -> None:
        now = time.perf_counter()
        print(f"{step}: {now - last[0]:.1f} s", file=sys.stderr, flush=True)
        last[0] = now

    return lap


def spark_settings(wh) -> dict[str, str]:
    """The settings of the Spark session the warehouse runs on."""
    conf = wh.store.session.conf
    return {key: conf.get(key) for key in SETTINGS}


if __name__ == "__main__":
    print(json.dumps(answers(sys.argv[1], Path(sys.argv[2])), default=str))
