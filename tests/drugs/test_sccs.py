"""The self-controlled case series on warehouses with a known effect."""

import math
from datetime import date

import numpy as np
import pyarrow as pa
import pytest

from entrepot.cohort import CohortDefinition, ConceptSet, run_cohort
from entrepot.drugs import sccs, sccs_intervals
from entrepot.drugs._intervals import Z95
from entrepot.errors import AccessDeniedError, DrugInputError, UnknownCodeError
from entrepot.privacy import Decision, Perimeter
from tests.drugs.simulated import (
    DRUG,
    OTHER,
    OUTCOME,
    SECOND,
    Rows,
    day,
    first_event,
    load,
)

TOXIDERMIE = ConceptSet.model_validate(
    {"items": [{"vocabulary": "CIM10", "code": "L27", "descendants": True}]}
)
#: the planted IRRs of days 1-30 and 31-90 after starting the drug
TRUE_IRR = (3.0, 1.5)
WINDOWS = ((1, 30), (31, 90))
#: the outcome is this many times as frequent in the first quarter, when the
#: drug is mostly started, and doubles with each 5-year age band
WINTER, AGEING = 2.5, 2.0


def simulate(n: int, seed: int = 7) -> tuple[Rows, int]:
    """`n` cases, 70 % exposed once (mostly in winter): rows, and exposed count."""
    rng = np.random.default_rng(seed)
    rows, exposed = Rows(), 0
    for pid in range(1, n + 1):
        born = (int(rng.integers(1940, 1990)), int(rng.integers(1, 13)))
        start = day(date(2019, 1, 1), rng.integers(0, 90))
        length = int(rng.integers(540, 731))
        days = np.datetime64(start) + np.arange(length)
        month = days.astype("datetime64[M]").astype(int)
        age = month - ((born[0] - 1970) * 12 + born[1] - 1)
        rate = np.where(month % 12 < 3, WINTER, 1.0) * AGEING ** (age // 60)
        rows.person.append((pid, *born))
        rows.observation.append((pid, start, day(start, length - 1)))
        if rng.random() < 0.7:
            winter = np.flatnonzero(month % 12 < 3)
            t = int(rng.choice(winter) if rng.random() < 0.8 else rng.integers(length))
            rows.exposure.append((pid, day(start, t), day(start, t + 9)))
            for (a, b), irr in zip(WINDOWS, TRUE_IRR, strict=True):
                rate[t + a : t + b + 1] *= irr
            exposed += t + 1 < length  # a window inside observation
        event = first_event(rng, rate)
        rows.condition.append((pid, OUTCOME, day(start, event)))
        rows.condition.append((pid, OTHER, day(start, int(rng.integers(length)))))
        if event + 10 < length:  # a recurrence: only the first counts
            rows.condition.append((pid, OUTCOME, day(start, event + 10)))
    return rows, exposed


@pytest.fixture(scope="module")
def simulated(tmp_path_factory, new_duckdb):
    wh = new_duckdb(tmp_path_factory.mktemp("sccs") / "eds.duckdb")
    rows, exposed = simulate(800)
    load(wh, rows)
    yield wh, exposed, rows
    wh.close()


def test_sccs_recovers_the_planted_irr_of_each_window(simulated):
    wh, exposed, _ = simulated
    result = sccs(wh, TOXIDERMIE, "J01C", windows=WINDOWS)  # the class, not the code
    assert (result.cases, result.cases_exposed) == (800, exposed)
    for window, truth in zip(result.windows, TRUE_IRR, strict=True):
        low, high = window.ci
        assert low < truth < high
        assert abs(window.irr / truth - 1) < 0.25
    assert result.irr == result.windows[0].irr
    assert result.windows[0].ci[0] > 1.5  # a signal
    assert result.to_dict()["windows"][1]["start"] == 31


def test_a_saved_cohort_gives_the_same_cases_as_its_concept_set(simulated):
    wh, _, _ = simulated
    definition = CohortDefinition.model_validate(
        {
            "name": "toxidermies",
            "concept_sets": {"toxidermies": TOXIDERMIE.model_dump()},
            "entry": {"events": [{"condition": {"concept_set": "toxidermies"}}]},
        }
    )
    cohort = run_cohort(wh, definition).cohort_definition_id
    by_concepts = sccs_intervals(wh, TOXIDERMIE, "J01CA04")
    assert sccs_intervals(wh, cohort, "J01CA04").equals(by_concepts)
    assert sccs(wh, "toxidermies", "J01CA04").cases == 800  # by its name


def test_a_window_without_events_has_no_ci(simulated):
    wh, _, _ = simulated
    result = sccs(wh, TOXIDERMIE, "J01CA04", windows=[(1, 30), (-2000, -1990)])
    assert 2.0 < result.irr < 4.0
    empty = result.windows[1]
    assert (empty.irr, empty.ci, empty.se, empty.events, empty.days) == (
        0.0,
        None,
        None,
        0,
        0,
    )


def test_without_age_and_season_the_irr_is_confounded(simulated):
    wh, _, _ = simulated
    crude = sccs(wh, TOXIDERMIE, "J01CA04", age_band_years=None, season=None)
    assert crude.irr_ci[0] > TRUE_IRR[0]  # winter's excess taken for the drug's


def test_the_interval_table_partitions_each_case_observation(simulated):
    wh, _, rows = simulated
    table = sccs_intervals(wh, TOXIDERMIE, "J01CA04").to_pydict()
    persons = np.array(table["person_id"])
    days = np.bincount(persons, weights=table["days"])
    events = np.bincount(persons, weights=table["events"])
    observed = {
        p: (end - start).days + 1 for p, start, end in simulate(800)[0].observation
    }
    assert {p: int(days[p]) for p in observed} == observed
    assert set(events[1:]) == {1.0}  # the first outcome only
    assert set(table["season"]) == {1, 2, 3, 4}


HAND = Rows(
    person=[(1, 1980, 6)],
    observation=[(1, date(2020, 1, 15), date(2020, 3, 10))],
    exposure=[(1, date(2020, 2, 1), date(2020, 2, 5))],
    condition=[(1, OUTCOME, date(2020, 2, 10))],
)
#: control 15-31 Jan, days 1-30 (2 Feb-2 Mar, 2020 a leap year), days 31-90
#: clipped at the end of observation (3-10 Mar), the start's day (1 Feb);
#: aged 39 years 7 months (band 7: 35-39), first quarter
HAND_TABLE = {
    "person_id": [1, 1, 1, 1],
    "window": [0, 1, 2, 3],
    "age_band": [7, 7, 7, 7],
    "season": [1, 1, 1, 1],
    "days": [17, 30, 8, 1],
    "events": [0, 1, 0, 0],
}


@pytest.fixture(scope="module")
def by_hand(tmp_path_factory, new_duckdb):
    wh = new_duckdb(tmp_path_factory.mktemp("hand") / "eds.duckdb")
    load(wh, HAND)
    yield wh
    wh.close()


def test_intervals_of_one_case_by_hand(by_hand):
    assert sccs_intervals(by_hand, TOXIDERMIE, "J01CA04").to_pydict() == HAND_TABLE
    monthly = sccs_intervals(by_hand, TOXIDERMIE, "J01CA04", season="month")
    assert monthly.to_pydict()["season"] == [1, 2, 3, 3, 2]
    assert monthly.to_pydict()["days"] == [17, 28, 2, 8, 1]
    control = sccs_intervals(by_hand, TOXIDERMIE, "J01CA04", start_day=False)
    assert control.to_pydict()["days"] == [18, 30, 8]  # the start's day: control


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"windows": [(30, 1)]}, "each risk window must be"),
        ({"windows": []}, "each risk window must be"),
        ({"age_band_years": 0}, "age bands must be"),
        ({"season": "winter"}, "season must be one of quarter, month"),
        ({"gap_days": -1}, "gap between exposures"),
    ],
)
def test_bad_options_are_refused_in_one_line(simulated, options, message):
    wh, _, _ = simulated
    with pytest.raises(DrugInputError, match=message):
        sccs(wh, TOXIDERMIE, "J01CA04", **options)


def test_an_unknown_drug_or_no_exposed_case_is_refused(by_hand):
    with pytest.raises(UnknownCodeError, match="ATC N02BE51"):
        sccs(by_hand, TOXIDERMIE, "N02BE51")
    with pytest.raises(DrugInputError, match="no case of the outcome was exposed"):
        sccs(by_hand, TOXIDERMIE, "N02BE01")
    hypertension = ConceptSet.model_validate(
        {"items": [{"vocabulary": "CIM10", "code": "I10"}]}
    )
    with pytest.raises(DrugInputError, match="no case of the outcome in"):
        sccs(by_hand, hypertension, "J01CA04")


def test_a_project_without_prescriptions_is_refused(by_hand):
    tables = frozenset({"person", "observation_period", "condition_occurrence"})
    decision = Decision("u", "researcher", "count", "p", Perimeter(domains=tables), 10)
    with pytest.raises(AccessDeniedError, match="table drug_exposure is outside"):
        sccs(by_hand, TOXIDERMIE, "J01CA04", decision=decision)


def test_outcomes_only_in_risk_windows_have_a_profile_likelihood_lower_bound(by_hand):
    """The one case's outcome is in days 1-30: the IRR has no finite estimate
    nor upper bound; its lower bound is where the profile log-likelihood,
    log(30·r / (17 + 30·r)) (17 control days, 30 in the window), is 1.92
    (χ²₁'s 95 % quantile / 2) below its supremum, 0."""
    window = sccs(by_hand, TOXIDERMIE, "J01CA04").windows[0]
    q = math.exp(-(Z95**2) / 2)
    assert window.irr == math.inf and window.ci[1] == math.inf
    assert window.ci[0] == pytest.approx(17 * q / (30 * (1 - q)), rel=1e-6)
    assert (window.log_irr, window.se, window.events) == (math.inf, None, 1)


@pytest.mark.spark
def test_the_interval_table_is_the_same_on_spark(
    spark_session, tmp_path, new_duckdb, new_warehouse
):
    rows, _ = simulate(40, seed=3)
    duck = new_duckdb(tmp_path / "eds.duckdb")
    spark = new_warehouse(f"spark:{tmp_path / 'spark'}", vocabulary=True)
    try:
        tables = []
        for wh in (duck, spark):
            load(wh, rows)
            tables.append(sccs_intervals(wh, TOXIDERMIE, "J01C", season="month"))
        assert tables[0].num_rows > 40
        assert tables[1].equals(tables[0])
        assert isinstance(tables[1], pa.Table)
    finally:
        duck.close()
        spark.close()


def test_a_nuisance_level_without_events_leaves_the_window_estimate_finite():
    """An age band with time but no event sends its β to −∞: the window's
    estimate and variance are those of the fit without that band's rows."""
    from entrepot.drugs._conditional import fit_conditional_poisson

    rows = np.array(  # stratum, window, band, days, events
        [
            (0, 0, 0, 50, 1), (0, 1, 0, 50, 1), (0, 0, 1, 50, 0),
            (1, 0, 0, 50, 2), (1, 1, 0, 50, 1), (1, 1, 1, 50, 0),
            (2, 0, 0, 50, 1), (2, 1, 0, 50, 2),
        ],
        float,
    )  # fmt: skip
    strata, x, days, events = rows[:, 0], rows[:, 1:3], rows[:, 3], rows[:, 4]
    beta, cov, _ = fit_conditional_poisson(strata, x, days, events)
    inside = x[:, 1] == 0
    alone, alone_cov, _ = fit_conditional_poisson(
        strata[inside], x[inside, :1], days[inside], events[inside]
    )
    assert beta[1] < -15
    assert beta[0] == pytest.approx(alone[0], abs=1e-6)
    assert cov[0, 0] == pytest.approx(alone_cov[0, 0], rel=1e-6)
    assert math.isinf(cov[1, 1])


#: two drugs that each multiply the outcome's rate by this in days 1-30
#: after their start, their effects adding up (as the synthetic hospital
#: plants them): the other drug's risk must not be taken for control time
CULPRIT_IRR = 20.0


def simulate_two_culprits(n: int, seed: int = 11) -> Rows:
    """`n` cases, each started on amoxicillin and on allopurinol (half of
    them each, at independent days); one event each."""
    rng = np.random.default_rng(seed)
    rows = Rows()
    for pid in range(1, n + 1):
        start, length = day(date(2019, 1, 1), rng.integers(0, 90)), 730
        rows.person.append((pid, 1960, 1))
        rows.observation.append((pid, start, day(start, length - 1)))
        rate = np.ones(length)
        for drug in (DRUG, SECOND):
            if rng.random() < 0.5:
                t = int(rng.integers(0, length - 90))
                rows.exposure.append((pid, day(start, t), day(start, t + 9), drug))
                rate[t + 1 : t + 31] += CULPRIT_IRR - 1
        rows.condition.append((pid, OUTCOME, day(start, first_event(rng, rate))))
    return rows


def test_another_culprits_risk_is_not_taken_for_control_time(
    tmp_path_factory, new_duckdb
):
    wh = new_duckdb(tmp_path_factory.mktemp("sccs") / "two.duckdb")
    load(wh, simulate_two_culprits(1000))
    plain = dict(windows=WINDOWS, age_band_years=None, season=None)
    alone = sccs(wh, TOXIDERMIE, "J01CA04", **plain).windows[0]
    assert alone.ci[1] < CULPRIT_IRR  # allopurinol's events in its control time
    both = sccs(wh, TOXIDERMIE, "J01CA04", adjust=("M04AA01",), **plain).windows[0]
    assert both.ci[0] < CULPRIT_IRR < both.ci[1]
    assert abs(both.irr / CULPRIT_IRR - 1) < 0.2
    wh.close()
