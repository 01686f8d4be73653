"""Diagnoses as the PMSI codes them: one principal diagnosis per visit, and the
patient's active diseases and complications as associated diagnoses. Each code
then goes to the OMOP table of its concept's domain: `condition_occurrence`, or
`observation` for reasons for contact and external causes (chapters XX-XXI)."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.synth._arrow import cdm, dates, ids, strings
from entrepot.synth._diseases import Plan
from entrepot.synth._reference import CONSULT, EHR, PRIMARY, SECONDARY, cim10_concept
from entrepot.synth._visits import Stays
from entrepot.warehouse.vocabulary import cim10_domain

#: The PMSI's names of a diagnosis' status (principal, associated).
STATUS_CODES = {PRIMARY: "DP", SECONDARY: "DAS"}


def diagnoses(s: Stays, plan: Plan, person_id: np.ndarray, chunk: int) -> pa.Table:
    """Every coded diagnosis, whatever its domain, as `condition_occurrence` rows."""
    visit = [np.arange(len(s))]
    code = [s.code]
    status = [np.full(len(s), PRIMARY)]
    coded = s.kind != CONSULT  # consultations carry their principal reason only
    for c, span in plan.diagnoses:
        rows = np.flatnonzero(coded & span.active(s.person, s.start) & (s.code != c))
        visit.append(rows)
        code.append(np.full(len(rows), c, dtype=object))
        status.append(np.full(len(rows), SECONDARY))
    visit, code, status = (
        np.concatenate(visit),
        np.concatenate(code),
        np.concatenate(status),
    )
    order = np.lexsort((status, visit))
    visit, code, status = visit[order], code[order], status[order]
    names, index = np.unique(code, return_inverse=True)
    concepts = np.array([cim10_concept(c) for c in names], dtype=np.int64)[index]
    return cdm(
        "condition_occurrence",
        {
            "condition_occurrence_id": ids(chunk, len(visit)),
            "person_id": person_id[s.person[visit]],
            "condition_concept_id": concepts,
            "condition_start_date": dates(s.start[visit]),
            "condition_end_date": dates(s.end[visit]),
            "condition_type_concept_id": np.full(len(visit), EHR),
            "condition_status_concept_id": status,
            "visit_occurrence_id": s.id[visit],
            "condition_source_value": strings(list(names), index),
            "condition_source_concept_id": concepts,
        },
    )


def by_domain(coded: pa.Table, chunk: int) -> dict[str, pa.Table]:
    """`condition_occurrence` and `observation`: each diagnosis in its domain's table."""
    source = coded["condition_source_value"]
    found = pc.unique(source).to_pylist()
    observations = [c for c in found if cim10_domain(c) == "Observation"]
    observed = pc.is_in(source, pa.array(observations, pa.string()))
    rows = coded.filter(observed)
    status = rows["condition_status_concept_id"]
    conditions = coded.filter(pc.invert(observed))
    renumbered = pa.array(ids(chunk, len(conditions)), pa.int64())
    return {
        "condition_occurrence": conditions.set_column(
            0, "condition_occurrence_id", renumbered
        ),
        "observation": cdm(
            "observation",
            {
                "observation_id": ids(chunk, len(rows)),
                "person_id": rows["person_id"],
                "observation_concept_id": rows["condition_concept_id"],
                "observation_date": rows["condition_start_date"],
                "observation_type_concept_id": rows["condition_type_concept_id"],
                "qualifier_concept_id": status,
                "visit_occurrence_id": rows["visit_occurrence_id"],
                "observation_source_value": rows["condition_source_value"],
                "observation_source_concept_id": rows["condition_source_concept_id"],
                "qualifier_source_value": pc.if_else(
                    pc.equal(status, PRIMARY),
                    STATUS_CODES[PRIMARY],
                    STATUS_CODES[SECONDARY],
                ),
            },
        ),
    }
