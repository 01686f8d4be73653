"""Empirical calibration on simulated studies with a known systematic error."""

import math

import numpy as np
import pytest

from entrepot.drugs import fit_systematic_error
from entrepot.errors import DrugInputError

#: each drug's estimate is biased by N(0.2, 0.25²) on the log scale
BIAS_MEAN, BIAS_SD = 0.2, 0.25


def studies(rng, truths: np.ndarray, bias_mean=BIAS_MEAN, bias_sd=BIAS_SD):
    """(log RR estimate, standard error) of drugs with these true log RRs."""
    se = rng.uniform(0.05, 0.4, len(truths))
    bias = rng.normal(bias_mean, bias_sd, len(truths))
    return truths + bias + rng.normal(0, se), se


def covered(low, high, truths) -> float:
    return float(np.mean((low <= truths) & (truths <= high)))


def test_calibration_restores_the_coverage_of_confidence_intervals():
    rng = np.random.default_rng(2014)
    controls = studies(rng, np.zeros(50))
    truths = np.log(rng.choice([1.0, 1.5, 2.0, 4.0], 1000))
    theta, se = studies(rng, truths)
    null = fit_systematic_error(zip(*controls, strict=True))
    assert null.controls == 50
    assert abs(null.mean - BIAS_MEAN) < 0.1
    assert abs(null.sd - BIAS_SD) < 0.1
    raw = covered(theta - 1.96 * se, theta + 1.96 * se, truths)
    found = [null.calibrate(t, s) for t, s in zip(theta, se, strict=True)]
    low = np.log([f.ci[0] for f in found])
    high = np.log([f.ci[1] for f in found])
    calibrated = covered(low, high, truths)
    assert raw < 0.75  # 0.69 measured
    assert calibrated >= 0.9
    assert np.all(high - low > 2 * 1.96 * se)  # wider, every one
    point = np.log([f.estimate for f in found])
    assert np.allclose(point, theta - null.mean)  # shifted by the mean bias


def test_calibrated_p_values_of_negative_controls_are_uniform():
    rng = np.random.default_rng(2018)
    null = fit_systematic_error(zip(*studies(rng, np.zeros(50)), strict=True))
    theta, se = studies(rng, np.zeros(2000))
    raw = np.mean(
        np.array(
            [
                math.erfc(abs(t / s) / math.sqrt(2))
                for t, s in zip(theta, se, strict=True)
            ]
        )
        < 0.05
    )
    calibrated = np.mean(
        [null.calibrate(t, s).p < 0.05 for t, s in zip(theta, se, strict=True)]
    )
    assert raw > 0.3
    assert 0.02 < calibrated < 0.1


def test_without_systematic_error_calibration_changes_little():
    rng = np.random.default_rng(1)
    controls = studies(rng, np.zeros(100), bias_mean=0.0, bias_sd=0.0)
    null = fit_systematic_error(zip(*controls, strict=True))
    assert abs(null.mean) < 0.05
    assert null.sd < 0.05
    found = null.calibrate(math.log(2), 0.1)
    assert found.estimate == pytest.approx(2 * math.exp(-null.mean))
    assert found.ci[0] == pytest.approx(2 * math.exp(-null.mean - 1.96 * 0.1), rel=0.02)


def test_calibration_by_hand():
    null = fit_systematic_error(
        [(0.1, 0.1), (0.3, 0.1), (0.2, 0.1), (math.inf, math.inf)]
    )
    assert null.controls == 3
    # equal errors: μ is the mean; σ² the spread beyond the sampling variance
    # (0.02 / 3 − 0.01 < 0, so 0)
    assert null.mean == pytest.approx(0.2)
    assert null.sd == 0.0
    found = null.calibrate(0.2 + 1.959963984540054 * 0.1, 0.1)
    assert found.p == pytest.approx(0.05)
    assert found.ci[0] == pytest.approx(1.0)


def test_calibration_needs_three_controls():
    with pytest.raises(DrugInputError, match="needs ≥ 3 negative controls"):
        fit_systematic_error([(0.1, 0.2), (0.3, math.nan)])


def test_an_interval_of_a_diverging_estimate_is_a_clear_error():
    from entrepot.drugs._intervals import Z95, log_interval

    low, high = log_interval(math.log(2.0), 0.25, "x")
    assert low == pytest.approx(2.0 * math.exp(-Z95 * 0.25))
    assert high == pytest.approx(2.0 * math.exp(Z95 * 0.25))
    for log_ratio, se in ((1.0, math.inf), (1.0, math.nan), (300.0, 1.0), (2.0, 200.0)):
        with pytest.raises(
            DrugInputError, match=r"^the Weibull fit: the estimate diverges"
        ):
            log_interval(log_ratio, se, "the Weibull fit")
