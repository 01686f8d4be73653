"""Live counts of a definition (the web builder's): the persons of the entry
events, of each inclusion rule and of each group and criterion inside it
(each on its own, on the entry events), the attrition and the cohort's
persons, computed without saving a cohort.

Each part is computed once into a temporary table of the store named after
what it depends on (its own definition, its concept ids, the entry events',
the perimeter), and its parent group combines the tables of its parts
(`_groups.combined`). Building and compiling the expressions costs more than
running them, so each part's statement is prepared once per store and kept
(`_statements`): when a clinician changes one criterion, only that criterion
and the groups above it are compiled again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Hashable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np

from entrepot.cohort._compiler import Compiled, flagged_events, resolve
from entrepot.cohort._context import Context
from entrepot.cohort._entry import primary_events, qualified_events
from entrepot.cohort._generate import attrition_rows
from entrepot.cohort._groups import combined, criterion_hits, demographic_hits
from entrepot.cohort._model import CohortDefinition, Group
from entrepot.cohort._statements import compiled, fetch, forget
from entrepot.privacy import Decision


@dataclass
class Counts:
    """Persons per part (sorted ids), by path: `entry`, `cohort`, `rules/0`,
    `rules/0/criteria/1`, `rules/0/groups/0/demographics/0`...; and the
    attrition steps (rule, persons, entries)."""

    persons: dict[str, np.ndarray]
    attrition: list[dict]


class _Parts:
    """The parts computed so far into temporary tables, by path."""

    def __init__(self, ctx: Context, scratch, base: Hashable) -> None:
        self.ctx, self.scratch, self.base = ctx, scratch, base
        self.tables: dict[str, ir.Table] = {}
        self._made: dict[str, ir.Table] = {}

    def key(self, model, *more: Hashable) -> tuple:
        """What a part's rows depend on: its definition, the ids of the
        concept sets it names, and `more`."""
        text = model if isinstance(model, str) else model.model_dump_json()
        ids = tuple(
            (name, tuple(ids))
            for name, ids in sorted(self.ctx.concepts.items())
            if json.dumps(name) in text
        )
        return (text, ids, *more)

    def keep(self, key: tuple, build: Callable[[], ir.Table]) -> ir.Table:
        """The rows `build` gives, computed once into a temporary table named
        after `key`, with a statement prepared once per store and key."""
        name = "_entrepot_count_" + hashlib.sha1(repr(key).encode()).hexdigest()[:16]
        if name not in self._made:
            store = self.ctx.wh.store
            statement = compiled(store, ("count", key), lambda: store.prepare(build()))
            self._made[name] = self.scratch.keep(name, statement)
        return self._made[name]


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
    perimeter = repr(decision.perimeter) if decision is not None else None
    try:
        with store.temporary() as scratch:
            parts = _Parts(ctx, scratch, (perimeter, ctx.studies))
            index_key = parts.key(definition.entry, parts.base)

            def index() -> ir.Table:
                entry = definition.entry
                rows = qualified_events(ctx, entry, primary_events(ctx, entry))
                if decision is None:
                    return rows
                return decision.narrow(wh, rows, "person_id", "start_date")

            parts.tables["entry"] = parts.keep(index_key, index)
            rules = [
                _group(parts, rule.criteria, f"rules/{i}", index_key)
                for i, rule in enumerate(definition.inclusion_rules)
            ]
            whole = parts.key(definition, parts.base)

            def flagged() -> ir.Table:
                return flagged_events(parts.tables["entry"], rules)

            events = parts.keep(("flagged", whole), flagged)
            cohort = Compiled(ctx, definition, events)
            parts.tables["cohort"] = cohort.periods()
            found = fetch(store, ("persons", whole), lambda: _persons(parts.tables))
            figures = fetch(store, ("attrition", whole), cohort.attrition)
    except Exception:
        forget(store)  # prepared for tables that may have changed
        raise
    row = {k: int(v or 0) for k, v in figures.to_pylist()[0].items()}
    steps = attrition_rows(definition, row)
    ids = _ids(found)
    empty = np.array([], dtype=np.int64)
    return Counts(
        persons={path: ids.get(path, empty) for path in parts.tables},
        attrition=[{k: s[k] for k in ("rule", "persons", "entries")} for s in steps],
    )


def _group(parts: _Parts, group: Group, path: str, index_key: tuple) -> ir.Table:
    """The index events satisfying `group`, kept; each of its parts' too,
    recorded under their paths."""
    ctx, index = parts.ctx, parts.tables["entry"]
    hits = []
    for j, criterion in enumerate(group.criteria):
        key = parts.key(criterion, index_key)
        hits.append(parts.keep(key, lambda c=criterion: criterion_hits(ctx, c, index)))
        parts.tables[f"{path}/criteria/{j}"] = hits[-1]
    for j, d in enumerate(group.demographics):
        key = parts.key(d, index_key)
        hits.append(parts.keep(key, lambda d=d: demographic_hits(ctx, d, index)))
        parts.tables[f"{path}/demographics/{j}"] = hits[-1]
    for j, inner in enumerate(group.groups):
        hits.append(_group(parts, inner, f"{path}/groups/{j}", index_key))
    key = parts.key(group, index_key)
    parts.tables[path] = parts.keep(key, lambda: combined(group, hits, index))
    return parts.tables[path]


def _persons(tables: dict[str, ir.Table]) -> ir.Table:
    """(part, person_id): the distinct persons of every part."""
    return ibis.union(
        *[
            t.select(part=ibis.literal(path), person_id=t.person_id).distinct()
            for path, t in tables.items()
        ],
        distinct=False,
    )


def _ids(found) -> dict[str, np.ndarray]:
    """The sorted person ids of each part, in one pass (not one filter of
    every row per part)."""
    if found.num_rows == 0:
        return {}
    parts = found["part"].combine_chunks().dictionary_encode()
    codes = parts.indices.to_numpy(zero_copy_only=False)
    persons = found["person_id"].to_numpy(zero_copy_only=False).astype(np.int64)
    order = np.argsort(codes, kind="stable")
    codes, persons = codes[order], persons[order]
    present, starts = np.unique(codes, return_index=True)
    names = parts.dictionary.to_pylist()
    return {
        names[code]: np.sort(ids)
        for code, ids in zip(present, np.split(persons, starts[1:]), strict=True)
    }
