"""Reference data of the synthetic hospital, read once per process.

Communes, names, streets, hospital units, lab panels, background diagnoses,
drugs and procedures live in ``entrepot/data/synth/`` (see its PROVENANCE.md).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np
import yaml
from pydantic import BaseModel, ConfigDict, Field

from entrepot.warehouse.vocabulary import lab_tests, local_concept_id
from entrepot.warehouse.vocabulary._concept import read_csv as read_vocabulary_csv
from entrepot.warehouse.vocabulary._concept import read_text as read_vocabulary_text
from entrepot.warehouse.vocabulary._standard import (  # noqa: F401  (re-exported)
    CARE_SITE,
    CARE_SITE_CONTAINS,
    CARE_SITE_PART_OF,
    DEATH_CERTIFICATE,
    EHR,
    EHR_ADMINISTRATION,
    EHR_PRESCRIPTION,
    EMERGENCY,
    ER_INPATIENT,
    FEMALE,
    ICU,
    INPATIENT,
    LAB,
    MALE,
    OUTPATIENT,
    PRIMARY,
    ROUTES,
    SECONDARY,
)

#: Visit kinds, in the order of their integer codes.
KINDS = ("MCO", "HDJ", "CONSULT", "URG")
MCO, HDJ, CONSULT, URG = range(4)


def _data(name: str) -> str:
    return files("entrepot.data.synth").joinpath(name).read_text(encoding="utf-8")


def _rows(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_data(name), newline="")))


def _weights(values) -> np.ndarray:
    w = np.asarray(values, dtype=float)
    return w / w.sum()


@cache
def cim10_codes() -> frozenset[str]:
    """Undotted CIM-10 codes of the bundled vocabulary."""
    return frozenset(r["code"] for r in read_vocabulary_csv("cim10.csv.gz"))


@cache
def atc_codes() -> frozenset[str]:
    """ATC codes of the bundled vocabulary (5th level and groups)."""
    codes = set(json.loads(read_vocabulary_text("drugs.json.gz")))
    codes |= {r["code"] for r in read_vocabulary_csv("atc_names.csv")}
    return frozenset(codes)


def undotted(code: str) -> str:
    """CIM-10 as the PMSI writes it: `M34.0` -> `M340`."""
    return code.replace(".", "")


def dotted(code: str) -> str:
    """CIM-10 as OMOP writes it: `M340` -> `M34.0`."""
    code = undotted(code)
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


@cache
def cim10_concept(code: str) -> int:
    return local_concept_id("CIM10", dotted(code))


@cache
def atc_concept(code: str) -> int:
    return local_concept_id("ATC", code)


@dataclass(frozen=True)
class Communes:
    insee: np.ndarray
    postcode: np.ndarray
    name: np.ndarray
    weight: np.ndarray  # probability of living there, for a patient of the CHU


#: Attraction of the CHU by department: Paris and the inner ring first.
_ATTRACTION = {"75": 1.0, "92": 0.6, "93": 1.0, "94": 1.0}
_OUTER_RING = ("77", "78", "91", "95")


@cache
def communes() -> Communes:
    rows = _rows("communes.csv")

    def attraction(insee: str) -> float:
        dept = insee[:2]
        return _ATTRACTION.get(dept, 0.25 if dept in _OUTER_RING else 0.01)

    return Communes(
        insee=np.array([r["insee"] for r in rows]),
        postcode=np.array([r["postcode"] for r in rows]),
        name=np.array([r["name"] for r in rows]),
        weight=_weights([int(r["population"]) * attraction(r["insee"]) for r in rows]),
    )


@dataclass(frozen=True)
class Mergers:
    """Communes merged into another since 2010 (COG): old and new code and name."""

    old_code: np.ndarray
    old_name: np.ndarray
    new_code: np.ndarray
    new_name: np.ndarray
    merged_on: np.ndarray  # days since 1970-01-01


@cache
def commune_mergers() -> Mergers:
    rows = _rows("commune_mergers.csv")
    return Mergers(
        *(np.array([r[k] for r in rows]) for k in ("old_code", "old_name")),
        *(np.array([r[k] for r in rows]) for k in ("new_code", "new_name")),
        np.array([r["merged_on"] for r in rows], "datetime64[D]").astype(np.int64),
    )


class _Declared(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Gompertz(_Declared):
    a: float = Field(gt=0)
    b: float = Field(gt=0)
    excess: float = Field(gt=0)


class Ages(_Declared):
    mean: float
    sd: float = Field(gt=0)
    min: float = Field(ge=0)
    max: float


class Country(_Declared):
    code: str = Field(pattern=r"^99[0-9]{3}$")
    country: str
    town: str


class LikeAPatient(_Declared):
    surname: float = Field(ge=0, le=1)
    birth_date: float = Field(ge=0, le=1)
    surname_and_birth_date: float = Field(ge=0, le=1)


class Noise(_Declared):
    married_name: float = Field(ge=0, le=1)
    first_names_reordered: float = Field(ge=0, le=1)
    first_name_only: float = Field(ge=0, le=1)
    typo: float = Field(ge=0, le=1)
    unknown_day: float = Field(ge=0, le=1)
    unknown_month: float = Field(ge=0, le=1)


class InseeRates(_Declared):
    """insee_deaths.yaml: the rates of the synthetic INSEE death files."""

    first_names: tuple[float, ...]
    married_women: float = Field(ge=0, le=1)
    born_in_merged_commune: float = Field(ge=0, le=1)
    hazard: Gompertz
    death_at_home: float = Field(ge=0, le=1)
    non_patients_per_patient_line: float = Field(ge=0)
    non_patient_age: Ages
    non_patients_like_a_patient: LikeAPatient
    born_abroad: float = Field(ge=0, le=1)
    abroad: tuple[Country, ...] = Field(min_length=1)
    noise: Noise


@cache
def insee_rates() -> InseeRates:
    """The shipped rates (a bad edit is a bug of the package: pydantic says where)."""
    return InseeRates.model_validate(yaml.safe_load(_data("insee_deaths.yaml")))


@cache
def names(kind: str) -> tuple[np.ndarray, np.ndarray]:
    """Names of a kind ('F', 'M' first names, 'last') and their probabilities.

    None of them is in the de-identifier's lexicons (rarer surnames, less given
    first names), so that the notes test it on names it has never seen. Changing
    this list renames the hospital's patients and physicians (same draws, other
    strings): figures that count names or words of notes move with it.
    """
    rows = [r for r in _rows("names.csv") if r["kind"] == kind]
    return np.array([r["name"] for r in rows]), _weights([r["weight"] for r in rows])


@cache
def streets() -> np.ndarray:
    return np.array(_data("streets.txt").split("\n")[:-1])


#: The fictional CHU the hospitals of units.csv belong to.
CHU = "CHU de Bellerive"


@dataclass(frozen=True)
class Unit:
    name: str
    hospital: str
    kind: str  # ward, icu, emergency
    panel: str
    weight: float
    service: str
    pole: str


@cache
def units() -> tuple[Unit, ...]:
    return tuple(
        Unit(
            r["unit"],
            r["hospital"],
            r["kind"],
            r["panel"],
            float(r["weight"]),
            r["service"],
            r["pole"],
        )
        for r in _rows("units.csv")
    )


def unit_index(name: str) -> int:
    for i, unit in enumerate(units()):
        if unit.name == name:
            return i
    raise KeyError(f"no hospital unit named {name!r} (see units.csv)")


@dataclass(frozen=True)
class Tests:
    """The lab tests and vital signs, as arrays indexed by test number."""

    loinc: np.ndarray
    concept_id: np.ndarray
    unit: np.ndarray  # UCUM code, '' when none
    unit_concept_id: np.ndarray  # 0 when none
    low: np.ndarray  # NaN when none
    high: np.ndarray
    minimum: np.ndarray
    maximum: np.ndarray
    vital: np.ndarray  # bool
    qualitative: np.ndarray  # bool
    index: dict[str, int]


@cache
def tests() -> Tests:
    rows = lab_tests()

    def number(values) -> np.ndarray:
        return np.array([np.nan if v is None else v for v in values], dtype=float)

    return Tests(
        loinc=np.array([t.loinc for t in rows]),
        concept_id=np.array([t.concept_id for t in rows], dtype=np.int64),
        unit=np.array([t.unit or "" for t in rows]),
        unit_concept_id=np.array([t.unit_concept_id or 0 for t in rows], np.int64),
        low=number(t.low for t in rows),
        high=number(t.high for t in rows),
        minimum=number(t.minimum for t in rows),
        maximum=number(t.maximum for t in rows),
        vital=np.array([t.category == "signes vitaux" for t in rows]),
        qualitative=np.array([t.unit is None for t in rows]),
        index={t.loinc: i for i, t in enumerate(rows)},
    )


@cache
def panels() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Lab panel name -> (test numbers, probability each is done)."""
    index = tests().index
    out: dict[str, tuple[list[int], list[float]]] = {}
    for r in _rows("lab_panels.csv"):
        numbers, probabilities = out.setdefault(r["panel"], ([], []))
        numbers.append(index[r["loinc"]])
        probabilities.append(float(r["probability"]))
    return {k: (np.array(n), np.array(p)) for k, (n, p) in out.items()}


@cache
def local_lab_codes() -> dict[str, dict[str, str]]:
    """The lab system's own catalogue, by LOINC (the ground truth of its
    local codes): `local_code`, `local_label`, `unit`, `low`, `high` as the lab
    system writes them."""
    return {r.pop("loinc"): r for r in _rows("lab_local_codes.csv")}


@dataclass(frozen=True)
class Diagnoses:
    """Background diagnoses of one unit (or CONSULT, DEATH): codes and limits."""

    codes: np.ndarray  # undotted CIM-10
    weight: np.ndarray
    female_only: np.ndarray
    male_only: np.ndarray
    min_age: np.ndarray
    max_age: np.ndarray


@cache
def background_diagnoses() -> dict[str, Diagnoses]:
    groups: dict[str, list[dict[str, str]]] = {}
    for r in _rows("background_diagnoses.csv"):
        groups.setdefault(r["unit"], []).append(r)
    return {
        unit: Diagnoses(
            codes=np.array([r["code"] for r in rows]),
            weight=np.array([float(r["weight"]) for r in rows]),
            female_only=np.array([r["sex"] == "F" for r in rows]),
            male_only=np.array([r["sex"] == "M" for r in rows]),
            min_age=np.array([int(r["min_age"]) for r in rows]),
            max_age=np.array([int(r["max_age"]) for r in rows]),
        )
        for unit, rows in groups.items()
    }


@cache
def age_pyramid() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """First ages of the 5-year bands, and each sex's share in each band
    ('M', 'F'), from the INSEE figures of reference_figures.csv."""
    rows = [r for r in _rows("reference_figures.csv") if r["measure"] == "population"]
    bands = sorted({int(r["key"].split("-")[0]) for r in rows})
    share = {}
    for sex in ("M", "F"):
        persons = {
            int(r["key"].split("-")[0]): int(r["value"])
            for r in rows
            if r["sex"] == sex
        }
        share[sex] = _weights([persons[b] for b in bands])
    return np.array(bands), share


@cache
def female_share() -> float:
    """Women among the French population (INSEE, reference_figures.csv)."""
    rows = [r for r in _rows("reference_figures.csv") if r["measure"] == "population"]
    women = sum(int(r["value"]) for r in rows if r["sex"] == "F")
    return women / sum(int(r["value"]) for r in rows)


@cache
def background_drugs() -> list[dict[str, str]]:
    return _rows("background_drugs.csv")


@cache
def procedures() -> list[dict[str, str]]:
    return _rows("procedures.csv")
