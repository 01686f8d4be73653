"""Safety signals for one outcome: time of `pv signals` through DuckDB.

A synthetic hospital (no notes) with its planted adverse drug events is
generated, then `entrepot.drugs.signals` is timed for toxidermies (CIM-10
L27.1): disproportionality over every drug, then for each screened drug the
self-controlled case series, the time to onset, and calibration by the
shipped negative controls. Baseline, in the same run: a plain count of
exposures per drug among the cases. Target: 1,000,000 patients in under 2
minutes (generating such a hospital takes far longer than the analysis).

    python bench/pv.py [--patients 2000] [--json out.json]
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


def run(patients: int = 2000, seed: int = 7) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "pv.duckdb")
        generate_hospital(path, patients=patients, seed=seed, notes=False, workers=1)
        with Warehouse.open(path, read_only=True) as wh:
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
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--json", type=Path, help="Write the figures here too.")
    args = parser.parse_args(argv)
    figures = run(args.patients)
    print(
        f"{figures['patients']:,} patients, {figures['cases']} cases of L27.1: "
        f"pv signals {figures['signals_seconds']} s ({figures['drugs_screened']} "
        f"drugs screened, flagged {', '.join(figures['flagged']) or 'none'}, "
        f"{'' if figures['calibrated'] else 'not '}calibrated); "
        f"baseline (exposures per drug among cases) {figures['baseline_seconds']} s; "
        f"ratio {figures['ratio']}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
