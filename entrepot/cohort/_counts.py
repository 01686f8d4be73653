"""Live counts of a definition (the web builder's): the persons of the entry
events, of each inclusion rule and of each group and criterion inside it
(each on its own, on the entry events), the attrition and the cohort's
persons, computed without saving a cohort.

Each part is computed once into a temporary table of the store, and its
parent group combines the tables of its parts (`_groups.combined`), so that a
nested definition costs one query per part and one for the persons of all.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow.compute as pc

from entrepot.cohort._compiler import Compiled, flagged_events, resolve
from entrepot.cohort._context import Context
from entrepot.cohort._entry import primary_events, qualified_events
from entrepot.cohort._generate import attrition_rows
from entrepot.cohort._groups import combined, criterion_hits, demographic_hits
from entrepot.cohort._model import CohortDefinition, Group
from entrepot.privacy import Decision

Keep = Callable[[ir.Table], ir.Table]


@dataclass
class Counts:
    """Persons per part (sorted ids), by path: `entry`, `cohort`, `rules/0`,
    `rules/0/criteria/1`, `rules/0/groups/0/demographics/0`...; and the
    attrition steps (rule, persons, entries)."""

    persons: dict[str, np.ndarray]
    attrition: list[dict]


def count_parts(
    wh,
    definition: CohortDefinition,
    decision: Decision | None = None,
    source: str = "definition",
) -> Counts:
    """The counts of `definition` on the rows `decision` may read, its entry
    events kept to the perimeter's persons and period (None: every row)."""
    ctx = resolve(wh, definition, source, decision)
    store = wh.store
    with store.temporary() as scratch:

        def keep(rows: ir.Table) -> ir.Table:
            return scratch.keep(f"_entrepot_count_{uuid.uuid4().hex[:12]}", rows)

        index = qualified_events(
            ctx, definition.entry, primary_events(ctx, definition.entry)
        )
        if decision is not None:
            index = decision.narrow(wh, index, "person_id", "start_date")
        index = keep(index)
        parts = {"entry": index}
        rules = [
            _group(ctx, rule.criteria, index, f"rules/{i}", parts, keep)
            for i, rule in enumerate(definition.inclusion_rules)
        ]
        compiled = Compiled(ctx, definition, keep(flagged_events(index, rules)))
        parts["cohort"] = compiled.periods()
        persons = ibis.union(
            *[
                t.select(part=ibis.literal(path), person_id=t.person_id).distinct()
                for path, t in parts.items()
            ],
            distinct=False,
        )
        found = store.fetch(persons)
        figures = store.fetch(compiled.attrition()).to_pylist()[0]
    steps = attrition_rows(definition, {k: int(v or 0) for k, v in figures.items()})
    return Counts(
        persons={path: _ids(found, path) for path in parts},
        attrition=[{k: s[k] for k in ("rule", "persons", "entries")} for s in steps],
    )


def _group(
    ctx: Context, group: Group, index: ir.Table, path: str, parts: dict, keep: Keep
) -> ir.Table:
    """The index events satisfying `group`, kept; each of its parts' too,
    recorded in `parts` under their paths."""
    hits = []
    for j, criterion in enumerate(group.criteria):
        hits.append(keep(criterion_hits(ctx, criterion, index)))
        parts[f"{path}/criteria/{j}"] = hits[-1]
    for j, demographics in enumerate(group.demographics):
        hits.append(keep(demographic_hits(ctx, demographics, index)))
        parts[f"{path}/demographics/{j}"] = hits[-1]
    for j, inner in enumerate(group.groups):
        hits.append(_group(ctx, inner, index, f"{path}/groups/{j}", parts, keep))
    parts[path] = keep(combined(group, hits, index))
    return parts[path]


def _ids(found, path: str) -> np.ndarray:
    """The sorted person ids of one part."""
    mine = found.filter(pc.equal(found["part"], path))["person_id"]
    return np.sort(mine.to_numpy(zero_copy_only=False).astype(np.int64))
