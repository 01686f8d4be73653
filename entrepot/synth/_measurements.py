"""Lab results and vital signs: panels drawn during each visit, normal values
moved by the patient's diseases, complications and drugs (the modules' effects).

An MCO stay has an admission work-up and daily draws (~150 results); day
hospital, emergency visits and some consultations have one draw. Each visit
records one set of vital signs. eGFR is computed from creatinine (CKD-EPI).
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from entrepot.synth._arrow import cdm, dates, datetimes, ids, strings
from entrepot.synth._diseases import Plan
from entrepot.synth._population import Population
from entrepot.synth._reference import (
    CONSULT,
    EHR,
    HDJ,
    LAB,
    MCO,
    URG,
    panels,
    tests,
    units,
)
from entrepot.synth._visits import Stays

DAILY_DRAWS = 1.0  # extra draws per day of an MCO stay
CONSULT_LABS = 0.3  # share of consultations with a blood test
ADMISSION = (
    "blood_count",
    "electrolytes",
    "inflammation",
    "coagulation",
    "liver",
    "admission",
)
DAILY = ("blood_count", "electrolytes", "inflammation")
DAY_HOSPITAL = ("blood_count", "electrolytes", "inflammation", "liver")
EMERGENCY = ("blood_count", "electrolytes", "inflammation", "coagulation")
BLOOD_GROUPS = (
    ["A+", "O+", "B+", "AB+", "A-", "O-", "B-", "AB-"],
    [0.38, 0.36, 0.08, 0.03, 0.07, 0.06, 0.01, 0.01],
)
POSITIVE, NEGATIVE = "positif", "négatif"


@dataclass
class Results:
    """One row per result, before the table is built."""

    visit: np.ndarray
    test: np.ndarray
    day: np.ndarray
    minute: np.ndarray
    draw: np.ndarray  # results of one draw share a number


def _draws(rng, s: Stays) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Blood draws: (visit, day, admission?) for every draw."""
    mco = np.flatnonzero(s.kind == MCO)
    extra = rng.poisson(DAILY_DRAWS * (s.end[mco] - s.start[mco]))
    visit_extra = np.repeat(mco, extra)
    length = s.end[visit_extra] - s.start[visit_extra]
    day_extra = (
        s.start[visit_extra]
        + 1
        + (rng.random(len(visit_extra)) * length).astype(np.int64)
    )
    single = (
        (s.kind == HDJ)
        | (s.kind == URG)
        | ((s.kind == CONSULT) & (rng.random(len(s)) < CONSULT_LABS))
    )
    first = np.flatnonzero((s.kind == MCO) | single)
    visit = np.concatenate([first, visit_extra])
    day = np.concatenate([s.start[first], np.minimum(day_extra, s.end[visit_extra])])
    admission = np.concatenate(
        [np.ones(len(first), bool), np.zeros(len(visit_extra), bool)]
    )
    order = np.lexsort((day, visit))
    return visit[order], day[order], admission[order]


def _expand(rng, draws: np.ndarray, panel_names, out: list) -> None:
    """Add the tests of `panel_names` for each draw, each with its probability."""
    if not len(draws):
        return
    table = panels()
    test = np.concatenate([table[p][0] for p in panel_names])
    probability = np.concatenate([table[p][1] for p in panel_names])
    rows = np.repeat(draws, len(test))
    tested = np.tile(test, len(draws))
    keep = rng.random(len(rows)) < np.tile(probability, len(draws))
    out.append((rows[keep], tested[keep]))


def _orders(rng, s: Stays, plan: Plan) -> Results:
    """Which tests each draw holds, and the vital signs of each visit."""
    visit, day, admission = _draws(rng, s)
    kind = s.kind[visit]
    pieces: list = []
    _expand(rng, np.flatnonzero(admission & (kind == MCO)), ADMISSION, pieces)
    _expand(rng, np.flatnonzero(~admission), DAILY, pieces)
    _expand(rng, np.flatnonzero(kind == HDJ), DAY_HOSPITAL, pieces)
    _expand(rng, np.flatnonzero(kind == URG), EMERGENCY, pieces)
    _expand(rng, np.flatnonzero(kind == CONSULT), DAILY[:2], pieces)
    _expand(rng, np.flatnonzero(s.icu[visit]), ("icu",), pieces)
    for u, unit in enumerate(units()):
        if unit.panel and unit.panel != "icu":
            _expand(
                rng,
                np.flatnonzero(admission & (s.unit[visit] == u)),
                (unit.panel,),
                pieces,
            )
    index = tests().index
    for effect, span, _ in plan.effects:  # a disease's tests are done at each draw
        at = np.flatnonzero(admission & span.active(s.person[visit], day))
        pieces.append((at, np.full(len(at), index[effect.loinc])))
    draw = np.concatenate([p[0] for p in pieces])
    test = np.concatenate([p[1] for p in pieces])
    key = np.unique(draw * len(index) + test)  # one result per test and draw
    draw, test = key // len(index), key % len(index)
    vital_tests = tests().vital[test]
    draw, test = draw[~vital_tests], test[~vital_tests]  # vitals come once, below
    minute = 360 + rng.integers(0, 150, len(visit))  # one time per draw
    lab = Results(visit[draw], test, day[draw], minute[draw], draw)
    vitals = _vital_orders(rng, s)
    return Results(
        *(
            np.concatenate([getattr(lab, f), getattr(vitals, f)])
            for f in ("visit", "test", "day", "minute", "draw")
        )
    )


def _vital_orders(rng, s: Stays) -> Results:
    pieces: list = []
    _expand(rng, np.flatnonzero(s.kind != CONSULT), ("vitals",), pieces)
    _expand(rng, np.flatnonzero(s.kind == CONSULT), ("vitals_consultation",), pieces)
    visit = np.concatenate([p[0] for p in pieces])
    test = np.concatenate([p[1] for p in pieces])
    order = np.lexsort((test, visit))
    visit, test = visit[order], test[order]
    minute = np.minimum(s.start_minute[visit] + 20, 1439)
    return Results(visit, test, s.start[visit], minute, np.full(len(visit), -1))


def _values(rng, r: Results, s: Stays, people: Population, plan: Plan):
    """Numbers (NaN for qualitative tests) and texts of the results."""
    t = tests()
    n = len(r.test)
    low, high = t.low[r.test], t.high[r.test]
    person = s.person[r.visit]
    mid = np.where(np.isnan(high), low * 1.15, (low + high) / 2)
    spread = np.where(np.isnan(high), low * 0.1, (high - low) / 5)
    skewed = low == 0  # CRP, troponin...: a skewed distribution under the limit
    value = np.where(
        skewed, high * 0.35 * np.exp(rng.normal(0, 0.5, n)), rng.normal(mid, spread)
    )
    _vital_values(rng, value, r, person, people)
    text = np.where(t.qualitative[r.test], 1, 0)  # 0 number, 1 negative, 2 positive
    of_test = _rows_of_each_test(r.test, len(t.loinc))
    for effect, span, draw in plan.effects:
        rows = of_test[t.index[effect.loinc]]
        rows = rows[span.active(person[rows], r.day[rows])]
        if effect.value is not None:
            e = effect.value
            centre, sd = e.mean, e.sd
            if effect.within_sd is not None:  # around each patient's own level
                who, result_of = np.unique(person[rows], return_inverse=True)
                centre = _levels(e, draw[who])[result_of]
                sd = effect.within_sd
            value[rows] = np.clip(rng.normal(centre, sd, len(rows)), e.min, e.max)
        else:
            text[rows] = np.where(draw[person[rows]] < effect.positive, 2, 1)
    _egfr(value, r, person, people)
    value = np.clip(value, t.minimum[r.test], t.maximum[r.test])
    value = np.round(value, 2)
    value[t.qualitative[r.test]] = np.nan
    labels = np.array(["", NEGATIVE, POSITIVE] + BLOOD_GROUPS[0], dtype=object)
    group = r.test == t.index["882-1"]
    blood = rng.choice(len(BLOOD_GROUPS[0]), len(people), p=BLOOD_GROUPS[1])
    text[group] = 3 + blood[person[group]]
    return value, labels, text


def _rows_of_each_test(test: np.ndarray, tests_count: int) -> list[np.ndarray]:
    """The result rows of each test, in order."""
    order = np.argsort(test, kind="stable")
    bounds = np.searchsorted(test[order], np.arange(tests_count + 1))
    return [order[a:b] for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _levels(spread, draw: np.ndarray) -> np.ndarray:
    """Each patient's own level: the quantile `draw` (uniform) of `spread`."""
    quantile = np.vectorize(
        NormalDist(spread.mean, spread.sd or 1e-12).inv_cdf, otypes=[float]
    )
    return quantile(np.clip(draw, 1e-9, 1 - 1e-9))


def _vital_values(rng, value, r: Results, person, people: Population) -> None:
    t = tests()
    n = len(value)
    normal = {
        "8867-4": (76, 11),
        "8480-6": (128, 16),
        "8462-4": (76, 9),
        "8310-5": (36.8, 0.3),
        "59408-5": (97.5, 1.2),
        "9279-1": (16, 2.5),
    }
    for loinc, (mean, sd) in normal.items():
        rows = r.test == t.index[loinc]
        value[rows] = rng.normal(mean, sd, rows.sum())
    weight = r.test == t.index["29463-7"]
    age = people.age(r.day[weight], person[weight])
    adult = np.where(people.female[person[weight]], 66, 79) + rng.normal(
        0, 13, weight.sum()
    )
    value[weight] = np.where(age < 16, 3.5 + 2.8 * age, adult)
    del n


def _egfr(value, r: Results, person, people: Population) -> None:
    """eGFR from the same draw's creatinine (CKD-EPI 2009), where there is one."""
    t = tests()
    creatinine = np.full(r.draw.max() + 2, np.nan)
    rows = r.test == t.index["14682-9"]
    creatinine[r.draw[rows]] = value[rows]
    egfr = np.flatnonzero((r.test == t.index["62238-1"]) & (r.draw >= 0))
    scr = creatinine[r.draw[egfr]] / 88.4
    female = people.female[person[egfr]]
    k = np.where(female, 0.7, 0.9)
    a = np.where(female, -0.329, -0.411)
    age = np.maximum(people.age(r.day[egfr], person[egfr]), 18)
    gfr = 141 * np.minimum(scr / k, 1) ** a * np.maximum(scr / k, 1) ** -1.209
    gfr *= 0.993**age * np.where(female, 1.018, 1.0)
    value[egfr] = np.where(np.isnan(gfr), value[egfr], gfr)


def measurement(
    rng, s: Stays, people: Population, plan: Plan, person_id, chunk: int
) -> pa.Table:
    r = _orders(rng, s, plan)
    value, labels, text = _values(rng, r, s, people, plan)
    t = tests()
    return cdm(
        "measurement",
        {
            "measurement_id": ids(chunk, len(r.test)),
            "person_id": person_id[s.person[r.visit]],
            "measurement_concept_id": t.concept_id[r.test],
            "measurement_date": dates(r.day),
            "measurement_datetime": datetimes(r.day, r.minute),
            "measurement_type_concept_id": np.where(t.vital[r.test], EHR, LAB),
            "value_as_number": pa.array(value, pa.float64(), from_pandas=True),
            "unit_concept_id": pa.array(
                t.unit_concept_id[r.test], mask=t.unit_concept_id[r.test] == 0
            ),
            "range_low": pa.array(t.low[r.test], from_pandas=True),
            "range_high": pa.array(t.high[r.test], from_pandas=True),
            "visit_occurrence_id": s.id[r.visit],
            "measurement_source_value": strings(list(t.loinc), r.test),
            "unit_source_value": strings(list(t.unit), r.test),
            "value_source_value": strings(list(labels), text),
        },
    )
