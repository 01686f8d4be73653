"""Conditional Poisson fits whose nuisance covariates diverge: taken to their
limit, the estimates are those of the likelihood without the rows they push
to probability 0, and those of Newton's method run all the way."""

from __future__ import annotations

import numpy as np
import pytest

from entrepot.cohort import ConceptSet
from entrepot.drugs import NEGATIVE_CONTROLS, _conditional, disproportionality
from entrepot.drugs._conditional import (
    fit_conditional_poisson,
    fit_with_limits,
    log_likelihood,
)
from entrepot.drugs._sccs import DEFAULT_WINDOWS, fit_intervals, sccs_intervals_each
from entrepot.errors import DrugInputError
from entrepot.warehouse import Warehouse


def _strata(rng, n: int):
    """`n` strata of 6 rows: a window (rows 1-2), a nuisance level A (rows
    2-3), a level B (rows 4-5), one event each. Level A's events fall only in
    strata all in A (β_A → −∞: its rows elsewhere leave); in the others no
    event falls in A."""
    strata, x, days, events = [], [], [], []
    for s in range(n):
        window = np.array([0, 1, 1, 0, 0, 0])
        a = np.array([0, 0, 1, 1, 0, 0])
        b = np.array([0, 0, 0, 0, 1, 1])
        if s % 5 == 0:  # all in A: A carries no information here
            a = np.ones(6, int)
            b = np.zeros(6, int)
        y = np.zeros(6, int)
        y[rng.choice([0, 1, 4, 5] if s % 5 else [0, 2, 3])] = 1
        strata += [s] * 6
        x.append(np.column_stack([window, a, b]))
        days.append(rng.integers(5, 60, 6))
        events.append(y)
    return (
        np.array(strata),
        np.vstack(x).astype(float),
        np.concatenate(days).astype(float),
        np.concatenate(events),
    )


def test_a_nuisance_column_with_no_event_where_it_varies_leaves_exactly():
    strata, x, days, events = _strata(np.random.default_rng(3), 60)
    varies_a = np.repeat(np.arange(60) % 5 != 0, 6)
    assert events[varies_a & (x[:, 1] > 0)].sum() == 0  # β_A's MLE is −∞
    fit = fit_with_limits(strata, x, days, events, [0])
    assert fit.columns == [0, 2] and fit.unbounded == []
    kept = ~(varies_a & (x[:, 1] > 0))  # by hand: level A's rows leave
    beta, cov, _ = fit_conditional_poisson(
        strata[kept], x[kept][:, [0, 2]], days[kept], events[kept]
    )
    assert fit.beta == pytest.approx(beta, rel=1e-12)
    assert fit.cov == pytest.approx(cov, rel=1e-12)
    # Newton's method on every row pushes β_A down and gives the same
    newton, newton_cov, _ = fit_conditional_poisson(strata, x, days, events)
    assert newton[1] < -15
    assert fit.beta == pytest.approx(newton[[0, 2]], rel=1e-6)
    assert np.sqrt(np.diag(fit.cov)) == pytest.approx(
        np.sqrt(np.diag(newton_cov)[[0, 2]]), rel=1e-6
    )
    assert fit.log_likelihood == pytest.approx(
        log_likelihood(strata, x, days, events, newton), abs=1e-9
    )


def test_a_diverging_nuisance_column_leaves_whatever_the_rows_order():
    strata, x, days, events = _strata(np.random.default_rng(3), 60)
    fit = fit_with_limits(strata, x, days, events, [0])
    rng = np.random.default_rng(5)
    for _ in range(5):
        order = np.lexsort((rng.random(len(strata)), strata))
        again = fit_with_limits(strata, x[order], days[order], events[order], [0])
        assert again.columns == fit.columns and again.unbounded == fit.unbounded
        assert again.beta == pytest.approx(fit.beta, rel=1e-9)
        assert again.cov == pytest.approx(fit.cov, rel=1e-9)


@pytest.fixture(scope="module")
def interval_tables(pv_hospital):
    """Toxidermies' and acute kidney injuries' interval tables of the drugs
    `pv signals` screens on the tests' hospital, and of the controls."""
    out = {}
    with Warehouse.open(str(pv_hospital), read_only=True) as wh:
        for code in ("L27.1", "N17.0"):
            outcome = ConceptSet(items=[{"vocabulary": "CIM10", "code": code}])
            screened = {d.atc for d in disproportionality(wh, outcome).drugs}
            tables = sccs_intervals_each(
                wh, outcome, sorted(screened | set(NEGATIVE_CONTROLS))
            )
            out |= {(code, d): t for d, t in tables.items()}
    return out


def test_case_series_estimates_are_newtons_run_all_the_way(
    interval_tables, monkeypatch
):
    """On the tests' hospital, with the limits (this module's subject) and
    without them (Newton's method pushing the diverging age bands and seasons
    for as many steps as it takes), every window's IRR and CI agree to 1e-6,
    the lower bounds of windows without finite IRR too."""
    assert len(interval_tables) >= 30
    limits = {k: _fit(t, k[1]) for k, t in interval_tables.items()}
    monkeypatch.setattr(
        _conditional,
        "_finite_rows",
        lambda strata, x, events: np.ones(len(strata), bool),
    )
    fitted = 0
    for key, table in interval_tables.items():
        newton = _fit(table, key[1])
        if isinstance(newton, DrugInputError):  # the same refusal
            assert str(limits[key]) == str(newton), key
            continue
        fitted += 1
        for a, b in zip(limits[key].windows, newton.windows, strict=True):
            assert a.irr == pytest.approx(b.irr, rel=1e-6), key
            assert (a.ci is None) == (b.ci is None), key
            if a.ci:
                assert a.ci == pytest.approx(b.ci, rel=1e-6), key
    assert fitted >= 30


def _fit(table, drug: str):
    try:
        return fit_intervals(table, drug, DEFAULT_WINDOWS)
    except DrugInputError as e:
        return e


def test_the_fit_does_not_depend_on_the_order_of_rows_within_strata(interval_tables):
    """On the tests' hospital, each interval table's rows shuffled within
    each person: every window's IRR, CI and lower bound is the one fitted on
    the sorted table, and so is each refusal."""
    rng = np.random.default_rng(11)
    compared = 0
    for key, table in interval_tables.items():
        fitted = _fit(table, key[1])
        person = table["person_id"].to_numpy()
        shuffled = table.take(np.lexsort((rng.random(len(person)), person)))
        assert not shuffled.equals(table)
        again = _fit(shuffled, key[1])
        if isinstance(fitted, DrugInputError):
            assert str(again) == str(fitted), key
            continue
        compared += 1
        for a, b in zip(fitted.windows, again.windows, strict=True):
            assert b.irr == pytest.approx(a.irr, rel=1e-9), key
            assert (a.ci is None) == (b.ci is None), key
            if a.ci:
                assert b.ci == pytest.approx(a.ci, rel=1e-9), key
    assert compared >= 30
