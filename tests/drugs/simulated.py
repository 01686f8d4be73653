"""Small simulated warehouses with a known drug effect, for the self-controlled
designs: cases of an outcome (CIM-10 L27.0, a toxidermie) and exposures to a
drug (ATC J01CA04, amoxicillin, of class J01C), loaded as any source is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import pyarrow as pa

from entrepot.warehouse import load_tables
from entrepot.warehouse.vocabulary import local_concept_id

#: (vocabulary, code, class, parent code)
CONCEPTS = [
    ("ATC", "J01C", "ATC 3rd", None),
    ("ATC", "J01CA04", "ATC 5th", "J01C"),
    ("ATC", "N02BE01", "ATC 5th", None),  # paracetamol: never given
    ("ATC", "M04AA01", "ATC 5th", None),  # allopurinol: a second culprit
    ("CIM10", "L27", "3-char nonbill code", None),
    ("CIM10", "L27.0", "4-char billing code", "L27"),
    ("CIM10", "I10", "3-char billing code", None),
]
DRUG = local_concept_id("ATC", "J01CA04")
SECOND = local_concept_id("ATC", "M04AA01")
OUTCOME = local_concept_id("CIM10", "L27.0")
OTHER = local_concept_id("CIM10", "I10")


@dataclass
class Rows:
    """CDM rows being built: persons, observation, exposures, conditions."""

    person: list[tuple] = field(default_factory=list)  # id, birth year, month
    observation: list[tuple] = field(default_factory=list)  # person, start, end
    exposure: list[tuple] = field(default_factory=list)  # person, start, end[, drug]
    condition: list[tuple] = field(default_factory=list)  # person, concept, day


def load(wh, rows: Rows) -> None:
    """The vocabulary's few concepts, then the rows, through `load_tables`."""
    codes = {(v, c): local_concept_id(v, c) for v, c, _, _ in CONCEPTS}
    wh.replace_tables(
        {
            "concept": pa.table(
                {
                    "concept_id": pa.array(list(codes.values()), pa.int64()),
                    "concept_name": [c for _, c, _, _ in CONCEPTS],
                    "domain_id": [
                        "Drug" if v == "ATC" else "Condition" for v, *_ in CONCEPTS
                    ],
                    "vocabulary_id": [v for v, *_ in CONCEPTS],
                    "concept_class_id": [k for _, _, k, _ in CONCEPTS],
                    "standard_concept": [
                        "C" if v == "ATC" else "S" for v, *_ in CONCEPTS
                    ],
                    "concept_code": [c for _, c, _, _ in CONCEPTS],
                    "valid_start_date": [date(1970, 1, 1)] * len(CONCEPTS),
                    "valid_end_date": [date(2099, 12, 31)] * len(CONCEPTS),
                    "invalid_reason": pa.array([None] * len(CONCEPTS), pa.string()),
                }
            ),
            "concept_ancestor": _ancestry(codes),
        }
    )
    p, o, e, c = rows.person, rows.observation, rows.exposure, rows.condition
    load_tables(
        wh,
        {
            "person": pa.table(
                {
                    "person_id": pa.array([r[0] for r in p], pa.int64()),
                    "gender_concept_id": pa.array([8532] * len(p), pa.int64()),
                    "year_of_birth": pa.array([r[1] for r in p], pa.int64()),
                    "month_of_birth": pa.array([r[2] for r in p], pa.int64()),
                    "race_concept_id": pa.array([0] * len(p), pa.int64()),
                    "ethnicity_concept_id": pa.array([0] * len(p), pa.int64()),
                }
            ),
            "observation_period": pa.table(
                {
                    "observation_period_id": pa.array(range(1, len(o) + 1), pa.int64()),
                    "person_id": pa.array([r[0] for r in o], pa.int64()),
                    "observation_period_start_date": [r[1] for r in o],
                    "observation_period_end_date": [r[2] for r in o],
                    "period_type_concept_id": pa.array([32817] * len(o), pa.int64()),
                }
            ),
            "drug_exposure": pa.table(
                {
                    "drug_exposure_id": pa.array(range(1, len(e) + 1), pa.int64()),
                    "person_id": pa.array([r[0] for r in e], pa.int64()),
                    "drug_concept_id": pa.array(
                        [r[3] if len(r) > 3 else DRUG for r in e], pa.int64()
                    ),
                    "drug_exposure_start_date": pa.array(
                        [r[1] for r in e], pa.date32()
                    ),
                    "drug_exposure_end_date": pa.array([r[2] for r in e], pa.date32()),
                    "drug_type_concept_id": pa.array([32817] * len(e), pa.int64()),
                }
            ),
            "condition_occurrence": pa.table(
                {
                    "condition_occurrence_id": pa.array(
                        range(1, len(c) + 1), pa.int64()
                    ),
                    "person_id": pa.array([r[0] for r in c], pa.int64()),
                    "condition_concept_id": pa.array([r[1] for r in c], pa.int64()),
                    "condition_start_date": pa.array([r[2] for r in c], pa.date32()),
                    "condition_type_concept_id": pa.array([32817] * len(c), pa.int64()),
                }
            ),
        },
    )


def _ancestry(codes: dict) -> pa.Table:
    pairs = [(codes[(v, c)], codes[(v, c)]) for v, c, _, _ in CONCEPTS]
    pairs += [(codes[(v, up)], codes[(v, c)]) for v, c, _, up in CONCEPTS if up]
    return pa.table(
        {
            "ancestor_concept_id": pa.array([a for a, _ in pairs], pa.int64()),
            "descendant_concept_id": pa.array([d for _, d in pairs], pa.int64()),
            "min_levels_of_separation": pa.array([int(a != d) for a, d in pairs]),
            "max_levels_of_separation": pa.array([int(a != d) for a, d in pairs]),
        }
    )


def day(start: date, offset: int) -> date:
    return start + timedelta(days=int(offset))


def first_event(rng: np.random.Generator, rate: np.ndarray) -> int:
    """A case's event day, drawn in proportion to its daily rate: SCCS's own
    model, given one event."""
    cumulative = np.cumsum(rate)
    return int(np.searchsorted(cumulative, rng.random() * cumulative[-1], "right"))
