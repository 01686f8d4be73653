"""Cohorts and events read by analyses beyond cohorts (patient features,
extraction): a saved cohort's persons with their index date or their notes,
and events with the cohort criteria's semantics (concept sets, note
mentions' qualifiers), inside the release gate's perimeter."""

from __future__ import annotations

import ibis.expr.types as ir

from entrepot.cohort._concepts import resolve_concept_sets
from entrepot.cohort._context import Context
from entrepot.cohort._events import events
from entrepot.cohort._model import ConceptSet, Event
from entrepot.cohort._perimeter import cohort_rows, listed, seen
from entrepot.cohort.criteria import DOMAINS
from entrepot.cohort.criteria.note_mention import titled
from entrepot.errors import CohortNotFoundError, ParameterError
from entrepot.privacy import Decision


def find_cohort(wh, decision: Decision, cohort: int | str) -> int:
    """The id of a saved cohort the decision sees, given its id or its name."""
    if isinstance(cohort, int) or cohort.strip().isdigit():
        seen(wh, decision, int(cohort))
        return int(cohort)
    ids = [r["id"] for r in listed(wh, decision) if r["name"] == cohort]
    if not ids:
        raise CohortNotFoundError(f"no cohort named {cohort!r} in warehouse {wh.uri}")
    if len(ids) > 1:
        raise ParameterError(
            f"several cohorts are named {cohort!r} (ids {', '.join(map(str, ids))}): "
            "give its id"
        )
    return ids[0]


def cohort_notes(
    wh,
    decision: Decision,
    cohort: int | str | None = None,
    titles: list[str] | None = None,
) -> ir.Table:
    """The notes inside the perimeter: of a saved cohort's persons (its id or
    name) when given, of these titles (any case, as a note mention's
    `note_title`) when given."""
    notes = decision.table(wh, "note")
    if cohort is not None:
        rows = cohort_rows(wh, decision, find_cohort(wh, decision, cohort))
        persons = rows.select(member=rows.subject_id).distinct()
        notes = notes.semi_join(persons, notes.person_id == persons.member)
    return notes if titles is None else titled(notes, titles)


def index_dates(wh, decision: Decision, cohort_id: int) -> ir.Table:
    """Each person of a cohort inside the perimeter, with the start of their
    first entry: (person_id int64, index_date)."""
    rows = cohort_rows(wh, decision, cohort_id)
    return rows.group_by(person_id=rows.subject_id.cast("int64")).aggregate(
        index_date=rows.cohort_start_date.min()
    )


class EventReader:
    """Events as cohort criteria select them, concept sets resolved once, on
    the rows `decision` may read (None: every row)."""

    def __init__(
        self,
        wh,
        concept_sets: dict[str, ConceptSet],
        source: str,
        decision: Decision | None = None,
    ) -> None:
        self.context = Context.of(wh, decision)
        self.context.concepts = resolve_concept_sets(self.context, concept_sets, source)

    def tables(self, event: Event) -> tuple[str, ...]:
        """The CDM tables whose rows an event reveals (a project must allow them)."""
        return DOMAINS[event.domain].tables

    def lacking(self, event: Event) -> list[str]:
        """The tables an event reads that the warehouse does not have."""
        domain = DOMAINS[event.domain]
        read = dict.fromkeys((domain.table, *domain.tables))
        return [t for t in read if not self.context.has(t)]

    def rows(self, event: Event, columns: tuple[str, ...] = ()) -> ir.Table:
        """(person_id, event_id, start_date, end_date, visit_occurrence_id,
        concept_id, *columns) of the rows `event` selects."""
        return events(self.context, event, columns)

    def table(self, name: str) -> ir.Table:
        """A CDM table (the vocabulary's included), columns lower-case."""
        return self.context.table(name)
