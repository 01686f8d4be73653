"""A study from its file to its results: population, covariates, learners,
evaluation on the test set, subgroups; and the same evaluation of a fitted
model on another warehouse (external validation).

What leaves goes through the release gate's decision: counts below its
threshold are masked (a subgroup that small shows no figure), and the output
folder is written by `write_outputs`, whose predictions hold the warehouse's
pseudonymous person ids only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import yaml

from entrepot.errors import OutputPathError, StudyError
from entrepot.model._covariates import CovariateMatrix, covariate_matrix
from entrepot.model._evaluate import discrimination, evaluate
from entrepot.model._population import Population, study_population
from entrepot.model._study import LoadedStudy, study_from_data
from entrepot.model._subgroups import subgroup_figures, subgroup_labels, subgroup_rule
from entrepot.model._train import (
    FittedModel,
    fit_learners,
    load_model,
    save_model,
    split_persons,
)
from entrepot.privacy import Decision

STUDY_FILE = "study.yaml"


@dataclass
class StudyRun:
    """A run's results (`results.json`), predictions and model."""

    results: dict
    predictions: pa.Table
    model: FittedModel
    study_text: str

    def write(self, folder: str | Path) -> None:
        """study.yaml, model.joblib, covariates.json, predictions.parquet and
        results.json in `folder`."""
        folder = Path(folder)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / STUDY_FILE).write_text(self.study_text, encoding="utf-8")
            save_model(self.model, folder)
            (folder / "covariates.json").write_text(
                json.dumps(self.model.definitions, indent=1, ensure_ascii=False)
            )
            pq.write_table(self.predictions, folder / "predictions.parquet")
            (folder / "results.json").write_text(
                json.dumps(self.results, indent=1, ensure_ascii=False, default=str)
            )
        except OSError as e:
            raise OutputPathError(f"cannot write {folder}: {e.strerror or e}") from None


def study_data(
    wh, decision: Decision, loaded: LoadedStudy, *, keep: list[str] | None = None
) -> tuple[Population, CovariateMatrix]:
    """A study's labelled persons and their covariates (`keep`: a trained
    model's columns, in its order)."""
    population = study_population(wh, decision, loaded)
    matrix = covariate_matrix(
        wh,
        decision,
        population.index,
        population.person_ids,
        loaded.study.covariates,
        keep=keep,
        source=loaded.source,
    )
    return population, matrix


def train_study(wh, loaded: LoadedStudy, decision: Decision | None = None) -> StudyRun:
    """Fit the study's learners on its training persons, evaluate the
    selected model on its test persons."""
    decision = decision or Decision.unscoped(wh)
    study = loaded.study
    population, matrix = study_data(wh, decision, loaded)
    splits = split_persons(study.split, population.y, population.index_dates)
    train, test = splits == "train", splits == "test"
    if not test.any():
        raise StudyError(f"{loaded.source}: split: no person is left to test on")
    x = matrix.matrix
    model, learners = fit_learners(
        study.learners, x[train], population.y[train], matrix.names, study.split.seed
    )
    model.definitions = matrix.definitions
    scores = model.predict(x)
    apparent = discrimination(population.y[train], scores[train])
    results = _results(wh, decision, loaded, population, matrix, splits, scores, "test")
    results["train"] = {
        "auroc": apparent[0],
        "auprc": apparent[1],
        "brier": round(float(np.mean((scores[train] - population.y[train]) ** 2)), 4),
    }
    results["model"] = _model_figures(model)
    results["learners"] = learners
    return StudyRun(
        results,
        _predictions(population, splits, scores),
        model,
        _study_text(loaded),
    )


def saved_study(wh, folder: Path, decision: Decision):
    """A saved model, its study, and the study's population and covariates in
    this warehouse, computed as the model reads them."""
    model = load_model(folder)
    path = folder / STUDY_FILE
    loaded = LoadedStudy(
        study_from_data(yaml.safe_load(path.read_text(encoding="utf-8")), str(path)),
        str(path),
        folder,
    )
    population, matrix = study_data(wh, decision, loaded, keep=model.names)
    return model, loaded, population, matrix


def validate_model(
    wh, folder: str | Path, decision: Decision | None = None
) -> StudyRun:
    """The model in `folder` evaluated on this warehouse's study population
    (split `external`), its covariates computed as the model reads them."""
    decision = decision or Decision.unscoped(wh)
    model, loaded, population, matrix = saved_study(wh, Path(folder), decision)
    text = Path(loaded.source).read_text(encoding="utf-8")
    scores = model.predict(matrix.matrix)
    splits = np.full(len(scores), "external")
    results = _results(
        wh, decision, loaded, population, matrix, splits, scores, "external"
    )
    results["model"] = _model_figures(model)
    unseen = [n for n, d in matrix.definitions.items() if d.get("analysis") == "unseen"]
    results["model"]["covariates_absent"] = len(unseen)
    return StudyRun(results, _predictions(population, splits, scores), model, text)


def _results(
    wh,
    decision: Decision,
    loaded: LoadedStudy,
    population: Population,
    matrix: CovariateMatrix,
    splits: np.ndarray,
    scores: np.ndarray,
    evaluated: str,
) -> dict:
    study = loaded.study
    y = population.y
    on = splits == evaluated
    figures = evaluate(
        y[on], scores[on], bootstrap=study.bootstrap, seed=study.split.seed
    )
    labels = subgroup_labels(study.subgroups, matrix)
    groups = subgroup_figures(
        y[on], scores[on], {k: v[on] for k, v in labels.items()}, study.subgroups
    )
    figures["calibration"] = _masked_calibration(decision, figures["calibration"])
    return {
        "evaluated": evaluated,
        **figures,
        "subgroups": _masked_groups(decision, groups),
        "subgroup_rule": subgroup_rule(study.subgroups),
        "n": {
            str(s): decision.mask_with_persons(
                {
                    "persons": int((splits == s).sum()),
                    "events": int(y[splits == s].sum()),
                }
            )
            for s in np.unique(splits)
        },
        "attrition": [
            a | {"persons": decision.mask(a["persons"])} for a in population.attrition
        ],
        "study": _study_figures(loaded, population, splits),
        "warehouse": wh.engine,
    }


def _masked_calibration(decision: Decision, found: dict) -> dict:
    curve = []
    for point in found["curve"]:
        shown = decision.mask(point["n"])
        curve.append(
            point
            | {
                "n": shown,
                "observed": point["observed"] if shown == point["n"] else None,
            }
        )
    # E/O and calibration-in-the-large beside a masked count of events would
    # give it back (observed = expected / E/O): hidden with it
    figures = {k: v for k, v in found.items() if k != "curve"}
    shown = decision.mask_fields(figures, {"observed"}, {"e_o", "in_the_large"})
    return shown | {"curve": curve}


def _masked_groups(decision: Decision, groups: dict) -> dict:
    """Groups smaller than the threshold show their masked count only."""
    shown = {}
    for variable, found in groups.items():
        shown[variable] = {}
        for group, figures in found.items():
            shown_counts = decision.mask_with_persons(
                {"persons": figures["n"], "events": figures["events"]}
            )
            counts = {"n": shown_counts["persons"], "events": shown_counts["events"]}
            masked = counts["n"] != figures["n"]
            if masked:
                figures = {k: None for k in figures} | {"flags": []}
            shown[variable][group] = figures | counts | {"masked": masked}
    return shown


def _model_figures(model: FittedModel) -> dict:
    final = model.estimator[-1]
    nonzero = int(np.count_nonzero(final.coef_)) if hasattr(final, "coef_") else None
    return {
        "learner": model.learner,
        "settings": model.settings,
        "cv_auroc": None if model.cv_auroc is None else round(model.cv_auroc, 4),
        "covariates": len(model.names),
        "nonzero": nonzero,
    }


def _study_figures(loaded: LoadedStudy, population: Population, splits) -> dict:
    study = loaded.study
    dates = {}
    for s in np.unique(splits):
        inside = population.index_dates[splits == s]
        dates[str(s)] = [str(inside.min()), str(inside.max())]
    return {
        "name": study.name,
        "description": study.description,
        "source": loaded.source,
        "target": loaded.cohort("target").name,
        "outcome": loaded.cohort("outcome").name,
        "time_at_risk": study.time_at_risk.model_dump(),
        "censoring": study.censoring.model_dump()
        | {"rule": study.censoring.rule(study.time_at_risk)},
        "split": study.split.model_dump(mode="json") | {"rule": study.split.rule()},
        "covariates": study.covariates.model_dump(mode="json"),
        "learners": [learner.name for learner in study.learners],
        "subgroups": study.subgroups.model_dump(mode="json"),
        "dates": dates,
    }


def _predictions(population: Population, splits, scores) -> pa.Table:
    return pa.table(
        {
            "person_id": pa.array(population.person_ids, pa.int64()),
            "split": pa.array(splits.astype(str)),
            "y_true": pa.array(population.y.astype(np.int8)),
            "y_score": pa.array(scores, pa.float64()),
        }
    )


def _study_text(loaded: LoadedStudy) -> str:
    """The study as run: its file's text, with cohorts given by file written
    inline so that the folder alone can be validated elsewhere."""
    data = loaded.study.model_dump(mode="json", exclude_unset=True)
    for which in ("target", "outcome"):
        data[which] = loaded.cohort(which).model_dump(mode="json", exclude_unset=True)
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
