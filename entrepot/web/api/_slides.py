"""API: whole-slide images, within the project's perimeter: a patient's
slides, what a slide is, its Deep Zoom descriptor and tiles, a model's
heatmap. Made from the pyramid levels only: a slide's label and macro
images (names, barcodes) have no route. Every answer is audited."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from entrepot.errors import NotFoundError
from entrepot.slides import (
    descriptor,
    heatmap_of,
    heatmap_png,
    open_slide,
    slide_of,
    slides_of,
    tile,
)
from entrepot.web._auth import Reading
from entrepot.web._state import state
from entrepot.web.api._patients import PersonId

router = APIRouter(tags=["slides"])

SlideId = Annotated[int, Path(ge=1, le=2**62)]
Level = Annotated[int, Path(ge=0, le=40)]
TileName = Annotated[str, Path(pattern=r"^\d{1,7}_\d{1,7}\.jpeg$")]
_TILE = re.compile(r"(\d+)_(\d+)\.jpeg")
_PRIVATE = {"Cache-Control": "private, max-age=300"}


def find_slide(request: Request, decision, slide_id: int) -> dict:
    """The slide, if inside the perimeter (remembered per project)."""
    key = ("slide", decision.project, slide_id)
    return state(request).cached(key, slide_of, decision, slide_id)


def _shown(found: dict) -> dict:
    return {k: v for k, v in found.items() if k != "path"}


@router.get("/patients/{person_id}/slides")
def patient_slides(request: Request, decision: Reading, person_id: PersonId) -> list:
    """A patient's slides: id, date, specimen, stain, size, levels."""
    web = state(request)
    found = web.use(slides_of, decision, person_id)
    asked = {"person_id": person_id}
    web.use(decision.released, "slides.list", asked, rows=len(found), persons=1)
    return found


@router.get("/slides/{slide_id}")
def slide_info(request: Request, decision: Reading, slide_id: SlideId) -> dict:
    """What a slide is: person, date, specimen, scanner, µm per pixel, size,
    levels, and its heatmap's grid or null: `cells` (columns, rows) of
    `cell` level-0 pixels a side, from the slide's top-left corner."""
    found = _shown(find_slide(request, decision, slide_id))
    web = state(request)
    heatmap = web.use(heatmap_of, slide_id)
    found["heatmap"] = heatmap and {
        "cell": heatmap["cell"],
        "cells": [heatmap["columns"], heatmap["rows"]],
    }
    web.use(decision.released, "slide.info", {"slide": slide_id}, rows=1, persons=1)
    return found


@router.get("/slides/{slide_id}/slide.dzi", response_class=Response)
def slide_dzi(request: Request, decision: Reading, slide_id: SlideId) -> Response:
    """The slide's Deep Zoom descriptor (its tiles: `slide_files/`)."""
    found = find_slide(request, decision, slide_id)
    web = state(request)
    web.use(decision.released, "slide.dzi", {"slide": slide_id}, rows=1, persons=1)
    xml = descriptor(found["width"], found["height"])
    return Response(xml, media_type="application/xml", headers=_PRIVATE)


@router.get("/slides/{slide_id}/slide_files/{level}/{name}", response_class=Response)
def slide_tile(
    request: Request,
    decision: Reading,
    slide_id: SlideId,
    level: Level,
    name: TileName,
) -> Response:
    """One JPEG tile of the Deep Zoom pyramid (`COLUMN_ROW.jpeg`)."""
    found = find_slide(request, decision, slide_id)
    column, row = map(int, _TILE.fullmatch(name).groups())
    with open_slide(found["path"]) as slide:
        image = tile(slide, level, column, row)
    asked = {"slide": slide_id, "level": level, "column": column, "row": row}
    state(request).use(decision.released, "slide.tile", asked, rows=1, persons=1)
    return Response(image, media_type="image/jpeg", headers=_PRIVATE)


@router.get("/slides/{slide_id}/heatmap.png", response_class=Response)
def slide_heatmap(request: Request, decision: Reading, slide_id: SlideId) -> Response:
    """The latest model's heatmap, to lay over the whole slide (404: none)."""
    find_slide(request, decision, slide_id)
    web = state(request)
    heatmap = web.use(heatmap_of, slide_id)
    if heatmap is None:
        raise NotFoundError(f"slide {slide_id} has no heatmap: no model was run on it")
    web.use(decision.released, "slide.heatmap", {"slide": slide_id}, rows=1, persons=1)
    return Response(
        heatmap_png(heatmap["scores"]), media_type="image/png", headers=_PRIVATE
    )
