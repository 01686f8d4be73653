"""Evaluation against known truth: outcomes drawn from risks we set, so that
a perfectly calibrated model, a too-extreme one and a miscalibrated subgroup
are known; metrics beside scikit-learn's own."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import average_precision_score, brier_score_loss, roc_auc_score

from entrepot.model import evaluate
from entrepot.model._study import Learner, Subgroups
from entrepot.model._subgroups import subgroup_figures
from entrepot.model._train import fit_learners

N = 20_000


@pytest.fixture(scope="module")
def drawn():
    """True log-odds -2 + 1.0 x1 - 0.5 x2 + 0.8 x3 (x3 binary); outcomes drawn."""
    rng = np.random.default_rng(0)
    x = np.column_stack(
        [rng.normal(size=N), rng.normal(size=N), rng.random(N) < 0.3]
    ).astype(float)
    logit = -2 + x @ np.array([1.0, -0.5, 0.8])
    p = 1 / (1 + np.exp(-logit))
    y = (rng.random(N) < p).astype(int)
    return x, p, y


def test_metrics_are_scikit_learns(drawn):
    _, p, y = drawn
    found = evaluate(y, p, bootstrap=50)
    assert found["auroc"] == pytest.approx(roc_auc_score(y, p), abs=1e-4)
    assert found["auprc"] == pytest.approx(average_precision_score(y, p), abs=1e-4)
    assert found["brier"] == pytest.approx(brier_score_loss(y, p), abs=1e-4)
    lo, hi = found["auroc_ci"]
    assert lo < found["auroc"] < hi and hi - lo < 0.03


def test_true_risks_are_calibrated(drawn):
    _, p, y = drawn
    c = evaluate(y, p, bootstrap=10)["calibration"]
    assert c["slope"] == pytest.approx(1.0, abs=0.06)
    assert c["intercept"] == pytest.approx(0.0, abs=0.06)
    assert c["in_the_large"] == pytest.approx(0.0, abs=0.04)
    assert c["e_o"] == pytest.approx(p.sum() / y.sum(), abs=1e-4)
    assert c["e_o"] == pytest.approx(1.0, abs=0.04)
    for point in c["curve"]:
        assert point["observed"] == pytest.approx(point["mean_predicted"], abs=0.03)
    assert sum(point["n"] for point in c["curve"]) == N


def test_too_extreme_risks_have_a_slope_below_one(drawn):
    """Doubling the log-odds: the recalibration slope is one half."""
    _, p, y = drawn
    logit = np.log(p / (1 - p))
    extreme = 1 / (1 + np.exp(-2 * logit))
    c = evaluate(y, extreme, bootstrap=10)["calibration"]
    assert c["slope"] == pytest.approx(0.5, abs=0.04)
    shifted = evaluate(y, 1 / (1 + np.exp(-(logit + 0.5))), bootstrap=10)
    assert shifted["calibration"]["in_the_large"] == pytest.approx(-0.5, abs=0.05)
    assert shifted["calibration"]["e_o"] > 1.2


def test_net_benefit_is_worked_out_by_hand(drawn):
    _, p, y = drawn
    curve = {pt["threshold"]: pt for pt in evaluate(y, p, bootstrap=10)["net_benefit"]}
    t = 0.2
    treated = p >= t
    tp, fp = np.sum(treated & (y == 1)), np.sum(treated & (y == 0))
    assert curve[t]["model"] == pytest.approx(tp / N - fp / N * t / (1 - t), abs=1e-4)
    prevalence = y.mean()
    assert curve[t]["treat_all"] == pytest.approx(
        prevalence - (1 - prevalence) * t / (1 - t), abs=1e-4
    )
    assert curve[t]["model"] > max(curve[t]["treat_all"], 0)


def test_a_subgroup_whose_risks_spread_too_far_is_flagged_by_its_slope(drawn):
    """Group B's log-odds doubled, shifted so that the expected events stay
    the observed ones: E/O stays near 1 (the E/O rule alone misses it), the
    slope is near 0.5 and B is flagged."""
    from scipy.optimize import brentq

    _, p, y = drawn
    group = np.where(np.random.default_rng(2).random(N) < 0.5, "A", "B")
    logit = np.log(p / (1 - p))

    def doubled(shift: float) -> np.ndarray:
        return 1 / (1 + np.exp(-(2 * logit + shift)))

    spread = doubled(brentq(lambda c: doubled(c).sum() - p.sum(), -10, 10))
    shown = np.where(group == "B", spread, p)
    found = subgroup_figures(y, shown, {"group": group.astype(object)}, Subgroups())
    b = found["group"]["B"]["calibration"]
    assert b["slope"] == pytest.approx(0.5, abs=0.05)
    assert abs(b["e_o"] - 1) < 0.2
    assert found["group"]["B"]["flags"] == ["miscalibrated"]
    assert found["group"]["A"]["flags"] == []


def test_a_miscalibrated_subgroup_is_flagged(drawn):
    """Risks halved in group B: B is miscalibrated, A is not; the AUROC of a
    group where the model ranks at random is flagged too."""
    _, p, y = drawn
    rng = np.random.default_rng(1)
    group = np.where(rng.random(N) < 0.5, "A", "B")
    shown = np.where(group == "B", p / 2, p)
    settings = Subgroups()
    found = subgroup_figures(y, shown, {"group": group.astype(object)}, settings)
    assert found["group"]["B"]["flags"] == ["miscalibrated"]
    assert found["group"]["A"]["flags"] == []
    assert found["group"]["B"]["calibration"]["e_o"] == pytest.approx(0.5, abs=0.05)
    noise = np.where(group == "B", rng.random(N), p)
    flagged = subgroup_figures(y, noise, {"group": group.astype(object)}, settings)
    assert "auroc" in flagged["group"]["B"]["flags"]
    assert flagged["group"]["A"]["n"] == int((group == "A").sum())
    assert flagged["group"]["A"]["auroc"] == pytest.approx(
        roc_auc_score(y[group == "A"], p[group == "A"]), abs=1e-4
    )


def test_the_l1_logistic_recovers_the_true_models_auroc(drawn):
    """Trained on half, its AUROC on the other half is within 0.02 of the
    true risks' AUROC there; the log-odds' signs are recovered."""
    import scipy.sparse as sp

    x, p, y = drawn
    half = N // 2
    model, figures = fit_learners(
        [Learner.model_validate("l1_logistic")],
        sp.csr_matrix(x[:half]),
        y[:half],
        ["x1", "x2", "x3"],
        seed=0,
    )
    scores = model.predict(sp.csr_matrix(x[half:]))
    true = roc_auc_score(y[half:], p[half:])
    assert roc_auc_score(y[half:], scores) == pytest.approx(true, abs=0.02)
    assert np.sign(model.estimator[-1].coef_.ravel()).tolist() == [1, -1, 1]
    assert figures[0]["selected"] and figures[0]["cv_auroc"] > 0.7
