"""What the warehouse holds, within a project's perimeter, ready to plot (the
web app's overview): rows per table, age pyramid, records per year per
domain, top concepts, the last data quality run.

Every count is masked with the project's threshold; counts shown with their
totals (the pyramid and the persons, records per year and the table's rows)
go through complementary suppression together. Tables outside the perimeter
are left out (their figures are None).
"""

from __future__ import annotations

from datetime import date

import ibis

from entrepot.privacy import Decision, Suppressed
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


def _rows(expr) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


def _released(decision: Decision, table: dict) -> Suppressed:
    """A table of counts and its margins as they may leave: small cells and
    enough others hidden that none can be worked out from the totals (the
    total itself is shown elsewhere too: never hidden)."""
    return decision.suppress(table, public_total=True)


def _ages(person, periods):
    """Each person's age at the end of their follow-up (their last observation
    period; today without one), so that a patient seen once long ago, or dead,
    does not grow old in the pyramid."""
    today = ibis.literal(date.today().year)
    if periods is None:
        return person.mutate(age=today - person.year_of_birth.cast("int64"))
    last = periods.group_by(pid=periods.person_id).aggregate(
        end=periods.observation_period_end_date.max()
    )
    joined = person.left_join(last, person.person_id == last.pid)
    end = ibis.least(ibis.coalesce(joined.end.year(), today), today)
    return joined.mutate(age=end - joined.year_of_birth.cast("int64"))


def _pyramid(person, periods, decision: Decision) -> tuple[list[dict], int | str]:
    """Persons by 5-year band of age at their last follow-up and sex, and their
    total, suppressed together."""
    person = _ages(person, periods)
    band = ibis.greatest(ibis.least(person.age // 5, BANDS - 1), 0)
    counts = {
        (r["band"], SEXES.get(r["sex"], "other")): r["n"]
        for r in _rows(
            person.group_by(
                band=band, sex=person.gender_concept_id.cast("int64")
            ).aggregate(n=person.count())
        )
    }
    labels = [f"{5 * b}-{5 * b + 4}" for b in range(BANDS - 1)] + [f"{5 * BANDS - 5}+"]
    shown = _released(
        decision,
        {
            label: {s: counts.get((b, s), 0) for s in ("female", "male", "other")}
            for b, label in enumerate(labels)
        },
    )
    return [{"band": label} | shown.cells[label] for label in labels], shown.total


def _per_year(tables: dict, decision: Decision) -> tuple[dict, dict]:
    """Records per year of each domain, each suppressed with its total (the
    domain's table rows, shown beside them); and those totals."""
    counts, years = {}, set()
    for domain, (_, day, _) in DOMAINS.items():
        t = tables[domain]
        if t is None:
            counts[domain] = None
            continue
        rows = _rows(t.group_by(year=t[day].year()).aggregate(n=t.count()))
        counts[domain] = {r["year"]: r["n"] for r in rows}
        years |= {y for y in counts[domain] if y is not None}
    ordered = sorted(years)
    shown, totals = {}, {}
    for domain, c in counts.items():
        if c is None:
            shown[domain] = None
            continue
        released = _released(decision, {y: c.get(y, 0) for y in [*ordered, None]})
        shown[domain] = [released.cells[y]["count"] for y in ordered]
        totals[DOMAINS[domain][0]] = released.total
    return {"years": ordered, "domains": shown}, totals


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
    person = decision.visible(wh, "person")
    domains = {d: decision.visible(wh, spec[0]) for d, spec in DOMAINS.items()}
    periods = decision.visible(wh, "observation_period")
    pyramid, persons = (
        _pyramid(person, periods, decision) if person is not None else ([], 0)
    )
    per_year, totals = _per_year(domains, decision)
    tables = []
    for name in CLINICAL_TABLES:
        shown = totals.get(name)  # a domain's rows, counted with its years
        if shown is None:
            t = decision.visible(wh, name) if name in present else None
            shown = mask(0 if t is None else int(t.count().to_pyarrow().as_py()))
        if shown != 0:
            tables.append({"table": name, "rows": shown})
    return {
        "project": decision.project,
        "mask_below": decision.mask_below,
        "persons": persons,
        "tables": tables,
        "pyramid": pyramid,
        "per_year": per_year,
        "top": {
            name: None
            if domains[d] is None
            else _top(wh, domains[d], DOMAINS[d][2], mask)
            for name, d in TOPS.items()
        },
        "quality": quality_summary(wh),
    }
