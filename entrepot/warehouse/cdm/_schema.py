"""The OMOP CDM v5.4 specification, read from the official field-level CSV.

Every integer is 64-bit: the official 32-bit ids overflow at hospital scale
(450 million lab results).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import ibis
import ibis.expr.datatypes as dt
import pyarrow as pa

CDM_VERSION = "5.4"

#: Keys for tables the specification gives no primary key; they make loads idempotent.
NATURAL_KEYS: dict[str, tuple[str, ...]] = {
    "death": ("person_id",),
    "fact_relationship": (
        "domain_concept_id_1",
        "fact_id_1",
        "domain_concept_id_2",
        "fact_id_2",
        "relationship_concept_id",
    ),
    "episode_event": ("episode_id", "event_id", "event_field_concept_id"),
    "cdm_source": ("cdm_source_name",),
    "concept_relationship": ("concept_id_1", "concept_id_2", "relationship_id"),
    "concept_synonym": ("concept_id", "concept_synonym_name", "language_concept_id"),
    "concept_ancestor": ("ancestor_concept_id", "descendant_concept_id"),
    "source_to_concept_map": (
        "source_code",
        "source_vocabulary_id",
        "target_concept_id",
        "valid_end_date",
    ),
    "drug_strength": ("drug_concept_id", "ingredient_concept_id"),
    "cohort": ("cohort_definition_id", "subject_id", "cohort_start_date"),
}

#: Event tables whose rows each load writes ordered by their concept, then
#: person: a scan for a few concepts (a cohort's criterion) then reads only the
#: blocks whose range of concept ids holds them (DuckDB's zone maps, Parquet's
#: row-group statistics) instead of every row.
CLUSTERED: dict[str, tuple[str, ...]] = {
    "condition_occurrence": ("condition_concept_id", "person_id"),
    "device_exposure": ("device_concept_id", "person_id"),
    "drug_exposure": ("drug_concept_id", "person_id"),
    "measurement": ("measurement_concept_id", "person_id"),
    "observation": ("observation_concept_id", "person_id"),
    "procedure_occurrence": ("procedure_concept_id", "person_id"),
    "specimen": ("specimen_concept_id", "person_id"),
    "visit_detail": ("visit_detail_concept_id", "person_id"),
    "visit_occurrence": ("visit_concept_id", "person_id"),
}


def _ibis_type(datatype: str) -> dt.DataType:
    if datatype == "integer":
        return dt.int64
    if datatype == "float":
        return dt.float64
    if datatype == "date":
        return dt.date
    if datatype == "datetime":
        return dt.timestamp
    if datatype.startswith("varchar"):
        return dt.string
    raise ValueError(f"unknown CDM datatype {datatype!r}")


@dataclass(frozen=True)
class Field:
    """One column of a CDM table, as the specification defines it."""

    name: str
    datatype: str
    required: bool
    primary_key: bool
    fk_table: str | None
    fk_field: str | None
    fk_domain: str | None

    @property
    def dtype(self) -> dt.DataType:
        return _ibis_type(self.datatype)

    @property
    def max_length(self) -> int | None:
        """Longest text the field holds, or None when unbounded or not text."""
        if self.datatype.startswith("varchar(") and self.datatype != "varchar(max)":
            return int(self.datatype[len("varchar(") : -1])
        return None


@dataclass(frozen=True)
class Table:
    """One CDM table: its fields in the official order."""

    name: str
    role: str  # "cdm", "vocab" or "results", as the specification groups tables
    description: str
    fields: tuple[Field, ...]

    @property
    def columns(self) -> list[str]:
        return [f.name for f in self.fields]

    @property
    def key(self) -> tuple[str, ...]:
        """The primary key, or the natural key that makes rows unique."""
        pk = tuple(f.name for f in self.fields if f.primary_key)
        return pk or NATURAL_KEYS.get(self.name, tuple(self.columns))

    @property
    def clustered_by(self) -> tuple[str, ...]:
        """The columns a load orders its rows by (none: as they come)."""
        return CLUSTERED.get(self.name, ())

    @property
    def schema(self) -> ibis.Schema:
        return ibis.schema({f.name: f.dtype for f in self.fields})

    @property
    def arrow_schema(self) -> pa.Schema:
        return self.schema.to_pyarrow()

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)


def _rows(name: str) -> list[dict[str, str]]:
    text = files("entrepot.data.cdm").joinpath(name).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def cdm_tables() -> dict[str, Table]:
    """All 39 tables of OMOP CDM v5.4, by name, in the specification's order."""
    fields: dict[str, list[Field]] = {}
    for r in _rows("fields.csv"):
        fields.setdefault(r["table"], []).append(
            Field(
                name=r["field"],
                datatype=r["datatype"],
                required=r["required"] == "1",
                primary_key=r["primary_key"] == "1",
                fk_table=r["fk_table"] or None,
                fk_field=r["fk_field"] or None,
                fk_domain=r["fk_domain"] or None,
            )
        )
    return {
        r["table"]: Table(
            r["table"], r["schema"], r["description"], tuple(fields[r["table"]])
        )
        for r in _rows("tables.csv")
    }


def cdm_table(name: str) -> Table:
    """The specification of one CDM table."""
    from entrepot.errors import UnknownTableError

    try:
        return cdm_tables()[name.lower()]
    except KeyError:
        raise UnknownTableError(
            f"{name!r} is not an OMOP CDM v{CDM_VERSION} table"
        ) from None


VOCABULARY_TABLES = tuple(n for n, t in cdm_tables().items() if t.role == "vocab")
RESULTS_TABLES = tuple(n for n, t in cdm_tables().items() if t.role == "results")
CLINICAL_TABLES = tuple(n for n, t in cdm_tables().items() if t.role == "cdm")
