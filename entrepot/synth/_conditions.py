"""condition_occurrence as the PMSI codes it: one principal diagnosis per visit,
and the patient's active diseases and complications as associated diagnoses."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from entrepot.synth._arrow import cdm, dates, ids, strings
from entrepot.synth._diseases import Plan
from entrepot.synth._reference import CONSULT, EHR, PRIMARY, SECONDARY, cim10_concept
from entrepot.synth._visits import Stays


def condition_occurrence(
    s: Stays, plan: Plan, person_id: np.ndarray, chunk: int
) -> pa.Table:
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
