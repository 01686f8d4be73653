"""Cohorts seen from a project: definitions checked against its perimeter,
figures counted on its persons only, and on the entries in its period."""

from __future__ import annotations

import ibis.expr.types as ir

from entrepot.cohort._compiler import Compiled, compile_definition, resolve
from entrepot.cohort._files import definition_from_data
from entrepot.cohort._model import CohortDefinition
from entrepot.cohort._results import next_cohort_id, results_table
from entrepot.cohort.criteria import DOMAINS
from entrepot.errors import AccessDeniedError
from entrepot.privacy import Decision, list_projects

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
    its tables inside the perimeter, its cohort id no project's perimeter:
    (definition, cohort id)."""
    definition = definition_from_data(
        data, SOURCE, default_name=name or "imported cohort"
    )
    if name:
        definition = definition.model_copy(update={"name": name})
    for domain in sorted(_domains(definition.model_dump(mode="json"))):
        for table in DOMAINS[domain].tables:
            decision.table(wh, table)  # refuses one outside
    resolve(wh, definition, SOURCE)  # unknown codes: every one listed
    cohort_id = definition.id or next_cohort_id(wh, definition.name)
    refuse_perimeter(wh, cohort_id)
    return definition, cohort_id


def refuse_perimeter(wh, cohort_id: int) -> None:
    if any(p["cohort_id"] == cohort_id for p in list_projects(wh)):
        raise AccessDeniedError(
            f"cohort {cohort_id} is a project's perimeter: it is not changed here"
        )


def cohort_rows(wh, decision: Decision, cohort_id: int) -> ir.Table:
    """A cohort's rows (subject_id, dates) of persons inside the perimeter,
    entering in its period."""
    c = results_table(wh, "cohort")
    rows = c.filter(c.cohort_definition_id == cohort_id)
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


def attrition_within(
    wh, decision: Decision, definition: CohortDefinition
) -> list[dict]:
    """The attrition of a definition counted on the perimeter's persons and
    the entries in its period."""
    compiled = compile_definition(wh, definition, SOURCE)
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


def listed(wh, decision: Decision) -> list[dict]:
    """Every cohort: id, name, persons inside the perimeter, date generated."""
    from entrepot.cohort import list_cohorts

    rows = list_cohorts(wh)
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
