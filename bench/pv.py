"""Safety signals for one outcome: time of `pv signals` through DuckDB.

A synthetic hospital (no notes) with its planted adverse drug events is
generated, then `entrepot.drugs.signals` is timed for toxidermies (CIM-10
L27.1): disproportionality over every drug, then for each screened drug the
self-controlled case series, the time to onset, and calibration by the
shipped negative controls. Baseline, in the same run: a plain count of
exposures per drug among the cases. Target: 1,000,000 patients in under 2
minutes (generating such a hospital takes far longer than the analysis:
`--warehouse` times a hospital generated before, seed 7 and no notes, as
`entrepot synth -n N --seed 7 --no-notes -w PATH` builds it).

    python bench/pv.py [--patients 2000 | --warehouse PATH] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from entrepot.cohort import ConceptSet
from entrepot.drugs import signals
from entrepot.synth import generate_hospital
from entrepot.warehouse import Warehouse

OUTCOME = ConceptSet(items=[{"vocabulary": "CIM10", "code": "L27.1"}])


def exposure_counts(wh) -> int:
    """The baseline: exposures of each drug concept among the persons with
    the outcome (no dates, no models); the number of drugs."""
    co = wh.table("condition_occurrence")
    concept = wh.table("concept")
    code = concept.filter(
        (concept.vocabulary_id == "CIM10") & (concept.concept_code == "L27.1")
    )
    cases = co.semi_join(code, co.condition_concept_id == code.concept_id)
    cases = cases.select("person_id").distinct()
    de = wh.table("drug_exposure").semi_join(cases, "person_id")
    counts = de.group_by("drug_concept_id").aggregate(exposures=de.count())
    return counts.count().to_pyarrow().as_py()


def run(patients: int = 2000, seed: int = 7, warehouse: Path | None = None) -> dict:
    """Times on a generated hospital of `patients`, or on `warehouse`."""
    if warehouse is not None:
        return _timed(str(warehouse))
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "pv.duckdb")
        generate_hospital(path, patients=patients, seed=seed, notes=False, workers=1)
        return _timed(path)


def _timed(path: str) -> dict:
    with Warehouse.open(path, read_only=True) as wh:
        patients = wh.table("person").count().to_pyarrow().as_py()
        load = _load()
        started = time.perf_counter()
        drugs = exposure_counts(wh)
        baseline = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        found = signals(wh, OUTCOME, name="toxidermie")
        seconds = round(time.perf_counter() - started, 3)
    return {
        "patients": patients,
        "cases": found.cases,
        "drugs_among_cases": drugs,
        "drugs_screened": len(found.signals),
        "flagged": sorted(s.atc for s in found.signals if s.signal),
        "calibrated": found.systematic_error is not None,
        "baseline_seconds": baseline,
        "signals_seconds": seconds,
        "ratio": round(seconds / baseline, 1) if baseline else None,
        "load_average": [load, _load()],  # 1-minute load before and after
    }


def _load() -> float | None:
    """The machine's 1-minute load average (Linux), None elsewhere."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--warehouse", type=Path, help="Time this hospital instead.")
    parser.add_argument("--json", type=Path, help="Write the figures here too.")
    args = parser.parse_args(argv)
    figures = run(args.patients, warehouse=args.warehouse)
    print(
        f"{figures['patients']:,} patients, {figures['cases']} cases of L27.1: "
        f"pv signals {figures['signals_seconds']} s ({figures['drugs_screened']} "
        f"drugs screened, flagged {', '.join(figures['flagged']) or 'none'}, "
        f"{'' if figures['calibrated'] else 'not '}calibrated); "
        f"baseline (exposures per drug among cases) {figures['baseline_seconds']} s; "
        f"ratio {figures['ratio']} (load average {figures['load_average'][0]} "
        f"before, {figures['load_average'][1]} after)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
