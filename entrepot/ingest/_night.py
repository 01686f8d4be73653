"""One ingestion gathered over its shards of patients: the rows to load staged
as Parquet parts on disk (the engine reads them at the load), and in memory
only what is small: the ids to remove, the counts, the patients' identities
for the vault."""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from entrepot.ingest import _changes as change
from entrepot.warehouse.cdm import cdm_table, cdm_tables


@dataclass
class Night:
    """What the shards built so far; `folder` holds the staged rows."""

    folder: Path
    tables: dict[str, None] = field(default_factory=dict)  # built, in order
    plan: change.Plan = field(default_factory=dict)
    named: dict[str, list[pa.Array]] = field(default_factory=dict)
    gone_notes: list[pa.Array] = field(default_factory=list)
    stale: set[int] = field(default_factory=set)
    unchanged: Counter = field(default_factory=Counter)
    reloaded: Counter = field(default_factory=Counter)
    sources: dict[str, Counter] = field(default_factory=dict)
    opted_out_rows: int = 0
    notes: int = 0
    identifiers_removed: int = 0
    vault: list[pa.Table] = field(default_factory=list)
    _parts: itertools.count = field(default_factory=itertools.count)

    def add(self, tables: dict[str, pa.Table], plan: change.Plan, found) -> None:
        """One shard's rows to load, removals and counts."""
        for name, rows in tables.items():
            self.tables.setdefault(name)
            self.stage(name, rows)
        self.stage(change.SOURCE_ROW, pa.concat_tables(found.fingerprints))
        for name, removals in plan.items():
            self.plan.setdefault(name, []).extend(removals)
        for column, ids in change.named_ids(tables).items():
            self.named.setdefault(column, []).append(ids)
        self.reloaded.update(change.reloaded(plan, tables))
        for name, counts in found.counts.items():
            self.sources.setdefault(name, Counter()).update(counts)
        self.opted_out_rows += found.opted_out_rows

    def stage(self, name: str, rows: pa.Table) -> None:
        """Rows to load into `name`, written as one more Parquet part."""
        if not len(rows):
            return
        folder = self.folder / name
        folder.mkdir(exist_ok=True)
        pq.write_table(_typed(name, rows), folder / f"part-{next(self._parts)}.parquet")

    def rows(self, wh, name: str) -> ir.Table | None:
        """The staged rows of `name` (a shared table's once), None if none."""
        folder = self.folder / name
        if not folder.is_dir():
            return None
        rows = wh.store.read_file(folder)
        return rows.distinct() if name in change.SHARED_TABLES else rows

    def named_ids(self) -> dict[str, pa.Array]:
        """The care sites and communes that the rows to load name."""
        return {c: pa.concat_arrays(ids) for c, ids in self.named.items()}


def _typed(name: str, rows: pa.Table) -> pa.Table:
    """`rows` with a column of nulls typed as its CDM column (every part of a
    table has one schema)."""
    if name not in cdm_tables():
        return rows
    spec = cdm_table(name).arrow_schema
    for i, f in enumerate(rows.schema):
        if pa.types.is_null(f.type) and f.name in spec.names:
            rows = rows.set_column(
                i, f.name, rows.column(i).cast(spec.field(f.name).type)
            )
    return rows
