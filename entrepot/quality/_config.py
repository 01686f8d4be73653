"""Thresholds, rules and extra checks, from YAML files validated with pydantic."""

from __future__ import annotations

import difflib
import hashlib
import os
from collections.abc import Iterable
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from entrepot._declared import parse_yaml
from entrepot.errors import QualityConfigError
from entrepot.warehouse.cdm import cdm_tables


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _unknown(what: str, name: str, known: Iterable[str]) -> str:
    """Why a name is refused, with the nearest known name when there is one."""
    near = difflib.get_close_matches(name, list(known), n=1)
    return f"{what} '{name}'" + (f" (did you mean {near[0]}?)" if near else "")


def _table_problem(table: str, field: str | None = None) -> str | None:
    """Why `table` (and `field`) is not in the CDM specification, or None."""
    tables = cdm_tables()
    if table not in tables:
        return _unknown("unknown CDM table", table, tables)
    if field is not None and field not in tables[table].columns:
        return _unknown(f"{table} has no field", field, tables[table].columns)
    return None


def _refuse(problem: str | None) -> None:
    if problem is not None:
        raise PydanticCustomError("unknown_name", problem)


class SexRule(_Model):
    """Concepts only one sex can have: code prefixes per vocabulary."""

    sex: Literal["female", "male"]
    label: str
    codes: dict[str, list[str]]


class ExtraCheck(_Model):
    """A check of your own, of one of three declarative kinds."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    kind: Literal["value_range", "not_null", "allowed_values"]
    table: str
    field: str
    category: Literal["conformance", "completeness", "plausibility"] | None = None
    description: str | None = None
    threshold: float = Field(0, ge=0, le=100)
    concept_id: int | None = None  # value_range: only rows of this concept
    minimum: float | None = None
    maximum: float | None = None
    values: list[str | int] | None = None

    @field_validator("table")
    @classmethod
    def _known_table(cls, table: str) -> str:
        _refuse(_table_problem(table))
        return table

    @field_validator("field")
    @classmethod
    def _known_field(cls, field: str, info: ValidationInfo) -> str:
        if "table" in info.data:  # else the table's own error is reported
            _refuse(_table_problem(info.data["table"], field))
        return field

    @model_validator(mode="after")
    def _complete(self) -> ExtraCheck:
        if self.kind == "value_range" and self.minimum is None and self.maximum is None:
            raise ValueError("a value_range check needs minimum or maximum")
        if self.kind == "allowed_values" and not self.values:
            raise ValueError("an allowed_values check needs values")
        return self


class QualityConfig(_Model):
    """Everything a quality run can be told (see entrepot/data/quality/defaults.yaml)."""

    thresholds: dict[str, float] = {}
    disabled: list[str] = []
    should_be_filled: list[str] = []
    max_age: int = Field(120, gt=0)
    death_grace_days: int = Field(0, ge=0)
    examples: int = Field(5, ge=0, le=100)
    sex_specific: list[SexRule] = []
    extra_checks: list[ExtraCheck] = []

    def threshold(
        self, family: str, table: str, field: str | None, default: float = 0
    ) -> float:
        """The most specific threshold: family:table.field, family:table, family."""
        for key in (f"{family}:{table}.{field}", f"{family}:{table}", family):
            if key in self.thresholds:
                return self.thresholds[key]
        return default

    def unknown_name(self) -> tuple[str, str] | None:
        """(place, reason) of the first family, table or field that does not
        exist, in thresholds, disabled or should_be_filled; None if all do."""
        from entrepot.quality._registry import families

        known = set(families())
        with_extra = known | {e.name for e in self.extra_checks}
        for key in self.thresholds:
            family, _, place = key.partition(":")
            table, _, field = place.partition(".")
            problem = (
                _unknown("unknown check family", family, with_extra)
                if family not in with_extra
                else place and _table_problem(table, field or None)
            )
            if problem:
                return f"thresholds.{key}", problem
        for i, family in enumerate(self.disabled):
            if family not in known:
                return f"disabled.{i}", _unknown("unknown check family", family, known)
        for i, name in enumerate(self.should_be_filled):
            table, _, field = name.partition(".")
            if problem := _table_problem(table, field):
                return f"should_be_filled.{i}", problem
        return None

    @property
    def fingerprint(self) -> str:
        """Changes whenever the configuration does: stored results are then stale."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


def _read(text: str, where: str) -> dict:
    data = parse_yaml(text, where, QualityConfigError, "not valid YAML") or {}
    if not isinstance(data, dict):
        raise QualityConfigError(f"{where}: expected a mapping at the top level")
    return data


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = {**merged[key], **value}
        else:
            merged[key] = value
    return merged


def load_config(path: str | os.PathLike | None = None) -> QualityConfig:
    """The default configuration, with the YAML file at `path` merged over it."""
    defaults = files("entrepot.data.quality").joinpath("defaults.yaml")
    data = _read(defaults.read_text(encoding="utf-8"), "defaults.yaml")
    where = "defaults.yaml"
    if path is not None:
        path = Path(path)
        if not path.is_file():
            raise QualityConfigError(f"{path}: no such file")
        where = str(path)
        data = _merge(data, _read(path.read_text(encoding="utf-8"), where))
    try:
        config = QualityConfig.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        place = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise QualityConfigError(f"{where}: {place}: {first['msg']}") from None
    if unknown := config.unknown_name():
        raise QualityConfigError(f"{where}: {unknown[0]}: {unknown[1]}")
    return config
