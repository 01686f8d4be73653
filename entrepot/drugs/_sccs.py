"""Self-controlled case series (Farrington 1995; Whitaker et al. 2006).

Only cases (persons with the outcome) are read. Each case's observation period
(the one holding its first outcome) is cut into intervals: the risk windows
after each exposure start (days `start`–`end` after it, both included; a
negative start makes a pre-exposure window; an exposure is an episode of
refills, see `exposure_starts`; a day in windows of two episodes counts in the
lowest-numbered; with `start_day`, the day of each start is a window of its
own, after the others and not reported, so that an outcome recorded with the
prescription, at the same admission, is not taken for control time; with
`adjust`, other drugs' risk periods are windows too, fitted, not reported, and
first), the rest being the person's own control time, and calendar
months, so that each interval has one age band (from the first day of the
birth month) and one season. The engine builds the intervals and returns them aggregated
(person, window, age band, season, days, events); only that table is fitted.

The model is a Poisson model with one rate per person, conditioned on each
person's number of events, which removes the person's rate: the likelihood is
multinomial, each event falling in an interval with probability
days·exp(xβ) / Σ days·exp(xβ) over the person's intervals. β (risk windows,
age bands, seasons) is found by Newton's method on that concave
log-likelihood; the 95 % CI is Wald's, from its curvature. The first outcome
of each case is used, so recurrences need not be independent; the outcome
should not change the chance of later exposure (the design's assumption).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.drugs._cases import Outcome, cases, exposure_starts_each
from entrepot.drugs._conditional import fit_with_limits, lower_bound, varies
from entrepot.drugs._intervals import log_interval
from entrepot.errors import DrugInputError
from entrepot.privacy import Decision
from entrepot.warehouse.eras import PERSISTENCE_DAYS

#: Days after an exposure start, both included: acute, then subacute.
DEFAULT_WINDOWS = ((1, 30), (31, 90))
SEASONS = {"quarter": 3, "month": 1}


@dataclass(frozen=True)
class WindowEstimate:
    """The incidence rate ratio of one risk window against control time."""

    start: int
    end: int
    irr: float
    ci: tuple[float, float] | None  # None when no event fell in the window
    log_irr: float | None  # for calibration; None as the CI
    se: float | None
    events: int
    days: int


@dataclass(frozen=True)
class SccsResult:
    """Cases, cases exposed (time in a reported risk window), and one estimate
    per reported window."""

    drug: str
    cases: int
    cases_exposed: int
    windows: list[WindowEstimate]

    @property
    def irr(self) -> float:
        """The first window's IRR (the acute one by default)."""
        return self.windows[0].irr

    @property
    def irr_ci(self) -> tuple[float, float] | None:
        return self.windows[0].ci

    def to_dict(self) -> dict:
        return {
            "drug": self.drug,
            "cases": self.cases,
            "cases_exposed": self.cases_exposed,
            "irr": self.irr,
            "irr_ci": self.irr_ci,
            "windows": [w.__dict__ for w in self.windows],
        }


def sccs(
    wh,
    outcome: Outcome,
    drug: str,
    *,
    windows=DEFAULT_WINDOWS,
    age_band_years: int | None = 5,
    season: str | None = "quarter",
    gap_days: int = PERSISTENCE_DAYS,
    start_day: bool = True,
    decision: Decision | None = None,
    adjust: tuple[str, ...] = (),
) -> SccsResult:
    """The IRR of each risk window after the starts of `drug` (an ATC code)
    for `outcome`, against the cases' own control time, adjusted for age
    bands and seasons (None: not adjusted) and for the `adjust` drugs' risk
    (see `sccs_intervals_each`)."""
    table = sccs_intervals(
        wh,
        outcome,
        drug,
        windows=windows,
        age_band_years=age_band_years,
        season=season,
        gap_days=gap_days,
        start_day=start_day,
        decision=decision,
        adjust=adjust,
    )
    return fit_intervals(table, drug, _checked(windows, age_band_years, season))


def fit_intervals(table: pa.Table, drug: str, windows) -> SccsResult:
    """The conditional Poisson model over an interval table of `sccs_intervals`,
    every window in it fitted, the first `len(windows)` reported.

    The intervals of a window, age band or season without any event are left
    out: their rate's estimate is 0 (a window's IRR is then 0, without CI),
    which is what keeping them at the likelihood's limit would give."""
    col = {name: table[name].to_numpy() for name in table.column_names}
    exposed = (col["window"] > 0) & (col["window"] <= len(windows))
    cases = len(np.unique(col["person_id"]))
    cases_exposed = len(np.unique(col["person_id"][exposed & (col["days"] > 0)]))
    if not cases:
        raise DrugInputError("no case of the outcome in the warehouse")
    if not cases_exposed:
        raise DrugInputError(f"no case of the outcome was exposed to {drug}")
    events = np.bincount(
        col["window"], weights=col["events"], minlength=len(windows) + 1
    )
    fitted = [i for i in range(1, len(events)) if events[i]]
    if not fitted:  # no event after any start: every IRR is 0
        return SccsResult(drug, cases, cases_exposed, _estimates(table, windows))
    keep = np.isin(col["window"], [0, *fitted]) & (col["days"] > 0)
    for name in ("age_band", "season"):  # a level without events: rate 0
        keep &= np.isin(col[name], np.unique(col[name][col["events"] > 0]))
    col = {name: values[keep] for name, values in col.items()}
    columns = [col["window"] == i for i in fitted]
    for name in ("age_band", "season"):
        columns += _levels(col[name], col["days"])
    x = np.column_stack(columns).astype(float)
    keep_x = varies(col["person_id"], x)
    if not all(keep_x[k] for k, i in enumerate(fitted) if i <= len(windows)):
        raise DrugInputError(
            f"no case of the outcome has both time exposed to {drug} and control time"
        )
    fitted = [i for k, i in enumerate(fitted) if keep_x[k]]  # others' windows
    person = col["person_id"]
    x, days, ys = x[:, keep_x], col["days"].astype(float), col["events"]
    at = list(range(len(fitted)))  # the windows' columns come first
    fit = fit_with_limits(person, x, days, ys, at)
    by_window = {}
    for k, i in enumerate(fitted):
        if k in fit.unbounded:  # no finite estimate: a lower bound, if reported
            if i <= len(windows):
                low = lower_bound(person, x, days, ys, at, k, fit.log_likelihood)
                by_window[i] = (math.inf, None, int(events[i]), low)
        elif k in fit.columns:
            f = fit.columns.index(k)
            by_window[i] = (
                float(fit.beta[f]),
                math.sqrt(fit.cov[f, f]),
                int(events[i]),
            )
        else:
            raise DrugInputError(
                f"no case of the outcome has both time exposed to {drug} and control time"
            )
    return SccsResult(drug, cases, cases_exposed, _estimates(table, windows, by_window))


def _estimates(table: pa.Table, windows, fitted: dict | None = None) -> list:
    """The reported windows' estimates, from (log IRR, se, events) by window
    number, or (+∞, None, events, log lower bound) where it has no finite
    estimate (IRR and upper bound +∞); a window without events has an IRR of
    0 and no CI."""
    days = np.bincount(
        table["window"].to_numpy(),
        weights=table["days"].to_numpy(),
        minlength=len(windows) + 1,
    )
    out = []
    for i, (a, b) in enumerate(windows, 1):
        if i not in (fitted or {}):
            out.append(WindowEstimate(a, b, 0.0, None, None, None, 0, int(days[i])))
            continue
        log_irr, se, events = fitted[i][:3]
        if se is None:  # no finite estimate: its profile-likelihood lower bound
            low = math.exp(fitted[i][3])
            out.append(
                WindowEstimate(
                    a,
                    b,
                    math.inf,
                    (low, math.inf),
                    math.inf,
                    None,
                    events,
                    int(days[i]),
                )
            )
            continue
        ci = log_interval(log_irr, se, f"the case series' window {a}-{b}")
        out.append(
            WindowEstimate(
                a, b, math.exp(log_irr), ci, log_irr, se, events, int(days[i])
            )
        )
    return out


def _levels(values: np.ndarray, days: np.ndarray) -> list[np.ndarray]:
    """Indicators of a covariate's levels but the one with the most days."""
    levels = np.unique(values)
    weight = [days[values == v].sum() for v in levels]
    reference = levels[int(np.argmax(weight))]
    return [values == v for v in levels if v != reference]


def sccs_intervals(
    wh,
    outcome: Outcome,
    drug: str,
    *,
    windows=DEFAULT_WINDOWS,
    age_band_years: int | None = 5,
    season: str | None = "quarter",
    gap_days: int = PERSISTENCE_DAYS,
    start_day: bool = True,
    decision: Decision | None = None,
    adjust: tuple[str, ...] = (),
) -> pa.Table:
    """The cases' intervals, aggregated: (person_id, window: 0 for control
    time, else the risk window's number from 1, the start's day after them,
    then the `adjust` drugs'; age_band, season: 0 when not adjusted for;
    days; events), sorted."""
    tables = sccs_intervals_each(
        wh,
        outcome,
        [drug],
        windows=windows,
        age_band_years=age_band_years,
        season=season,
        gap_days=gap_days,
        start_day=start_day,
        decision=decision,
        adjust=adjust,
    )
    return tables[drug.strip().upper()]


def sccs_each(
    wh,
    outcome: Outcome,
    drugs: list[str],
    *,
    windows=DEFAULT_WINDOWS,
    age_band_years: int | None = 5,
    season: str | None = "quarter",
    gap_days: int = PERSISTENCE_DAYS,
    start_day: bool = True,
    decision: Decision | None = None,
    adjust: tuple[str, ...] = (),
) -> dict[str, SccsResult | DrugInputError]:
    """`sccs` of each drug (ATC codes, upper-cased as the keys), the intervals
    of all of them built in one pass of the engine; a drug whose case series
    cannot be fitted gets the error `sccs` would raise. Each drug's model is
    adjusted for the risk of the `adjust` drugs but itself (see
    `sccs_intervals_each`)."""
    tables = sccs_intervals_each(
        wh,
        outcome,
        drugs,
        windows=windows,
        age_band_years=age_band_years,
        season=season,
        gap_days=gap_days,
        start_day=start_day,
        decision=decision,
        adjust=adjust,
    )
    checked = _checked(windows, age_band_years, season)
    out: dict[str, SccsResult | DrugInputError] = {}
    for drug, table in tables.items():
        try:
            out[drug] = fit_intervals(table, drug, checked)
        except DrugInputError as e:
            out[drug] = e
    return out


def sccs_intervals_each(
    wh,
    outcome: Outcome,
    drugs: list[str],
    *,
    windows=DEFAULT_WINDOWS,
    age_band_years: int | None = 5,
    season: str | None = "quarter",
    gap_days: int = PERSISTENCE_DAYS,
    start_day: bool = True,
    decision: Decision | None = None,
    adjust: tuple[str, ...] = (),
) -> dict[str, pa.Table]:
    """`sccs_intervals` of each drug (ATC codes, upper-cased as the keys), in
    one query: every case's control-time intervals once, and each drug's
    intervals of the cases it was started by.

    With `adjust` (ATC codes), the days 1 to the last window's end after each
    start of each of those drugs are a window of their own (numbered after the
    others, one per drug, not reported; a day in one is in none of the drug's
    own), so that another drug's effect is taken neither for control time nor
    for the drug's (a multiple-exposure case series, Simpson et al. 2013)."""
    windows = _checked(windows, age_band_years, season)
    if not drugs:
        return {}
    decision = decision or Decision.unscoped(wh)
    adjust = tuple(sorted({a.strip().upper() for a in adjust}))
    c = wh.store.materialize(cases(wh, decision, outcome))  # read four times
    starts = exposure_starts_each(
        wh, decision, [*drugs, *adjust], gap_days, persons=c.select("person_id")
    )
    own = [*windows, (0, 0)] if start_day else windows
    return case_intervals(
        wh,
        c,
        wh.store.materialize(starts),
        sorted({d.strip().upper() for d in drugs}),
        own,
        age_band_years,
        season,
        {a: (1, max(b for _, b in windows)) for a in adjust},
    )


def case_intervals(
    wh,
    c: ir.Table,
    starts: ir.Table,
    drugs,
    windows,
    age_band_years,
    season,
    adjust: dict | None = None,
) -> dict[str, pa.Table]:
    """The interval table of each of `drugs` (ATC codes as in the `drug` column
    of `starts`, a table of `exposure_starts_each` of the cases `c`) over all
    risk `windows`, then one window (first day, last day) after the starts of
    each drug of `adjust` (ATC code: window) but the table's own, which comes
    before them: a day in another drug's window is not in its own."""
    units = c.mutate(drug=ibis.literal("", "string"))  # control time alone
    users = starts.filter(starts.drug.isin(list(drugs)))
    users = users.select("drug", "person_id").distinct()
    units = ibis.union(
        units, c.join(users, "person_id").select(*units.columns), distinct=False
    )
    units = wh.store.materialize(units)
    risks = _risk_windows(starts.filter(starts.drug.isin(list(drugs))), windows)
    for k, (atc, (a, b)) in enumerate(sorted((adjust or {}).items())):
        other = starts.filter(starts.drug == atc).select("person_id", "exposure_start")
        mine = units.filter(units.drug != atc).select("drug", "person_id")
        other = mine.join(other, "person_id")
        risks = ibis.union(
            risks,
            _risk_windows(other, [(a, b)], len(windows) + 1 + k, rank=k - len(adjust)),
            distinct=False,
        )
    risks = wh.store.materialize(risks)
    segs = _segments(_cuts(wh, units, risks), risks)
    segs = segs.join(units, ["drug", "person_id"])
    month = segs.day.year() * 12 + segs.day.month() - 1
    age = month - (segs.birth_year * 12 + segs.birth_month - 1)
    segs = segs.mutate(
        age_band=(age // (12 * age_band_years)).cast("int64")
        if age_band_years
        else ibis.literal(0, "int64"),
        season=(segs.day.month() - 1) // SEASONS[season] + 1
        if season
        else ibis.literal(0, "int64"),
        days=segs.next_day.delta(segs.day, unit="day"),
        events=ibis.ifelse(
            (segs.day <= segs.outcome_date) & (segs.outcome_date < segs.next_day), 1, 0
        ),
    )
    out = segs.group_by(["drug", *_ORDER]).aggregate(
        days=segs.days.sum().cast("int64"), events=segs.events.sum().cast("int64")
    )
    table = out.to_pyarrow()
    return {d: _drug_table(table, d) for d in drugs}


def _drug_table(table: pa.Table, drug: str) -> pa.Table:
    """One drug's intervals: those of the cases it was started by, the
    control time alone for the others, sorted."""
    own = table.filter(pc.equal(table["drug"], drug))
    base = table.filter(pc.equal(table["drug"], ""))
    base = base.filter(pc.invert(pc.is_in(base["person_id"], own["person_id"])))
    rows = pa.concat_tables([own, base]).drop_columns("drug")
    return rows.sort_by([(k, "ascending") for k in _ORDER]).cast(_SCHEMA)


_ORDER = ["person_id", "window", "age_band", "season"]
_SCHEMA = pa.schema(
    [
        (name, pa.int64())
        for name in ("person_id", "window", "age_band", "season", "days", "events")
    ]
)


def _checked(windows, age_band_years, season) -> list[tuple[int, int]]:
    windows = [(int(a), int(b)) for a, b in windows]
    if not windows or any(a > b for a, b in windows):
        raise DrugInputError(
            f"each risk window must be (first day, last day): {windows}"
        )
    if age_band_years is not None and age_band_years < 1:
        raise DrugInputError(f"age bands must be ≥ 1 year wide: {age_band_years}")
    if season is not None and season not in SEASONS:
        raise DrugInputError(f"season must be one of {', '.join(SEASONS)}: {season!r}")
    return windows


def _risk_windows(
    starts: ir.Table, windows, first: int = 1, rank: int | None = None
) -> ir.Table:
    """(drug, person_id, window, rank, w_start, w_stop): each exposure's
    windows, numbered from `first`, the stop excluded; a day in several
    windows is in the one of lowest rank (`rank`, else the window's number)."""
    parts = [
        starts.select(
            "drug",
            "person_id",
            window=ibis.literal(i, "int64"),
            rank=ibis.literal(i if rank is None else rank, "int64"),
            w_start=starts.exposure_start + ibis.interval(days=a),
            w_stop=starts.exposure_start + ibis.interval(days=b + 1),
        )
        for i, (a, b) in enumerate(windows, first)
    ]
    return ibis.union(*parts, distinct=False)


def _cuts(wh, units: ir.Table, risks: ir.Table) -> ir.Table:
    """(drug, person_id, day): the days where an interval starts: the
    observation start, the first of each month, the risk windows' bounds,
    and the day after the observation ends."""
    bounds = units.select(
        "drug", "person_id", "obs_start", obs_stop=units.obs_end + ibis.interval(days=1)
    )
    inside = [bounds.select("drug", "person_id", day=bounds.obs_start)]
    inside.append(bounds.select("drug", "person_id", day=bounds.obs_stop))
    for column in ("w_start", "w_stop"):
        r = risks.join(bounds, ["drug", "person_id"])
        inside.append(
            r.filter((r[column] > r.obs_start) & (r[column] < r.obs_stop)).select(
                "drug", "person_id", day=r[column]
            )
        )
    months = wh.store.from_arrow(_months(units))
    m = bounds.join(
        months, [months.month > bounds.obs_start, months.month < bounds.obs_stop]
    )
    inside.append(m.select("drug", "person_id", day=m.month))
    return ibis.union(*inside, distinct=True)


def _months(c: ir.Table) -> pa.Table:
    """The first day of every month the cases' observation spans."""
    span = c.aggregate(first=c.obs_start.min(), last=c.obs_end.max())
    row = span.to_pyarrow().to_pylist()[0]
    first, last = row["first"], row["last"]
    if first is None:
        return pa.table({"month": pa.array([], pa.date32())})
    n = (last.year - first.year) * 12 + last.month - first.month + 1
    days = [
        date(
            first.year + (first.month - 1 + k) // 12, (first.month - 1 + k) % 12 + 1, 1
        )
        for k in range(1, n + 1)
    ]
    return pa.table({"month": pa.array(days, pa.date32())})


def _segments(cuts: ir.Table, risks: ir.Table) -> ir.Table:
    """(drug, person_id, day, next_day, window): consecutive cuts, each segment
    in the lowest-numbered risk window covering it (0: control time)."""
    order = ibis.window(group_by=["drug", "person_id"], order_by="day")
    segs = cuts.mutate(next_day=cuts.day.lead().over(order))
    segs = segs.filter(segs.next_day.notnull())
    covered = segs.join(
        risks,
        [
            segs.drug == risks.drug,
            segs.person_id == risks.person_id,
            risks.w_start <= segs.day,
            segs.day < risks.w_stop,
        ],
    )
    covered = covered.group_by(
        c_drug=segs.drug, c_person=segs.person_id, c_day=segs.day
    ).aggregate(c_window=covered.window.argmin(covered.rank))
    segs = segs.left_join(
        covered,
        [
            segs.drug == covered.c_drug,
            segs.person_id == covered.c_person,
            segs.day == covered.c_day,
        ],
    )
    return segs.select(
        "drug", "person_id", "day", "next_day", window=segs.c_window.fill_null(0)
    )
