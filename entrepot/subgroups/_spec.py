"""The feature spec: what a YAML file declares, validated by pydantic.

Each feature is one column of the table of patients; its kind says how it is
computed from the events of the cohort model (`{condition: {concept_set: x}}`):

- `presence`: whether such an event happened (boolean, never missing; with
  `known_by`, another event, missing for a person without that one: a skin
  extent is known only where it was recorded);
- `count`: how many (float64, 0 when none);
- `first`, `last`, `min`, `max`, `mean`: a value of a measurement or an observation
  (float64, missing when none was recorded);
- `positive`: a positive or raised result of a measurement or an observation
  (autoantibodies, a raised CRP): true, false when tested and never positive,
  missing when never tested;
- `since_first`: years from the first such event to the index date;
- `age` (at the index date) and `sex` ("female", "male").

`window` keeps the events dated from `start` to `end` days relative to the
index date (both included; a missing bound is open); without one, ever.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from entrepot._declared import find_declared, read_yaml, shipped_files, validated
from entrepot.cohort import ConceptSet, Event
from entrepot.errors import FeatureSpecError

EVENT_KINDS = (
    "presence",
    "count",
    "first",
    "last",
    "min",
    "max",
    "mean",
    "positive",
    "since_first",
)
PERSON_KINDS = ("age", "sex")
#: kinds that read a result (value_as_number, or a positive result)
RESULT_KINDS = ("first", "last", "min", "max", "mean", "positive")
RESULT_DOMAINS = ("measurement", "observation")
SHIPPED = files("entrepot.data.features")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Window(Strict):
    """Days relative to the index date, both included (`start: -365, end: 0`)."""

    start: int | None = None
    end: int | None = None

    @model_validator(mode="after")
    def _possible(self) -> Window:
        if self.start is None and self.end is None:
            raise ValueError("a window needs a start or an end (days from the index)")
        if self.start is not None and self.end is not None and self.start > self.end:
            raise ValueError(
                f"impossible window: start {self.start} is after end {self.end}"
            )
        return self


class Feature(Strict):
    """One column: one kind (`presence: {condition: {...}}`, `age`...)."""

    description: str | None = None
    presence: Event | None = None
    count: Event | None = None
    first: Event | None = None
    last: Event | None = None
    min: Event | None = None
    max: Event | None = None
    mean: Event | None = None
    positive: Event | None = None
    since_first: Event | None = None
    age: Literal[True] | None = None
    sex: Literal[True] | None = None
    window: Window | None = None
    known_by: Event | None = None

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data):
        """Accept `age` and `sex` alone."""
        return {data: True} if data in PERSON_KINDS else data

    @model_validator(mode="after")
    def _one_kind(self) -> Feature:
        given = [k for k in EVENT_KINDS + PERSON_KINDS if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError(
                "give one kind of feature: " + ", ".join(EVENT_KINDS + PERSON_KINDS)
            )
        if self.kind in PERSON_KINDS and self.window is not None:
            raise ValueError(f"window: {self.kind} is at the index date")
        if self.known_by is not None and self.kind != "presence":
            raise ValueError(f"known_by: only for presence (not {self.kind})")
        if self.kind in RESULT_KINDS and self.event.domain not in RESULT_DOMAINS:
            raise ValueError(
                f"{self.kind}: reads a result, of a measurement or an observation "
                f"(not {self.event.domain})"
            )
        return self

    @property
    def kind(self) -> str:
        return next(
            k for k in EVENT_KINDS + PERSON_KINDS if getattr(self, k) is not None
        )

    @property
    def event(self) -> Event | None:
        return getattr(self, self.kind) if self.kind in EVENT_KINDS else None

    @property
    def events(self) -> list[Event]:
        """The events it reads: its own, and `known_by`'s."""
        return [e for e in (self.event, self.known_by) if e is not None]


class FeatureSpec(Strict):
    """Concept sets, and the features computed for each person of a cohort."""

    name: str
    description: str | None = None
    concept_sets: dict[str, ConceptSet] = {}
    features: dict[str, Feature] = Field(min_length=1)

    @model_validator(mode="after")
    def _names(self) -> FeatureSpec:
        if "person_id" in self.features:
            raise ValueError("features: person_id is the table's key, not a feature")
        named = {
            name
            for f in self.features.values()
            for event in f.events
            for name in concept_set_names(event.model_dump())
        }
        unknown = sorted(named - set(self.concept_sets))
        if unknown:
            raise ValueError(f"unknown concept set(s): {', '.join(unknown)}")
        return self


def concept_set_names(node) -> set[str]:
    """The concept sets an event (as dumped) names, at any depth."""
    if isinstance(node, dict):
        found = {
            v
            for k, v in node.items()
            if k.endswith("concept_set") and isinstance(v, str)
        }
        return found.union(*(concept_set_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(concept_set_names(v) for v in node))
    return set()


def shipped_specs() -> dict[str, Path]:
    """Specs shipped with entrepot (`entrepot/data/features/*.yaml`), by name."""
    return shipped_files(SHIPPED)


def load_spec(name_or_path: str | Path) -> FeatureSpec:
    """A spec file, or the shipped spec of that name, read and validated."""
    path = find_declared(name_or_path, SHIPPED, FeatureSpecError, "spec")
    return spec_from_data(read_yaml(path, FeatureSpecError), str(path))


def spec_from_data(data: object, source: str) -> FeatureSpec:
    """A spec from parsed YAML or JSON; errors name the source and the field."""
    return validated(FeatureSpec, data, source, FeatureSpecError, "a feature spec")
