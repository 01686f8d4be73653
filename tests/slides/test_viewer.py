"""The web viewer: a patient's slides, a slide's info, Deep Zoom descriptor and
tiles at every level, its heatmap; a researcher sees only slides in their
project's perimeter (404 outside it, 403 in a project without specimens);
every access audited; the label image never served by any route; a real
browser opens the viewer from the patient's page and sees tiles load."""

from __future__ import annotations

import io
import json
import math
import re
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from PIL import Image
from playwright.sync_api import expect

from entrepot.cli import main
from entrepot.cohort import run_cohort
from entrepot.privacy import add_project, add_user, entries

from ..cohort.conftest import build_tiny, write_tables
from ..web.accessibility import assert_accessible
from ..web.conftest import PASSWORD, LiveServer, page_as, shot  # noqa: F401 - fixtures
from .conftest import LABEL_COLOUR, NAME, write_slide
from .test_slides_cli import tiny_model

GI = """\
name: GI bleeds
concept_sets:
  gi: {items: [{vocabulary: CIM10, code: K92, descendants: true}]}
entry:
  events: [{condition: {concept_set: gi}}]
exit:
  offset: {days: 30}
"""
WIDTH, HEIGHT = 1200, 900
#: Slide 1: person 1 (in project gi's perimeter); slide 2: person 4 (outside).
SPECIMENS = {21: (1, date(2015, 1, 1)), 24: (4, date(2015, 1, 1))}


@pytest.fixture(scope="module")
def hospital(tmp_path_factory) -> Path:
    """The tiny warehouse, project gi (persons 1 to 3) and drugs (no
    specimens), researcher rita in both, administrator ada; two slides with a
    label image, slide 1 with a model's heatmap."""
    folder = tmp_path_factory.mktemp("viewer")
    path = folder / "eds.duckdb"
    (folder / "gi.yaml").write_text(GI)
    with build_tiny(str(path)) as wh:
        write_tables(wh, {"specimen": pa.table({
            "specimen_id": list(SPECIMENS), "person_id": [p for p, _ in SPECIMENS.values()],
            "specimen_concept_id": [0, 0], "specimen_type_concept_id": [32817, 32817],
            "specimen_date": [d for _, d in SPECIMENS.values()],
        })})  # fmt: skip
        run_cohort(wh, folder / "gi.yaml", cohort_id=900)
        add_project(wh, "gi", cohort_id=900)
        add_project(wh, "drugs", domains=["drug_exposure"])
        add_user(wh, "rita", "researcher", PASSWORD, projects=["gi", "drugs"])
        add_user(wh, "ada", "admin", PASSWORD)
    w = ["-w", str(path), "-q"]
    for specimen in SPECIMENS:
        slide = write_slide(folder / f"DUPONT_Jean_{specimen}.tiff", seed=specimen)
        assert main(["slides", "add", str(slide), "--specimen", str(specimen), *w]) == 0
    model = tiny_model(folder / "darkness.onnx")
    assert main(["slides", "tile", "1", "--mpp", "2", "--size", "64", *w]) == 0
    assert main(["slides", "infer", "1", "--model", str(model), *w]) == 0
    return path


@pytest.fixture
def server(hospital, tmp_path):
    """A server on a copy of the warehouse and its slides."""
    path = tmp_path / "eds.duckdb"
    shutil.copy(hospital, path)
    shutil.copytree(
        hospital.with_name("eds.duckdb.slides"), tmp_path / "eds.duckdb.slides"
    )
    shutil.copy(f"{hospital}.audit-anchor", f"{path}.audit-anchor")
    live = LiveServer(path)
    yield live
    live.stop()


def _routes(slide: int, every_tile: bool = True) -> list[str]:
    """Every route of a slide, every tile of every Deep Zoom level included
    (or the first tile of each level)."""
    top = math.ceil(math.log2(max(WIDTH, HEIGHT)))
    found = [f"/api/slides/{slide}", f"/api/slides/{slide}/slide.dzi",
             f"/api/slides/{slide}/heatmap.png", f"/slides/{slide}"]  # fmt: skip
    for level in range(top + 1):
        w, h = (math.ceil(side / 2 ** (top - level)) for side in (WIDTH, HEIGHT))
        found += [
            f"/api/slides/{slide}/slide_files/{level}/{c}_{r}.jpeg"
            for r in range(math.ceil(h / 256) if every_tile else 1)
            for c in range(math.ceil(w / 256) if every_tile else 1)
        ]
    return found


def test_a_researcher_sees_only_slides_in_the_perimeter(server):
    with server.client("rita") as rita, server.client("ada") as ada:
        gi = {"project": "gi"}
        assert [s["slide_id"] for s in rita.get("/api/patients/1/slides", params=gi).json()] == [1]  # fmt: skip
        assert rita.get("/api/patients/4/slides", params=gi).json() == []
        info = rita.get("/api/slides/1", params=gi).json()
        assert info == {
            "slide_id": 1, "person_id": 1, "date": "2015-01-01", "specimen_id": 21,
            "format": "tiff", "scanner": None, "objective_power": None, "mpp": 0.5,
            "width": WIDTH, "height": HEIGHT, "stain": "H&E",
            "levels": [[1200, 900, 1.0], [600, 450, 2.0], [300, 225, 4.0]],
            "heatmap": {"cell": 256, "cells": [4, 3]},
        }  # fmt: skip
        for route in _routes(2, every_tile=False):  # person 4: outside the perimeter
            r = rita.get(route, params=gi)
            assert r.status_code == 404, route
            assert "slide 2: no such slide in this project" in r.text
        refused = rita.get("/api/slides/1", params={"project": "drugs"})
        assert (refused.status_code, refused.json()["detail"]) == (
            403,
            "table specimen is outside the project's perimeter",
        )
        assert ada.get("/api/slides/2").json()["person_id"] == 4  # the administrator


def test_no_route_serves_the_label_image(server):
    """Every tile at every level, the info, descriptor, heatmap and page: no
    pixel of the label's colour, no name."""
    with server.client("rita") as rita:
        for route in _routes(1):
            r = rita.get(route, params={"project": "gi"})
            assert r.status_code == 200, route
            assert NAME.encode() not in r.content and b"DUPONT" not in r.content, route
            if "html" not in r.headers["content-type"]:  # a page has <label>s
                assert b"label" not in r.content.lower(), route
            if r.headers["content-type"] == "image/jpeg":
                pixels = np.asarray(
                    Image.open(io.BytesIO(r.content)).convert("RGB"), int
                )
                near = np.abs(pixels - np.array(LABEL_COLOUR)).max(axis=2) < 60
                assert not near.any(), route
                assert pixels.shape[0] <= 256 and pixels.shape[1] <= 256
        tile = rita.get(
            "/api/slides/1/slide_files/11/4_3.jpeg", params={"project": "gi"}
        )
        assert Image.open(io.BytesIO(tile.content)).size == (WIDTH - 4 * 256, HEIGHT - 3 * 256)  # fmt: skip
        assert rita.get("/api/slides/1/slide_files/11/5_0.jpeg", params={"project": "gi"}).status_code == 404  # fmt: skip
        assert rita.get("/api/slides/1/slide_files/12/0_0.jpeg", params={"project": "gi"}).status_code == 404  # fmt: skip


def test_every_access_is_audited(server):
    with server.client("rita") as rita:
        gi = {"project": "gi"}
        for route in ("/api/slides/1", "/api/slides/1/slide.dzi",
                      "/api/slides/1/slide_files/11/1_2.jpeg", "/api/slides/1/heatmap.png",
                      "/api/patients/1/slides", "/api/slides/2"):  # fmt: skip
            rita.get(route, params=gi)
    server.stop()  # the queued entries are written now
    from entrepot.warehouse import Warehouse

    with Warehouse.open(server.wh.uri.path, read_only=True) as wh:
        log = [e for e in entries(wh, user="rita") if e["project"] == "gi"]
    done = [(e["action"], json.loads(e["parameters"])) for e in log if e["action"].startswith("slide")]  # fmt: skip
    assert done == [
        ("slide.info", {"slide": 1}),
        ("slide.dzi", {"slide": 1}),
        ("slide.tile", {"slide": 1, "level": 11, "column": 1, "row": 2}),
        ("slide.heatmap", {"slide": 1}),
        ("slides.list", {"person_id": 1}),
    ]
    asked = [json.loads(e["parameters"])["target"] for e in log if e["action"] == "authorise.read"]  # fmt: skip
    assert (
        asked[-1] == "GET /api/slides/{slide_id}"
    )  # the refused one, authorised then 404


@pytest.mark.browser
def test_the_viewer_opens_from_the_patient_and_loads_tiles(page_as, server):  # noqa: F811
    page = page_as(server, "rita", "/patients/1?project=gi")
    link = page.locator("#patient-slides a")
    expect(link).to_have_text("2015-01-01 · lame 1 · H&E")
    link.click()
    page.wait_for_url(f"{server.url}/slides/1?project=gi")
    expect(page.locator("#slide-meta")).to_contain_text("1200 × 900 px, 3 niveaux")
    loaded = re.compile(r"^([4-9]|\d{2,})$")  # at least 4 tiles drawn
    expect(page.locator("#viewer")).to_have_attribute("data-loaded", loaded)
    drawn = page.eval_on_selector_all(
        "#viewer img.tile",
        "imgs => imgs.filter(i => i.complete && i.naturalWidth > 0).length",
    )
    assert drawn >= 4
    page.click("#zoom-in")
    page.check("#heatmap-on")
    expect(page.locator("#viewer img.heatmap")).to_be_visible()
    assert page.eval_on_selector("#viewer img.heatmap", "i => i.naturalWidth") == 4
    shot(page, "slide-viewer")
    assert_accessible(page, "slide")
