"""95 % confidence intervals of ratios estimated on the log scale."""

from __future__ import annotations

import math

from entrepot.errors import DrugInputError

#: The normal quantile of a two-sided 95 % interval.
Z95 = 1.959963984540054
#: A log ratio beyond which an estimate has diverged (a ratio above 1e100).
_DIVERGED = 230.0


def log_interval(log_ratio: float, se: float, what: str) -> tuple[float, float]:
    """The 95 % interval of exp(`log_ratio`) with standard error `se` on the
    log scale; a one-line error naming `what` when the fit diverged (no
    bound: an infinite or undefined standard error, an extreme estimate)."""
    low, high = log_ratio - Z95 * se, log_ratio + Z95 * se
    if (
        not (math.isfinite(low) and math.isfinite(high))
        or max(abs(low), abs(high)) > _DIVERGED
    ):
        raise DrugInputError(
            f"{what}: the estimate diverges (log {log_ratio:.3g} ± {se:.3g}), no interval"
        )
    return math.exp(low), math.exp(high)
