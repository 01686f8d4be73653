"""What the warehouse holds, within a project's perimeter, ready to plot (the
web app's overview): rows per table, age pyramid, records per year per
domain, top concepts, the last data quality run.

Every count is masked with the project's threshold; counts shown with their
totals (the pyramid and the persons, records per year and the table's rows)
go through complementary suppression together. Tables outside the perimeter
are left out (their figures are None).

The figures are counted per table, before masking, and each is asked of
`read(key, work)`, whose key says what it depends on: the rows the perimeter
reads (`Decision.reads`: its persons, period and studies), not which tables
it may see or its threshold. A server that remembers them under that key
counts them once for every project whose perimeter reads the same rows
(the labs' top concepts, distinct persons over every measurement, cost
seconds at 100,000 patients).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from datetime import date
from typing import Any

import ibis

from entrepot.errors import AccessDeniedError
from entrepot.privacy import Decision, Suppressed
from entrepot.warehouse.cdm._schema import CLINICAL_TABLES
from entrepot.warehouse.vocabulary import with_labels

#: `read(item, work)`: `work(wh)`'s figures, or those it gave before for the
#: same item of the same rows
Read = Callable[[Hashable, Callable[[Any], Any]], Any]

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


def at_once(wh) -> Read:
    """A `read` that counts every figure on `wh` (remembers nothing)."""
    return lambda item, work: work(wh)


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


def _bands(person, periods) -> dict[tuple[int, str], int]:
    """Persons by 5-year band of age at their last follow-up and sex."""
    person = _ages(person, periods)
    band = ibis.greatest(ibis.least(person.age // 5, BANDS - 1), 0)
    counts = person.group_by(
        band=band, sex=person.gender_concept_id.cast("int64")
    ).aggregate(n=person.count())
    found: dict[tuple[int, str], int] = {}
    for r in _rows(counts):
        key = (r["band"], SEXES.get(r["sex"], "other"))
        found[key] = found.get(key, 0) + r["n"]
    return found


def _pyramid(counts: dict, decision: Decision) -> tuple[list[dict], int | str]:
    """The bands and their total, suppressed together."""
    labels = [f"{5 * b}-{5 * b + 4}" for b in range(BANDS - 1)] + [f"{5 * BANDS - 5}+"]
    shown = _released(
        decision,
        {
            label: {s: counts.get((b, s), 0) for s in ("female", "male", "other")}
            for b, label in enumerate(labels)
        },
    )
    return [{"band": label} | shown.cells[label] for label in labels], shown.total


def _years(t, day: str) -> dict[int | None, int]:
    """Rows per year of `day` (None: no date); their sum is the table's rows."""
    return {
        r["year"]: r["n"]
        for r in _rows(t.group_by(year=t[day].year()).aggregate(n=t.count()))
    }


def _per_year(counts: dict, decision: Decision) -> tuple[dict, dict]:
    """Records per year of each domain, each suppressed with its total (the
    domain's table rows, shown beside them); and those totals."""
    years = {y for c in counts.values() if c is not None for y in c if y is not None}
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


def _top(wh, t, column: str) -> list[dict]:
    """The `TOP` concepts by persons, then records: distinct (concept,
    person) pairs counted per concept (on DuckDB, cheaper than a distinct
    count per concept over every row)."""
    pairs = t.group_by(concept_id=t[column].cast("int64"), pid=t.person_id).aggregate(
        n=t.count()
    )
    counts = (
        pairs.group_by("concept_id")
        .aggregate(persons=pairs.pid.count(), records=pairs.n.sum())
        .order_by([ibis.desc("persons"), ibis.desc("records"), "concept_id"])
        .limit(TOP)
    )
    named = with_labels(wh, counts, "concept_id")
    return _rows(
        named.order_by([ibis.desc("persons"), ibis.desc("records"), "concept_id"])
    )


def _visible(wh, decision: Decision) -> list[str]:
    """The tables it plots or counts that are present and that the
    perimeter lets it read."""
    seen = []
    wanted = {*CLINICAL_TABLES, "person", "observation_period"}
    for name in sorted(wanted & set(wh.tables("cdm"))):
        try:
            decision.table(wh, name)
        except AccessDeniedError:
            continue
        seen.append(name)
    return seen


def _counts(wh, decision: Decision, names: tuple[str, ...]) -> dict[str, int]:
    """The rows of each table in the perimeter, in one query."""
    if not names:
        return {}
    counted = []
    for name in names:
        t = decision.table(wh, name)
        counted.append(t.aggregate(name=ibis.literal(name), n=t.count()))
    return {r["name"]: r["n"] for r in _rows(ibis.union(*counted, distinct=False))}


def overview(decision: Decision, read: Read) -> dict:
    """Everything the overview page plots, masked, within the perimeter;
    each table's figures counted through `read` (`at_once(wh)`: counted
    now)."""
    mask = decision.mask
    domains = None if decision.perimeter is None else decision.perimeter.domains
    visible = set(read(("visible", domains), lambda wh: _visible(wh, decision)))
    periods = "observation_period" in visible
    bands = {}
    if "person" in visible:
        bands = read(
            ("pyramid", periods),
            lambda wh: _bands(
                decision.table(wh, "person"),
                decision.table(wh, "observation_period") if periods else None,
            ),
        )
    pyramid, persons = _pyramid(bands, decision) if "person" in visible else ([], 0)
    counts = {}
    for domain, (name, day, _) in DOMAINS.items():
        counts[domain] = (
            read(
                ("years", name),
                lambda wh, n=name, d=day: _years(decision.table(wh, n), d),
            )
            if name in visible
            else None
        )
    per_year, totals = _per_year(counts, decision)
    rest = tuple(
        n for n in CLINICAL_TABLES if n in visible and n not in totals and n != "person"
    )
    rows = read(("rows", rest), lambda wh: _counts(wh, decision, rest))
    rows = rows | {"person": sum(bands.values())}  # the pyramid's persons
    tables = []
    for name in CLINICAL_TABLES:
        shown = totals.get(name, mask(rows.get(name, 0)))
        if shown != 0:
            tables.append({"table": name, "rows": shown})
    top = {}
    for name, domain in TOPS.items():
        table, _, column = DOMAINS[domain]
        found = None
        if table in visible:
            found = read(
                ("top", table),
                lambda wh, t=table, c=column: _top(wh, decision.table(wh, t), c),
            )
        top[name] = found and [
            r | {"persons": mask(r["persons"]), "records": mask(r["records"])}
            for r in found
        ]
    return {
        "project": decision.project,
        "mask_below": decision.mask_below,
        "persons": persons,
        "tables": tables,
        "pyramid": pyramid,
        "per_year": per_year,
        "top": top,
        "quality": read(("quality",), quality_summary),
    }


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
