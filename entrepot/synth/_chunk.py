"""One chunk of patients, generated from (seed, chunk number) alone.

Chunks have a fixed size, and each draws its random numbers from its own
`SeedSequence([seed, chunk])`, so a hospital is the same whatever the number of
worker processes; ids are allocated per chunk (see `_arrow.ids`).
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.synth import _people, _prediction
from entrepot.synth._arrow import dates
from entrepot.synth._conditions import by_domain, diagnoses
from entrepot.synth._diseases import plan
from entrepot.synth._drug_events import MODULE, plant, truth
from entrepot.synth._drugs import drug_exposure, drug_rows, transfuse
from entrepot.synth._enrich import enrich
from entrepot.synth._measurements import measurement
from entrepot.synth._modules import Module
from entrepot.synth._population import Population, population
from entrepot.synth._procedures import procedure_occurrence
from entrepot.synth._reference import tests
from entrepot.synth._visits import (
    background,
    stay_identities,
    stays,
    visit_detail,
    visit_occurrence,
)
from entrepot.warehouse._warehouse import BOOKKEEPING

CHUNK_PATIENTS = 2_000
ANAEMIA = 8.0  # g/dL of haemoglobin under which a stay transfuses red cells


@dataclass(frozen=True)
class Settings:
    """What every chunk of one hospital shares."""

    patients: int
    seed: int
    start: int  # first day of the period (days since 1970-01-01)
    end: int  # last day
    modules: tuple[Module, ...]
    notes: bool
    chunk_patients: int = CHUNK_PATIENTS  # part of the output: keep it fixed
    enrich: tuple[tuple[str, float], ...] = ()  # (module, share of the patients)
    prediction: str | None = None  # the planted risk model: "main" or "shifted"

    def chunks(self) -> int:
        return -(-self.patients // self.chunk_patients)


@dataclass
class Chunk:
    tables: dict[str, pa.Table]  # OMOP tables, and synth_truth / note_annotation
    identities: pa.Table
    stays: pa.Table
    diagnoses: pa.Table  # every PMSI code, whatever its OMOP domain (notes, raw)
    people: Population  # who they are (the INSEE death files of the raw extracts)


def make_chunk(settings: Settings, chunk: int) -> Chunk:
    """Every table of chunk number `chunk`."""
    streams = np.random.SeedSequence([settings.seed, chunk]).spawn(10)
    rng = [np.random.default_rng(s) for s in streams]
    first = chunk * settings.chunk_patients
    n = min(settings.chunk_patients, settings.patients - first)
    person_id = np.arange(first + 1, first + n + 1, dtype=np.int64)

    people = population(rng[0], n, settings.start, settings.end)
    forced = enrich(
        rng[9],
        people,
        settings.enrich,
        {m.name: m for m in settings.modules},
        first,
        (settings.start, settings.end),
    )
    decided = plan(rng[1], people, list(settings.modules), forced)
    own = np.random.default_rng([settings.seed, chunk, zlib.crc32(MODULE.encode())])
    adverse = plant(own, people, decided)
    background(rng[2], people, decided.visits)
    s = stays(rng[3], people, decided.visits, chunk)
    coded = diagnoses(s, decided, person_id, chunk)
    tables = {
        "person": _people.person(people, person_id),
        "observation_period": _people.observation_period(people, person_id),
        "death": _people.death(rng[4], people, person_id),
        "visit_occurrence": visit_occurrence(s, person_id),
        "visit_detail": visit_detail(s, person_id, chunk),
        **by_domain(coded, chunk),
        "measurement": measurement(rng[5], s, people, decided, person_id, chunk),
    }
    anaemic = _anaemic_stays(tables["measurement"], s.id)
    drugs = drug_rows(rng[6], s, people, decided)
    transfuse(drugs, s, anaemic)
    tables["drug_exposure"] = drug_exposure(drugs, s, person_id, chunk)
    tables["procedure_occurrence"] = procedure_occurrence(
        rng[7], s, decided, anaemic, person_id, chunk
    )
    planted = truth(adverse, person_id, pairs=chunk == 0)
    civil = np.random.default_rng([settings.seed, chunk, zlib.crc32(b"civil_status")])
    identities = _people.identities(rng[8], people, person_id, civil)
    stay_table = stay_identities(rng[8], s, person_id)
    if settings.prediction:
        own = np.random.default_rng(
            [settings.seed, chunk, zlib.crc32(_prediction.MODULE.encode())]
        )
        cohort, coded, stay_table = _plant_outcomes(
            own, settings, people, s, coded, stay_table, tables, person_id
        )
        planted += _prediction.truth(cohort, person_id)
    tables["synth_truth"] = _truth(decided.truth, person_id, planted)
    if settings.notes:
        from entrepot.synth.notes import write_notes

        note, annotations, gold = write_notes(
            tables | {"condition_occurrence": coded},
            identities,
            stay_table,
            seed=int(streams[0].generate_state(1)[0]),
            first_note_id=int(chunk * 100_000_000 + 1),
        )
        tables["note"], tables["note_annotation"] = note, annotations
        tables["synth_truth"] = pa.concat_tables([tables["synth_truth"], gold])
    return Chunk(tables, identities, stay_table, coded, people)


def _plant_outcomes(rng, settings, people, s, coded, stays, tables, person_id):
    """Plant the risk model's outcomes: deaths, follow-up, and no record after a
    death (in `tables`, in place); the cohort, and the cut diagnoses and stays."""
    cohort = _prediction.plant(
        rng, people, s, coded, tables["measurement"], person_id, settings.end
    )
    last = np.full(len(people), np.iinfo(np.int64).max)
    dead = (cohort.death >= 0) & (cohort.death <= settings.end)
    last[cohort.person[dead]] = cohort.death[dead]
    cut = dict(tables, coded=coded)
    _prediction.cut_after_death(cut, last, int(person_id[0]))
    tables.update({k: v for k, v in cut.items() if k != "coded"})
    tables["observation_period"] = _people.observation_period(people, person_id)
    tables["death"] = _people.death(rng, people, person_id)
    kept = tables["visit_occurrence"]["visit_occurrence_id"]
    stays = stays.filter(pc.is_in(stays["visit_occurrence_id"], kept))
    return cohort, cut["coded"], stays


def _anaemic_stays(rows: pa.Table, stay_ids: np.ndarray) -> np.ndarray:
    """Rows of stays (MCO only have haemoglobin under 8 in practice) to transfuse."""
    hb = tests().concept_id[tests().index["718-7"]]
    low = pc.and_(
        pc.equal(rows["measurement_concept_id"], hb),
        pc.less(rows["value_as_number"], ANAEMIA),
    )
    visits = rows.filter(low)["visit_occurrence_id"].to_numpy()
    return np.searchsorted(stay_ids, np.unique(visits))


def _truth(truth, person_id: np.ndarray, drug_events: list[dict]) -> pa.Table:
    """Ground truth of the modules (who has what subtype since when), then the
    planted drug events' rows."""
    schema = BOOKKEEPING["synth_truth"].to_pyarrow()
    who = np.concatenate([person_id[t[1]] for t in truth])
    columns = {
        "person_id": pa.array(who, pa.int64()),
        "module": pa.array(
            np.concatenate([np.full(len(t[1]), t[0], dtype=object) for t in truth]),
            pa.string(),
        ),
        "subtype": pa.array(
            np.concatenate([t[2] for t in truth]).astype(str), pa.string()
        ),
        "onset_date": dates(np.concatenate([t[3] for t in truth])),
    }
    modules = pa.table(
        [columns.get(f.name, pa.nulls(len(who), f.type)) for f in schema], schema=schema
    )
    return pa.concat_tables([modules, pa.Table.from_pylist(drug_events, schema=schema)])
