"""API: cohorts built from a definition (ours or an ATLAS/Circe export), run in
the background, listed, described (Table 1), exported and deleted, each
counted within the project's perimeter and masked."""

from __future__ import annotations

import csv
import io
import time
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request, Response
from pydantic import BaseModel, Field

from entrepot.cohort import describe_cohort, run_cohort, show_cohort
from entrepot.cohort._counts import count_parts
from entrepot.cohort._files import (
    definition_from_data,
    definition_yaml,
    dumped,
    parse_text,
)
from entrepot.cohort._model import CohortDefinition
from entrepot.cohort._perimeter import (
    SOURCE,
    checked_definition,
    cohort_rows,
    delete_within,
    figures,
    listed,
    members,
    refuse_domains,
    released_counts,
    released_listed,
    released_run,
    released_shown,
    seen,
    unclaim,
)
from entrepot.errors import AccessDeniedError
from entrepot.privacy import Decision
from entrepot.web._auth import Counting, Exporting, Writing
from entrepot.web._state import state

router = APIRouter(tags=["cohorts"])

Count = int | str
CohortId = Annotated[int, Path(ge=1, le=2**62)]
BODY = {  # a raw JSON body (read as text, so a malformed one is a one-line 400)
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "description": "an entrepot cohort definition, or a Circe (ATLAS) export",
                }
            }
        },
    }
}


class Started(BaseModel):
    job: int


class Step(BaseModel):
    rule: str
    persons: Count
    entries: Count


class CohortRun(BaseModel):
    """A background job's result once the cohort is generated."""

    cohort_definition_id: int
    count: Count
    entries: Count
    person_days: int | None  # null when the count is masked
    attrition: list[Step]


class CohortSummary(BaseModel):
    id: int
    name: str
    persons: Count
    entries: Count
    generated: str | None


class CohortShown(CohortSummary):
    description: str | None
    attrition: list[Step]
    definition: dict | None


class CountAsked(BaseModel):
    """A definition to count: YAML text (ours, or Circe JSON), or ours as JSON."""

    definition: str | dict = Field(description="YAML text, or the definition")


class Part(BaseModel):
    path: str  # entry, cohort, rules/0, rules/0/groups/1/criteria/0...
    persons: Count


class PersonsStep(BaseModel):
    rule: str
    persons: Count


class Counted(BaseModel):
    """A definition's live counts, and the definition as the builder shows it."""

    yaml: str
    definition: dict
    count: Count
    parts: list[Part]
    attrition: list[PersonsStep]
    seconds: float


async def definition_body(request: Request) -> object:
    """The request's JSON, parsed; malformed JSON is a one-line error."""
    return parse_text(
        (await request.body()).decode("utf-8", "replace"), SOURCE, json_only=True
    )


def _run(wh, decision: Decision, definition: CohortDefinition, cohort_id: int) -> dict:
    found = run_cohort(
        wh, definition, cohort_id=cohort_id, source=SOURCE, decision=decision
    ).as_dict()
    asked = {"cohort_definition_id": cohort_id, "name": definition.name}
    released = released_run(wh, decision, definition, found, asked)
    return {k: released[k] for k in CohortRun.model_fields}


@router.post("/cohorts", status_code=202, response_model=Started, openapi_extra=BODY)
def create_cohort(
    request: Request,
    decision: Writing,
    data: Annotated[object, Depends(definition_body)],
    name: Annotated[str | None, Query(min_length=1, max_length=255)] = None,
) -> Started:
    """Generate a cohort of the project in the background; `name` overrides
    the definition's. A cohort of the same name in the project (or the
    definition's `id`, one of the project's) is replaced, when the caller
    owns it or is an administrator. The job's result is a `CohortRun`. An
    invalid definition, an unknown code or a table outside the perimeter is
    refused at once."""
    web = state(request)
    definition, cohort_id = web.use(checked_definition, decision, data, name)

    def work(job) -> dict:
        job.report(f"generating cohort {definition.name!r}", 0.1)
        try:
            return web.use(_run, decision, definition, cohort_id)
        except Exception:
            web.use(unclaim, cohort_id)  # a new cohort that failed: its name is free
            raise
        finally:
            web.changed("cohorts", "describe")

    job = web.jobs.start("cohort", decision.user, decision.project, work)
    return Started(job=job.id)


@router.post("/cohorts/count", response_model=Counted)
def count(request: Request, decision: Counting, asked: CountAsked) -> Counted:
    """Count a definition without saving a cohort: the cohort's persons, each
    part's (the entry events; each rule, group, criterion and demographic on
    its own, on the entry events) and the attrition, inside the perimeter
    and masked; with the definition as YAML and as data (defaults left out),
    for the builder to show."""
    started = time.perf_counter()
    data = asked.definition
    if isinstance(data, str):
        data = parse_text(data, SOURCE)
    definition = definition_from_data(data, SOURCE)
    web = state(request)
    web.use(refuse_domains, decision, definition)
    key = ("cohorts", "count", definition.model_dump_json(), decision.perimeter)
    counts = web.cached(key, count_parts, definition, decision, SOURCE)
    asked_for = {"name": definition.name}
    found = web.use(released_counts, decision, counts, asked_for)
    return Counted(
        yaml=definition_yaml(definition),
        definition=dumped(definition),
        **found,
        seconds=round(time.perf_counter() - started, 3),
    )


@router.get("/cohorts", response_model=list[CohortSummary])
def cohorts(request: Request, decision: Counting) -> list[CohortSummary]:
    """Every cohort with its persons inside the perimeter (masked)."""
    key = ("cohorts", decision.project, decision.perimeter, decision.mask_below)
    web = state(request)
    rows, persons = web.cached(
        key, lambda wh: (listed(wh, decision), members(wh, decision))
    )
    shown = web.read(released_listed, decision, rows, persons)
    return [CohortSummary(**r) for r in shown]


@router.get("/cohorts/{cohort_id}", response_model=CohortShown)
def cohort(request: Request, decision: Counting, cohort_id: CohortId) -> CohortShown:
    """A cohort's definition, figures and attrition (masked)."""
    state(request).read(seen, decision, cohort_id)
    return CohortShown(**state(request).read(released_shown, decision, cohort_id)[0])


def _described(wh, decision: Decision, cohort_id: int) -> tuple[dict, int]:
    """Table 1 within the perimeter, and its persons (for the audit log)."""
    persons = figures(wh, decision, cohort_id)["count"]
    return describe_cohort(wh, cohort_id, decision), persons


@router.get("/cohorts/{cohort_id}/describe")
def describe(request: Request, decision: Counting, cohort_id: CohortId) -> dict:
    """Table 1 of the cohort's persons inside the perimeter: age, sex, top
    conditions, drugs and labs of tables the perimeter holds (masked)."""
    state(request).read(seen, decision, cohort_id)
    key = (
        "describe",
        cohort_id,
        decision.project,
        decision.perimeter,
        decision.mask_below,
    )
    web = state(request)
    shown, persons = web.cached(key, _described, decision, cohort_id)
    asked = {"cohort_definition_id": cohort_id}
    web.read(decision.released, "cohort.describe", asked, persons=persons)
    return shown


def _export(wh, decision: Decision, cohort_id: int) -> str:
    show_cohort(wh, cohort_id)  # 404 when unknown
    rows = cohort_rows(wh, decision, cohort_id).order_by(
        ["subject_id", "cohort_start_date"]
    )
    found = (
        rows.select("subject_id", "cohort_start_date", "cohort_end_date")
        .to_pyarrow()
        .to_pylist()
    )
    persons = len({r["subject_id"] for r in found})
    if decision.mask(persons) != persons:
        raise AccessDeniedError(
            f"cohort {cohort_id}: fewer than {decision.mask_below} persons, not exported"
        )
    asked = {"cohort_definition_id": cohort_id}
    decision.released(wh, "cohort.export", asked, rows=len(found), persons=persons)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["subject_id", "cohort_start_date", "cohort_end_date"])
    for r in found:
        writer.writerow([r["subject_id"], r["cohort_start_date"], r["cohort_end_date"]])
    return out.getvalue()


@router.get(
    "/cohorts/{cohort_id}/export",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export(request: Request, decision: Exporting, cohort_id: CohortId) -> Response:
    """The cohort's rows as CSV (subject_id is the pseudonymised person id),
    persons inside the perimeter only; a cohort under the mask threshold is
    not exported."""
    state(request).use(seen, decision, cohort_id)
    text = state(request).use(_export, decision, cohort_id)
    return Response(
        text,
        media_type="text/csv; charset=utf-8",
        headers={
            "Content-Disposition": f'attachment; filename="cohort-{cohort_id}.csv"'
        },
    )


@router.delete("/cohorts/{cohort_id}", status_code=204, response_class=Response)
def delete(request: Request, decision: Writing, cohort_id: CohortId) -> Response:
    """Remove a cohort of the project (not a project's perimeter): its owner
    or an administrator may."""
    web = state(request)
    try:
        web.use(delete_within, decision, cohort_id)
    finally:
        web.changed("cohorts", "describe")
    return Response(status_code=204)
