"""procedure_occurrence: CCAM source codes (concept 0: the bundled vocabulary has
no CCAM): the modules' procedures (brain MRI), usual procedures of each unit,
and red-cell transfusions."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from entrepot.synth._arrow import cdm, dates, datetimes, ids, strings
from entrepot.synth._diseases import Plan
from entrepot.synth._reference import EHR, MCO, procedures, unit_index
from entrepot.synth._visits import Stays

TRANSFUSION = "FELF011"  # Transfusion de concentré de globules rouges


def procedure_occurrence(
    rng, s: Stays, plan: Plan, anaemic, person_id, chunk: int
) -> pa.Table:
    visit, code = [], []
    for number, (procedure, span) in enumerate(plan.procedures):
        at = np.flatnonzero(span.active(s.person, s.start) & (s.first_of >= 0))
        at = at[np.unique(s.person[at], return_index=True)[1]]  # once per patient
        visit.append(at)
        code.append(np.full(len(at), procedure.code, dtype=object))
        del number
    mco = s.kind == MCO
    for row in procedures():
        where = mco if not row["unit"] else mco & (s.unit == unit_index(row["unit"]))
        at = np.flatnonzero(where & (rng.random(len(s)) < float(row["probability"])))
        visit.append(at)
        code.append(np.full(len(at), row["code"], dtype=object))
    visit.append(anaemic)
    code.append(np.full(len(anaemic), TRANSFUSION, dtype=object))
    visit, code = np.concatenate(visit), np.concatenate(code)
    order = np.lexsort((code, visit))
    visit, code = visit[order], code[order]
    day = s.start[visit] + (
        rng.random(len(visit)) * (s.end[visit] - s.start[visit] + 1)
    ).astype(np.int64)
    names, index = np.unique(code, return_inverse=True)
    return cdm(
        "procedure_occurrence",
        {
            "procedure_occurrence_id": ids(chunk, len(visit)),
            "person_id": person_id[s.person[visit]],
            "procedure_concept_id": np.zeros(len(visit), np.int64),
            "procedure_date": dates(day),
            "procedure_datetime": datetimes(day, 600),
            "procedure_type_concept_id": np.full(len(visit), EHR),
            "visit_occurrence_id": s.id[visit],
            "procedure_source_value": strings(list(names), index),
        },
    )
