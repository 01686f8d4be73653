"""Disease modules: declarative YAML files, validated by pydantic models.

The built-in modules (``entrepot/data/synth/modules/*.yaml``) are read by the
same function as a user's folder (``--modules DIR``); a user's module replaces
the built-in of the same name. Each field is documented below and in the
built-in files, which are the examples to copy.
"""

from __future__ import annotations

import os
from datetime import date
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from entrepot._declared import read_yaml
from entrepot.errors import ModuleFileError

Kind = Literal["MCO", "HDJ", "CONSULT", "URG"]
Route = Literal["oral", "iv", "sc", "im", "topical", "transdermal", "rectal", "nasal"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Spread(_Strict):
    """A normal distribution, clipped to [min, max] when they are given."""

    mean: float
    sd: float = Field(0.0, ge=0)
    min: float | None = None
    max: float | None = None


class LabEffect(_Strict):
    """How a disease, subtype, complication or drug moves one lab test or vital sign.

    Quantitative tests take `value` (replacing the normal value); qualitative
    ones (autoantibodies, PCR) take `positive`, the probability of a positive
    result. `share` is the share of patients in whom the effect shows (the
    test is not done in the others, unless a panel orders it). With
    `within_sd`, `value` spreads the patients' own levels, drawn once each,
    and each result varies around its patient's level by `within_sd`;
    without it, every result is drawn from `value` afresh.
    """

    loinc: str
    value: Spread | None = None
    positive: float | None = Field(None, ge=0, le=1)
    share: float = Field(1.0, ge=0, le=1)
    within_sd: float | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _one_effect(self) -> LabEffect:
        if (self.value is None) == (self.positive is None):
            raise ValueError("give exactly one of `value` or `positive`")
        if self.within_sd is not None and self.value is None:
            raise ValueError("`within_sd` goes with a `value`")
        return self


#: drug_exposure.drug_source_value is varchar(50).
Product = Annotated[str, Field(min_length=1, max_length=50)]


class Drug(_Strict):
    """A drug given for the disease: ATC 5th level, French product label, dose."""

    atc: str
    product: Product
    dose: float = Field(gt=0)
    unit: str = "mg"
    route: Route = "oral"
    days_supply: int = Field(30, ge=1)
    share: float = Field(1.0, ge=0, le=1)  # of the patients it applies to
    labs: list[LabEffect] = []  # effects while the patient takes it


class Culprit(_Strict):
    """A drug that causes the disease: started `latency_days` before onset."""

    atc: str
    product: Product
    dose: float = Field(gt=0)
    unit: str = "mg"
    route: Route = "oral"
    weight: float = Field(1.0, gt=0)


class Procedure(_Strict):
    """A procedure done at the first visit (source code, no bundled vocabulary)."""

    code: str
    label: str


class Complication(_Strict):
    """A consequence of the disease, never seen without it, after its onset."""

    name: str
    code: str  # CIM-10
    probability: float = Field(ge=0, le=1)
    delay_years: Spread
    icu: float = Field(0.0, ge=0, le=1)  # probability its stay goes through ICU
    labs: list[LabEffect] = []
    drugs: list[Drug] = []


class Subtype(_Strict):
    """A form of the disease, recorded as ground truth in `synth_truth`."""

    name: str
    weight: float = Field(gt=0)
    weight_with: dict[str, float] = {}  # module name or tag -> weight multiplier
    code: str | None = None  # CIM-10, replacing the module's code
    code_share: dict[str, float] = {}  # CIM-10 -> share of its patients (forms)
    codes: list[str] = []  # associated diagnoses coded with the disease
    latency_days: Spread | None = None  # for drug-caused diseases
    icu: float | None = Field(None, ge=0, le=1)
    death: float | None = Field(None, ge=0, le=1)
    complications: dict[str, float] = {}  # complication name -> probability
    labs: list[LabEffect] = []
    drugs: list[Drug] = []
    procedures: list[Procedure] = []

    @model_validator(mode="after")
    def _one_code(self) -> Subtype:
        if self.code_share and self.code is not None:
            raise ValueError("give `code` or `code_share`, not both")
        if self.code_share and abs(sum(self.code_share.values()) - 1) > 1e-6:
            total = sum(self.code_share.values())
            raise ValueError(f"the shares of `code_share` add up to {total:g}, not 1")
        if any(not 0 <= v <= 1 for v in self.code_share.values()):
            raise ValueError("each share of `code_share` is between 0 and 1")
        return self


class Care(_Strict):
    """Where and how often the hospital sees a patient with the disease."""

    unit: str
    first_visit: Kind = "MCO"
    stays_per_year: float = Field(0.0, ge=0)
    day_hospital_per_year: float = Field(0.0, ge=0)
    consultations_per_year: float = Field(0.0, ge=0)
    icu: float = Field(0.0, ge=0, le=1)
    via_emergency: float = Field(0.3, ge=0, le=1)


class Module(_Strict):
    """One disease (or care pattern) of the synthetic hospital."""

    name: str
    title: str
    description: str = ""
    prevalence: float = Field(gt=0, le=1)  # share of the patients who have it
    female_share: float = Field(0.5, ge=0, le=1)
    onset_age: Spread = Spread(mean=50, sd=15, min=18, max=100)
    onset_period: tuple[date, date] | None = None  # calendar window of onsets
    acute_days: int | None = Field(None, ge=1)  # an acute disease lasts this long
    risk_with: dict[str, float] = {}  # other module -> relative risk
    tags: list[str] = []  # e.g. immunosuppressed
    code: str | None = None  # CIM-10 of the disease (None: no diagnosis coded)
    death: float = Field(0.0, ge=0, le=1)  # probability of dying of it
    care: Care
    labs: list[LabEffect] = []
    drugs: list[Drug] = []
    culprits: list[Culprit] = []
    procedures: list[Procedure] = []
    subtypes: list[Subtype] = []
    complications: list[Complication] = []

    @model_validator(mode="after")
    def _consistent(self) -> Module:
        names = {c.name for c in self.complications}
        for subtype in self.subtypes:
            unknown = set(subtype.complications) - names
            if unknown:
                raise ValueError(
                    f"subtype {subtype.name!r} names unknown complication(s) "
                    f"{sorted(unknown)}"
                )
        if self.culprits and (
            not self.subtypes or any(s.latency_days is None for s in self.subtypes)
        ):
            raise ValueError("a module with culprits needs latency_days on subtypes")
        return self


def load_modules(folder: str | os.PathLike | None = None) -> list[Module]:
    """The built-in modules, with those of `folder` added or replacing them by name.

    Raises `ModuleFileError` naming the file and the field of the first problem.
    """
    built_in = Path(str(files("entrepot.data.synth").joinpath("modules")))
    modules = _read_folder(built_in)
    if folder is not None:
        path = Path(folder)
        if not path.is_dir():
            raise ModuleFileError(f"{path}: not a folder of module files")
        modules |= _read_folder(path)
    _check_references(modules)
    return [modules[name][1] for name in sorted(modules)]


def _read_folder(folder: Path) -> dict[str, tuple[Path, Module]]:
    read = (read_module(p) for p in sorted(folder.glob("*.y*ml")))
    return {m.name: (m_path, m) for m_path, m in read}


def read_module(path: Path) -> tuple[Path, Module]:
    """One module file, validated; codes checked against the bundled vocabulary."""
    data = read_yaml(path, ModuleFileError, "not valid YAML")
    if not isinstance(data, dict):
        raise ModuleFileError(f"{path}: a module file holds a mapping of fields")
    try:
        module = Module.model_validate(data)
    except ValidationError as e:
        error = e.errors()[0]
        field = ".".join(str(p) for p in error["loc"]) or "(file)"
        raise ModuleFileError(f"{path}: field {field}: {error['msg']}") from e
    if problem := _unknown_code(module):
        raise ModuleFileError(f"{path}: field {problem}")
    return path, module


def _unknown_code(module: Module) -> str | None:
    """The first code of a module that the bundled vocabulary lacks, described."""
    cim10, atc, loinc = _known_codes()
    checks: list[tuple[str, str, set[str], str]] = []

    def labs(prefix: str, effects: list[LabEffect]) -> None:
        checks.extend(
            (f"{prefix}.{i}.loinc", e.loinc, loinc, "a LOINC test")
            for i, e in enumerate(effects)
        )

    def drugs(prefix: str, items: list) -> None:
        for i, d in enumerate(items):
            checks.append((f"{prefix}.{i}.atc", d.atc, atc, "an ATC code"))
            labs(f"{prefix}.{i}.labs", getattr(d, "labs", []))

    from entrepot.synth._reference import units

    unit_names = {u.name for u in units()}
    if module.care.unit not in unit_names:
        return f"care.unit: {module.care.unit!r} is not a unit of units.csv"
    if module.code:
        checks.append(("code", module.code, cim10, "a CIM-10 code"))
    labs("labs", module.labs)
    drugs("drugs", module.drugs)
    drugs("culprits", module.culprits)
    for i, s in enumerate(module.subtypes):
        for j, code in enumerate(([s.code] if s.code else []) + s.codes):
            field = "code" if s.code and j == 0 else f"codes.{j - bool(s.code)}"
            checks.append((f"subtypes.{i}.{field}", code, cim10, "a CIM-10 code"))
        checks.extend(
            (f"subtypes.{i}.code_share.{c}", c, cim10, "a CIM-10 code")
            for c in s.code_share
        )
        labs(f"subtypes.{i}.labs", s.labs)
        drugs(f"subtypes.{i}.drugs", s.drugs)
    for i, c in enumerate(module.complications):
        checks.append((f"complications.{i}.code", c.code, cim10, "a CIM-10 code"))
        labs(f"complications.{i}.labs", c.labs)
        drugs(f"complications.{i}.drugs", c.drugs)
    for field, code, known, what in checks:
        if code not in known:
            return f"{field}: {code!r} is not {what} of the bundled vocabulary"
    return None


@cache
def _known_codes() -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """CIM-10 (undotted and dotted), ATC and LOINC codes of the bundled vocabulary."""
    from entrepot.synth._reference import atc_codes, cim10_codes
    from entrepot.warehouse.vocabulary import lab_tests

    cim10 = cim10_codes()
    dotted = {c if len(c) <= 3 else f"{c[:3]}.{c[3:]}" for c in cim10}
    return (
        frozenset(cim10 | dotted),
        frozenset(atc_codes()),
        frozenset(t.loinc for t in lab_tests()),
    )


def _check_references(modules: dict[str, tuple[Path, Module]]) -> None:
    """Modules named in `risk_with` and `weight_with` must exist (tags too)."""
    names = set(modules) | {t for _, m in modules.values() for t in m.tags}
    for path, m in modules.values():
        refs = [("risk_with", r) for r in m.risk_with]
        refs += [
            (f"subtypes.{i}.weight_with", r)
            for i, s in enumerate(m.subtypes)
            for r in s.weight_with
        ]
        for field, ref in refs:
            if ref not in names:
                raise ModuleFileError(
                    f"{path}: field {field}: no module or tag named {ref!r}"
                )
