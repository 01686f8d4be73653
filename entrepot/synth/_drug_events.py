"""Adverse drug events planted as pharmacovigilance's ground truth.

`entrepot/data/synth/drug_events.yaml` declares events with a background rate,
drug courses given to a share of the patients, the drug-event pairs (relative
risk in a latency window, Weibull latency) and negative controls. Every patient
has the events at the background rate; a course of a culprit drug adds induced
ones. Each is a stay coded with the event; `synth_truth` records the pairs, the
controls and every case, induced or background.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np
from pydantic import Field, ValidationError, model_validator

from entrepot._declared import read_yaml
from entrepot.errors import ModuleFileError
from entrepot.synth._diseases import Plan, Span
from entrepot.synth._modules import Drug, _known_codes, _Strict
from entrepot.synth._population import YEAR, Population
from entrepot.synth._reference import MCO, undotted, unit_index
from entrepot.synth._reference import units as all_units

MODULE = "drug_events"  # its name in synth_truth
VIA_EMERGENCY = 0.5


class Event(_Strict):
    """An adverse event, coded as a stay's principal diagnosis."""

    name: str
    code: str  # CIM-10
    unit: str
    background_per_year: float = Field(gt=0, le=1)  # everyone, exposed or not


class Latency(_Strict):
    """Days from a drug's start to the event it induces: a Weibull of `shape`,
    cut to [min, max], whose median (after the cut) is `median`."""

    median: float
    shape: float = Field(gt=0)
    min: int = Field(ge=0)
    max: int

    @model_validator(mode="after")
    def _ordered(self) -> Latency:
        if not self.min < self.median < self.max:
            raise ValueError("the latency needs min < median < max")
        return self

    @property
    def window_days(self) -> int:
        return self.max - self.min + 1

    def _cdf(self, x: float, scale: float) -> float:
        return 1 - math.exp(-((x / scale) ** self.shape))

    def _bounds(self, scale: float) -> tuple[float, float]:
        return self._cdf(self.min, scale), self._cdf(self.max, scale)

    @property
    def scale(self) -> float:
        """The Weibull scale that puts the cut distribution's median at `median`."""
        lo, hi = math.log(1e-3), math.log(1e6)
        for _ in range(100):  # the cut median grows with the scale
            mid = (lo + hi) / 2
            if self._quantile(0.5, math.exp(mid)) < self.median:
                lo = mid
            else:
                hi = mid
        return math.exp((lo + hi) / 2)

    def _quantile(self, q: float, scale: float) -> float:
        low, high = self._bounds(scale)
        u = min(low + q * (high - low), 1 - 1e-15)
        return scale * (-math.log1p(-u)) ** (1 / self.shape)

    def share_below(self, days: np.ndarray) -> np.ndarray:
        """The cut distribution's CDF: the share of latencies of at most `days`."""
        low, high = self._bounds(self.scale)
        cdf = 1 - np.exp(-((np.asarray(days, float) / self.scale) ** self.shape))
        return np.clip((cdf - low) / (high - low), 0, 1)

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        """`n` latencies in whole days, within [min, max]."""
        scale = self.scale
        low, high = self._bounds(scale)
        u = np.minimum(low + rng.random(n) * (high - low), 1 - 1e-15)
        days = scale * (-np.log1p(-u)) ** (1 / self.shape)
        return np.clip(np.rint(days), self.min, self.max).astype(np.int64)


class Course(Drug):
    """A drug given once to `share` of the patients (of those who take
    `added_to`, from the same day, when it is given)."""

    added_to: str | None = None  # ATC of a drug declared before it


class Pair(_Strict):
    """A drug that induces an event: `relative_risk` over the background rate in
    the latency window after its start, when one drug of each `with` group is
    taken that day too."""

    model_config = _Strict.model_config | {"populate_by_name": True}

    drug: str  # ATC of one of `drugs`
    event: str  # name of one of `events`
    relative_risk: float = Field(gt=1)
    latency: Latency
    with_: list[list[str]] = Field([], alias="with")

    def risk(self, event: Event) -> float:
        """Probability that one course induces the event."""
        window = self.latency.window_days / YEAR
        return (self.relative_risk - 1) * event.background_per_year * window


class DrugEvents(_Strict):
    """The whole file: events, drug courses, pairs and negative controls."""

    events: list[Event]
    drugs: list[Course]
    pairs: list[Pair]
    controls: list[str] = []  # ATC of drugs with no effect (relative risk 1)

    @model_validator(mode="after")
    def _consistent(self) -> DrugEvents:
        atc = [d.atc for d in self.drugs]
        if len(set(atc)) < len(atc):
            raise ValueError("each drug is given once in `drugs`")
        events = {e.name: e for e in self.events}
        for p in self.pairs:
            if p.event not in events:
                raise ValueError(f"pair {p.drug}: no event named {p.event!r}")
            for drug in [p.drug, *(a for group in p.with_ for a in group)]:
                if drug not in atc:
                    raise ValueError(f"pair {p.drug}: {drug} is not one of `drugs`")
            if p.risk(events[p.event]) > 1:
                raise ValueError(
                    f"pair {p.drug}-{p.event}: the relative risk makes the "
                    "probability of an induced event over 1"
                )
        for i, d in enumerate(self.drugs):
            if d.added_to is not None and d.added_to not in atc[:i]:
                raise ValueError(f"drug {d.atc}: added to no drug declared before it")
        culprits = {p.drug for p in self.pairs}
        for c in self.controls:
            if c not in atc or c in culprits:
                raise ValueError(f"control {c}: not a drug of `drugs`, or a culprit")
        return self

    def event(self, name: str) -> Event:
        return next(e for e in self.events if e.name == name)


@cache
def drug_events(path: Path | None = None) -> DrugEvents:
    """The declared drug events (the shipped file unless `path`), validated;
    a problem is a `ModuleFileError` naming the file and the field."""
    path = path or Path(str(files("entrepot.data.synth").joinpath("drug_events.yaml")))
    data = read_yaml(path, ModuleFileError)
    try:
        spec = DrugEvents.model_validate(data)
    except ValidationError as e:
        error = e.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "(file)"
        raise ModuleFileError(f"{path}: field {where}: {error['msg']}") from e
    cim10, atc, _ = _known_codes()
    units = {u.name for u in all_units()}
    for i, e in enumerate(spec.events):
        if e.code not in cim10:
            raise ModuleFileError(f"{path}: field events.{i}.code: {e.code!r} unknown")
        if e.unit not in units:
            raise ModuleFileError(
                f"{path}: field events.{i}.unit: {e.unit!r} is not a unit of units.csv"
            )
    for i, d in enumerate(spec.drugs):
        if d.atc not in atc:
            raise ModuleFileError(f"{path}: field drugs.{i}.atc: {d.atc!r} unknown")
    return spec


@dataclass
class Cases:
    """The events planted in one chunk: one entry per case."""

    person: list[np.ndarray] = field(default_factory=list)
    onset: list[np.ndarray] = field(default_factory=list)
    exposure: list[np.ndarray] = field(default_factory=list)  # -1: background
    pair: list[np.ndarray] = field(default_factory=list)  # -1: background
    event: list[np.ndarray] = field(default_factory=list)

    def add(self, person, onset, event: int, exposure=None, pair: int = -1) -> None:
        n = len(person)
        self.person.append(person)
        self.onset.append(onset)
        self.exposure.append(np.full(n, -1) if exposure is None else exposure)
        self.pair.append(np.full(n, pair))
        self.event.append(np.full(n, event))


def plant(rng: np.random.Generator, people: Population, out: Plan) -> Cases:
    """Courses, background and induced events into `out`; the cases planted."""
    spec = drug_events()
    n = len(people)
    span = people.obs_end - people.obs_start + 1
    follow = people.follow_end - people.follow_start + 1
    courses: dict[str, Span] = {}
    for drug in spec.drugs:
        # a day of the whole follow-up, kept inside the observation period:
        # as many courses start on the period's first and last days as between
        start = people.follow_start + (rng.random(n) * follow).astype(np.int64)
        takes = rng.random(n) < drug.share
        if drug.added_to:
            takes &= courses[drug.added_to].who
            start = courses[drug.added_to].start
        takes &= (people.obs_start <= start) & (start <= people.obs_end)
        stop = np.minimum(start + drug.days_supply - 1, people.obs_end)
        courses[drug.atc] = Span(takes, start, stop)
        out.drugs.append((drug, courses[drug.atc], True))
    cases = Cases()
    for k, event in enumerate(spec.events):
        count = rng.poisson(event.background_per_year * span / YEAR)
        who = np.repeat(np.arange(n), count)
        day = people.obs_start[who] + (rng.random(len(who)) * span[who]).astype(
            np.int64
        )
        cases.add(who, day, k)
    for j, pair in enumerate(spec.pairs):
        k = spec.events.index(spec.event(pair.event))
        course = courses[pair.drug]
        at_risk = course.who.copy()
        for group in pair.with_:
            at_risk &= np.logical_or.reduce(
                [courses[a].active(np.arange(n), course.start) for a in group]
            )
        day = course.start + pair.latency.draw(rng, n)
        induced = at_risk & (rng.random(n) < pair.risk(spec.events[k]))
        who = np.flatnonzero(induced & (day <= people.obs_end))
        cases.add(who, day[who], k, course.start[who], j)
    person, onset, event = (
        np.concatenate(getattr(cases, f)) for f in ("person", "onset", "event")
    )
    for k, e in enumerate(spec.events):
        mine = event == k
        out.visits.add(
            rng,
            person[mine],
            onset[mine],
            MCO,
            unit_index(e.unit),
            undotted(e.code),
            er=VIA_EMERGENCY,
        )
    return cases


def truth(cases: Cases, person_id: np.ndarray, pairs: bool) -> list[dict]:
    """synth_truth's rows for the cases (after the pairs and the controls, when
    `pairs`); an induced case carries its pair's fields and the drug's start."""
    spec = drug_events()
    rows = []
    if pairs:
        rows += [_pair_row(p, "pair") for p in spec.pairs]
        rows += [
            {
                "subtype": "control",
                "drug_atc": c,
                "event_code": undotted(e.code),
                "relative_risk": 1.0,
            }
            for c in spec.controls
            for e in spec.events
        ]
    person, onset, exposure, pair, event = (
        np.concatenate(getattr(cases, f))
        for f in ("person", "onset", "exposure", "pair", "event")
    )
    for i in np.argsort(person_id[person], kind="stable"):
        row = {
            "person_id": int(person_id[person[i]]),
            "subtype": "background",
            "onset_date": _date(onset[i]),
            "event_code": undotted(spec.events[event[i]].code),
        }
        if pair[i] >= 0:
            row |= _pair_row(spec.pairs[pair[i]], "induced")
            row["exposure_date"] = _date(exposure[i])
        rows.append(row)
    return [{"module": MODULE} | r for r in rows]


def _pair_row(pair: Pair, subtype: str) -> dict:
    spec = drug_events()
    latency = pair.latency
    return {
        "subtype": subtype,
        "drug_atc": pair.drug,
        "with_atc": ";".join(",".join(g) for g in pair.with_) or None,
        "event_code": undotted(spec.event(pair.event).code),
        "relative_risk": pair.relative_risk,
        "latency_median": latency.median,
        "latency_shape": latency.shape,
        "latency_min": latency.min,
        "latency_max": latency.max,
    }


def _date(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day))
