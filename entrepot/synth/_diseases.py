"""Apply the disease modules to a chunk of patients, vectorised over patients.

Each module picks its patients (prevalence, sex, age at onset, relative risks),
dates the onset inside their observation period, draws a subtype, deaths,
complications (after onset, before the end of observation), drugs and the
visits the disease brings. The result is a plan that the table writers follow:
no complication without its disease, nothing outside the observation period.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field

import numpy as np

from entrepot.errors import ModuleFileError
from entrepot.synth._modules import Drug, LabEffect, Module, Procedure, Spread
from entrepot.synth._population import YEAR, Population
from entrepot.synth._reference import (
    CONSULT,
    HDJ,
    KINDS,
    MCO,
    female_share,
    undotted,
    unit_index,
)


@dataclass
class Span:
    """Patients (`who`) concerned from `start` to `stop` (days, inclusive)."""

    who: np.ndarray
    start: np.ndarray
    stop: np.ndarray

    def active(self, person: np.ndarray, day: np.ndarray) -> np.ndarray:
        """Whether each (person, day) falls in the span."""
        return (
            self.who[person] & (self.start[person] <= day) & (day <= self.stop[person])
        )


@dataclass
class Visits:
    """Planned visits: one row each (before ids and lengths are given)."""

    person: list[np.ndarray] = field(default_factory=list)
    day: list[np.ndarray] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    unit: list[np.ndarray] = field(default_factory=list)
    code: list[np.ndarray] = field(default_factory=list)  # principal, '' = background
    icu: list[np.ndarray] = field(default_factory=list)
    er: list[np.ndarray] = field(default_factory=list)
    first_of: list[np.ndarray] = field(default_factory=list)  # module number or -1

    def add(self, rng, person, day, kind, unit, code, icu=0.0, er=0.0, first_of=-1):
        n = len(person)
        self.person.append(np.asarray(person, np.int64))
        self.day.append(np.asarray(day, np.int64))
        self.kind.append(np.broadcast_to(np.asarray(kind, np.int8), n))
        self.unit.append(np.broadcast_to(np.asarray(unit, np.int64), n))
        self.code.append(np.broadcast_to(np.asarray(code, dtype=object), n))
        self.icu.append(rng.random(n) < np.broadcast_to(icu, n))
        self.er.append(rng.random(n) < np.broadcast_to(er, n))
        self.first_of.append(np.full(n, first_of, np.int64))

    def arrays(self) -> dict[str, np.ndarray]:
        return {
            name: np.concatenate(getattr(self, name))
            for name in (
                "person",
                "day",
                "kind",
                "unit",
                "code",
                "icu",
                "er",
                "first_of",
            )
        }


@dataclass
class Plan:
    """What the modules decided for one chunk."""

    diagnoses: list[tuple[str, Span]] = field(default_factory=list)  # CIM-10
    effects: list[tuple[LabEffect, Span, np.ndarray]] = field(default_factory=list)
    drugs: list[tuple[Drug, Span, bool]] = field(default_factory=list)  # culprit?
    procedures: list[tuple[Procedure, Span]] = field(default_factory=list)
    visits: Visits = field(default_factory=Visits)
    truth: list[tuple[str, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list
    )  # module, person, subtype names, onset
    has: dict[str, np.ndarray] = field(default_factory=dict)  # module or tag -> bool


def ordered(modules: list[Module]) -> list[Module]:
    """Modules after those they depend on (`risk_with`, `weight_with`)."""
    by_tag: dict[str, set[str]] = {}
    for m in modules:
        for tag in m.tags:
            by_tag.setdefault(tag, set()).add(m.name)

    def needs(m: Module) -> set[str]:
        refs = set(m.risk_with) | {r for s in m.subtypes for r in s.weight_with}
        return {n for r in refs for n in by_tag.get(r, {r})} - {m.name}

    done: list[Module] = []
    waiting = list(modules)
    while waiting:
        ready = [m for m in waiting if needs(m) <= {d.name for d in done}]
        if not ready:
            names = ", ".join(m.name for m in waiting)
            raise ModuleFileError(f"modules depend on each other in a cycle: {names}")
        done += ready
        waiting = [m for m in waiting if m not in ready]
    return done


def _draw(rng, spread: Spread, n: int) -> np.ndarray:
    values = rng.normal(spread.mean, spread.sd, n)
    return np.clip(values, spread.min, spread.max)


def plan(
    rng: np.random.Generator,
    people: Population,
    modules: list[Module],
    forced: dict[str, tuple[np.ndarray, np.ndarray]] | None = None,
) -> Plan:
    """Run every module over the chunk's patients, in dependency order;
    `forced` gives some modules patients who have them (and their onsets)."""
    forced = forced or {}
    result = Plan()
    # Each module draws from its own stream: editing one leaves the others as they were.
    base = int(rng.integers(2**63))
    for number, module in enumerate(ordered(modules)):
        own = np.random.default_rng([base, zlib.crc32(module.name.encode())])
        _apply(own, people, module, number, result, forced.get(module.name))
    return result


def onsets(rng, people: Population, module: Module):
    """A possible onset day of each patient, the weight of their age at it and
    sex (0 where it is impossible), and each one's first possible onset day."""
    lo, hi = _window(people, module)
    onset = lo + (rng.random(len(people)) * np.maximum(hi - lo, 0)).astype(np.int64)
    age = people.age(onset)
    weight = np.exp(
        -0.5 * ((age - module.onset_age.mean) / (module.onset_age.sd or 1e9)) ** 2
    )
    weight *= np.where(people.female, *sex_weights(module))
    weight[(hi < lo) | (onset > people.obs_end)] = 0.0  # not yet when the period ends
    return onset, weight, lo


def sex_weights(module: Module) -> tuple[float, float]:
    """How much more (or less) often than average a woman and a man have it."""
    women = female_share()
    return module.female_share / women, (1 - module.female_share) / (1 - women)


def _apply(
    rng, people: Population, module: Module, number: int, out: Plan, forced=None
) -> None:
    """One module over the chunk; `forced` (patients, their onsets) have it."""
    n = len(people)
    onset, weight, lo = onsets(rng, people, module)
    for other, risk in module.risk_with.items():
        weight *= np.where(out.has.get(other, np.zeros(n, bool)), risk, 1.0)
    given = np.zeros(n, bool) if forced is None else forced[0]
    weight[given] = 0.0  # the others keep the module's prevalence
    free = n - given.sum()
    scale = module.prevalence * free / max(weight.sum(), 1e-12)
    has = given | (rng.random(n) < np.minimum(1.0, scale * weight))
    if forced is not None:
        onset = np.where(given, forced[1], onset)
    onset = np.where(has, onset, -1)

    subtype = _subtypes(rng, module, has, out)
    dies = has & (rng.random(n) < _per_subtype(module, subtype, "death", module.death))
    dies &= ~people.censored  # alive when the period ends
    people.dead |= dies
    code = _codes(rng, module, subtype)
    people.cause[dies] = code[dies]
    if module.acute_days and module.onset_period is None:  # fatal: onset near death
        late = np.maximum(lo, people.obs_end - rng.integers(0, 10, n))
        onset = np.where(dies, late, onset)
    stop = people.obs_end.copy()
    if module.acute_days:
        stop = np.minimum(stop, onset + module.acute_days)
    disease = Span(has, onset, stop)

    out.has[module.name] = has
    for tag in module.tags:
        out.has[tag] = out.has.get(tag, np.zeros(n, bool)) | has
    names = np.array([s.name for s in module.subtypes] or [""], dtype=object)
    who = np.flatnonzero(has)
    out.truth.append((module.name, who, names[np.maximum(subtype[who], 0)], onset[who]))

    for c in np.unique(code[has]):
        if c:
            out.diagnoses.append((c, Span(has & (code == c), onset, stop)))
    _module_effects(rng, module, disease, subtype, out)
    _complications(rng, people, module, disease, subtype, out)
    _culprits(rng, module, disease, subtype, out)
    _visits(rng, people, module, number, disease, subtype, code, out)


def _window(people: Population, module: Module) -> tuple[np.ndarray, np.ndarray]:
    """First and last possible onset day of each patient: over the whole follow-up,
    before and after the period too (onsets after it are dropped by `_apply`), so
    that diseases are as frequent on the period's first and last days as between."""
    first = people.obs_start if module.culprits else people.follow_start
    lo = np.maximum(first, people.birth + int(YEAR * (module.onset_age.min or 0)))
    hi = people.follow_end.copy()  # onsets after the period are left out: stationary
    if module.onset_age.max is not None:
        hi = np.minimum(hi, people.birth + int(YEAR * module.onset_age.max))
    if module.onset_period:
        first, last = (
            np.datetime64(d, "D").astype(np.int64) for d in module.onset_period
        )
        lo, hi = np.maximum(lo, first), np.minimum(hi, last)
    if module.culprits:  # the culprit drug starts within the observation period
        longest = max(
            s.latency_days.max or s.latency_days.mean * 2 for s in module.subtypes
        )
        lo = lo + int(longest)
    return lo, hi


def _subtypes(rng, module: Module, has: np.ndarray, out: Plan) -> np.ndarray:
    """Subtype number of each patient (-1 without the disease or subtypes)."""
    n = len(has)
    if not module.subtypes:
        return np.where(has, 0, -1)
    weights = np.empty((n, len(module.subtypes)))
    for j, s in enumerate(module.subtypes):
        weights[:, j] = s.weight
        for ref, factor in s.weight_with.items():
            weights[:, j] *= np.where(out.has.get(ref, np.zeros(n, bool)), factor, 1.0)
    cumulative = np.cumsum(weights, axis=1)
    u = rng.random(n) * cumulative[:, -1]
    chosen = (u[:, None] >= cumulative).sum(axis=1)
    return np.where(has, chosen, -1)


def _per_subtype(module: Module, subtype: np.ndarray, name: str, default: float):
    """A subtype field (death, icu) per patient, the module's value where unset."""
    values = [getattr(s, name) for s in module.subtypes]
    table = np.array([default if v is None else v for v in values] + [default])
    return table[subtype]  # -1 picks the module's default


def _codes(rng, module: Module, subtype: np.ndarray) -> np.ndarray:
    """Undotted CIM-10 of each patient's disease ('' where none)."""
    default = undotted(module.code) if module.code else ""
    table = [undotted(s.code) if s.code else default for s in module.subtypes]
    table = np.array(table + [default], dtype=object)
    code = np.where(subtype >= 0, table[subtype], "")
    if any(s.code_share for s in module.subtypes):
        u = rng.random(len(subtype))
        for j, s in enumerate(module.subtypes):
            if s.code_share:
                forms = np.array([undotted(c) for c in s.code_share], dtype=object)
                bounds = np.cumsum(list(s.code_share.values()))
                pick = np.searchsorted(bounds[:-1], u, side="right")
                code[subtype == j] = forms[pick[subtype == j]]
    return code


def _module_effects(rng, module, disease: Span, subtype, out: Plan) -> None:
    """Lab effects and drugs of the module and of each subtype."""
    groups = [(disease.who, module.labs, module.drugs, [], [])]
    for j, s in enumerate(module.subtypes):
        groups.append(
            (disease.who & (subtype == j), s.labs, s.drugs, s.codes, s.procedures)
        )
    groups[0][4].extend(module.procedures)
    for who, labs, drugs, codes, procedures in groups:
        span = Span(who, disease.start, disease.stop)
        _effects(rng, labs, span, out)
        _drugs(rng, drugs, span, out)
        for c in codes:
            out.diagnoses.append((undotted(c), span))
        for p in procedures:
            out.procedures.append((p, Span(who, disease.start, disease.start)))


def _effects(rng, labs: list[LabEffect], span: Span, out: Plan) -> None:
    n = len(span.who)
    for effect in labs:
        shows = span.who & (rng.random(n) < effect.share)
        out.effects.append((effect, Span(shows, span.start, span.stop), rng.random(n)))


def _drugs(rng, drugs: list[Drug], span: Span, out: Plan) -> None:
    n = len(span.who)
    for drug in drugs:
        takes = Span(span.who & (rng.random(n) < drug.share), span.start, span.stop)
        out.drugs.append((drug, takes, False))
        _effects(rng, drug.labs, takes, out)


def _complications(rng, people, module: Module, disease: Span, subtype, out: Plan):
    n = len(people)
    for c in module.complications:
        p = np.array(
            [s.complications.get(c.name, c.probability) for s in module.subtypes]
            + [c.probability]
        )
        day = disease.start + (_draw(rng, c.delay_years, n) * YEAR).astype(np.int64)
        occurs = disease.who & (rng.random(n) < p[subtype]) & (day <= people.obs_end)
        span = Span(occurs, day, people.obs_end)
        out.diagnoses.append((undotted(c.code), span))
        _effects(rng, c.labs, span, out)
        _drugs(rng, c.drugs, span, out)
        # one found at onset is coded at the onset's visit, without a stay of its own
        who = np.flatnonzero(occurs & (day >= people.obs_start) & (day > disease.start))
        out.visits.add(
            rng,
            who,
            day[who],
            MCO,
            unit_index(module.care.unit),
            undotted(c.code),
            icu=c.icu,
            er=module.care.via_emergency,
        )


def _culprits(rng, module: Module, disease: Span, subtype, out: Plan) -> None:
    """The drug that caused the disease, stopped at onset."""
    if not module.culprits:
        return
    n = len(subtype)
    weights = np.array([c.weight for c in module.culprits])
    pick = rng.choice(len(weights), n, p=weights / weights.sum())
    latency = np.zeros(n, np.int64)
    for j, s in enumerate(module.subtypes):
        latency[subtype == j] = _draw(rng, s.latency_days, int((subtype == j).sum()))
    for k, culprit in enumerate(module.culprits):
        who = disease.who & (pick == k)
        drug = Drug(**culprit.model_dump(exclude={"weight"}), days_supply=1)
        out.drugs.append(
            (drug, Span(who, disease.start - latency, disease.start - 1), True)
        )


def _visits(rng, people, module, number, disease: Span, subtype, code, out: Plan):
    """The visit at onset, then follow-up stays, day hospital and consultations."""
    care = module.care
    unit = unit_index(care.unit)
    seen = disease.who & (disease.start >= people.obs_start)  # onset inside the period
    who = np.flatnonzero(seen)
    icu = _per_subtype(module, subtype, "icu", care.icu)[who]
    out.visits.add(
        rng,
        who,
        disease.start[who],
        KINDS.index(care.first_visit),
        unit,
        code[who],
        icu=icu,
        er=care.via_emergency,
        first_of=number,
    )
    if module.acute_days:
        return
    who = np.flatnonzero(disease.who)
    since = np.maximum(
        disease.start, people.obs_start - 1
    )  # follow-up inside the period
    years = (people.obs_end[who] - since[who]) / YEAR
    for kind, rate in (
        (MCO, care.stays_per_year),
        (HDJ, care.day_hospital_per_year),
        (CONSULT, care.consultations_per_year),
    ):
        count = rng.poisson(rate * years)
        person = np.repeat(who, count)
        first, last = since[person], people.obs_end[person]
        day = first + 1 + (rng.random(len(person)) * (last - first)).astype(np.int64)
        day = np.minimum(day, last)
        out.visits.add(
            rng,
            person,
            day,
            kind,
            unit,
            code[person],
            icu=care.icu,
            er=care.via_emergency if kind == MCO else 0.0,
        )
