"""Thresholds, rules and extra checks, from YAML files validated with pydantic."""

from __future__ import annotations

import hashlib
import os
from importlib.resources import files
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from entrepot.errors import QualityConfigError


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


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

    @property
    def fingerprint(self) -> str:
        """Changes whenever the configuration does: stored results are then stale."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:16]


def _read(text: str, where: str) -> dict:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        raise QualityConfigError(f"{where}: not valid YAML: {e}") from None
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
        return QualityConfig.model_validate(data)
    except ValidationError as e:
        first = e.errors()[0]
        place = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise QualityConfigError(f"{where}: {place}: {first['msg']}") from None
