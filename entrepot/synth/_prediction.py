"""A risk model planted as prediction models' ground truth (opt-in).

`entrepot/data/synth/hf_mortality.yaml` declares it: death within a year of a
first heart-failure stay, with known log-odds for age, CKD, diabetes, eGFR and
prior stays read from the chunk's own tables, and an age band where the risk is
flat (the planted miscalibration). Each patient of the cohort dies or survives
by that risk; the chunk's death, observation periods and records after a death
follow. `synth_truth` (module `hf_mortality`) keeps one row per patient and
predictor, and the log-odds, risk and death date.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib.resources import files
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import Field, ValidationError

from entrepot._declared import read_yaml
from entrepot.errors import ModuleFileError
from entrepot.synth._modules import Module, _Strict
from entrepot.synth._population import Population
from entrepot.synth._reference import MCO, tests
from entrepot.synth._visits import Stays

MODULE = "hf_mortality"  # its name in synth_truth
HOSPITALS = ("main", "shifted")  # what `generate_hospital(prediction=...)` takes
PREDICTORS = ("age", "ckd", "diabetes", "egfr", "prior_stays")


class Coefficients(_Strict):
    """Log-odds per unit of each predictor."""

    age: float
    ckd: float
    diabetes: float
    egfr: float
    prior_stays: float


class Flat(_Strict):
    """From `from_age` on, everyone has the same risk whatever the predictors."""

    from_age: float
    risk: float = Field(gt=0, lt=1)


class Shift(_Strict):
    """The second hospital's case mix: older at the onset of some diseases, more
    of others."""

    onset_age: dict[str, float] = {}  # disease module -> years added to the mean
    prevalence: dict[str, float] = {}  # disease module -> factor


class Planted(_Strict):
    """The whole file (see its comments for what each field means)."""

    index_codes: list[str]
    ckd_codes: list[str]
    diabetes_codes: list[str]
    egfr_loinc: str
    prior_days: int = Field(gt=0)
    horizon_days: int = Field(gt=0)
    intercept: float
    coefficients: Coefficients
    flat: Flat
    shifted: Shift

    def log_odds(self, x: dict[str, np.ndarray]) -> np.ndarray:
        """The true log-odds of the outcome for predictors `x` (arrays)."""
        linear = self.intercept + sum(
            getattr(self.coefficients, name) * np.asarray(x[name], float)
            for name in PREDICTORS
        )
        flat = math.log(self.flat.risk / (1 - self.flat.risk))
        return np.where(np.asarray(x["age"]) >= self.flat.from_age, flat, linear)

    def risk(self, x: dict[str, np.ndarray]) -> np.ndarray:
        """The true probability of the outcome."""
        return 1 / (1 + np.exp(-self.log_odds(x)))


@cache
def planted(path: Path | None = None) -> Planted:
    """The declared risk model (the shipped file unless `path`), validated; a
    problem is a `ModuleFileError` naming the file and the field."""
    path = path or Path(str(files("entrepot.data.synth").joinpath("hf_mortality.yaml")))
    data = read_yaml(path, ModuleFileError)
    try:
        return Planted.model_validate(data)
    except ValidationError as e:
        error = e.errors()[0]
        where = ".".join(str(p) for p in error["loc"]) or "(file)"
        raise ModuleFileError(f"{path}: field {where}: {error['msg']}") from e


def shift_modules(modules: tuple[Module, ...]) -> tuple[Module, ...]:
    """The disease modules of the shifted hospital: later onsets, prevalences
    multiplied."""
    shift = planted().shifted
    out = []
    for m in modules:
        if m.name in shift.prevalence:
            prevalence = min(1.0, m.prevalence * shift.prevalence[m.name])
            m = m.model_copy(update={"prevalence": prevalence})
        if m.name in shift.onset_age:
            mean = m.onset_age.mean + shift.onset_age[m.name]
            age = m.onset_age.model_copy(update={"mean": mean})
            m = m.model_copy(update={"onset_age": age})
        out.append(m)
    return tuple(out)


@dataclass
class Cohort:
    """The chunk's planted cohort: chunk patient numbers, predictors, outcome."""

    person: np.ndarray
    index: np.ndarray  # day of the index stay's start
    x: dict[str, np.ndarray]
    log_odds: np.ndarray
    death: np.ndarray  # day of death, -1 for a survivor of the horizon


def plant(
    rng: np.random.Generator,
    people: Population,
    s: Stays,
    coded: pa.Table,
    measurement: pa.Table,
    person_id: np.ndarray,
    end: int,
) -> Cohort:
    """Find the cohort in the chunk, draw each one's outcome and set it in
    `people` (deaths, ends of follow-up); `end` is the period's last day."""
    spec = planted()
    first = person_id[0]
    code = np.asarray(coded["condition_source_value"].to_numpy(zero_copy_only=False))
    who = coded["person_id"].to_numpy() - first
    day = coded["condition_start_date"].cast(pa.int32()).to_numpy()
    stay = np.searchsorted(s.id, coded["visit_occurrence_id"].to_numpy())
    index_rows = _starts(code, spec.index_codes) & (s.kind[stay] == MCO)
    order = np.lexsort((s.id[stay[index_rows]], day[index_rows], who[index_rows]))
    rows = np.flatnonzero(index_rows)[order]
    person, at = np.unique(who[rows], return_index=True)
    index_stay = stay[rows[at]]
    index = s.start[index_stay]
    x = {
        "age": people.age(index, person),
        "ckd": _before(who, day, _starts(code, spec.ckd_codes), person, index),
        "diabetes": _before(
            who, day, _starts(code, spec.diabetes_codes), person, index
        ),
        "egfr": _admission_value(measurement, s.id[index_stay], spec.egfr_loinc),
        "prior_stays": _prior_stays(s, person, index, spec.prior_days),
    }
    log_odds = spec.log_odds(x)
    dies = rng.random(len(person)) < 1 / (1 + np.exp(-log_odds))
    after = 1 + (rng.random(len(person)) * spec.horizon_days).astype(np.int64)
    death = np.where(dies, index + after, -1)
    _follow(people, person, index, death, spec.horizon_days, end)
    return Cohort(person, index, x, log_odds, death)


def _starts(code: np.ndarray, prefixes: list[str]) -> np.ndarray:
    text = code.astype(str)
    return np.logical_or.reduce([np.char.startswith(text, p) for p in prefixes])


def _before(who, day, rows, person, index) -> np.ndarray:
    """1 where the patient has one of `rows` on or before their index day."""
    latest = np.full(who.max() + 1 if len(who) else 1, np.iinfo(np.int64).max)
    np.minimum.at(latest, who[rows], day[rows])
    return (latest[person] <= index).astype(np.int64)


def _admission_value(measurement: pa.Table, stay_id: np.ndarray, loinc: str):
    """The first value of `loinc` measured on each stay's first day (NaN if none)."""
    concept = tests().concept_id[tests().index[loinc]]
    rows = measurement.filter(pc.equal(measurement["measurement_concept_id"], concept))
    visit = rows["visit_occurrence_id"].to_numpy()
    when = rows["measurement_datetime"].cast(pa.int64()).to_numpy()
    value = rows["value_as_number"].to_numpy(zero_copy_only=False)
    if not len(visit):
        return np.full(len(stay_id), np.nan)
    order = np.lexsort((when, visit))
    visit, value = visit[order], value[order]
    at = np.searchsorted(visit, stay_id)
    found = (at < len(visit)) & (visit[np.minimum(at, len(visit) - 1)] == stay_id)
    return np.where(found, value[np.minimum(at, len(visit) - 1)], np.nan)


def _prior_stays(s: Stays, person, index, days: int) -> np.ndarray:
    """Inpatient stays of each patient that start in the `days` before `index`."""
    mco = np.flatnonzero(s.kind == MCO)
    of = np.full(s.person.max() + 1 if len(s) else 1, -1)
    of[person] = np.arange(len(person))
    k = of[s.person[mco]]
    mine = k >= 0
    start, k = s.start[mco][mine], k[mine]
    inside = (start >= index[k] - days) & (start < index[k])
    return np.bincount(k[inside], minlength=len(person))


def _follow(people: Population, person, index, death, horizon: int, end: int):
    """Deaths inside the period end the follow-up there; survivors are followed
    for the whole horizon (or to the period's end); the others keep their own."""
    dead = (death >= 0) & (death <= end)
    survivor = death < 0
    undone = survivor & people.dead[person] & (people.obs_end[person] < index + horizon)
    people.dead[person[undone]] = False
    people.cause[person[undone]] = ""
    seen_until = np.minimum(index + horizon, end)
    alive = person[survivor | (death > end)]
    people.obs_end[alive] = np.maximum(
        people.obs_end[alive], seen_until[survivor | (death > end)]
    )
    people.censored[person[death > end]] = True
    people.dead[person[death > end]] = False
    people.dead[person[dead]] = True
    people.obs_end[person[dead]] = death[dead]


def cut_after_death(tables: dict[str, pa.Table], last: np.ndarray, first: int):
    """Remove the rows dated after each patient's `last` day (chunk-indexed;
    the maximum int64 where nothing is cut) from every table with a date."""
    for name, table in tables.items():
        column = next(
            (f.name for f in table.schema if pa.types.is_date32(f.type)), None
        )
        if column is None or "person_id" not in table.schema.names:
            continue
        who = table["person_id"].to_numpy() - first
        day = table[column].cast(pa.int32()).to_numpy(zero_copy_only=False)
        tables[name] = table.filter(pa.array(day <= last[who]))


def truth(cohort: Cohort, person_id: np.ndarray) -> list[dict]:
    """synth_truth's rows: per patient, one per predictor, then the log-odds,
    the risk and the death day (empty for a survivor of the horizon); the
    onset date is the index date, the subtype `died` or `survived`."""
    from entrepot.synth._drug_events import _date

    rows = []
    risk = 1 / (1 + np.exp(-cohort.log_odds))
    for i in np.argsort(person_id[cohort.person], kind="stable"):
        base = {
            "module": MODULE,
            "person_id": int(person_id[cohort.person[i]]),
            "subtype": "died" if cohort.death[i] >= 0 else "survived",
            "onset_date": _date(cohort.index[i]),
        }
        values = {name: cohort.x[name][i] for name in PREDICTORS}
        values |= {"log_odds": cohort.log_odds[i], "risk": risk[i]}
        values["death_date"] = (
            _date(cohort.death[i]).isoformat() if cohort.death[i] >= 0 else ""
        )
        rows += [base | {"field": k, "value": _text(v)} for k, v in values.items()]
    return rows


def _text(value) -> str:
    if isinstance(value, str):
        return value
    return repr(float(value)) if isinstance(value, float | np.floating) else str(value)
