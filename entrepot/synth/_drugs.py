"""drug_exposure: prescriptions at visits, daily administrations during stays,
the culprit drugs of drug reactions, and transfusions of red cells."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from entrepot.synth._arrow import cdm, dates, datetimes, ids, strings
from entrepot.synth._diseases import Plan
from entrepot.synth._modules import Drug
from entrepot.synth._population import Population
from entrepot.synth._reference import (
    EHR_ADMINISTRATION,
    EHR_PRESCRIPTION,
    MCO,
    ROUTES,
    atc_concept,
    background_drugs,
)
from entrepot.synth._visits import Stays

#: Red cells have no ATC code in the bundled vocabulary: concept 0, source value kept.
RED_CELLS = Drug(
    atc="",
    product="CGR - concentré de globules rouges phénotypé",
    dose=2,
    unit="unité",
    route="iv",
    days_supply=1,
)


@dataclass
class Rows:
    """Drug exposures being gathered: one array per column, one entry per piece."""

    person: list = field(default_factory=list)
    visit: list = field(default_factory=list)  # row of Stays, -1 for none
    drug: list = field(default_factory=list)  # index in `catalog`
    start: list = field(default_factory=list)
    end: list = field(default_factory=list)
    kind: list = field(default_factory=list)
    catalog: list[Drug] = field(default_factory=list)

    def add(self, drug: Drug, person, visit, start, end, kind) -> None:
        if drug not in self.catalog:
            self.catalog.append(drug)
        n = len(person)
        self.person.append(np.asarray(person, np.int64))
        self.visit.append(np.asarray(visit, np.int64))
        self.drug.append(np.full(n, self.catalog.index(drug)))
        self.start.append(np.asarray(start, np.int64))
        self.end.append(np.asarray(end, np.int64))
        self.kind.append(np.full(n, kind))


def _daily(visit: np.ndarray, first: np.ndarray, last: np.ndarray):
    """One (visit, day) per day from first to last, for each visit."""
    count = np.maximum(last - first + 1, 0)
    rows = np.repeat(visit, count)
    offset = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    return rows, np.repeat(first, count) + offset


def _given(rows: Rows, drug: Drug, s: Stays, visits: np.ndarray, obs_end) -> None:
    """At each visit: daily administrations during a stay, then a prescription."""
    stay = visits[s.kind[visits] == MCO]
    v, day = _daily(
        stay,
        s.start[stay],
        np.minimum(s.end[stay], s.start[stay] + drug.days_supply - 1),
    )
    rows.add(drug, s.person[v], v, day, day, EHR_ADMINISTRATION)
    start = s.end[visits]
    end = np.minimum(start + drug.days_supply - 1, obs_end[s.person[visits]])
    rows.add(drug, s.person[visits], visits, start, end, EHR_PRESCRIPTION)


def drug_rows(rng, s: Stays, people: Population, plan: Plan) -> Rows:
    rows = Rows()
    for drug, span, culprit in plan.drugs:
        if culprit:
            who = np.flatnonzero(span.who)
            rows.add(
                drug,
                who,
                np.full(len(who), -1),
                span.start[who],
                span.stop[who],
                EHR_PRESCRIPTION,
            )
        else:
            visits = np.flatnonzero(span.active(s.person, s.start))
            _given(rows, drug, s, visits, people.obs_end)
    mco = np.flatnonzero(s.kind == MCO)
    for row in background_drugs():
        drug = Drug(
            atc=row["atc"],
            product=row["product"],
            dose=float(row["dose"]),
            unit=row["unit"],
            route=row["route"],
            days_supply=int(row["days_supply"]),
        )
        chosen = mco[rng.random(len(mco)) < float(row["share"])]
        v, day = _daily(
            chosen,
            s.start[chosen],
            np.minimum(s.end[chosen], s.start[chosen] + drug.days_supply - 1),
        )
        rows.add(drug, s.person[v], v, day, day, EHR_ADMINISTRATION)
    return rows


def transfuse(rows: Rows, s: Stays, anaemic: np.ndarray) -> None:
    """Red cells for stays with haemoglobin under 8 g/dL (visit rows `anaemic`)."""
    rows.add(
        RED_CELLS,
        s.person[anaemic],
        anaemic,
        s.start[anaemic],
        s.start[anaemic],
        EHR_ADMINISTRATION,
    )


def drug_exposure(rows: Rows, s: Stays, person_id, chunk: int) -> pa.Table:
    person, visit, drug, start, end, kind = (
        np.concatenate(getattr(rows, f))
        for f in ("person", "visit", "drug", "start", "end", "kind")
    )
    order = np.lexsort((kind, end, visit, drug, start, person))
    person, visit, drug, start, end, kind = (
        a[order] for a in (person, visit, drug, start, end, kind)
    )
    # two modules may give the same drug on the same day: one row, not two
    repeat = np.zeros(len(person), bool)
    repeat[1:] = np.logical_and.reduce(
        [a[1:] == a[:-1] for a in (person, visit, drug, start, end, kind)]
    )
    person, visit, drug, start, end, kind = (
        a[~repeat] for a in (person, visit, drug, start, end, kind)
    )
    catalog = rows.catalog
    concept = np.array([atc_concept(d.atc) if d.atc else 0 for d in catalog], np.int64)
    route = np.array([ROUTES[d.route] for d in catalog], np.int64)
    dose = np.array([d.dose for d in catalog])
    has_visit = visit >= 0
    visit_id = np.where(has_visit, s.id[np.maximum(visit, 0)], 0)
    sig = [f"{d.dose:g} {d.unit} par jour" for d in catalog]
    return cdm(
        "drug_exposure",
        {
            "drug_exposure_id": ids(chunk, len(person)),
            "person_id": person_id[person],
            "drug_concept_id": concept[drug],
            "drug_exposure_start_date": dates(start),
            "drug_exposure_start_datetime": datetimes(
                start, np.where(kind == EHR_ADMINISTRATION, 540, 720)
            ),
            "drug_exposure_end_date": dates(end),
            "drug_exposure_end_datetime": datetimes(end, 1200),
            "drug_type_concept_id": kind,
            "quantity": dose[drug],
            "days_supply": end - start + 1,
            "sig": strings(sig, drug),
            "route_concept_id": route[drug],
            "visit_occurrence_id": pa.array(visit_id, mask=~has_visit),
            "drug_source_value": strings([d.product for d in catalog], drug),
            "route_source_value": strings([d.route for d in catalog], drug),
            "dose_unit_source_value": strings([d.unit for d in catalog], drug),
        },
    )
