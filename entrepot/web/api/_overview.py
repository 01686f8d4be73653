"""API: what the warehouse holds, within the project's perimeter, ready to plot;
cached per perimeter until the warehouse changes."""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel

from entrepot.quality.characterization import overview as overview_of
from entrepot.web._auth import Counting
from entrepot.web._state import state

router = APIRouter(tags=["overview"])

Count = int | str  # a count, or "<N" when masked


class TableRows(BaseModel):
    table: str
    rows: Count


class Band(BaseModel):
    band: str
    female: Count
    male: Count
    other: Count


class Years(BaseModel):
    years: list[int]
    domains: dict[str, list[Count] | None]  # aligned on years; null: outside


class TopConcept(BaseModel):
    concept_id: int
    concept_code: str | None
    vocabulary_id: str | None
    concept_name: str | None
    persons: Count
    records: Count


class Overview(BaseModel):
    project: str | None
    mask_below: int | None
    persons: Count
    tables: list[TableRows]
    pyramid: list[Band]
    per_year: Years
    top: dict[str, list[TopConcept] | None]  # null: outside the perimeter
    quality: dict | None  # the last data quality run's summary, if any


def _overview(decision, web) -> tuple[dict, int]:
    """What the page plots, and the persons it is about (for the audit log):
    each table's figures remembered for every perimeter that reads the same
    rows (until the warehouse changes), so that another project's overview
    counts only what it has not counted."""
    rows = web.read(decision.reads)

    def read(item, work):
        return web.cached(("overview", rows, *item), work)

    def persons(wh) -> int:
        return decision.table(wh, "person").count().to_pyarrow().as_py()

    return overview_of(decision, read), read(("persons",), persons)


@router.get("/overview", response_model=Overview)
def overview(request: Request, decision: Counting) -> Overview:
    """Rows per CDM table, age pyramid (5-year bands by sex, age this year),
    records per year per domain, top 10 diagnoses, drugs and labs (by persons),
    and the data quality summary: all within the project's perimeter, masked."""
    key = ("overview", decision.project, decision.perimeter, decision.mask_below)
    web = state(request)
    shown, persons = web.cached(key, _overview, decision, web, reads=False)
    web.read(decision.released, "overview", None, persons=persons)
    return Overview(**shown)
