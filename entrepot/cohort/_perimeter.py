"""Cohorts seen from a project: definitions checked against its perimeter,
figures counted on its persons only, and on the entries in its period."""

from __future__ import annotations

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.cohort._compiler import Compiled, compile_definition, resolve
from entrepot.cohort._counts import Counts
from entrepot.cohort._files import definition_from_data
from entrepot.cohort._model import CohortDefinition, _events
from entrepot.cohort._results import (
    cohort_definition,
    delete_cohort,
    missing,
    next_cohort_id,
    results_table,
)
from entrepot.cohort.criteria import DOMAINS
from entrepot.errors import AccessDeniedError, CohortNotFoundError, DisclosureError
from entrepot.privacy import (
    HIDDEN,
    Decision,
    Owner,
    check_cohort_change,
    claim_cohort,
    cohort_owners,
    cohort_visible,
    list_projects,
    release_cohort,
)

SOURCE = "request body"


def _inside(wh, decision: Decision, rows: ir.Table, person: str, start: str):
    """`rows` of persons inside the perimeter, starting inside its period (the
    release gate's rule)."""
    return decision.narrow(wh, rows, person, start)


def _domains(node) -> set[str]:
    """Every event domain named in a definition (as dumped), at any depth."""
    if isinstance(node, dict):
        found = {node["domain"]} if isinstance(node.get("domain"), str) else set()
        return found.union(*(_domains(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_domains(v) for v in node))
    return set()


def checked_definition(wh, decision: Decision, data: object, name: str | None):
    """A definition from the request (ours or Circe), its concept codes known,
    its tables inside the perimeter, saved as `saved_as` says:
    (definition, cohort id)."""
    definition = definition_from_data(
        data, SOURCE, default_name=name or "imported cohort"
    )
    if name:
        definition = definition.model_copy(update={"name": name})
    refuse_domains(wh, decision, definition)
    resolve(wh, definition, SOURCE, decision)  # unknown codes: every one listed
    return definition, saved_as(wh, decision, definition.name, definition.id)


def released_counts(wh, decision: Decision, counts: Counts, parameters: dict) -> dict:
    """A definition's live counts (`count_parts` under `decision`, after
    `refuse_domains`) as the caller may see them: the persons of the cohort,
    then of each part, released one by one through the gate (safe from
    differencing within a project, audited as release.cohort.count), a part
    whose count would reveal a small group with earlier ones hidden ("*");
    the attrition's persons masked and ending on the cohort's."""
    order = ["cohort"] + [p for p in counts.persons if p != "cohort"]
    shown, counted = {}, None
    for path in order:
        try:
            shown[path], ids = decision.release(
                wh, counts.persons[path], "cohort.count", parameters | {"part": path}
            )
        except DisclosureError:
            shown[path], ids = HIDDEN, counts.persons[path]
        counted = ids if counted is None else counted
    steps = decision.attrition(counts.attrition, len(counted))
    if shown["cohort"] == HIDDEN:  # its steps would give it back
        steps = [s | {"persons": HIDDEN} for s in steps]
    return {
        "count": shown["cohort"],
        "parts": [{"path": p, "persons": shown[p]} for p in counts.persons],
        "attrition": [{"rule": s["rule"], "persons": s["persons"]} for s in steps],
    }


def saved_as(wh, decision: Decision, name: str, cohort_id: int | None = None) -> int:
    """The id a cohort made under `decision` is saved as, claimed at once for
    its project and user: `cohort_id` when given and seen, else the
    project's cohort of that name, else a new id. Replacing a cohort needs
    the right to change it; a project's perimeter is never replaced."""
    owners = cohort_owners(wh)
    if cohort_id is None:
        cohort_id = next_cohort_id(wh, name, decision.project)
    elif not cohort_visible(decision, cohort_id, owners.get(cohort_id)):
        raise missing(wh, cohort_id)
    if cohort_id in owners or _stored(wh, cohort_id):
        check_cohort_change(wh, decision, cohort_id, owners.get(cohort_id))
    refuse_perimeter(wh, cohort_id)
    claim_cohort(wh, decision, cohort_id, name)
    return cohort_id


def unclaim(wh, cohort_id: int) -> None:
    """Forget the claim on an id whose cohort was not generated (a failed
    run), so that its name is free again."""
    if not _stored(wh, cohort_id):
        release_cohort(wh, cohort_id)


def _stored(wh, cohort_id: int) -> bool:
    try:
        cohort_definition(wh, cohort_id)
    except CohortNotFoundError:
        return False
    return True


def seen(wh, decision: Decision, cohort_id: int) -> Owner | None:
    """The owner of a cohort that exists and that the decision sees; else the
    error of a cohort that does not exist."""
    owner = cohort_owners(wh).get(cohort_id)
    if not cohort_visible(decision, cohort_id, owner) or not _stored(wh, cohort_id):
        raise missing(wh, cohort_id)
    return owner


def refuse_domains(wh, decision: Decision, definition: CohortDefinition) -> None:
    """Refuse a definition that reads a table outside the perimeter, or the
    members of a cohort the decision does not see (as a missing one)."""
    for domain in sorted(_domains(definition.model_dump(mode="json"))):
        for table in DOMAINS[domain].tables:
            decision.table(wh, table)  # refuses one outside
    for event in _events(definition):
        if event.cohort is not None:
            seen(wh, decision, event.cohort)


def refuse_perimeter(wh, cohort_id: int) -> None:
    if any(p["cohort_id"] == cohort_id for p in list_projects(wh)):
        raise AccessDeniedError(
            f"cohort {cohort_id} is a project's perimeter: it is not changed here"
        )


def delete_within(wh, decision: Decision, cohort_id: int) -> None:
    """Delete a cohort the decision sees and may change (its owner, or an
    administrator; never a project's perimeter), audited."""
    check_cohort_change(wh, decision, cohort_id, seen(wh, decision, cohort_id))
    refuse_perimeter(wh, cohort_id)
    delete_cohort(wh, cohort_id)
    decision.released(wh, "cohort.delete", {"cohort_definition_id": cohort_id})


def cohort_rows(wh, decision: Decision, cohort_id: int | None) -> ir.Table:
    """A cohort's rows (subject_id, dates) of persons inside the perimeter,
    entering in its period (None: every cohort's)."""
    rows = results_table(wh, "cohort")
    if cohort_id is not None:
        rows = rows.filter(rows.cohort_definition_id == cohort_id)
    return _inside(wh, decision, rows, "subject_id", "cohort_start_date")


def figures(wh, decision: Decision, cohort_id: int) -> dict:
    """Persons, entries and person-days of a cohort, inside the perimeter."""
    rows = cohort_rows(wh, decision, cohort_id)
    row = (
        rows.aggregate(
            count=rows.subject_id.nunique(),
            entries=rows.count(),
            person_days=rows.cohort_end_date.delta(
                rows.cohort_start_date, unit="day"
            ).sum(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    return {k: int(v or 0) for k, v in row.items()}


def periods(rows: ir.Table) -> ir.Table:
    """Cohort rows as periods: person_id, start_date, end_date."""
    return rows.select(
        person_id=rows.subject_id.cast("int64"),
        start_date=rows.cohort_start_date,
        end_date=rows.cohort_end_date,
    )


def released_periods(
    wh, decision: Decision, spans: ir.Table, counted: np.ndarray
) -> ir.Table:
    """The periods (`periods`) of the persons a count released by the gate
    counts (`counted`), from a cohort's `spans`: a person the differencing
    defence moved out is left out; one it moved in (counted for the project
    before, not in this cohort) brings their periods in any cohort inside
    the perimeter, else a day at the cohort's first entry. Figures shown
    with the count (its entries, Table 1) are worked out on them, so that
    none gives the true count back."""
    inside = spans.person_id.to_pyarrow()
    out = np.setdiff1d(inside.to_numpy(), counted).tolist()
    moved = np.setdiff1d(counted, inside.to_numpy()).tolist()
    if not out and not moved:
        return spans
    found = spans.to_pyarrow()
    gone = pc.is_in(found["person_id"], value_set=pa.array(out, pa.int64()))
    kept = found.filter(pc.invert(gone))
    if moved:
        kept = pa.concat_tables([kept, _elsewhere(wh, decision, moved, found)])
    return wh.store.from_arrow(kept)


def _elsewhere(wh, decision: Decision, persons: list[int], found: pa.Table):
    """The periods in any cohort of `persons` (inside the perimeter); a
    person in none: the first day of the cohort `found` (its periods)."""
    every = cohort_rows(wh, decision, None)
    every = every.filter(every.subject_id.isin(persons))
    rows = periods(every).distinct().to_pyarrow().cast(found.schema)
    first = pc.min(found["start_date"]).as_py()
    none = sorted(set(persons) - set(rows["person_id"].to_pylist()))
    days = [first] * len(none)
    alone = pa.table({"person_id": none, "start_date": days, "end_date": days})
    return pa.concat_tables([rows, alone.cast(found.schema)])


def _count(t: ir.Table) -> int:
    return int(t.count().to_pyarrow().as_py())


def released_cohort(
    wh, decision: Decision, cohort_id: int, what: str, parameters: dict | None = None
) -> tuple[int | str, np.ndarray, int]:
    """A cohort's persons as the gate releases them (`Decision.release`,
    audited as `release.{what}`), the persons they count, and those persons'
    entries (`released_periods`)."""
    spans = periods(cohort_rows(wh, decision, cohort_id))
    count, counted = decision.release(wh, spans.person_id, what, parameters)
    return count, counted, _count(released_periods(wh, decision, spans, counted))


def released_run(
    wh, decision: Decision, definition: CohortDefinition, found: dict, parameters: dict
) -> dict:
    """A generated cohort's figures (`found`: `CohortResult.as_dict()`) as the
    caller may see them: counted inside the perimeter, its persons released
    through the gate (safe from differencing within a project, audited as
    cohort.run), entries theirs and masked, the attrition masked and ending
    on them, person-days hidden with a masked count."""
    cohort_id = found["cohort_definition_id"]
    steps = found["attrition"]
    if decision.narrows:
        found = found | figures(wh, decision, cohort_id)
        steps = attrition_within(wh, decision, definition)
    count, counted, entries = released_cohort(
        wh, decision, cohort_id, "cohort.run", parameters
    )
    return found | {
        "count": count,
        "entries": decision.mask(entries),
        "person_days": found["person_days"] if isinstance(count, int) else None,
        "attrition": decision.attrition(steps, len(counted), entries),
    }


def attrition_within(
    wh, decision: Decision, definition: CohortDefinition
) -> list[dict]:
    """The attrition of a definition counted on the perimeter's persons and
    the entries in its period."""
    compiled = compile_definition(wh, definition, SOURCE, decision)
    flagged = _inside(wh, decision, compiled.flagged, "person_id", "start_date")
    row = Compiled(compiled.context, definition, flagged).attrition()
    counts = row.to_pyarrow().to_pylist()[0]
    names = ["entry events"] + [r.name for r in definition.inclusion_rules]
    return [
        {
            "rule": n,
            "persons": int(counts[f"persons_{i}"] or 0),
            "entries": int(counts[f"entries_{i}"] or 0),
        }
        for i, n in enumerate(names)
    ]


def shown(wh, decision: Decision, cohort_id: int) -> dict:
    """A cohort's definition, figures and attrition, inside the perimeter."""
    from pydantic import ValidationError

    from entrepot.cohort import show_cohort

    found = show_cohort(wh, cohort_id)
    if decision.narrows:
        inside = figures(wh, decision, cohort_id)
        found |= {"persons": inside["count"], "entries": inside["entries"]}
        try:
            definition = CohortDefinition.model_validate(found["definition"])
        except ValidationError:  # not from a definition (a saved search...)
            first = (found["attrition"] or [{"rule": "cohort"}])[0]
            found["attrition"] = [
                first | {"persons": found["persons"], "entries": found["entries"]}
            ]
        else:
            found["attrition"] = attrition_within(wh, decision, definition)
    return found


def released_shown(wh, decision: Decision, cohort_id: int) -> tuple[dict, int]:
    """A cohort's definition, figures and attrition as the caller may see
    them: its persons released through the gate (safe from differencing
    within a project, audited as release.cohort.show), its entries theirs,
    masked; and how many persons they count."""
    found = shown(wh, decision, cohort_id)
    asked = {"cohort_definition_id": cohort_id}
    count, counted, entries = released_cohort(
        wh, decision, cohort_id, "cohort.show", asked
    )
    return found | {
        "persons": count,
        "entries": decision.mask(entries),
        "attrition": decision.attrition(found["attrition"], len(counted), entries),
    }, len(counted)


def released_listed(
    wh,
    decision: Decision,
    rows: list[dict] | None = None,
    persons: dict[int, list[int]] | None = None,
) -> list[dict]:
    """Every cohort the decision sees (`rows`: `listed`), its persons
    (`persons`: `members`) released through the gate together
    (`Decision.release_each`, audited as cohort.list), its entries theirs,
    masked."""
    rows = listed(wh, decision) if rows is None else rows
    persons = members(wh, decision) if persons is None else persons
    sets = {r["id"]: persons.get(r["id"], []) for r in rows}
    found = decision.release_each(wh, sets, "cohort.list")
    out = []
    for r in rows:
        count, counted = found[r["id"]]
        entries = r["entries"]
        if not np.array_equal(counted, np.unique(sets[r["id"]])):
            spans = periods(cohort_rows(wh, decision, r["id"]))
            entries = _count(released_periods(wh, decision, spans, counted))
        out.append(r | {"persons": count, "entries": decision.mask(entries)})
    return out


def listed(wh, decision: Decision) -> list[dict]:
    """Every cohort the decision sees: id, name, persons inside the
    perimeter, date generated."""
    from entrepot.cohort import list_cohorts

    owners = cohort_owners(wh)
    rows = [
        r
        for r in list_cohorts(wh)
        if cohort_visible(decision, r["id"], owners.get(r["id"]))
    ]
    if decision.narrows:
        c = results_table(wh, "cohort")
        inside = _inside(wh, decision, c, "subject_id", "cohort_start_date")
        counts = inside.group_by("cohort_definition_id").aggregate(
            persons=inside.subject_id.nunique(), entries=inside.count()
        )
        found = {r["cohort_definition_id"]: r for r in counts.to_pyarrow().to_pylist()}
        empty = {"persons": 0, "entries": 0}
        rows = [r | {k: found.get(r["id"], empty)[k] for k in empty} for r in rows]
    return rows


def members(wh, decision: Decision) -> dict[int, list[int]]:
    """The persons of every cohort inside the perimeter, by cohort id."""
    cohorts = results_table(wh, "cohort")
    c = _inside(wh, decision, cohorts, "subject_id", "cohort_start_date")
    pairs = c.select("cohort_definition_id", "subject_id").distinct()
    found: dict[int, list[int]] = {}
    for r in pairs.to_pyarrow().to_pylist():
        found.setdefault(r["cohort_definition_id"], []).append(r["subject_id"])
    return found
