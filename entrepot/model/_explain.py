"""Explanations of a trained model: global (permutation importance, SHAP
summary) and for one person's prediction (SHAP values).

The covariates are computed again in the warehouse, inside the caller's
perimeter, as `model validate` computes them. SHAP uses the exact linear
explainer for the L1 logistic (on its scaled covariates, in log-odds) and the
tree explainer for gradient boosting; both against a background sample of the
training persons. What leaves is aggregated over the evaluated persons, or one
person's covariates by name with their contributions, never an identifier.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from entrepot.errors import StudyError
from entrepot.model._run import saved_study
from entrepot.model._train import FittedModel
from entrepot.privacy import Decision

BACKGROUND = 100  # training persons SHAP compares with
SAMPLE = 2_000  # evaluated persons the global explanations are computed on
TOP = 20  # covariates listed
REPEATS = 3  # permutations per covariate


@dataclass
class _Data:
    model: FittedModel
    matrix: object  # sparse, rows in person order
    person_ids: np.ndarray
    split: np.ndarray
    y: np.ndarray


def _load(wh, folder: Path, decision: Decision) -> _Data:
    """The model and the covariates of the study population in this warehouse."""
    model, _, population, matrix = saved_study(wh, folder, decision)
    predicted = pq.read_table(folder / "predictions.parquet").to_pandas()
    split = predicted.set_index("person_id")["split"]
    split = split.reindex(population.person_ids).fillna("").to_numpy()
    return _Data(model, matrix.matrix, population.person_ids, split, population.y)


def _background(data: _Data, rng) -> np.ndarray:
    """Rows of a sample of the training persons (all persons without any)."""
    train = np.flatnonzero(data.split == "train")
    pool = train if len(train) else np.arange(len(data.person_ids))
    return np.sort(rng.choice(pool, min(BACKGROUND, len(pool)), replace=False))


def _explainer(model: FittedModel, background):
    """SHAP's explainer of the pipeline's last step, and the steps before it."""
    import shap

    steps, final = model.estimator[:-1], model.estimator[-1]
    reference = _dense(steps.transform(background))
    if hasattr(final, "coef_"):
        masker = shap.maskers.Independent(reference, max_samples=len(reference))
        return shap.LinearExplainer(final, masker), steps
    return shap.TreeExplainer(final, reference), steps


def _one_thread():
    """OpenMP on one thread: gradient boosting's many small predictions are
    70 times slower with a pool of threads on a busy machine."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(1, user_api="openmp")


def _dense(x) -> np.ndarray:
    return np.asarray(x.toarray() if hasattr(x, "toarray") else x, dtype=float)


def _shap(explainer, steps, rows) -> np.ndarray:
    """SHAP values of `rows`. For scikit-learn's gradient boosting, whose trees
    split on binned values, shap's exact sum can miss the prediction by a
    little: its additivity check is off there."""
    import shap

    x = _dense(steps.transform(rows))
    if isinstance(explainer, shap.TreeExplainer):
        values = explainer.shap_values(x, check_additivity=False)
    else:
        values = explainer.shap_values(x)
    values = values[1] if isinstance(values, list) else values
    return np.asarray(values).reshape(rows.shape[0], -1)


def explain(wh, folder: str | Path, decision: Decision | None = None, seed=0) -> dict:
    """Global explanations on the evaluated persons: each covariate's mean
    |SHAP| (log-odds) and the AUROC lost when it is permuted (None when they
    hold one outcome only), largest first."""
    from sklearn.inspection import permutation_importance

    started = time.perf_counter()
    decision = decision or Decision.unscoped(wh)
    data = _load(wh, Path(folder), decision)
    rng = np.random.default_rng(seed)
    evaluated = np.flatnonzero(np.isin(data.split, ["test", "external"]))
    if not len(evaluated):
        raise StudyError(
            f"{folder}: none of its evaluated persons is in this warehouse"
        )
    rows = np.sort(rng.choice(evaluated, min(SAMPLE, len(evaluated)), replace=False))
    with _one_thread():
        explainer, steps = _explainer(data.model, data.matrix[_background(data, rng)])
        values = _shap(explainer, steps, data.matrix[rows])
        permuted = None  # the AUROC needs both outcomes among the persons
        if len(np.unique(data.y[rows])) == 2:
            permuted = permutation_importance(
                data.model.estimator,
                _dense(data.matrix[rows]),
                data.y[rows],
                scoring="roc_auc",
                n_repeats=REPEATS,
                random_state=seed,
            ).importances_mean
    names = data.model.names
    return {
        "persons": int(len(rows)),
        "background": BACKGROUND,
        "explainer": type(explainer).__name__,
        "shap": _top(names, np.abs(values).mean(axis=0)),
        "permutation": None if permuted is None else _top(names, permuted),
        "seconds": round(time.perf_counter() - started, 2),
    }


def _top(names: list[str], values: np.ndarray) -> list[dict]:
    order = np.argsort(-np.asarray(values), kind="stable")[:TOP]
    return [{"covariate": names[i], "value": round(float(values[i]), 5)} for i in order]


def explain_person(
    wh, folder: str | Path, person: int, decision: Decision | None = None
) -> dict:
    """One person's prediction (a pseudonymous person_id inside the caller's
    perimeter): the risk, the base value and each covariate's SHAP
    contribution (log-odds for the logistic), largest first, by name."""
    decision = decision or Decision.unscoped(wh)
    data = _load(wh, Path(folder), decision)
    at = np.flatnonzero(data.person_ids == person)
    if not len(at):
        raise StudyError(
            f"person {person} is not in the study population within your perimeter"
        )
    rng = np.random.default_rng(0)
    with _one_thread():
        explainer, steps = _explainer(data.model, data.matrix[_background(data, rng)])
        row = data.matrix[at]
        values = _shap(explainer, steps, row)[0]
        risk = float(data.model.predict(row)[0])
    dense = _dense(row)[0]
    definitions = data.model.definitions
    order = [i for i in np.argsort(-np.abs(values), kind="stable")[:TOP] if values[i]]
    rest = float(values.sum() - values[order].sum())
    return {
        "risk": round(risk, 4),
        "base_value": round(float(np.ravel(explainer.expected_value)[-1]), 4),
        "contributions": [
            {
                "covariate": data.model.names[i],
                "label": definitions.get(data.model.names[i], {}).get("concept_name"),
                "value": round(float(dense[i]), 4),
                "shap": round(float(values[i]), 4),
            }
            for i in order
        ],
        "other_covariates": round(rest, 4),  # the sum of the contributions not listed
    }
