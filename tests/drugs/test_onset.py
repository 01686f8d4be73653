"""Time to onset on simulated onsets and a warehouse with a planted latency."""

import math
from datetime import date

import numpy as np
import pytest

from entrepot.drugs import fit_weibull, onset_days, time_to_onset
from entrepot.errors import DrugInputError
from tests.drugs.simulated import OUTCOME, Rows, day, load
from tests.drugs.test_sccs import TOXIDERMIE

#: the planted latency: Weibull, shape 1.5, scale 14 days (median 11.0 days)
SHAPE, SCALE = 1.5, 14.0


def weibull_days(rng, n: int, shape: float, scale: float) -> np.ndarray:
    """Onsets of a Weibull latency, known to the day."""
    return np.floor(scale * rng.weibull(shape, n)).astype(int)


@pytest.mark.parametrize("shape", [0.6, 1.0, 2.5])
def test_the_weibull_fit_recovers_the_shape_and_median(shape):
    rng = np.random.default_rng(11)
    days = weibull_days(rng, 1000, shape, 14.0)
    days = days[(days >= 1) & (days <= 60)]  # the window truncates: the fit knows
    fit = fit_weibull(days.tolist(), 60, 1)
    assert fit.shape_ci[0] < shape < fit.shape_ci[1]
    assert abs(fit.shape / shape - 1) < 0.2
    median = 14.0 * math.log(2) ** (1 / shape)
    assert abs(fit.median / median - 1) < 0.2
    assert fit.scale_ci[0] < fit.scale < fit.scale_ci[1]


def test_a_weibull_fit_needs_onsets_on_different_days():
    with pytest.raises(DrugInputError, match="needs ≥ 3 onsets"):
        fit_weibull([4, 4, 4, 4], 90)
    with pytest.raises(DrugInputError, match="within 0-30 days"):
        fit_weibull([1, 5, 40], 30)
    with pytest.raises(DrugInputError, match="within 2-30 days"):
        fit_weibull([1, 5, 20], 30, 2)


def simulate(n: int, seed: int = 5) -> tuple[Rows, list[int]]:
    """Cases exposed with a Weibull latency (a refill 20 days after the first
    box, the same episode), cases never exposed, cases exposed after their
    outcome; rows and the onsets within 90 days."""
    rng = np.random.default_rng(seed)
    rows, onsets = Rows(), []
    latency = weibull_days(rng, n, SHAPE, SCALE)
    for pid in range(1, n + 1):
        rows.person.append((pid, 1960, 3))
        start = date(2018, 1, 1)
        rows.observation.append((pid, start, date(2021, 12, 31)))
        t = int(rng.integers(365, 730))
        kind = pid % 5
        if kind < 3:  # exposed, then the outcome
            rows.exposure += [
                (pid, day(start, t), day(start, t + 9)),
                (pid, day(start, t + 30), day(start, t + 39)),
            ]
            event = t + int(latency[pid - 1])
            if event - t <= 90:
                onsets.append(event - t)
        elif kind == 3:  # never exposed
            event = t
        else:  # exposed a year after the outcome
            rows.exposure.append((pid, day(start, t + 365), day(start, t + 370)))
            event = t
        rows.condition.append((pid, OUTCOME, day(start, event)))
    return rows, sorted(onsets)


def test_time_to_onset_recovers_the_planted_latency(tmp_path, new_duckdb):
    wh = new_duckdb(tmp_path / "eds.duckdb")
    rows, onsets = simulate(500)
    load(wh, rows)
    assert onset_days(wh, TOXIDERMIE, "J01CA04", min_days=0) == onsets
    onset = time_to_onset(wh, TOXIDERMIE, "J01C")  # from day 1
    assert onset.days == [d for d in onsets if d >= 1]
    median = SCALE * math.log(2) ** (1 / SHAPE)
    assert abs(onset.median_days / median - 1) < 0.2
    assert abs(onset.weibull.shape / SHAPE - 1) < 0.2
    assert onset.weibull.shape_ci[0] > 1  # a hazard that rises: not constant
    assert abs(onset.weibull.median / median - 1) < 0.2
    found = onset.to_dict()
    assert (found["cases"], found["min_days"], found["max_days"]) == (
        len(onset.days),
        1,
        90,
    )
    same_day = time_to_onset(wh, TOXIDERMIE, "J01CA04", min_days=0, max_days=0)
    assert same_day.days == [d for d in onsets if d == 0]
    assert same_day.to_dict()["weibull"] is None  # all on one day: no fit
    with pytest.raises(DrugInputError, match="0 ≤ first day ≤ last day: 1-0"):
        onset_days(wh, TOXIDERMIE, "J01CA04", max_days=0)
