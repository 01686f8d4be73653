"""Extraction schemas: the fields to read from a report, declared in YAML.

Each field has a type (`boolean`, `enum` with its `values`, `number` with its
`unit`, `date` as `YYYY-MM-DD`, or `text`) and a French `definition`: what a
reader (a person, the rules or a model) must decide. `when` makes a field
depend on others: `explains_headache` has `when: {headache: true, abnormal:
true}` and is null in a report where either is not true. Every field may be
null: not stated in the report. `published` holds a paper's sensitivity and
specificity for boolean fields, which an evaluation sets beside ours.
"""

from __future__ import annotations

import datetime as dt
import re
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from entrepot._declared import find_declared, read_yaml, shipped_files, validated
from entrepot.errors import ExtractionSchemaError

SHIPPED = files("entrepot.data.extraction")
FieldType = Literal["boolean", "enum", "number", "date", "text"]
Value = bool | str | float | int | None


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SchemaField(Strict):
    """One field to extract."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    type: FieldType
    definition: str = Field(min_length=1)
    values: tuple[str, ...] | None = None
    unit: str | None = None
    when: dict[str, bool | str] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> SchemaField:
        if (self.type == "enum") != (self.values is not None):
            raise ValueError("`values` is given for an enum field, and only for one")
        if self.values is not None and len(set(self.values)) < 2:
            raise ValueError("an enum field needs at least two distinct values")
        if self.unit is not None and self.type != "number":
            raise ValueError("`unit` is only for a number field")
        return self

    def problem(self, value: object) -> str | None:
        """Why a value cannot be this field's, or None when it can."""
        if value is None:
            return None
        if self.type == "boolean":
            ok = isinstance(value, bool)
        elif self.type == "enum":
            ok = isinstance(value, str) and value in (self.values or ())
        elif self.type == "number":
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        elif self.type == "date":
            ok = isinstance(value, str) and _is_date(value)
        else:
            ok = isinstance(value, str)
        return None if ok else f"{self.name}: {value!r} is not a valid {self.type}"

    def json_schema(self) -> dict:
        """This field as JSON Schema (nullable), for constrained generation."""
        kinds = {
            "boolean": {"type": ["boolean", "null"]},
            "enum": {"enum": [*(self.values or ()), None]},
            "number": {"type": ["number", "null"]},
            "date": {
                "type": ["string", "null"],
                "pattern": r"^\d{4}-\d{2}-\d{2}$",
            },
            "text": {"type": ["string", "null"]},
        }
        return {**kinds[self.type], "description": self.definition}


class Figures(Strict):
    """A published sensitivity and specificity, in %."""

    sensitivity: float = Field(ge=0, le=100)
    specificity: float = Field(ge=0, le=100)


class Published(Strict):
    """What a paper reports for some boolean fields, to set our figures beside."""

    source: str = Field(min_length=1)
    fields: dict[str, Figures] = Field(min_length=1)


class Schema(Strict):
    """A named, versioned set of fields, with the figures a paper published."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    version: str = Field(min_length=1)
    title: str = Field(min_length=1)
    reference: str | None = None
    fields: tuple[SchemaField, ...] = Field(min_length=1)
    published: Published | None = None

    @model_validator(mode="after")
    def _dependencies(self) -> Schema:
        seen: dict[str, SchemaField] = {}
        for field in self.fields:
            if field.name in seen:
                raise ValueError(f"field {field.name!r} is declared twice")
            for other, value in (field.when or {}).items():
                if other not in seen:
                    raise ValueError(
                        f"{field.name}: `when` names {other!r}, "
                        "which is not a field declared before it"
                    )
                if seen[other].problem(value):
                    raise ValueError(
                        f"{field.name}: `when` {seen[other].problem(value)}"
                    )
            seen[field.name] = field
        for name in self.published.fields if self.published else ():
            if name not in seen or seen[name].type != "boolean":
                raise ValueError(
                    f"published figures for {name!r}, which is not a boolean field"
                )
        return self

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> SchemaField:
        return next(f for f in self.fields if f.name == name)

    def json_schema(self) -> dict:
        """The answer expected for one report: every field, nullable, nothing else."""
        return {
            "type": "object",
            "properties": {f.name: f.json_schema() for f in self.fields},
            "required": list(self.names),
            "additionalProperties": False,
        }

    def problems(self, values: dict) -> list[str]:
        """What makes an answer invalid: unknown, missing or wrongly typed fields."""
        found = [f"unknown field {name!r}" for name in values if name not in self.names]
        found += [
            f"missing field {name!r}" for name in self.names if name not in values
        ]
        found += [
            p
            for f in self.fields
            if f.name in values and (p := f.problem(values[f.name]))
        ]
        return found

    def resolve(self, values: dict) -> dict[str, Value]:
        """Valid values in schema order, null where a field's `when` does not hold."""
        resolved: dict[str, Value] = {}
        for field in self.fields:
            applies = all(
                resolved.get(other) == wanted
                for other, wanted in (field.when or {}).items()
            )
            resolved[field.name] = values.get(field.name) if applies else None
        return resolved


def _is_date(value: str) -> bool:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return False
    try:
        dt.date.fromisoformat(value)
    except ValueError:
        return False
    return True


def shipped_schemas() -> dict[str, Path]:
    """Schemas shipped with entrepot (`entrepot/data/extraction/*.yaml`), by name."""
    return shipped_files(SHIPPED)


def load_schema(name_or_path: str | Path) -> Schema:
    """A schema file, or the shipped schema of that name, read and validated."""
    path = find_declared(name_or_path, SHIPPED, ExtractionSchemaError, "schema")
    data = read_yaml(path, ExtractionSchemaError)
    return validated(Schema, data, str(path), ExtractionSchemaError, "a schema")
