"""A cohort's "Table 1": age, sex, top conditions, drugs and labs.

Counted within the release gate's `Decision`: its perimeter's persons, period
and tables, its threshold, the persons counted as the gate releases them
(safe from differencing within a project), and age bands by sex suppressed
with their margins.
Age is at each person's first entry; the top concepts are those recorded
during a cohort period, by persons.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort._perimeter import cohort_rows, released_periods
from entrepot.cohort._perimeter import periods as spans_of
from entrepot.cohort._results import cohort_definition
from entrepot.privacy import Decision
from entrepot.warehouse.vocabulary import with_labels

AGE_BANDS = ((0, 17), (18, 44), (45, 64), (65, 74), (75, 200))
SEXES = {8532: "female", 8507: "male"}
TOPICS = {
    "conditions": (
        "condition_occurrence",
        "condition_concept_id",
        "condition_start_date",
    ),
    "drugs": ("drug_exposure", "drug_concept_id", "drug_exposure_start_date"),
    "labs": ("measurement", "measurement_concept_id", "measurement_date"),
}


def describe_cohort(
    wh,
    cohort_id: int,
    decision: Decision | None = None,
    *,
    mask_below: int | None = None,
    top: int = 10,
    persons: ir.Table | None = None,
) -> dict:
    """Table 1 of a generated cohort, as `decision` may see it (without one:
    the whole warehouse, masked with its threshold or a higher `mask_below`).
    `persons` (a `person_id` column): a subgroup's Table 1, only those of the
    cohort's persons (their count shown beside it, as a cohort's is)."""
    decision = decision or Decision.unscoped(wh, mask_below)
    mask_below = decision.mask_below or 1
    name = cohort_definition(wh, cohort_id)["cohort_definition_name"]
    periods = spans_of(cohort_rows(wh, decision, cohort_id))
    if persons is not None:
        periods = periods.semi_join(persons, periods.person_id == persons.person_id)
    periods = _released(wh, decision, periods, cohort_id)
    firsts = periods.group_by("person_id").aggregate(
        start_date=periods.start_date.min()
    )
    person = decision.table(wh, "person")
    person = person.select(
        pid=person.person_id.cast("int64"),
        gender=person.gender_concept_id.cast("int64"),
        year_of_birth=person.year_of_birth.cast("int64"),
    )
    people = firsts.join(person, firsts.person_id == person.pid)
    people = people.mutate(age=people.start_date.year() - people.year_of_birth)
    sexes = _sexes(people.gender)
    stats = (
        people.aggregate(
            persons=people.count(),
            mean=people.age.mean(),
            low=people.age.min(),
            high=people.age.max(),
            **{
                f"n_{lo}_{sex}": (people.age.between(lo, hi) & matches)
                .cast("int64")
                .sum()
                for lo, hi in AGE_BANDS
                for sex, matches in sexes.items()
            },
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    persons = int(stats["persons"] or 0)
    # age bands and sexes are the margins of one table whose total is the
    # persons: released together, so that no masked margin follows from the others
    released = decision.suppress(
        {
            _band(lo, hi): {sex: int(stats[f"n_{lo}_{sex}"] or 0) for sex in sexes}
            for lo, hi in AGE_BANDS
        },
        public_total=True,  # the cohort's count is shown in its list
    )
    return {
        "cohort_definition_id": cohort_id,
        "name": name,
        "persons": released.total,
        "mask_below": decision.mask_below,
        "age": {
            "mean": (
                round(stats["mean"], 1)
                if stats["mean"] is not None and persons >= mask_below
                else None
            ),
            "min": stats["low"] if persons >= mask_below else None,
            "max": stats["high"] if persons >= mask_below else None,
            "bands": released.row_totals,
        },
        "sex": released.column_totals,
        **{
            topic: _top(wh, t, periods, spec, top, decision)
            for topic, spec in TOPICS.items()
            if (t := decision.visible(wh, spec[0])) is not None
        },
    }


def _released(wh, decision: Decision, spans: ir.Table, cohort_id: int) -> ir.Table:
    """The cohort periods of the persons the table counts: the cohort's
    persons as the gate releases them (safe from differencing within a
    project), `released_periods`. So every cell and every top concept counts
    the persons released, and none gives the true count back."""
    asked = {"cohort_definition_id": cohort_id}
    _, counted = decision.release(wh, spans.person_id, "cohort.describe", asked)
    return released_periods(wh, decision, spans, counted)


def _band(lo: int, hi: int) -> str:
    return f"{lo}-{hi}" if hi < 200 else f"{lo}+"


def _sexes(gender: ir.Column) -> dict[str, ir.BooleanColumn]:
    """Each sex shown, as a condition on the gender concept."""
    known = {label: gender == cid for cid, label in SEXES.items()}
    return known | {"other or unknown": gender.isnull() | ~gender.isin(list(SEXES))}


def _top(
    wh,
    t: ir.Table,
    periods: ir.Table,
    spec: tuple[str, str, str],
    top: int,
    decision: Decision,
) -> list[dict]:
    """The concepts most persons had during a cohort period (rows of `t`)."""
    _, concept_column, date_column = spec
    rows = t.select(
        person_id=t.person_id.cast("int64"),
        concept_id=t[concept_column].cast("int64"),
        day=t[date_column].cast("date"),
    )
    spans = periods.select(
        pid=periods.person_id, start=periods.start_date, end=periods.end_date
    )  # names of its own: both sides may derive from the same perimeter tables
    during = rows.join(
        spans, (rows.person_id == spans.pid) & rows.day.between(spans.start, spans.end)
    )
    counts = (
        during.group_by("concept_id")
        .aggregate(persons=during.person_id.nunique())
        .order_by([ibis.desc("persons"), "concept_id"])
        .limit(top)
    )
    named = with_labels(wh, counts, "concept_id").order_by(
        [ibis.desc("persons"), "concept_id"]
    )
    return [
        {
            "concept_id": r["concept_id"],
            "name": r["concept_name"],
            "code": (
                f"{r['vocabulary_id']} {r['concept_code']}"
                if r["vocabulary_id"]
                else None
            ),
            "persons": decision.mask(int(r["persons"])),
        }
        for r in named.to_pyarrow().to_pylist()
    ]
