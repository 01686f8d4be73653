"""The release gate: the one place where a result becomes output for someone.

`authorise` (in `_access`) returns a `Decision`; every output path (CLI,
HTTP API, web pages, export files) then reads through it and releases
through it, and nothing else masks, narrows a perimeter or audits:

- `Decision.table(wh, name)`: the rows of a table inside the perimeter
  (persons, dates, data domains);
- `Decision.mask` / `mask_with_persons`: small counts shown as "<N";
- `Decision.suppress`: a table with margins (Table 1, a pyramid, attrition)
  masked with complementary suppression;
- `Decision.persons`: a count of persons released within a project, safe
  from differencing (`release_count`);
- `Decision.released`: the audit entry of what left: who, what, parameters,
  project, rows and persons returned;
- `Decision.export`: tables written to files, inside the perimeter, audited.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir

from entrepot.errors import AccessDeniedError
from entrepot.privacy._audit import audit
from entrepot.privacy._disclosure import (
    Suppressed,
    mask_count,
    mask_fields,
    mask_with_persons,
    suppress,
)
from entrepot.privacy._release import release_count


@dataclass(frozen=True)
class Perimeter:
    """The rows a project may see: a cohort's persons, some tables, a period."""

    cohort_id: int | None = None
    domains: frozenset[str] | None = None
    start: date | None = None
    end: date | None = None

    @classmethod
    def of(cls, row: dict) -> Perimeter:
        domains = row["domains"]
        return cls(
            row["cohort_id"],
            frozenset(domains.split(",")) if domains else None,
            row["start_date"],
            row["end_date"],
        )

    def table(self, wh, name: str) -> ir.Table:
        """The rows of a CDM table inside the perimeter."""
        from entrepot.warehouse._warehouse import BOOKKEEPING

        if name in BOOKKEEPING or (
            self.domains is not None and name not in self.domains | {"person"}
        ):
            raise AccessDeniedError(f"table {name} is outside the project's perimeter")
        t = wh.table(name)
        if self.cohort_id is not None and "person_id" in t.columns:
            c = wh.table("cohort")
            members = c.filter(c.cohort_definition_id == self.cohort_id)
            t = t.semi_join(members, t.person_id == members.subject_id)
        day = _date_column(t)
        if day is not None and self.start is not None:
            t = t.filter(t[day] >= self.start)
        if day is not None and self.end is not None:
            t = t.filter(t[day] <= self.end)
        return t


def _date_column(t: ir.Table) -> str | None:
    for suffix in ("_start_date", "_date"):
        for column in t.columns:
            if column.endswith(suffix) and t[column].type().is_date():
                return column
    return None


@dataclass(frozen=True)
class Decision:
    """What an authorised user may see for one action."""

    user: str
    role: str
    action: str
    project: str | None
    perimeter: Perimeter | None
    #: Counts from 1 to mask_below - 1 are shown as "<mask_below"; None: rows.
    mask_below: int | None

    def table(self, wh, name: str) -> ir.Table:
        """A table restricted to the project's perimeter."""
        return self.perimeter.table(wh, name) if self.perimeter else wh.table(name)

    def mask(self, count: int) -> int | str:
        return count if self.mask_below is None else mask_count(count, self.mask_below)

    def mask_fields(self, data, fields: set[str] | frozenset[str]):
        """`data` (JSON-like) with the counts under the keys `fields` masked,
        at any depth (`mask_fields`)."""
        if self.mask_below is None:
            return data
        return mask_fields(data, fields, self.mask_below)

    def mask_with_persons(self, counts: dict[str, int]) -> dict[str, int | str]:
        """Counts about the same persons, masked together (`mask_with_persons`)."""
        if self.mask_below is None:
            return dict(counts)
        return mask_with_persons(counts, self.mask_below)

    def suppress(
        self,
        table: Mapping[Hashable, Mapping[Hashable, int] | int],
        *,
        public_total: bool = False,
    ) -> Suppressed:
        """A table with margins, masked with complementary suppression
        (`suppress`); unmasked cells for a decision that reads rows."""
        return suppress(table, self.mask_below or 1, public_total=public_total)

    def persons(
        self,
        wh,
        persons: ir.Table | ir.Column | Iterable[int],
        what: str,
        parameters: dict | None = None,
    ) -> int | str:
        """The number of distinct persons shown, audited as `what`: within a
        masked project, safe from differencing (`release_count`)."""
        if self.project is not None and self.mask_below is not None:
            return release_count(
                wh,
                self.project,
                persons,
                self.mask_below,
                user=self.user,
                action=what,
                parameters=parameters,
            )
        if isinstance(persons, ir.Table):
            persons = persons.person_id
        if isinstance(persons, ir.Column):
            count = persons.nunique().to_pyarrow().as_py()
        else:
            count = len(set(persons))
        self.released(wh, what, parameters, persons=count)
        return self.mask(count)

    def released(
        self,
        wh,
        what: str,
        parameters: dict | None = None,
        *,
        rows: int | None = None,
        persons: int | None = None,
    ) -> None:
        """The audit entry of an output: who, what, parameters, project, and
        how many rows and persons it returned."""
        audit(
            wh,
            self.user,
            what,
            parameters,
            project=self.project,
            rows=rows,
            persons=persons,
        )

    def export(
        self,
        wh,
        tables: Iterable[str],
        folder: Path,
        format: str,
        parameters: dict | None = None,
        progress: Callable[[str], None] | None = None,
    ) -> dict[str, int]:
        """Write each table's rows inside the perimeter to `folder/name.format`
        (parquet or csv), and audit the export with the rows and distinct
        persons written: {table: rows}."""
        written: dict[str, int] = {}
        ids = []
        for name in tables:
            if progress:
                progress(name)
            rows = self.table(wh, name)
            wh.store.write_file(rows, folder / f"{name.lower()}.{format}")
            written[name] = int(rows.count().to_pyarrow().as_py())
            if "person_id" in rows.columns:
                ids.append(rows.select(person_id=rows.person_id.cast("int64")))
        persons = 0
        if ids:
            persons = int(ibis.union(*ids).person_id.nunique().to_pyarrow().as_py())
        self.released(
            wh,
            "export",
            (parameters or {}) | {"tables": sorted(written), "folder": str(folder)},
            rows=sum(written.values()),
            persons=persons,
        )
        return written
