"""API: search in reports, within the project's perimeter, and save a search
as a cohort. Everyone who may count gets the persons (masked, safe from
differencing); the notes and hits (snippets of text) only go to those who
may also read rows."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from entrepot.errors import SearchQueryError
from entrepot.privacy import PERMISSIONS, Decision
from entrepot.web._auth import Counting, CurrentSession, Writing, _authorise
from entrepot.web._state import state

router = APIRouter(tags=["search"])

MAX_HITS = 100


class Hit(BaseModel):
    note_id: int
    person_id: int
    note_date: str
    note_title: str | None  # the note's type
    snippet: str  # text with <b>...</b> around the matches, nothing else marked


class SearchResult(BaseModel):
    notes: int | str
    persons: int | str
    offset: int  # hits are the page from there, best first
    exclude: list[str]
    hits: list[Hit]
    hits_allowed: bool


class SearchCohort(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")

    q: str = Field(min_length=1, max_length=500)
    exclude: str | list[str] | None = None
    note_type: str | None = Field(None, max_length=200)
    start: date | None = Field(None, alias="from")
    end: date | None = Field(None, alias="to")
    name: str = Field(min_length=1, max_length=255)


class SavedCohort(BaseModel):
    cohort_definition_id: int
    name: str
    count: int | str


def filters_of(exclude, note_type, start, end):
    """The library's filters from the request's fields ("none" or [] = all text)."""
    from entrepot.search import SearchFilters, parse_exclude

    if isinstance(exclude, list):
        exclude = ",".join(exclude) or "none"
    if start and end and start > end:
        raise SearchQueryError(f"from {start} comes after to {end}")
    try:
        contexts = parse_exclude(exclude)
    except SearchQueryError as e:
        raise SearchQueryError(str(e).removeprefix("--")) from None
    return SearchFilters(contexts, note_type or None, start, end)


def within(wh, decision: Decision, filters):
    """`filters` narrowed to where the release gate lets the search look (the
    project's persons and dates, never opted-out persons); None when nothing
    can match. 403 when the project may not see notes."""
    return filters.within(decision.scope(wh, filters.start, filters.end))


def _search(wh, decision: Decision, q: str, filters, limit: int, offset: int):
    from entrepot.search import search_notes

    narrowed = within(wh, decision, filters)
    if narrowed is None:
        return {
            "notes": 0,
            "persons": 0,
            "person_ids": [],
            "offset": offset,
            "hits": [],
        }
    return search_notes(wh, q, narrowed, limit=limit, offset=offset)


def may_read(request: Request, session, decision: Decision) -> bool:
    """Whether the caller may read rows in the decision's project (asked, and
    audited, only when the role has that right)."""
    if "read" not in PERMISSIONS.get(decision.role, ()):
        return False
    _authorise(request, session, "read", decision.project)
    return True


@router.get("/search", response_model=SearchResult)
def search(
    request: Request,
    decision: Counting,
    session: CurrentSession,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    exclude: Annotated[str | None, Query(max_length=200)] = None,
    note_type: Annotated[str | None, Query(max_length=200)] = None,
    start: Annotated[date | None, Query(alias="from")] = None,
    end: Annotated[date | None, Query(alias="to")] = None,
    limit: Annotated[int, Query(ge=0, le=MAX_HITS)] = 20,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SearchResult:
    """Notes and persons whose reports match `q` (words, "phrases", AND, OR,
    NOT, parentheses; anything else is text), leaving out negated,
    hypothetical and family text unless `exclude` says otherwise (`none`: all
    text); a page of hits (`limit` from `offset`) for those who may read rows."""
    filters = filters_of(exclude, note_type, start, end)
    reading = may_read(request, session, decision)
    shown = limit if reading else 0
    key = ("search", decision.project, decision.perimeter, q, filters, shown, offset)
    web = state(request)
    found = web.cached(key, _search, decision, q, filters, shown, offset)
    hits = found["hits"] if reading else []
    asked = {"q": q, "exclude": list(filters.exclude), "note_type": note_type,
             "from": start, "to": end, "offset": offset}  # fmt: skip
    web.read(
        decision.released, "search", asked, rows=len(hits), persons=found["persons"]
    )
    counts = web.read(
        decision.persons_with,
        found["person_ids"],
        {"notes": found["notes"]},
        "search",
        asked,
        seen=reading,
    )
    return SearchResult(
        **counts,
        offset=offset,
        exclude=list(filters.exclude),
        hits=hits,
        hits_allowed=reading,
    )


def _save(wh, decision: Decision, body: SearchCohort, filters) -> dict:
    from entrepot.cohort._perimeter import cohort_rows, saved_as, unclaim
    from entrepot.search import save_search_cohort

    narrowed = within(wh, decision, filters)
    if narrowed is None:
        narrowed = replace(filters, persons=frozenset())
    cohort_id = saved_as(wh, decision, body.name)
    try:
        saved = save_search_cohort(wh, body.q, narrowed, body.name, cohort_id=cohort_id)
    except Exception:
        unclaim(wh, cohort_id)
        raise
    rows = cohort_rows(wh, decision, saved["cohort_definition_id"])
    asked = {"q": body.q, "cohort_definition_id": saved["cohort_definition_id"]}
    return saved | {
        "count": decision.persons(wh, rows.subject_id, "search.cohort", asked)
    }


@router.post("/search/cohort", response_model=SavedCohort)
def save_cohort(request: Request, decision: Writing, body: SearchCohort) -> SavedCohort:
    """Save the persons a search finds (in the perimeter) as a cohort of the
    project; a cohort of the same name in the project is replaced, when the
    caller owns it or is an administrator."""
    filters = filters_of(body.exclude, body.note_type, body.start, body.end)
    web = state(request)
    saved = web.use(_save, decision, body, filters)
    web.changed("cohorts", "describe")
    return SavedCohort(
        cohort_definition_id=saved["cohort_definition_id"],
        name=saved["name"],
        count=saved["count"],
    )
