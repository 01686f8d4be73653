"""Splitting the study population and fitting the learners.

Each learner is fitted on the training persons; its hyper-parameter (the L1
logistic's C) or its skill (gradient boosting) is scored by cross-validated
AUROC on them, and the learner with the best score is the study's model: the
test set is never used to choose.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from entrepot.errors import StudyError
from entrepot.model._study import GradientBoosting, L1Logistic, Learner, Split

MODEL_FILE = "model.joblib"


@dataclass
class FittedModel:
    """The fitted estimator (a scikit-learn pipeline taking the sparse
    covariate matrix), the covariates it reads in order, and how it was chosen."""

    estimator: object
    names: list[str]
    learner: str
    settings: dict
    cv_auroc: float | None  # None: too few events to cross-validate
    definitions: dict[str, dict] = field(default_factory=dict)

    def predict(self, matrix) -> np.ndarray:
        """The predicted risk of each row of a covariate matrix with `names`."""
        return self.estimator.predict_proba(matrix)[:, 1]


def load_model(folder: str | Path) -> FittedModel:
    """The model `entrepot model train --out FOLDER` wrote."""
    import joblib

    path = Path(folder) / MODEL_FILE
    if not path.is_file():
        raise StudyError(f"{folder}: no {MODEL_FILE} (not a model's folder)")
    return joblib.load(path)


def save_model(model: FittedModel, folder: Path) -> None:
    import joblib

    joblib.dump(model, folder / MODEL_FILE)


def split_persons(split: Split, y: np.ndarray, index_dates: np.ndarray) -> np.ndarray:
    """Each person's split: "train", "test", or "unused" (both rules given:
    earlier persons held out, later ones not)."""
    n = len(y)
    held = np.zeros(n, dtype=bool)
    if split.test_fraction is not None:
        from sklearn.model_selection import train_test_split

        stratify = y if np.bincount(y, minlength=2).min() >= 2 else None
        _, test = train_test_split(
            np.arange(n),
            test_size=split.test_fraction,
            random_state=split.seed,
            stratify=stratify,
        )
        held[test] = True
    if split.test_from is None:
        return np.where(held, "test", "train")
    later = index_dates >= np.datetime64(split.test_from)
    if split.test_fraction is None:
        return np.where(later, "test", "train")
    return np.select([later & held, ~later & ~held], ["test", "train"], "unused")


def fit_learners(
    learners: list[Learner], x, y: np.ndarray, names: list[str], seed: int
) -> tuple[FittedModel, list[dict]]:
    """Every learner fitted on (x, y); the best by cross-validated AUROC, and
    each one's figures."""
    if len(np.unique(y)) < 2:
        raise StudyError("the training set holds one class only: nothing to learn")
    fitted = [_fit(learner, x, y, names, seed) for learner in learners]
    best = max(fitted, key=lambda m: -np.inf if m.cv_auroc is None else m.cv_auroc)
    figures = [
        {
            "learner": m.learner,
            "settings": m.settings,
            "cv_auroc": None if m.cv_auroc is None else round(m.cv_auroc, 4),
            "selected": m is best,
        }
        for m in fitted
    ]
    return best, figures


def _folds(k: int, y: np.ndarray, seed: int):
    """Stratified folds, fewer when a class is rare; None when a class has
    fewer than two persons (nothing to cross-validate)."""
    from sklearn.model_selection import StratifiedKFold

    k = min(k, int(np.bincount(y).min()))
    return StratifiedKFold(k, shuffle=True, random_state=seed) if k >= 2 else None


def _fit(learner: Learner, x, y, names, seed) -> FittedModel:
    settings = learner.settings
    if isinstance(settings, L1Logistic):
        return _l1_logistic(settings, x, y, names, seed)
    return _boosting(settings, x, y, names, seed)


def _l1_logistic(settings: L1Logistic, x, y, names, seed) -> FittedModel:
    """Covariates scaled by their standard deviation, not centred (sparse
    stays sparse; scaled by their largest value instead, continuous ones such
    as age need coefficients the penalty shrinks away), then an L1 logistic
    regression with C chosen by cross-validated AUROC along the grid from the
    smallest C (`_l1_path`)."""
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.utils import check_array

    folds = _folds(settings.folds, y, seed)
    chosen = settings.model_dump()
    if folds is None:  # too few events to choose: the middle C
        c, cv = float(np.median(settings.cs)), None
    else:
        scaled = StandardScaler(with_mean=False).fit_transform(x)
        scaled = check_array(scaled, accept_sparse="csr", dtype=np.float64)
        c, cv, path = _l1_path(settings.cs, scaled, y, list(folds.split(x, y)), seed)
        chosen |= path
    pipeline = make_pipeline(StandardScaler(with_mean=False), _liblinear(c, seed))
    pipeline.fit(x, y)
    return FittedModel(pipeline, names, "l1_logistic", chosen | {"C": c}, cv)


def _l1_path(cs: list[float], x, y, parts, seed) -> tuple[float, float, dict]:
    """C chosen by mean cross-validated AUROC, walking the grid from the
    smallest C (the cheapest fits) and stopping at the first C whose AUROC is
    below the best so far: the choice of the whole grid whenever AUROC is
    unimodal in C. Each fit and score is LogisticRegressionCV's (its folds,
    its seed for each position in the grid, the first best C), so the model
    is too. (C, its AUROC, the path's figures for the settings)."""
    from sklearn.metrics import get_scorer

    auroc = get_scorer("roc_auc")
    scores = np.full((len(parts), len(cs)), np.nan)
    best, stopped = -np.inf, None
    for k in np.argsort(cs, kind="stable"):
        scores[:, k] = [
            auroc(_liblinear(cs[k], seed, k).fit(x[train], y[train]), x[test], y[test])
            for train, test in parts
        ]
        mean = float(scores[:, k].mean())
        if mean < best:
            stopped = cs[k]
            break
        best = mean
    tried = ~np.isnan(scores[0])
    k = int(np.argmax(np.where(tried, scores.sum(axis=0), -np.inf)))
    means = scores.mean(axis=0)
    figures = {
        "path": "the whole grid (AUROC did not fall)"
        if stopped is None
        else f"stopped at C={stopped} (AUROC fell)",
        "cv_aurocs": {
            str(c): round(float(m), 4)
            for c, m in zip(cs, means, strict=True)
            if np.isfinite(m)
        },
    }
    return float(cs[k]), float(np.nanmax(means)), figures


def _liblinear(c: float, seed: int, position: int = 0):
    """The L1 logistic regression LogisticRegressionCV fits for the C at
    `position` in its grid: its generator, seeded once for the whole grid,
    gives liblinear one draw per C in turn."""
    from sklearn.linear_model import LogisticRegression

    state = seed
    if position:
        state = np.random.RandomState(seed)
        for _ in range(position):
            state.randint(np.iinfo("i").max)
    return LogisticRegression(C=c, l1_ratio=1.0, solver="liblinear", random_state=state)


def _boosting(settings: GradientBoosting, x, y, names, seed) -> FittedModel:
    """scikit-learn's histogram gradient boosting, on the dense matrix: the
    folds' fits and the final one, which does not depend on them, at once."""
    from joblib import Parallel, delayed
    from sklearn.base import clone
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.metrics import get_scorer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    model = HistGradientBoostingClassifier(
        max_iter=settings.max_iter,
        learning_rate=settings.learning_rate,
        max_leaf_nodes=settings.max_leaf_nodes,
        random_state=seed,
    )
    pipeline = make_pipeline(FunctionTransformer(_dense, accept_sparse=True), model)
    folds = _folds(settings.folds, y, seed)
    parts = [] if folds is None else list(folds.split(x, y))
    everyone = np.arange(len(y))
    fits = Parallel(n_jobs=settings.jobs, backend="threading")(
        delayed(_fit_part)(clone(pipeline), x, y, train, settings.threads)
        for train in [everyone] + [train for train, _ in parts]
    )
    auroc = get_scorer("roc_auc")  # as cross_val_score scores
    scores = [
        auroc(fitted, x[test], y[test])
        for fitted, (_, test) in zip(fits[1:], parts, strict=True)
    ]
    return FittedModel(
        fits[0],
        names,
        "gradient_boosting",
        settings.model_dump(),
        float(np.nanmean(scores)) if scores else None,
    )


def _fit_part(pipeline, x, y, rows: np.ndarray, threads: int):
    """The pipeline fitted on some rows, with `threads` OpenMP threads (the
    limit holds for the calling thread)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(threads, user_api="openmp"):
        return pipeline.fit(x[rows], y[rows])


def _dense(x):
    """A sparse matrix as a dense float32 array (gradient boosting's input)."""
    return x.toarray().astype(np.float32) if hasattr(x, "toarray") else x
