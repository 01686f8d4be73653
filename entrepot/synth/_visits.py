"""Visits of the CHU: background care for every patient, then the modules' visits,
with lengths of stay, units, principal diagnoses and unit-level visit_detail."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np
import pyarrow as pa

from entrepot.synth._arrow import cdm, dates, datetimes, ids, strings
from entrepot.synth._diseases import Visits
from entrepot.synth._population import YEAR, Population
from entrepot.synth._reference import (
    CONSULT,
    EHR,
    EMERGENCY,
    ER_INPATIENT,
    HDJ,
    ICU,
    INPATIENT,
    KINDS,
    MCO,
    OUTPATIENT,
    URG,
    background_diagnoses,
    names,
    unit_index,
    units,
)

#: Background contacts per year of follow-up, by kind (MCO, HDJ, CONSULT, URG).
RATES = {MCO: 0.12, HDJ: 0.05, CONSULT: 0.8, URG: 0.15}
FIRST_CONTACT = [0.25, 0.05, 0.45, 0.25]  # kind of the first and last contacts
ICU_SHARE = 0.03  # background stays going through intensive care
VIA_EMERGENCY = 0.35  # background stays admitted through the emergency room
STAFF = 8  # physicians per unit
DAY_MINUTES = 1440
_NDA_FACTOR = 7_777_777_777  # coprime with 9e11: a bijection of visit ids onto NDAs


def background(rng: np.random.Generator, people: Population, visits: Visits) -> None:
    """First and last contacts (inside the period), and contacts in between."""
    n = len(people)
    everyone = np.arange(n)
    first = np.flatnonzero(people.first_seen)
    visits.add(
        rng,
        first,
        people.obs_start[first],
        _kinds(rng, len(first)),
        -1,
        "",
        icu=ICU_SHARE,
        er=VIA_EMERGENCY,
    )
    later = np.flatnonzero((people.obs_end > people.obs_start) & ~people.censored)
    visits.add(
        rng,
        later,
        people.obs_end[later],
        _kinds(rng, len(later)),
        -1,
        "",
        icu=ICU_SHARE,
        er=VIA_EMERGENCY,
    )
    years = (people.obs_end - people.obs_start) / YEAR
    for kind, rate in RATES.items():
        person = np.repeat(everyone, rng.poisson(rate * years))
        first, last = people.obs_start[person], people.obs_end[person]
        day = first + (rng.random(len(person)) * (last - first + 1)).astype(np.int64)
        visits.add(
            rng,
            person,
            np.minimum(day, last),
            kind,
            -1,
            "",
            icu=ICU_SHARE,
            er=VIA_EMERGENCY if kind == MCO else 0.0,
        )


def _kinds(rng, n: int) -> np.ndarray:
    return rng.choice(4, n, p=FIRST_CONTACT).astype(np.int8)


@dataclass
class Stays:
    """The chunk's visits, sorted by patient and date, as arrays."""

    id: np.ndarray
    person: np.ndarray
    kind: np.ndarray
    unit: np.ndarray
    code: np.ndarray  # principal diagnosis, undotted CIM-10
    icu: np.ndarray
    er: np.ndarray
    first_of: np.ndarray
    start: np.ndarray  # day
    end: np.ndarray
    start_minute: np.ndarray
    end_minute: np.ndarray
    icu_days: np.ndarray

    def __len__(self) -> int:
        return len(self.id)


def stays(rng, people: Population, visits: Visits, chunk: int) -> Stays:
    """Units, diagnoses, lengths and ids of every planned visit."""
    v = visits.arrays()
    order = np.lexsort((v["kind"], v["day"], v["person"]))
    v = {k: a[order] for k, a in v.items()}
    n = len(order)
    age = people.age(v["day"], v["person"])
    female = people.female[v["person"]]
    unit = _units(rng, v["unit"].copy(), v["kind"], age, female)
    code = v["code"].copy()
    blank = code == ""
    code[blank] = _background_codes(
        rng, unit[blank], v["kind"][blank], age[blank], female[blank]
    )
    mco = v["kind"] == MCO
    icu = v["icu"] & mco
    los = np.clip(np.rint(np.exp(rng.normal(1.3, 0.75, n))), 1, 60).astype(np.int64)
    los += 3 * icu
    last = people.obs_end[v["person"]]
    end = np.where(mco, np.minimum(v["day"] + los, last), v["day"])
    start_minute = np.select(
        [mco, v["kind"] == URG, v["kind"] == HDJ],
        [
            rng.integers(480, 1200, n),
            rng.integers(0, 1140, n),
            rng.integers(450, 570, n),
        ],
        rng.integers(480, 1080, n),
    )
    end_minute = np.where(
        mco, rng.integers(600, 1080, n), start_minute + rng.integers(30, 300, n)
    )
    end_minute = np.where(
        mco & (end == v["day"]), np.maximum(end_minute, start_minute + 60), end_minute
    )
    icu_days = np.where(icu, np.maximum(1, (end - v["day"]) // 2), 0)
    return Stays(
        id=ids(chunk, n),
        person=v["person"],
        kind=v["kind"],
        unit=unit,
        code=code,
        icu=icu,
        er=v["er"] & mco,
        first_of=v["first_of"],
        start=v["day"],
        end=end,
        start_minute=start_minute,
        end_minute=end_minute,
        icu_days=icu_days,
    )


def _units(rng, unit, kind, age, female) -> np.ndarray:
    """Units of background visits, by weight, where the patient can go."""
    wards = [i for i, u in enumerate(units()) if u.kind == "ward"]
    weights = np.array([units()[i].weight for i in wards])
    free = unit < 0
    unit[free] = np.array(wards)[
        rng.choice(len(wards), free.sum(), p=weights / weights.sum())
    ]
    unit[free & (kind == URG)] = unit_index("Urgences")
    internal = unit_index("Médecine interne")
    children = free & (age < 16) & (kind != URG)
    unit[children] = unit_index("Pédiatrie")
    unit[free & (unit == unit_index("Pédiatrie")) & (age >= 16)] = internal
    unit[free & (unit == unit_index("Gériatrie")) & (age < 70)] = internal
    unit[free & (unit == unit_index("Gynécologie-obstétrique")) & ~female] = internal
    return unit


def _background_codes(rng, unit, kind, age, female) -> np.ndarray:
    """A principal diagnosis from the unit's usual ones (R69 when none fits)."""
    table = background_diagnoses()
    group = np.array([units()[u].name for u in unit], dtype=object)
    group[kind == CONSULT] = "CONSULT"
    out = np.full(len(unit), "R69", dtype=object)
    for name in np.unique(group):
        rows = np.flatnonzero(group == name)
        if name not in table:
            continue
        d = table[name]
        a, f = age[rows, None], female[rows, None]
        fits = (
            (a >= d.min_age)
            & (a <= d.max_age)
            & ~(d.female_only & ~f)
            & ~(d.male_only & f)
        )
        weight = np.cumsum(fits * d.weight, axis=1)
        u = rng.random(len(rows)) * weight[:, -1]
        pick = np.minimum((u[:, None] >= weight).sum(axis=1), len(d.codes) - 1)
        out[rows] = np.where(weight[:, -1] > 0, d.codes[pick], "R69")
    return out


def visit_occurrence(s: Stays, person_id: np.ndarray) -> pa.Table:
    concept = np.select(
        [s.kind == URG, s.kind != MCO, s.er],
        [EMERGENCY, OUTPATIENT, ER_INPATIENT],
        INPATIENT,
    )
    return cdm(
        "visit_occurrence",
        {
            "visit_occurrence_id": s.id,
            "person_id": person_id[s.person],
            "visit_concept_id": concept,
            "visit_start_date": dates(s.start),
            "visit_start_datetime": datetimes(s.start, s.start_minute),
            "visit_end_date": dates(s.end),
            "visit_end_datetime": datetimes(s.end, s.end_minute),
            "visit_type_concept_id": np.full(len(s), EHR),
            "care_site_id": s.unit + 1,
            "visit_source_value": strings(KINDS, s.kind),
        },
    )


def visit_detail(s: Stays, person_id: np.ndarray, chunk: int) -> pa.Table:
    """Units a stay went through: emergency room, intensive care (the USIC for
    a cardiology stay, else medical intensive care), then the ward."""
    mco = s.kind == MCO
    er_unit = unit_index("Urgences")
    icu_unit = np.where(
        s.unit == unit_index("Cardiologie"),
        unit_index("USIC"),
        unit_index("Réanimation médicale"),
    )
    start = s.start * DAY_MINUTES + s.start_minute
    end = s.end * DAY_MINUTES + s.end_minute
    ward_start = start + 240 * s.er
    icu_end = np.where(s.icu, ward_start + s.icu_days * DAY_MINUTES, ward_start)
    segments = [  # (rows, concept, unit, start, end, order)
        (s.er, EMERGENCY, er_unit, start, ward_start),
        (s.icu, ICU, icu_unit, ward_start, np.minimum(icu_end, end)),
        (mco, INPATIENT, s.unit, np.minimum(icu_end, end), end),
        (s.kind == URG, EMERGENCY, er_unit, start, end),
    ]
    parts = []
    for order, (rows, concept, unit, begin, finish) in enumerate(segments):
        i = np.flatnonzero(rows)
        u = np.broadcast_to(unit, len(s))[i]
        parts.append(
            (
                i,
                np.full(len(i), concept),
                u,
                begin[i],
                finish[i],
                np.full(len(i), order),
            )
        )
    i, concept, unit, begin, finish, order = (
        np.concatenate(p) for p in zip(*parts, strict=True)
    )
    sort = np.lexsort((order, i))
    i, concept, unit, begin, finish = (
        i[sort],
        concept[sort],
        unit[sort],
        begin[sort],
        finish[sort],
    )
    return cdm(
        "visit_detail",
        {
            "visit_detail_id": ids(chunk, len(i)),
            "person_id": person_id[s.person[i]],
            "visit_detail_concept_id": concept,
            "visit_detail_start_date": dates(begin // DAY_MINUTES),
            "visit_detail_start_datetime": datetimes(0, begin),
            "visit_detail_end_date": dates(finish // DAY_MINUTES),
            "visit_detail_end_datetime": datetimes(0, finish),
            "visit_detail_type_concept_id": np.full(len(i), EHR),
            "care_site_id": unit + 1,
            "visit_detail_source_value": strings([u.name for u in units()], unit),
            "visit_occurrence_id": s.id[i],
        },
    )


@cache
def staff() -> tuple[tuple[str, ...], ...]:
    """Physicians of each unit: the hospital's structure, the same for every seed."""
    rng = np.random.default_rng(20080101)
    out = []
    for _ in units():
        sex = rng.random(STAFF) < 0.5
        first = [
            rng.choice(names("F" if f else "M")[0], p=names("F" if f else "M")[1])
            for f in sex
        ]
        last = rng.choice(names("last")[0], STAFF, p=names("last")[1])
        out.append(tuple(f"{a} {b}" for a, b in zip(first, last, strict=True)))
    return tuple(out)


def stay_identities(rng, s: Stays, person_id: np.ndarray) -> pa.Table:
    """What the notes and raw extracts need of each visit: NDA, hospital, unit,
    physician, kind. Never loaded into OMOP tables."""
    team = staff()
    pick = rng.integers(0, STAFF, len(s))
    return pa.table(
        {
            "visit_occurrence_id": pa.array(s.id, pa.int64()),
            "person_id": pa.array(person_id[s.person], pa.int64()),
            "nda": pa.array(
                [str(10**11 + (int(i) * _NDA_FACTOR) % (9 * 10**11)) for i in s.id]
            ),
            "hospital": strings([u.hospital for u in units()], s.unit),
            "unit": strings([u.name for u in units()], s.unit),
            "physician": pa.array(
                [team[u][p] for u, p in zip(s.unit, pick, strict=True)]
            ),
            "kind": strings(KINDS, s.kind),
        }
    )
