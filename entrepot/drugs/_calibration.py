"""Empirical calibration with negative controls (Schuemie et al., Stat Med
2014; PNAS 2018), as OHDSI's EmpiricalCalibration package does it.

Negative controls are drugs known not to cause the outcome: their true
relative risk is 1, so their estimates show the study's systematic error
(confounding, misclassification, the design's own biases) beside its random
error. The systematic error is taken as normal on the log scale, N(μ, σ²); a
control's estimate θ_i with standard error s_i is then drawn from
N(μ, σ² + s_i²), and μ, σ are fitted by maximum likelihood (profiled: for a
given σ, μ is the mean of the θ_i weighted by 1 / (σ² + s_i²)).

Any estimate (θ, s) of the same design is then calibrated:
- its p-value against the empirical null: z = (θ − μ) / √(σ² + s²),
  p = 2·(1 − Φ(|z|)) (Schuemie 2014);
- its estimate and 95 % CI, the true log RR being the one whose expected
  estimate, θ_true + μ, lies within 1.96·√(σ² + s²) of θ: exp(θ − μ) and
  exp(θ − μ ± 1.96·√(σ² + s²)) (Schuemie 2018, with the error model of
  negative controls alone: the same systematic error at every effect size).

The uncertainty of μ and σ is not carried into the calibrated figures (the
package's MCMC option does that); with few controls the CIs are a little
narrow. Estimates without a finite standard error (no event) are left out.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from entrepot.drugs._intervals import Z95, log_interval
from entrepot.errors import DrugInputError

#: negative controls needed to fit the systematic error
MIN_CONTROLS = 3


@dataclass(frozen=True)
class Calibrated:
    """An estimate (a ratio) calibrated: its point, 95 % CI and p-value."""

    estimate: float
    ci: tuple[float, float]
    p: float


@dataclass(frozen=True)
class SystematicError:
    """The empirical null: systematic error N(mean, sd²) on the log scale."""

    mean: float
    sd: float
    controls: int

    def calibrate(self, log_rr: float, se: float) -> Calibrated:
        """The calibrated ratio, 95 % CI and two-sided p-value of an
        estimate given as its log and standard error."""
        spread = math.sqrt(self.sd**2 + se**2)
        shifted = log_rr - self.mean
        p = math.erfc(abs(shifted) / spread / math.sqrt(2))
        ci = log_interval(shifted, spread, "the calibrated estimate")
        return Calibrated(math.exp(shifted), ci, p)

    def calibrate_lower(self, log_lower: float) -> float:
        """The calibrated lower bound of an estimate with no upper bound (a
        case series where every exposed case fell in the window), given its
        95 % lower bound: shifted by the mean error and lowered by its 95 %
        spread (wider than a calibrated interval of the same bound would be)."""
        return math.exp(log_lower - self.mean - Z95 * self.sd)


def fit_systematic_error(
    estimates: Iterable[tuple[float, float]],
) -> SystematicError:
    """The systematic error of a design, from the negative controls'
    (log RR, standard error) pairs."""
    pairs = np.array(
        [(t, s) for t, s in estimates if math.isfinite(t) and math.isfinite(s)],
        float,
    ).reshape(-1, 2)
    if len(pairs) < MIN_CONTROLS or np.any(pairs[:, 1] <= 0):
        raise DrugInputError(
            f"calibration needs ≥ {MIN_CONTROLS} negative controls with a finite "
            f"standard error > 0: got {len(pairs)}"
        )
    theta, variance = pairs[:, 0], pairs[:, 1] ** 2

    def profile(sd: float) -> tuple[float, float]:
        """μ given σ, and minus the log-likelihood there."""
        total = variance + sd * sd
        mean = float(np.sum(theta / total) / np.sum(1 / total))
        return mean, 0.5 * float(np.sum(np.log(total) + (theta - mean) ** 2 / total))

    from scipy.optimize import minimize_scalar  # imported when fitting only

    widest = float(np.ptp(theta)) + float(np.sqrt(variance.max())) + 1.0
    found = minimize_scalar(
        lambda sd: profile(sd)[1],
        bounds=(0.0, widest),
        method="bounded",
        options={"xatol": 1e-8},
    )
    sd = float(found.x) if profile(found.x)[1] < profile(0.0)[1] else 0.0
    return SystematicError(profile(sd)[0], sd, len(pairs))
