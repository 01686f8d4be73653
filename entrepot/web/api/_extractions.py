"""API: a shipped extraction schema read from the reports of a saved cohort of
the project, in the background, then reviewed: per field, the persons with
each value (counted by the release gate), and, for those who may read notes,
the notes with each field's evidence marked."""

from __future__ import annotations

import html
from functools import cache
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from entrepot.cohort import find_cohort
from entrepot.errors import ParameterError
from entrepot.extraction import (
    Backend,
    RulesBackend,
    Schema,
    extract_notes,
    extracted_notes,
    extraction_persons,
    load_schema,
    shipped_schemas,
)
from entrepot.privacy import Decision
from entrepot.subgroups import released_sizes
from entrepot.web._auth import Counting, CurrentSession, Reading, allowed
from entrepot.web._state import state
from entrepot.web.api._cohorts import Started
from entrepot.web.api._search import may_read

router = APIRouter(tags=["extractions"])

#: Writing extractions into the warehouse takes the right `nlp run` takes.
Ingesting = Annotated[Decision, Depends(allowed("ingest"))]
MAX_NOTES = 50
CohortId = Annotated[int, Field(ge=1, le=2**62)]
Titles = Annotated[
    list[str] | None,
    Query(alias="note_title", max_length=20, description="note titles (any case)"),
]


class Run(BaseModel):
    """What to read, from which notes."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    schema_name: str = Field(
        alias="schema", max_length=200, description="a shipped schema"
    )
    cohort: CohortId | Annotated[str, Field(min_length=1, max_length=255)] = Field(
        description="a saved cohort's id or name"
    )
    note_titles: list[Annotated[str, Field(min_length=1, max_length=200)]] | None = (
        Field(None, max_length=20, description="only notes of these titles (any case)")
    )


class Counts(BaseModel):
    schema_name: str = Field(serialization_alias="schema")
    version: str
    backend: str
    model: str | None
    persons: int | str
    notes: int | str
    mask_below: int | None
    fields: dict[str, dict[str, int | str]]  # field -> value -> persons
    notes_allowed: bool


class ReviewedNote(BaseModel):
    note_id: int
    person_id: int
    note_date: str
    note_title: str | None
    fields: dict[str, bool | int | float | str | None]
    evidence: dict[str, list[int]]  # field -> [start, end] in the text
    html: str  # the text escaped, each field's evidence in <mark data-fields>


class Notes(BaseModel):
    total: int
    offset: int
    notes: list[ReviewedNote]


def checked_schema(name: str) -> Schema:
    """A shipped schema, or a one-line refusal naming the shipped ones."""
    if name not in shipped_schemas():
        known = ", ".join(sorted(shipped_schemas()))
        raise ParameterError(f"schema {name!r}: not a shipped schema ({known})")
    return load_schema(name)


@cache
def backend_of(name: str) -> Backend:
    """The server's reader of a shipped schema: its rules (built once)."""
    return RulesBackend(load_schema(name))


def marked(text: str, evidence: dict[str, list[int]]) -> str:
    """`text` as HTML, escaped, each stretch that is some fields' evidence in
    `<mark data-fields="a b">` (spans may overlap; offsets are clamped)."""
    spans = {f: (max(0, s), min(len(text), e)) for f, (s, e) in evidence.items()}
    cuts = sorted({0, len(text), *(p for span in spans.values() for p in span)})
    out = []
    for a, b in zip(cuts, cuts[1:], strict=False):
        piece = html.escape(text[a:b])
        names = " ".join(f for f, (s, e) in spans.items() if s <= a and b <= e)
        out.append(f'<mark data-fields="{names}">{piece}</mark>' if names else piece)
    return "".join(out)


def _extract(wh, decision: Decision, schema: Schema, run: Run, job) -> dict:
    summary = extract_notes(
        wh,
        schema,
        backend_of(schema.name),
        decision=decision,
        cohort=run.cohort,
        note_titles=run.note_titles,
        progress=job.report,
    )
    asked = run.model_dump(by_alias=True) | {"cohort": str(run.cohort)}
    decision.released(wh, "extract", asked, rows=summary["rows"])
    return summary


@router.post("/extractions", status_code=202, response_model=Started)
def run_extraction(request: Request, decision: Ingesting, run: Run) -> Started:
    """Read a shipped schema's fields from the notes of a saved cohort of the
    project (of these titles when given) with the rules, in the background,
    into `note_extraction` (the right `nlp run` needs: `ingest`). Notes
    already read and unchanged are skipped. The job's result is the run's
    summary; an unknown schema or a cohort the project does not see is
    refused at once."""
    web = state(request)
    schema = checked_schema(run.schema_name)
    web.use(find_cohort, decision, run.cohort)

    def work(job) -> dict:
        job.report("reading notes", 0.05)
        try:
            return web.use(_extract, decision, schema, run, job)
        finally:
            web.changed()

    job = web.jobs.start("extraction", decision.user, decision.project, work)
    return Started(job=job.id)


def _counts(wh, decision: Decision, schema: Schema, asked: dict, reading: bool):
    found = extraction_persons(
        wh, decision, schema, backend_of(schema.name), asked["cohort"],
        asked["note_title"],
    )  # fmt: skip
    shown = decision.persons_with(
        wh, found["person_ids"], {"notes": found["notes"]}, "extractions", asked,
        seen=reading,
    )  # fmt: skip
    fields = {
        name: released_sizes(wh, decision, sets, "extractions.field",
                             asked | {"field": name})
        for name, sets in found["fields"].items()
    }  # fmt: skip
    return shown, fields


@router.get("/extractions", response_model=Counts)
def extraction_counts(
    request: Request,
    decision: Counting,
    session: CurrentSession,
    schema: Annotated[str, Query(max_length=200)],
    cohort: Annotated[str, Query(min_length=1, max_length=255)],
    note_title: Titles = None,
) -> Counts:
    """For each field of a schema read from the notes of a saved cohort of the
    project, the persons with a note of each value (`true`, `false`, an enum's
    values, or `stated`; `null`: not stated), counted and masked by the
    release gate like other person counts, with the persons and notes read."""
    checked = checked_schema(schema)
    reading = may_read(request, session, decision)
    asked = {"schema": schema, "cohort": cohort, "note_title": note_title}
    shown, fields = state(request).use(_counts, decision, checked, asked, reading)
    backend = backend_of(schema)
    return Counts(
        schema_name=checked.name,
        version=checked.version,
        backend=backend.name,
        model=backend.model,
        persons=shown["persons"],
        notes=shown["notes"],
        mask_below=decision.mask_below,
        fields=fields,
        notes_allowed=reading,
    )


def _notes(wh, decision: Decision, schema: Schema, asked: dict) -> dict:
    found = extracted_notes(
        wh, decision, schema, backend_of(schema.name), asked["cohort"],
        asked["note_title"], limit=asked["limit"], offset=asked["offset"],
    )  # fmt: skip
    persons = len({n["person_id"] for n in found["notes"]})
    decision.released(
        wh, "extractions.notes", asked, rows=len(found["notes"]), persons=persons
    )
    return found


@router.get("/extractions/notes", response_model=Notes)
def extraction_notes(
    request: Request,
    decision: Reading,
    schema: Annotated[str, Query(max_length=200)],
    cohort: Annotated[str, Query(min_length=1, max_length=255)],
    note_title: Titles = None,
    limit: Annotated[int, Query(ge=1, le=MAX_NOTES)] = 10,
    offset: Annotated[int, Query(ge=0, le=2**31)] = 0,
) -> Notes:
    """A page of the notes read (`limit` from `offset`, by note id), each with
    its values, evidence offsets and its text as HTML with the evidence
    marked: only for those who may read rows in the project."""
    checked = checked_schema(schema)
    asked = {"schema": schema, "cohort": cohort, "note_title": note_title,
             "limit": limit, "offset": offset}  # fmt: skip
    found = state(request).use(_notes, decision, checked, asked)
    notes = [
        ReviewedNote(**n, html=marked(n["text"] or "", n["evidence"]))
        for n in found["notes"]
    ]
    return Notes(total=found["total"], offset=offset, notes=notes)
