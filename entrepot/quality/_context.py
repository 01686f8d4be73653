"""What checks read: the warehouse's tables with CDM types, and shared relations."""

from __future__ import annotations

from datetime import date
from functools import cached_property

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.quality._config import QualityConfig
from entrepot.warehouse._validation import _same_family
from entrepot.warehouse.cdm import Table, cdm_tables

_NO_TABLE = Table("", "", "", ())


class Context:
    """One quality run over one warehouse: table specs, typed columns, caches."""

    def __init__(self, wh, config: QualityConfig, today: date) -> None:
        self.wh = wh
        self.config = config
        self.today = today
        self._schemas: dict[str, ibis.Schema | None] = {}
        self._tables: dict[str, ir.Table] = {}

    # -- what is there --------------------------------------------------------
    @cached_property
    def specs(self) -> dict[str, Table]:
        """CDM tables of the clinical and vocabulary schemas (not results)."""
        return {n: t for n, t in cdm_tables().items() if t.role != "results"}

    def schema(self, table: str) -> ibis.Schema | None:
        """The stored schema (lower-case names), or None when the table is absent."""
        if table not in self._schemas:
            present = self.wh.has_table(table)
            self._schemas[table] = self.wh.table(table).schema() if present else None
        return self._schemas[table]

    def has(self, table: str, field: str | None = None) -> bool:
        schema = self.schema(table)
        return schema is not None and (field is None or field in schema)

    def usable(self, table: str, field: str) -> bool:
        """Whether a field is there and can be read as its CDM type."""
        if not self.has(table, field):
            return False
        if field not in self.specs.get(table, _NO_TABLE).columns:  # not in the CDM
            return True
        stored = self.schema(table)[field]
        want = self.specs[table].field(field).dtype
        return (
            _same_family(stored, want)
            or stored.is_string()
            or (want.is_integer() and stored.is_numeric())  # ids stored as DOUBLE
        )

    def missing(self, needs) -> str | None:
        """Why a check cannot run here, or None when all it reads is there."""
        for table, field in needs:
            if not self.has(table):
                return f"table {table} is missing"
            if field is not None and not self.usable(table, field):
                if not self.has(table, field):
                    return f"{table}.{field} is missing"
                want = self.specs[table].field(field).datatype
                return f"{table}.{field} cannot be read as {want}"
        return None

    # -- reading --------------------------------------------------------------
    def table(self, table: str) -> ir.Table:
        """A table with its CDM fields cast to their CDM types (text parsed leniently)."""
        if table not in self._tables:
            t = self.wh.table(table)
            spec = self.specs.get(table)
            if spec is not None:
                cast = [
                    f
                    for f in spec.fields
                    if f.name in t.columns
                    and not t[f.name].type().equals(f.dtype)
                    and self.usable(table, f.name)
                ]
                t = t.mutate(
                    **{f"_raw_{f.name}": t[f.name] for f in cast},
                    **{f.name: self._typed(t[f.name], f.dtype) for f in cast},
                )
            self._tables[table] = t
        return self._tables[table]

    @staticmethod
    def _typed(column: ir.Column, want: dt.DataType) -> ir.Column:
        if column.type().is_string() and not want.is_string():
            return column.try_cast(want)
        return column.cast(want)

    def key(self, table: str) -> str:
        """The column that identifies a row, to show examples."""
        spec = self.specs.get(table)
        if spec is None:
            return self.schema(table).names[0]
        for f in spec.fields:
            if f.primary_key and self.has(table, f.name):
                return f.name
        return (
            "person_id" if self.has(table, "person_id") else self.schema(table).names[0]
        )

    def rows(self, table: str) -> ir.Table:
        """A table's rows with `_id` (its key) and `_n` = 1."""
        t = self.table(table)
        return t.mutate(_id=t[self.key(table)], _n=ibis.literal(1))

    def arrow(self, data: pa.Table) -> ir.Table:
        """Reference data (lab ranges, rules) as a table on the warehouse's engine."""
        return self.wh.store.from_arrow(data)

    @cached_property
    def persons(self) -> ir.Table:
        """Per person: `_birth`, `_gender`, `_death` (first death date), `_last_seen`."""
        p = self.table("person")
        birth = ibis.date(p.year_of_birth, 1, 1)
        if self.has("person", "birth_datetime"):  # a date in CDM 5.3 files
            birth = p.birth_datetime.cast("date").coalesce(birth)
        persons = p.select(
            "person_id",
            _birth=birth,
            _year_of_birth=p.year_of_birth,
            _gender=p.gender_concept_id,
        )
        if self.has("death", "death_date"):
            d = self.table("death")
            deaths = d.group_by("person_id").aggregate(_death=d.death_date.min())
            persons = persons.left_join(deaths, "person_id").drop("person_id_right")
        else:
            persons = persons.mutate(_death=ibis.null("date"))
        if self.has("observation_period", "observation_period_end_date"):
            o = self.table("observation_period")
            last = o.group_by("person_id").aggregate(
                _last_seen=o.observation_period_end_date.max()
            )
            persons = persons.left_join(last, "person_id").drop("person_id_right")
        else:
            persons = persons.mutate(_last_seen=ibis.null("date"))
        return persons
