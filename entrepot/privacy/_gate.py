"""The release gate: the one place where a result becomes output for someone.

`authorise` (in `_access`) returns a `Decision`; every output path (CLI,
HTTP API, web pages, export files) then reads through it and releases
through it, and nothing else masks, narrows a perimeter or audits:

- `Decision.table(wh, name)`: the rows of a table inside the perimeter
  (persons, dates, data domains, research studies); `visible` the same or
  None, `narrow` any rows about persons (a cohort's), `studies` the
  research studies' rows a table read otherwise keeps (`SeenStudies.rows`),
  `scope` where a search may look;
- `Decision.mask` / `mask_with_persons`: small counts shown as "<N";
- `Decision.suppress`: a table with margins (Table 1, a pyramid) masked
  with complementary suppression; `attrition` the steps of a cohort;
- `Decision.persons` (`persons_each` for a list): a count of persons
  released within a project, safe from differencing (`release_count`);
  `release` (`release_each`) the same with the persons it counts, on which
  the figures shown with it are worked out (Table 1's cells, a cohort's
  entries, the attrition's steps, by `attrition(steps, released, entries)`),
  so that none gives the true count back;
  `persons_with` with counts of rows about them (a search's notes), shown
  within a project only to whoever sees those rows anyway;
- `Decision.released`: the audit entry of what left: who, what, parameters,
  project, rows and persons returned;
- `Decision.export`: tables written to files, inside the perimeter, audited.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np

from entrepot.errors import AccessDeniedError
from entrepot.privacy._audit import audit
from entrepot.privacy._disclosure import (
    HIDDEN,
    Suppressed,
    mask_count,
    mask_fields,
    mask_with_persons,
    suppress,
    threshold_for,
)
from entrepot.privacy._optout import on_optout
from entrepot.privacy._release import person_ids, release_counts, release_set
from entrepot.privacy._studies import SeenStudies

_OPTOUT_TTL = 5.0  # seconds an opt-out list is trusted (opting out clears it)
_optouts: dict[str, tuple[float, frozenset[int]]] = {}


@dataclass(frozen=True)
class Perimeter:
    """The rows a project may see: a cohort's persons, the persons who stayed
    in some care units, some tables, a period, and the research databases
    (studies) it was granted."""

    cohort_id: int | None = None
    domains: frozenset[str] | None = None
    start: date | None = None
    end: date | None = None
    project: str | None = None  # whose studies it sees (None: none)
    #: care_site ids: persons with a stay or visit in one of them, in the period
    units: frozenset[int] | None = None

    @classmethod
    def of(cls, row: dict, units: frozenset[int] | None = None) -> Perimeter:
        domains = row["domains"]
        return cls(
            row["cohort_id"],
            frozenset(domains.split(",")) if domains else None,
            row["start_date"],
            row["end_date"],
            row["name"],
            units,
        )

    def table(self, wh, name: str) -> ir.Table:
        """The rows of a CDM table inside the perimeter."""
        from entrepot.warehouse._warehouse import BOOKKEEPING

        if name in BOOKKEEPING or (
            self.domains is not None and name not in self.domains | {"person"}
        ):
            raise AccessDeniedError(f"table {name} is outside the project's perimeter")
        t = self.studies(wh).rows(wh, wh.table(name), name)
        person = "person_id" if "person_id" in t.columns else None
        return self.narrow(wh, t, person, _date_column(t))

    def studies(self, wh) -> SeenStudies:
        """The research studies whose rows the project sees."""
        return SeenStudies.of(wh, self.project)

    def narrow(
        self, wh, rows: ir.Table, person: str | None, day: str | None
    ) -> ir.Table:
        """`rows` of the perimeter's persons (column `person`) that start in
        its period (column `day`)."""
        if self.cohort_id is not None and person is not None:
            c = wh.table("cohort").view()  # `rows` may be the cohort table too
            members = c.filter(c.cohort_definition_id == self.cohort_id)
            members = members.select(member=members.subject_id)
            rows = rows.semi_join(members, rows[person] == members.member)
        if self.units is not None and person is not None:
            stayed = self.stayed(wh)
            rows = rows.semi_join(stayed, rows[person] == stayed.stayed)
        if day is not None and self.start is not None:
            rows = rows.filter(rows[day] >= self.start)
        if day is not None and self.end is not None:
            rows = rows.filter(rows[day] <= self.end)
        return rows

    def stayed(self, wh) -> ir.Table:
        """The persons (column `stayed`) with a visit or a stay in a unit of
        the perimeter (`visit_occurrence`, `visit_detail`) that overlaps its
        period."""
        found = []
        for table, prefix in (
            ("visit_occurrence", "visit"),
            ("visit_detail", "visit_detail"),
        ):
            v = wh.table(table).view()
            start = v[f"{prefix}_start_date"]
            end = v[f"{prefix}_end_date"].fill_null(start)
            keep = v.care_site_id.isin(sorted(self.units))
            if self.end is not None:
                keep &= start <= self.end
            if self.start is not None:
                keep &= end >= self.start
            found.append(v.filter(keep).select(stayed=v.person_id.cast("int64")))
        return ibis.union(*found, distinct=True)


def _date_column(t: ir.Table) -> str | None:
    for suffix in ("_start_date", "_date"):
        for column in t.columns:
            if column.endswith(suffix) and t[column].type().is_date():
                return column
    return None


@dataclass(frozen=True)
class Scope:
    """Where a search may look: a period, some persons (None: everyone), and
    persons it must never show (opted out, even before an index forgot them)."""

    start: date | None
    end: date | None
    persons: frozenset[int] | None
    hidden: frozenset[int]


def _opted_out(wh) -> frozenset[int]:
    """Opted-out persons, read at most every few seconds per warehouse."""
    key = str(wh.uri)
    cached = _optouts.get(key)
    if cached and time.monotonic() - cached[0] < _OPTOUT_TTL:
        return cached[1]
    ids = frozenset()
    if "optout" in wh.store.list_tables("entrepot"):
        t = wh.store.table("entrepot", "optout")
        ids = frozenset(t.person_id.to_pyarrow().to_pylist())
    _optouts[key] = (time.monotonic(), ids)
    return ids


@on_optout
def _forget_optouts(wh, person_ids) -> None:
    _optouts.clear()


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
    #: research, or care: a care team's own units' patients (`_units`), exact
    #: counts, every output audited with the mode
    mode: str = "research"

    def table(self, wh, name: str) -> ir.Table:
        """A table restricted to the project's perimeter."""
        return self.perimeter.table(wh, name) if self.perimeter else wh.table(name)

    def studies(self, wh) -> SeenStudies:
        """The research studies whose rows may be read (every one outside a
        project, without a query): what an analysis reading tables itself
        (cohort criteria, features) applies to `observation`/`measurement`."""
        return self.perimeter.studies(wh) if self.perimeter else SeenStudies()

    def visible(self, wh, name: str) -> ir.Table | None:
        """The table inside the perimeter, or None (absent, or outside)."""
        if not wh.has_table(name):
            return None
        try:
            return self.table(wh, name)
        except AccessDeniedError:
            return None

    def narrow(
        self,
        wh,
        rows: ir.Table,
        person: str | None = "person_id",
        day: str | None = None,
    ) -> ir.Table:
        """Rows about persons (a cohort's) kept to the perimeter's persons and
        to those starting in its period (`day`)."""
        return self.perimeter.narrow(wh, rows, person, day) if self.perimeter else rows

    def reads(self, wh) -> Hashable:
        """What the rows it reads of a table depend on (the perimeter's
        persons and period, the studies seen; not which tables it may read):
        equal for two decisions that read the same rows of each table both
        may read (figures computed for one serve the other)."""
        p = self.perimeter
        rows = None if p is None else replace(p, domains=None, project=None)
        return (None if rows == Perimeter() else rows), self.studies(wh)

    @property
    def narrows(self) -> bool:
        """Whether the perimeter keeps some persons or a period (so counts
        differ from the whole warehouse's)."""
        p = self.perimeter
        return p is not None and (
            p.cohort_id is not None
            or p.units is not None
            or p.start is not None
            or p.end is not None
        )

    def scope(self, wh, start: date | None = None, end: date | None = None):
        """Where a search of notes from `start` to `end` may look (a `Scope`),
        or None when nothing can match. Refuses a project without notes."""
        self.table(wh, "note")
        p = self.perimeter or Perimeter()
        starts = [d for d in (start, p.start) if d]
        ends = [d for d in (end, p.end) if d]
        start, end = max(starts, default=None), min(ends, default=None)
        if start and end and start > end:
            return None
        persons = None
        if p.cohort_id is not None or p.units is not None:
            ids = self.table(wh, "person").person_id.to_pyarrow().to_pylist()
            persons = frozenset(ids)
        return Scope(start, end, persons, _opted_out(wh))

    def mask(self, count: int) -> int | str:
        return count if self.mask_below is None else mask_count(count, self.mask_below)

    def mask_fields(
        self,
        data,
        fields: set[str] | frozenset[str],
        derived: set[str] | frozenset[str] = frozenset(),
    ):
        """`data` (JSON-like) with the counts under the keys `fields` masked,
        at any depth, and the statistics under `derived` hidden beside a
        masked count (`mask_fields`)."""
        if self.mask_below is None:
            return data
        return mask_fields(data, fields, self.mask_below, derived)

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

    @property
    def defends(self) -> bool:
        """Whether person counts are released safe from differencing (a
        project's masked counts)."""
        return self.project is not None and self.mask_below is not None

    def persons(
        self,
        wh,
        persons: ir.Table | ir.Column | Iterable[int],
        what: str,
        parameters: dict | None = None,
    ) -> int | str:
        """The number of distinct persons shown, audited as `release.{what}`:
        within a masked project, safe from differencing (`release_count`)."""
        return self.release(wh, persons, what, parameters)[0]

    def release(
        self,
        wh,
        persons: ir.Table | ir.Column | Iterable[int],
        what: str,
        parameters: dict | None = None,
    ) -> tuple[int | str, np.ndarray]:
        """`persons`' count as shown, and the persons it counts (sorted ids):
        within a masked project, those the differencing defence moved in or
        out included (`release_set`). Figures shown with the count (Table 1's
        cells, an attrition's steps) are worked out on these persons, so
        that none of them gives the true count back."""
        if self.defends:
            return release_set(
                wh,
                self.project,
                persons,
                self.mask_below,
                user=self.user,
                action=what,
                parameters=parameters,
            )
        ids = person_ids(persons)
        self.released(wh, f"release.{what}", parameters, persons=len(ids))
        return self.mask(len(ids)), ids

    def persons_with(
        self,
        wh,
        persons: ir.Table | ir.Column | Iterable[int],
        rows: Mapping[str, int],
        what: str,
        parameters: dict | None = None,
        *,
        seen: bool,
    ) -> dict[str, int | str]:
        """`{"persons": ..., **rows}`: persons released like `persons`, with
        counts of rows about them (a search's notes). Within a masked project
        a row count would undo the differencing defence (the notes of the
        one person it moved back in), so it is shown only to a caller who
        sees those rows anyway (`seen`: hits, an export), beside an unmasked
        person count, and otherwise hidden ("*"; 0 stays 0). Elsewhere rows
        are masked with their persons (`mask_with_persons`)."""
        shown, ids = self.release(wh, persons, what, parameters)
        if not self.defends:
            return self.mask_with_persons({"persons": len(ids), **rows})
        hide = not seen or not isinstance(shown, int)
        return {"persons": shown} | {
            k: HIDDEN if hide and n else self.mask(n) for k, n in rows.items()
        }

    def attrition(
        self,
        steps: list[dict],
        released: int | None = None,
        entries: int | None = None,
    ) -> list[dict]:
        """Attrition steps (`{"rule", "persons", "entries"}`, each counting
        what is left after its rule) masked so that no step's losses are
        worked out small: a count is shown only when it differs from the last
        one shown by 0 or by the threshold at least; others read "*" (or
        "<N", small themselves).

        `released`: how many persons the cohort's count shown counts (`release`),
        which the last step shows. Persons the differencing defence moved out
        of the count leave every step (each holds the cohort's persons); with
        persons moved in, no step shows fewer than the count. So no step's
        difference to the count gives the true count back. `entries`: the
        entries of those persons, which the last step shows, alike."""
        shown = [dict(s) for s in steps]
        for column, last in (("persons", released), ("entries", entries)):
            if last is not None and shown:
                out = min(last - shown[-1][column], 0)
                for step in shown:
                    step[column] = max(step[column] + out, last)
        for column in ("persons", "entries"):
            last = None
            for step in shown:
                value = step[column]
                masked = self.mask(value)
                if masked != value:
                    step[column] = masked
                elif last is not None and 0 < last - value < (self.mask_below or 1):
                    step[column] = HIDDEN
                else:
                    last = value
        return shown

    def persons_each(
        self,
        wh,
        sets: Mapping[Hashable, Iterable[int]],
        what: str,
        parameters: dict | None = None,
    ) -> dict[Hashable, int | str]:
        """The persons of several sets shown together (each cohort of a list),
        like `persons`, in one audit entry: rows, one per set; persons, all
        the distinct persons counted."""
        found = self.release_each(wh, sets, what, parameters)
        return {k: shown for k, (shown, _) in found.items()}

    def release_each(
        self,
        wh,
        sets: Mapping[Hashable, Iterable[int]],
        what: str,
        parameters: dict | None = None,
    ) -> dict[Hashable, tuple[int | str, np.ndarray]]:
        """`persons_each`, with the persons each count shown counts (as
        `release` gives them)."""
        keys = list(sets)
        everyone = len(set().union(*(set(v) for v in sets.values())))
        if self.defends:
            found = release_counts(
                wh, self.project, [sets[k] for k in keys], self.mask_below
            )
            shown = {k: f[:2] for k, f in zip(keys, found, strict=True)}
        else:
            ids = {k: person_ids(sets[k]) for k in keys}
            shown = {k: (self.mask(len(ids[k])), ids[k]) for k in keys}
        self.released(wh, what, parameters, rows=len(keys), persons=everyone)
        return shown

    @classmethod
    def unscoped(cls, wh, mask_below: int | None = None) -> Decision:
        """The decision of a caller that was not authorised (the library
        called directly): the whole warehouse, counts masked with the
        warehouse's threshold or a higher one asked for, never lower."""
        return cls(
            "entrepot", "admin", "count", None, None, threshold_for(wh, mask_below)
        )

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
        how many rows and persons it returned; in care mode, the mode too."""
        if self.mode == "care":
            parameters = (parameters or {}) | {"mode": "care"}
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
        *,
        columns: Mapping[str, Sequence[str]] | None = None,
        cohort_id: int | None = None,
    ) -> dict[str, int]:
        """Write each table's rows inside the perimeter to `folder/name.format`
        (parquet or csv), and audit the export with the rows and distinct
        persons written: {table: rows}. `columns`: those kept of a table
        (else all); `cohort_id`: only that cohort's persons' rows."""
        written: dict[str, int] = {}
        ids = []
        for name in tables:
            if progress:
                progress(name)
            rows = self.table(wh, name)
            if cohort_id is not None:
                rows = Perimeter(cohort_id).narrow(wh, rows, "person_id", None)
            if columns and name in columns:
                rows = rows.select(*columns[name])
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
            (parameters or {})
            | {"tables": sorted(written), "folder": str(folder)}
            | ({"cohort_id": cohort_id} if cohort_id is not None else {}),
            rows=sum(written.values()),
            persons=persons,
        )
        return written
