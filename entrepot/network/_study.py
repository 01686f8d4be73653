"""A network study: a cohort definition and an analysis, sent by a hub.

The YAML file names its cohort (and an outcome cohort) by path; the hub sends
their content, never the path. A node validates what it receives again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from entrepot._declared import parse_yaml, validated
from entrepot.errors import CohortDefinitionError, StudyError

ANALYSES = ("count", "characterization", "incidence", "km", "logistic", "fedavg")
#: Variables a characterization describes, and their base bin widths.
VARIABLES = {"age": 5.0, "follow_up_days": 365.0}
COVARIATES = ("age", "male")


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Noise(Strict):
    """Differential privacy on each round's update (logistic)."""

    mechanism: Literal["gaussian", "laplace"] = "gaussian"
    epsilon: float = Field(gt=0, le=100)
    delta: float = Field(default=1e-5, ge=0, lt=1)
    seed: int | None = None


class UpdateNoise(Strict):
    """Differential privacy on each node's update (fedavg): clipped to norm
    `clip`, Gaussian noise of sd `noise_multiplier`·2·clip added."""

    clip: float = Field(gt=0)
    noise_multiplier: float = Field(gt=0)
    delta: float = Field(default=1e-5, gt=0, lt=1)


class Parameters(Strict):
    outcome: str | dict | None = None  # a cohort file (its content once sent)
    variables: list[Literal["age", "follow_up_days"]] = ["age"]
    bins: dict[Literal["age", "follow_up_days"], float] = {}
    interval_days: int = Field(default=365, ge=1, le=36_500)
    window_days: int | None = Field(default=None, ge=1)
    covariates: list[Literal["age", "male"]] = list(COVARIATES)
    max_iterations: int = Field(default=25, ge=1, le=100)
    tolerance: float = Field(default=1e-10, gt=0)
    privacy: Noise | None = None
    # fedavg (FedProx when mu > 0): rounds of local mini-batch SGD; the
    # defaults tuned on the test network's hospitals with seed 7
    rounds: int = Field(default=20, ge=1, le=500)
    local_epochs: int = Field(default=10, ge=1, le=100)
    learning_rate: float = Field(default=0.3, gt=0, le=10)
    learning_rate_decay: float = Field(default=0.85, gt=0, le=1)
    batch_size: int = Field(default=32, ge=1, le=100_000)
    mu: float = Field(default=0.0, ge=0)
    seed: int = 0
    test_fraction: float = Field(default=0.3, gt=0, lt=1)
    update_privacy: UpdateNoise | None = None


class Study(Strict):
    name: str = Field(min_length=1, max_length=200)
    cohort: str | dict
    analysis: Literal[
        "count", "characterization", "incidence", "km", "logistic", "fedavg"
    ]
    parameters: Parameters = Parameters()


def validate_study(data: object, source: str) -> Study:
    """A study from parsed data; one line naming the field when it is not valid."""
    study = validated(Study, data, source, StudyError, "a study")
    needs_outcome = study.analysis in ("incidence", "km", "logistic", "fedavg")
    if needs_outcome and study.parameters.outcome is None:
        raise StudyError(
            f"{source}: parameters.outcome: {study.analysis} needs an outcome cohort"
        )
    return study


def load_study(path: str | Path) -> dict:
    """Read a study file and return what the hub sends: the study with its
    cohorts' content (validated here, so that a bad file stops at the hub)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise StudyError(f"{path}: cannot read: {e.strerror}") from None
    study = validate_study(parse_yaml(text, str(path), StudyError), str(path))
    sent = study.model_dump(mode="json", exclude_none=True)
    sent["cohort"] = _cohort(path, "cohort", study.cohort)
    if study.parameters.outcome is not None:
        sent["parameters"]["outcome"] = _cohort(
            path, "parameters.outcome", study.parameters.outcome
        )
    return sent


def _cohort(study: Path, field: str, value: str | dict) -> dict:
    """A cohort file's parsed content (ours or Circe), its path relative to
    the study file or absolute."""
    from entrepot.cohort import definition_from_data, parse_text

    if isinstance(value, dict):
        data = value
    else:
        file = Path(value) if Path(value).is_absolute() else study.parent / value
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as e:
            raise StudyError(f"{study}: {field}: {file}: {e.strerror}") from None
        try:
            data = parse_text(text, str(file), json_only=file.suffix == ".json")
        except CohortDefinitionError as e:
            raise StudyError(f"{study}: {field}: {e}") from None
    try:
        definition_from_data(data, f"{study}: {field}")
    except CohortDefinitionError as e:
        raise StudyError(str(e)) from None
    return json.loads(json.dumps(data, default=str))
