"""What compiling one definition needs: the warehouse, the research studies
whose rows it may read, and resolved concept sets."""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis.expr.types as ir

from entrepot.privacy import Decision, SeenStudies


@dataclass
class Context:
    """The warehouse, the research studies whose rows it reads (the release
    gate's rule: within a project, those granted it), the concept ids of
    each concept set, and tables read once."""

    wh: object
    studies: SeenStudies = field(default_factory=SeenStudies)
    concepts: dict[str, list[int]] = field(default_factory=dict)
    _tables: dict[str, ir.Table] = field(default_factory=dict)
    _present: list[str] | None = None

    def has(self, name: str) -> bool:
        """Whether the CDM holds a table (listed once per compilation), or
        the warehouse one of its own (an extraction's results)."""
        if self._present is None:  # any case: DuckDB reads names so
            self._present = [t.lower() for t in self.wh.store.list_tables("cdm")]
        return name in self._present or self.wh.has_table(name)

    def table(self, name: str) -> ir.Table:
        """A CDM table, or one of the warehouse's own, read once per
        compilation (columns lower-case; the studies' rows only those seen)."""
        if name not in self._tables and not self.has(name):
            raise LookupError(f"the warehouse has no {name} table")
        if name not in self._tables and name not in self._present:
            self._tables[name] = self.wh.table(name)
        if name not in self._tables:
            t = self.wh.store.table("cdm", name)
            if any(c != c.lower() for c in t.columns):
                t = t.rename(str.lower)
            self._tables[name] = self.studies.rows(self.wh, t, name)
        return self._tables[name]

    @classmethod
    def of(cls, wh, decision: Decision | None) -> Context:
        """The context of a compilation for `decision` (None: warehouse-wide)."""
        return cls(wh, decision.studies(wh) if decision else SeenStudies())

    def persons(self) -> ir.Table:
        """person as (pid, year_of_birth, gender, race and ethnicity concepts), typed."""
        person = self.table("person")
        return person.select(
            pid=typed(person.person_id, "int64"),
            year_of_birth=typed(person.year_of_birth, "int64"),
            gender_concept_id=typed(person.gender_concept_id, "int64"),
            race_concept_id=typed(person.race_concept_id, "int64"),
            ethnicity_concept_id=typed(person.ethnicity_concept_id, "int64"),
        )

    def ids(self, concept_set: str) -> list[int]:
        return self.concepts[concept_set]


def typed(value: ir.Value, dtype: str) -> ir.Value:
    """`value` cast to `dtype` only when it is not already (smaller queries)."""
    return value if str(value.type()).lstrip("!") == dtype else value.cast(dtype)


def where(rows: ir.Table, conditions: list[ir.BooleanValue]) -> ir.Table:
    """`rows` filtered by every condition (unchanged without any)."""
    return rows.filter(*conditions) if conditions else rows
