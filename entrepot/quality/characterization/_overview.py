"""What the warehouse holds, within a project's perimeter, ready to plot (the
web app's overview): rows per table, age pyramid, records per year per
domain, top concepts, the last data quality run.

Every count goes through `decision.mask`; tables outside the perimeter are
left out (their figures are None).
"""

from __future__ import annotations

from datetime import date

import ibis

from entrepot.errors import AccessDeniedError
from entrepot.privacy import Decision
from entrepot.warehouse.cdm._schema import CLINICAL_TABLES
from entrepot.warehouse.vocabulary import with_labels

#: Plotted per year: domain -> (table, date column, concept column or None).
DOMAINS = {
    "conditions": (
        "condition_occurrence",
        "condition_start_date",
        "condition_concept_id",
    ),
    "drugs": ("drug_exposure", "drug_exposure_start_date", "drug_concept_id"),
    "measurements": ("measurement", "measurement_date", "measurement_concept_id"),
    "visits": ("visit_occurrence", "visit_start_date", None),
    "notes": ("note", "note_date", None),
}
TOPS = {"diagnoses": "conditions", "drugs": "drugs", "labs": "measurements"}
SEXES = {8532: "female", 8507: "male"}
BANDS = 20  # 0-4 ... 90-94, 95+
TOP = 10


def visible(wh, decision: Decision, name: str):
    """The table inside the perimeter, or None (absent or outside)."""
    if not wh.has_table(name):
        return None
    try:
        return decision.table(wh, name)
    except AccessDeniedError:
        return None


def _rows(expr) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


def _pyramid(person, mask) -> list[dict]:
    age = date.today().year - person.year_of_birth.cast("int64")
    band = ibis.greatest(ibis.least(age // 5, BANDS - 1), 0)
    counts = {
        (r["band"], SEXES.get(r["sex"], "other")): r["n"]
        for r in _rows(
            person.group_by(
                band=band, sex=person.gender_concept_id.cast("int64")
            ).aggregate(n=person.count())
        )
    }
    out = []
    for b in range(BANDS):
        label = f"{5 * b}-{5 * b + 4}" if b < BANDS - 1 else f"{5 * b}+"
        sexes = {s: mask(counts.get((b, s), 0)) for s in ("female", "male", "other")}
        out.append({"band": label} | sexes)
    return out


def _per_year(tables: dict, mask) -> dict:
    counts, years = {}, set()
    for domain, (_, day, _) in DOMAINS.items():
        t = tables[domain]
        if t is None:
            counts[domain] = None
            continue
        rows = _rows(t.group_by(year=t[day].year()).aggregate(n=t.count()))
        counts[domain] = {r["year"]: r["n"] for r in rows if r["year"] is not None}
        years |= set(counts[domain])
    ordered = sorted(years)
    return {
        "years": ordered,
        "domains": {
            d: None if c is None else [mask(c.get(y, 0)) for y in ordered]
            for d, c in counts.items()
        },
    }


def _top(wh, t, column: str, mask) -> list[dict]:
    counts = (
        t.group_by(concept_id=t[column].cast("int64"))
        .aggregate(persons=t.person_id.nunique(), records=t.count())
        .order_by([ibis.desc("persons"), ibis.desc("records"), "concept_id"])
        .limit(TOP)
    )
    named = with_labels(wh, counts, "concept_id")
    rows = _rows(
        named.order_by([ibis.desc("persons"), ibis.desc("records"), "concept_id"])
    )
    return [
        r | {"persons": mask(r["persons"]), "records": mask(r["records"])} for r in rows
    ]


def quality_summary(wh) -> dict | None:
    """The statuses of the checks last run (`entrepot quality`), or None."""
    from entrepot.quality._model import CATEGORIES, STATUSES
    from entrepot.quality._state import load_state

    results = [r for _, found in load_state(wh).values() for r in found]
    if not results:
        return None
    failing = sorted(
        (r for r in results if r.status == "fail"),
        key=lambda r: -(r.violating_percent or 0),
    )
    return {
        "checks": len(results),
        **{s: sum(r.status == s for r in results) for s in STATUSES},
        "by_category": {
            c: {
                s: sum(r.status == s and r.category == c for r in results)
                for s in STATUSES
            }
            for c in CATEGORIES
        },
        "failing": [
            {
                "id": r.id,
                "description": r.description,
                "violating_percent": r.violating_percent,
            }
            for r in failing[:TOP]
        ],
    }


def overview(wh, decision: Decision) -> dict:
    """Everything the overview page plots, masked, within the perimeter."""
    mask = decision.mask
    present = set(wh.tables("cdm"))
    tables = []
    for name in CLINICAL_TABLES:
        t = visible(wh, decision, name) if name in present else None
        n = 0 if t is None else int(t.count().to_pyarrow().as_py())
        if n:
            tables.append({"table": name, "rows": mask(n)})
    person = visible(wh, decision, "person")
    domains = {d: visible(wh, decision, spec[0]) for d, spec in DOMAINS.items()}
    return {
        "project": decision.project,
        "mask_below": decision.mask_below,
        "persons": mask(int(person.count().to_pyarrow().as_py()))
        if person is not None
        else 0,
        "tables": tables,
        "pyramid": _pyramid(person, mask) if person is not None else [],
        "per_year": _per_year(domains, mask),
        "top": {
            name: None
            if domains[d] is None
            else _top(wh, domains[d], DOMAINS[d][2], mask)
            for name, d in TOPS.items()
        },
        "quality": quality_summary(wh),
    }
