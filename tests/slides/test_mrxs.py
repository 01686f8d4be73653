"""MRXS (3DHISTECH MIRAX) slides through OpenSlide: registered with every
level and their metadata, stored under an opaque name with their data folder,
their pixels read as written, their label image never read, tiled like any
other slide."""

from __future__ import annotations

import io
import shutil

import numpy as np
import pytest
from PIL import Image

from entrepot.errors import InputFileError
from entrepot.privacy import Decision
from entrepot.slides import (
    checksum,
    open_slide,
    process_slides,
    slide_folder,
    slide_of,
    tile,
)
from entrepot.warehouse import Warehouse

from .conftest import NAME
from .test_registry import _tables_text, cli


def test_an_mrxs_is_registered_with_every_level_and_its_metadata(capsys, clinic, mrxs):
    path, _ = mrxs
    found = cli(capsys, "slides", "add", str(path), "--specimen", "11", "-w", str(clinic))  # fmt: skip
    assert found == {
        "slides": [
            {"slide_id": 1, "width": 1024, "height": 768, "levels": 3, "mpp": 0.25}
        ]
    }
    with Warehouse.open(clinic, read_only=True) as wh:
        shown = slide_of(wh, Decision.unscoped(wh), 1)
        digest = wh.table("slide").checksum.max().to_pyarrow().as_py()
        folder = slide_folder(wh)
    assert (shown["format"], shown["scanner"], shown["objective_power"]) == ("mrxs", "mirax", 20.0)  # fmt: skip
    assert shown["levels"] == [[1024, 768, 1.0], [512, 384, 2.0], [256, 192, 4.0]]
    stored = shown["path"]  # an opaque name, its data folder beside it
    assert stored.suffix == ".mrxs" and stored.parent == folder
    assert sorted(p.name for p in stored.with_suffix("").iterdir()) == [
        "Data0000.dat",
        "Index.dat",
        "Slidedat.ini",
    ]
    assert digest == checksum(path) == checksum(stored)  # the file and its folder
    assert "DUPONT" not in _tables_text(clinic)


def test_an_mrxs_reads_the_pixels_written_and_never_its_label(mrxs):
    import openslide

    path, written = mrxs
    with open_slide(path) as slide:
        assert slide.level_dimensions == ((1024, 768), (512, 384), (256, 192))
        assert slide.level_downsamples == (1.0, 2.0, 4.0)
        region = slide.read_region((256, 512), 0, (256, 256))  # image (1, 2)
        assert region.mode == "RGB"
        assert np.array_equal(np.asarray(region), written["levels"][0][(1, 2)])
        region = slide.read_region((512, 0), 1, (256, 256))  # level 1's image (2, 0)
        assert np.array_equal(np.asarray(region), written["levels"][1][(2, 0)])
        viewed = Image.open(io.BytesIO(tile(slide, 10, 1, 2)))  # Deep Zoom: full size
        difference = np.asarray(viewed).astype(int) - written["levels"][0][(1, 2)]
        assert viewed.size == (256, 256) and np.abs(difference).mean() < 2  # JPEG again
        outside = np.asarray(slide.read_region((1000, 700), 0, (64, 64)))
        assert outside.min() == 255  # past the slide: its white background
        assert slide.associated_images == {}
        assert sorted(slide.properties) == [
            "tiffslide.mpp-x", "tiffslide.objective-power", "tiffslide.vendor",
        ]  # fmt: skip
    with openslide.OpenSlide(path) as raw:  # the label is there, and never read
        assert list(raw.associated_images) == ["label"]
        assert raw.properties["mirax.GENERAL.SLIDE_NAME"] == NAME


def test_an_mrxs_is_tiled_like_any_slide(mrxs):
    path, _ = mrxs
    (done,) = process_slides([path], downsample=16, mpp=0.5, size=128)
    assert abs(done.tissue.tissue_fraction - 400 * 500 / (768 * 1024)) < 0.02
    assert done.tiles.num_rows == (1024 // 256) * (768 // 256)


def test_an_mrxs_without_its_folder_registers_nothing(capsys, clinic, mrxs, tmp_path):
    path, _ = mrxs
    alone = tmp_path / "alone.mrxs"
    shutil.copy(path, alone)
    err = cli(capsys, "slides", "add", str(alone), "--specimen", "11", "-w", str(clinic), code=2)  # fmt: skip
    message = "alone.mrxs: no data folder alone/ beside it"
    assert err == f"entrepot: error: {message}"
    with pytest.raises(InputFileError, match=message):  # scan hashes it first
        checksum(alone)
    with Warehouse.open(clinic, read_only=True) as wh:
        assert not wh.has_table("slide") or wh.count("slide") == 0
        assert not slide_folder(wh).exists()


def test_a_rescanned_mrxs_is_known_by_its_data_folder_too(
    capsys, clinic, mrxs, tmp_path
):
    """`scan` hashes the .mrxs with its data folder: a changed Slidedat.ini is
    a changed slide; the data folder's files are not counted as unlisted."""
    path, _ = mrxs
    folder = tmp_path / "scanner"
    folder.mkdir()
    shutil.copy(path, folder)
    shutil.copytree(path.with_suffix(""), folder / path.stem)
    (folder / "manifest.csv").write_text(f"file,specimen_id\n{path.name},12\n")
    w = ["-w", str(clinic)]
    first = cli(capsys, "slides", "scan", str(folder), *w)
    assert (first["registered"], first["unchanged"], first["unlisted"]) == (1, 0, 0)
    assert cli(capsys, "slides", "scan", str(folder), *w)["unchanged"] == 1
    with (folder / path.stem / "Slidedat.ini").open("a") as ini:
        ini.write("\n[RESCANNED]\nBY = scanner\n")
    changed = cli(capsys, "slides", "scan", str(folder), *w)
    assert (changed["registered"], changed["slides"][0]["levels"]) == (1, 3)
