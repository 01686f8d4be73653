"""Build the demo warehouse once, then describe it and answer the questions."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from entrepot.demo import DEMO_WAREHOUSE
from entrepot.demo._questions import QUESTIONS
from entrepot.privacy import Decision

_KINDS = {
    9201: "hospital stays",
    262: "emergency then stay",
    9203: "emergency visits",
    9202: "consultations and day hospital",
}


#: The diseases of the tour's questions, given to more patients than their
#: prevalences (0.4 % and 0.5 %) would, so that a small demo hospital has cases.
ENRICH = {"systemic_sclerosis": 0.04, "drug_skin_reaction": 0.02}


def build_demo(
    warehouse: str | Path = DEMO_WAREHOUSE,
    *,
    patients: int = 10_000,
    seed: int = 42,
    progress: Callable[[str], None] | None = None,
) -> dict | None:
    """Generate the synthetic hospital unless the warehouse already holds one,
    then de-identify its notes (written with fake names, IPP, addresses) as
    `entrepot ingest` would: the web app shows them.

    Returns the generation figures (with `notes_deidentified`, the figures of
    `deidentify_notes`), or None when the warehouse was already built.
    """
    from entrepot.privacy import deidentify_notes
    from entrepot.synth import generate_hospital
    from entrepot.warehouse import Warehouse

    if Path(warehouse).exists():
        with Warehouse.open(warehouse, read_only=True) as wh:
            if wh.count("person"):
                return None
    result = generate_hospital(
        str(warehouse), patients=patients, seed=seed, progress=progress, enrich=ENRICH
    )
    if progress:
        progress("de-identifying notes")
    with Warehouse.open(warehouse) as wh:
        deid = deidentify_notes(wh)
    return result.as_dict() | {"notes_deidentified": deid}


def tour(wh, decision: Decision) -> dict:
    """What the warehouse holds, and the answers to the research questions,
    released through `decision` (masked and audited)."""
    visits = wh.table("visit_occurrence")
    by_kind = (
        visits.group_by("visit_concept_id").aggregate(n=visits.count()).to_pyarrow()
    )
    period = (
        visits.aggregate(
            first=visits.visit_start_date.min(), last=visits.visit_end_date.max()
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    answers = [
        {"question": q.text, "key": q.key, "patients": q.answer(wh)} for q in QUESTIONS
    ]
    decision.released(wh, "demo.tour", {"questions": len(answers)}, rows=len(answers))
    return {
        "warehouse": str(wh.uri),
        "rows": {
            name: wh.count(name)
            for name in (
                "person",
                "visit_occurrence",
                "visit_detail",
                "condition_occurrence",
                "drug_exposure",
                "measurement",
                "procedure_occurrence",
                "note",
                "death",
            )
        },
        "visits": {
            _KINDS.get(k, str(k)): n
            for k, n in zip(
                by_kind["visit_concept_id"].to_pylist(),
                by_kind["n"].to_pylist(),
                strict=True,
            )
        },
        "period": [str(period["first"]), str(period["last"])],
        "valid": wh.validate()["ok"],
        "questions": decision.mask_fields(answers, {"patients"}),
    }
