"""The prediction study: what one YAML file declares, validated by pydantic.

A study names a target cohort (who is predicted for, from their first entry:
the index date) and an outcome cohort (what is predicted: its entries'
start), the time-at-risk in days from the index date, the covariates, the
learners, the split, and the subgroups whose performance is compared.

Cohorts are a shipped cohort's name, a file (our YAML or JSON, Circe JSON from
ATLAS; relative to the study file), or a definition written inline.

Persons lost to follow-up before the end of the time-at-risk are handled as
OHDSI PatientLevelPrediction's `createStudyPopulationSettings` does by default
(`censoring`: requireTimeAtRisk, minTimeAtRisk 364, includeAllOutcomes,
removeSubjectsWithPriorOutcome); `Censoring.rule` states it in words.
"""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from entrepot._declared import find_declared, read_yaml, shipped_files, validated
from entrepot.cohort import (
    CohortDefinition,
    ConceptSet,
    describe_errors,
    load_definition,
    shipped_definitions,
)
from entrepot.errors import CohortDefinitionError, StudyError

SHIPPED = files("entrepot.data.studies")
#: the default OMOP covariate sets (domains), each in windows before the index
DOMAINS = ("conditions", "drugs", "measurements", "visits", "note_mentions")
Window = int | Literal["all"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TimeAtRisk(Strict):
    """Days from the anchor (the target entry's start), both included."""

    start: int = 1
    end: int = 365
    anchor: Literal["cohort_start"] = "cohort_start"

    @model_validator(mode="after")
    def _ordered(self) -> TimeAtRisk:
        if self.start > self.end:
            raise ValueError(f"start {self.start} is after end {self.end}")
        return self


class Censoring(Strict):
    """Who stays in the study population (PatientLevelPrediction's defaults)."""

    require_time_at_risk: bool = True
    min_time_at_risk: int = Field(364, ge=0)
    include_all_outcomes: bool = True
    remove_prior_outcome: bool = True

    def rule(self, tar: TimeAtRisk) -> str:
        """The rule, in words, as the results state it."""
        parts = [
            f"time-at-risk: days {tar.start} to {tar.end} after the first entry "
            "in the target cohort, ended early by the end of observation"
        ]
        if self.remove_prior_outcome:
            parts.append("persons with the outcome before the time-at-risk are removed")
        if self.require_time_at_risk:
            keep = (
                "; those with the outcome in it are kept whatever their time"
                if self.include_all_outcomes
                else ""
            )
            parts.append(
                f"persons observed fewer than {self.min_time_at_risk} days of it "
                f"are removed{keep}"
            )
        return "; ".join(parts) + " (as OHDSI PatientLevelPrediction)"


class Covariates(Strict):
    """Default OMOP sets, each in windows of days before the index (or "all":
    all time); `custom`: features as `entrepot features` declares them."""

    demographics: bool = True
    conditions: list[Window] = [30, 365, "all"]
    drugs: list[Window] = [30, 365, "all"]
    measurements: list[Window] = [30, 365, "all"]
    visits: list[Window] = [30, 365, "all"]
    note_mentions: list[Window] = []
    #: covariates kept: recorded for at least this many persons
    min_persons: int = Field(5, ge=1)
    concept_sets: dict[str, ConceptSet] = {}
    custom: dict[str, dict | str] = {}

    @model_validator(mode="after")
    def _windows(self) -> Covariates:
        for domain in DOMAINS:
            for w in getattr(self, domain):
                if w != "all" and w < 1:
                    raise ValueError(f"{domain}: a window is a number of days (>= 1)")
        return self

    def custom_spec(self):
        """The custom covariates as a feature spec (`entrepot.subgroups`;
        None without any)."""
        from entrepot.subgroups import FeatureSpec

        if not self.custom:
            return None
        return FeatureSpec.model_validate(
            {
                "name": "custom",
                "concept_sets": self.concept_sets,
                "features": self.custom,
            }
        )


class L1Logistic(Strict):
    """L1-penalised logistic regression; C chosen by cross-validated AUROC,
    walking `cs` up from the smallest until AUROC falls."""

    cs: list[float] = [0.01, 0.03, 0.1, 0.3, 1.0]
    folds: int = Field(3, ge=2)


class GradientBoosting(Strict):
    """scikit-learn's HistGradientBoostingClassifier."""

    max_iter: int = Field(200, ge=1)
    learning_rate: float = Field(0.05, gt=0)
    max_leaf_nodes: int = Field(15, ge=2)
    folds: int = Field(3, ge=2)
    #: OpenMP threads of each fit (1: a machine shared with other work stays responsive)
    threads: int = Field(1, ge=1)
    #: fits (the folds' and the final one) run at once, in threads
    jobs: int = Field(2, ge=1)


class Learner(Strict):
    """One of `l1_logistic`, `gradient_boosting` (`- l1_logistic` alone too)."""

    l1_logistic: L1Logistic | None = None
    gradient_boosting: GradientBoosting | None = None

    @model_validator(mode="before")
    @classmethod
    def _named(cls, data):
        return {data: {}} if isinstance(data, str) else data

    @model_validator(mode="after")
    def _one(self) -> Learner:
        if (self.l1_logistic is None) == (self.gradient_boosting is None):
            raise ValueError("give one learner: l1_logistic or gradient_boosting")
        return self

    @property
    def name(self) -> str:
        return "l1_logistic" if self.l1_logistic is not None else "gradient_boosting"

    @property
    def settings(self) -> L1Logistic | GradientBoosting:
        return self.l1_logistic or self.gradient_boosting


class Split(Strict):
    """By patient (`test_fraction`, stratified on the outcome, `seed`) and/or
    temporal (`test_from`: entries from that date are tested, earlier ones
    trained on). Both: training on earlier persons not held out, testing on
    later persons held out."""

    test_fraction: float | None = Field(0.25, gt=0, lt=1)
    seed: int = 42
    test_from: date | None = None

    def rule(self) -> str:
        parts = []
        if self.test_fraction is not None:
            parts.append(
                f"{self.test_fraction:.0%} of persons held out for the test "
                f"(stratified on the outcome, seed {self.seed})"
            )
        if self.test_from is not None:
            parts.append(f"entries before {self.test_from} trained on, from it tested")
        return "; ".join(parts)

    @model_validator(mode="after")
    def _some(self) -> Split:
        if self.test_fraction is None and self.test_from is None:
            raise ValueError("give test_fraction, test_from or both")
        return self


class Tolerance(Strict):
    """How far a subgroup may be from the whole test set before it is flagged."""

    auroc: float = Field(0.05, ge=0)
    #: a subgroup is miscalibrated when |E/O - 1| exceeds this and the
    #: observed events differ from the expected ones (two-sided p < 0.05)
    e_o: float = Field(0.2, ge=0)
    #: ... or when |slope - 1| exceeds this and the slope differs from 1
    #: (two-sided p < 0.05): risks spread where the truth is flat, or squeezed
    slope: float = Field(0.3, ge=0)


class Subgroups(Strict):
    """Sex, age bands (lower bounds, years) and covariates (by name: custom
    ones, or default ones by id), each compared with the whole."""

    sex: bool = True
    age_bands: list[int] = [0, 50, 65, 80]
    covariates: list[str] = []
    tolerance: Tolerance = Tolerance()


class Study(Strict):
    """A patient-level prediction study (see the module's docstring)."""

    name: str
    description: str | None = None
    target: str | dict
    outcome: str | dict
    time_at_risk: TimeAtRisk = TimeAtRisk()
    censoring: Censoring = Censoring()
    covariates: Covariates = Covariates()
    learners: list[Learner] = Field(
        default_factory=lambda: [Learner(l1_logistic=L1Logistic())], min_length=1
    )
    split: Split = Split()
    subgroups: Subgroups = Subgroups()
    bootstrap: int = Field(200, ge=10)

    @model_validator(mode="after")
    def _custom(self) -> Study:
        try:
            self.covariates.custom_spec()
        except ValidationError as e:
            raise ValueError(f"covariates.custom: {describe_errors(e)}") from None
        return self


class LoadedStudy:
    """A study and where it came from (cohort files are relative to it)."""

    def __init__(self, study: Study, source: str, folder: Path | None) -> None:
        self.study, self.source, self.folder = study, source, folder

    def cohort(self, which: Literal["target", "outcome"]) -> CohortDefinition:
        """The target or outcome cohort's definition."""
        given = getattr(self.study, which)
        where = f"{self.source}: {which}"
        try:
            if isinstance(given, dict):
                return CohortDefinition.model_validate(given)
            path = Path(given)
            if not path.is_absolute() and self.folder is not None:
                path = self.folder / path
            if not path.exists() and given in shipped_definitions():
                path = shipped_definitions()[given]
            if not path.exists():
                raise StudyError(
                    f"{where}: {given}: no such file, nor a shipped cohort "
                    f"(shipped: {', '.join(sorted(shipped_definitions()))})"
                )
            return load_definition(path)
        except ValidationError as e:
            raise StudyError(f"{where}: {describe_errors(e)}") from None
        except CohortDefinitionError as e:
            raise StudyError(f"{where}: {e}") from None


def shipped_studies() -> dict[str, Path]:
    """Studies shipped with entrepot (`entrepot/data/studies/*.yaml`), by name."""
    return shipped_files(SHIPPED)


def load_study(name_or_path: str | Path) -> LoadedStudy:
    """A study file, or the shipped study of that name, read and validated."""
    path = find_declared(name_or_path, SHIPPED, StudyError, "study")
    study = study_from_data(read_yaml(path, StudyError), str(path))
    return LoadedStudy(study, str(path), path.parent)


def study_from_data(data: object, source: str) -> Study:
    """A study from parsed YAML; errors name the source and the field."""
    return validated(Study, data, source, StudyError, "a study")
