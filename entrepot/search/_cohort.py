"""A search saved as a cohort: the persons found, from first to last matching note."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa

from entrepot.search._query import SearchFilters, matching_notes
from entrepot.search._schema import from_day_number


def _spans(wh, text: str, filters: SearchFilters) -> dict[int, tuple[int, int]]:
    spans: dict[int, tuple[int, int]] = {}
    for person, day in matching_notes(wh, text, filters):
        first, last = spans.get(person, (day, day))
        spans[person] = (min(first, day), max(last, day))
    return spans


def _rows(wh, name: str, columns: dict[str, list]) -> object:
    from entrepot.cohort._results import results_table

    schema = results_table(wh, name).schema().to_pyarrow()
    return wh.store.from_arrow(pa.table(columns).select(schema.names).cast(schema))


def save_search_cohort(
    wh, text: str, filters: SearchFilters, name: str, *, cohort_id: int | None = None
) -> dict[str, object]:
    """Save the persons a search finds as a cohort (results.cohort), one entry
    per person from their first matching note to their last; `cohort_id`
    (default: the cohort of that name of no project, or a new one) is
    replaced, atomically."""
    from entrepot.cohort._results import next_cohort_id, results_table

    spans = _spans(wh, text, filters)
    cohort_id = cohort_id or next_cohort_id(wh, name)
    definition = {
        "name": name,
        "search": {"query": text, "exclude": list(filters.exclude),
                   "note_type": filters.note_type, "from": filters.start,
                   "to": filters.end},
    }  # fmt: skip
    new = {
        "cohort": {
            "cohort_definition_id": [cohort_id] * len(spans),
            "subject_id": list(spans),
            "cohort_start_date": [from_day_number(a) for a, _ in spans.values()],
            "cohort_end_date": [from_day_number(b) for _, b in spans.values()],
        },
        "cohort_definition": {
            "cohort_definition_id": [cohort_id],
            "cohort_definition_name": [name[:255]],
            "cohort_definition_description": [f"notes matching {text!r}"[:1000]],
            "definition_type_concept_id": [0],
            "cohort_definition_syntax": [json.dumps(definition, default=str)],
            "subject_concept_id": [0],
            "cohort_initiation_date": [date.today()],
        },
        "cohort_attrition": {
            "cohort_definition_id": [cohort_id],
            "rule_sequence": [0],
            "rule_name": [f"search: {text}"[:255]],
            "persons": [len(spans)],
            "entries": [len(spans)],
        },
    }
    kept = {}
    for table in new:
        stored = results_table(wh, table)
        kept[table] = wh.store.materialize(
            stored.filter(stored.cohort_definition_id != cohort_id)
        )
    added = {table: _rows(wh, table, columns) for table, columns in new.items()}
    with wh.store.transaction() as tx:
        for table in new:
            tx.replace("results", table, kept[table])
            tx.append("results", table, added[table])
    return {"cohort_definition_id": cohort_id, "name": name, "persons": len(spans)}
