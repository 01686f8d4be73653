"""A cohort's patients, a page at a time, within a project's perimeter: their
pseudonymised id, age band, sex, first and last stay; no date of birth."""

from __future__ import annotations

from typing import Literal

import ibis

from entrepot.patients._timeline import _day
from entrepot.privacy import Decision
from entrepot.warehouse.vocabulary import with_labels

#: Years of an age band; ages from TOP on are one band ("90+").
BAND = 5
TOP = 90
#: How a page may be sorted: by a column, "-" for the latest first.
PatientSort = Literal[
    "first_stay", "-first_stay", "last_stay", "-last_stay", "person_id"
]


def age_band(age: int | None) -> str | None:
    """'40-44' for 42; '90+' from TOP on."""
    if age is None:
        return None
    low = min(max(age, 0) // BAND * BAND, TOP)
    return f"{TOP}+" if low == TOP else f"{low}-{low + BAND - 1}"


def _stays(wh, decision: Decision):
    """Each person's first and last stay (the days they began), where the
    perimeter shows stays; else None."""
    v = decision.visible(wh, "visit_occurrence")
    if v is None:
        return None
    return v.group_by(stay_person=v.person_id).aggregate(
        first_stay=v.visit_start_date.min(), last_stay=v.visit_start_date.max()
    )


def cohort_patients(
    wh,
    decision: Decision,
    cohort_id: int,
    *,
    limit: int = 20,
    offset: int = 0,
    sort: PatientSort = "first_stay",
) -> dict:
    """`{"person_ids", "patients"}`: the ids of every person of the cohort
    inside the perimeter (for the release gate's count), and the page of
    `limit` from `offset`, sorted by `sort` (then by id; no stay last):
    `person_id`, `age_band` (at their first entry in the cohort, from the
    year of birth), `sex` (M, F or null), `first_stay`, `last_stay` (null
    where the perimeter shows no stay)."""
    from entrepot.cohort._perimeter import cohort_rows

    rows = cohort_rows(wh, decision, cohort_id)
    entries = rows.group_by(member=rows.subject_id.cast("int64")).aggregate(
        entry=rows.cohort_start_date.min()
    )
    person = decision.table(wh, "person")
    person = with_labels(wh, person, "gender_concept_id")
    t = entries.join(person, entries.member == person.person_id)
    t = t.select(
        person_id=t.person_id.cast("int64"),
        age=t.entry.year() - t.year_of_birth.cast("int64"),
        sex=t.concept_code,
    )
    stays = _stays(wh, decision)
    if stays is None:
        none = ibis.null("date")
        t = t.mutate(first_stay=none, last_stay=none)
    else:
        t = t.left_join(stays, t.person_id == stays.stay_person).drop("stay_person")
    key = sort.lstrip("-")
    first = ibis.desc(key) if sort.startswith("-") else ibis.asc(key)
    page = t.order_by([first, "person_id"]).limit(limit, offset=offset)
    return {
        "person_ids": t.person_id.to_pyarrow().to_pylist(),
        "patients": [
            {
                "person_id": r["person_id"],
                "age_band": age_band(r["age"]),
                "sex": r["sex"] or None,
                "first_stay": _day(r["first_stay"]),
                "last_stay": _day(r["last_stay"]),
            }
            for r in page.to_pyarrow().to_pylist()
        ],
    }
