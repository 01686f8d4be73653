"""Prediction models: covariates, training and evaluation of an L1 logistic
regression, timed through DuckDB.

A synthetic hospital (no notes) is generated (not timed), or an existing one
read (`--warehouse`). The study: death within a year of each person's first
hospital stay (every inpatient, so that most patients are in it), the
default covariates (demographics; conditions, drugs, measurements and
visits in 30 and 365 days and all time before the index), the L1 logistic
only. Timed: the covariates built in the engine into a sparse matrix, beside
a pandas pivot of the same events (the tables read into pandas, filtered to
the windows, pivoted to one column per concept) in the same run (`ratio` =
entrepot / pandas); then the whole pipeline (`train_study`: population,
covariates, training with C chosen by 3-fold cross-validation walking the
grid up until AUROC falls, evaluation with 200 bootstrap resamples,
subgroups); `l1_path`: the L1 logistic's settings, path and C. Target: 100,000 patients in under
3 minutes on 2 cores.

    python bench/model.py [--patients 2000] [--warehouse FILE] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp

from entrepot.model import covariate_matrix, study_population, train_study
from entrepot.model._study import LoadedStudy, study_from_data
from entrepot.privacy import Decision
from entrepot.synth import generate_hospital
from entrepot.warehouse import Warehouse

STUDY = {
    "name": "death_after_a_stay",
    "description": "Death within a year of the first hospital stay.",
    "target": {
        "name": "First hospital stay",
        "concept_sets": {"stay": {"items": [{"concept_id": 9201}]}},
        "entry": {"events": [{"visit": {"concept_set": "stay"}}]},
    },
    "outcome": {"name": "Death", "entry": {"events": [{"death": {}}]}},
    "learners": ["l1_logistic"],
    "split": {"test_fraction": 0.25, "seed": 42},
}
#: domain -> (table, concept column, date column), for the pandas baseline
TABLES = {
    "condition": ("condition_occurrence", "condition_concept_id", "condition_start_date"),
    "drug": ("drug_exposure", "drug_concept_id", "drug_exposure_start_date"),
    "measurement": ("measurement", "measurement_concept_id", "measurement_date"),
    "visit": ("visit_occurrence", "visit_concept_id", "visit_start_date"),
}  # fmt: skip
WINDOWS = (30, 365, None)


def pandas_pivot(wh, index: pd.DataFrame) -> tuple[int, int]:
    """The baseline: each table read into pandas, joined to the index dates,
    filtered to each window and pivoted (persons x concepts, presence or
    visit counts), kept sparse; (columns, non-zero cells)."""
    columns = cells = 0
    for domain, (table, concept, day) in TABLES.items():
        events = wh.table(table).select("person_id", concept, day).to_pandas()
        events = events.merge(index, on="person_id")
        before = (
            pd.to_datetime(events["index_date"]) - pd.to_datetime(events[day])
        ).dt.days
        events = events[before >= 0].assign(before=before[before >= 0])
        for window in WINDOWS:
            inside = events if window is None else events[events.before <= window]
            wide = inside.pivot_table(
                index="person_id", columns=concept, values=day, aggfunc="count"
            ).fillna(0)
            if domain != "visit":
                wide = (wide > 0).astype("float64")
            matrix = sp.csr_matrix(wide.to_numpy())
            columns += matrix.shape[1]
            cells += matrix.nnz
    return columns, cells


def run(patients: int = 2000, seed: int = 3, warehouse: str | None = None) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        path = warehouse or str(Path(folder) / "model.duckdb")
        generation = None
        if warehouse is None:
            started = time.perf_counter()
            generate_hospital(
                path, patients=patients, seed=seed, notes=False, workers=2
            )
            generation = round(time.perf_counter() - started, 1)
        loaded = LoadedStudy(study_from_data(STUDY, "bench"), "bench", None)
        with Warehouse.open(path) as wh:
            decision = Decision.unscoped(wh)
            population = study_population(wh, decision, loaded)
            started = time.perf_counter()
            matrix = covariate_matrix(
                wh, decision, population.index, population.person_ids,
                loaded.study.covariates,
            )  # fmt: skip
            covariates = round(time.perf_counter() - started, 2)
            index = population.index.to_pandas()
            started = time.perf_counter()
            pivot_columns, pivot_cells = pandas_pivot(wh, index)
            baseline = round(time.perf_counter() - started, 2)
            started = time.perf_counter()
            found = train_study(wh, loaded, decision)
            pipeline = time.perf_counter() - started
    results = found.results
    return {
        "patients": patients,
        "generation_seconds": generation,
        "persons": len(population.person_ids),
        "events": int(np.sum(population.y)),
        "covariates": len(matrix.names),
        "nonzero": int(matrix.matrix.nnz),
        "covariates_seconds": covariates,
        "pandas_pivot_seconds": baseline,
        "pandas_pivot": {"columns": pivot_columns, "cells": pivot_cells},
        "ratio": round(covariates / max(baseline, 1e-9), 2),
        "pipeline_seconds": round(pipeline, 1),
        "auroc": results["auroc"],
        "auroc_ci": results["auroc_ci"],
        "nonzero_coefficients": results["model"]["nonzero"],
        "l1_path": results["learners"][0]["settings"],
        "target_seconds": 180,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--warehouse", help="An existing hospital (DuckDB file).")
    parser.add_argument("--json", type=Path, help="Write the figures here too.")
    args = parser.parse_args(argv)
    f = run(args.patients, warehouse=args.warehouse)
    print(
        f"{f['patients']:,} patients, {f['persons']:,} persons in the study "
        f"({f['events']:,} deaths within a year): covariates {f['covariates_seconds']} s "
        f"({f['covariates']:,} covariates, {f['nonzero']:,} non-zero cells); pandas "
        f"pivot {f['pandas_pivot_seconds']} s; ratio {f['ratio']}; whole pipeline "
        f"{f['pipeline_seconds']} s (target 180 s), AUROC {f['auroc']}"
    )
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))
    return f


if __name__ == "__main__":
    main()
