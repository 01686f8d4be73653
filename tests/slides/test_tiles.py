"""Tiling at a chosen magnification, stain normalisation, many slides in parallel."""

import numpy as np
import pytest

from entrepot.errors import ParameterError
from entrepot.slides import (
    detect_tissue,
    normalise_stain,
    process_slides,
    read_tiles,
    tile_slide,
)
from entrepot.synth import write_synthetic_slide

tiffslide = pytest.importorskip("tiffslide")


@pytest.fixture(scope="module")
def slides(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiles")
    out = []
    for seed in (21, 22):
        path = folder / f"{seed}.tif"
        out.append(
            (path, write_synthetic_slide(path, seed=seed, width=3072, height=2048))
        )
    return out


@pytest.fixture(scope="module")
def opened(slides):
    path, truth = slides[0]
    with tiffslide.TiffSlide(path) as slide:
        yield slide, truth, detect_tissue(slide)


@pytest.mark.parametrize(
    ("mpp", "size", "level", "read", "extent"),
    [(0.5, 256, 0, 256, 256), (1.0, 256, 0, 512, 512), (2.0, 128, 1, 128, 512)],
)
def test_tiles_cover_the_slide_at_the_chosen_magnification(
    opened, mpp, size, level, read, extent
):
    slide, truth, tissue = opened
    tiles = tile_slide(slide, tissue, mpp=mpp, size=size)
    assert tiles.column_names == ["level", "x", "y", "size", "tissue_fraction"]
    assert tiles.num_rows == (3072 // extent) * (2048 // extent)
    assert set(tiles["level"].to_pylist()) == {level}
    assert set(tiles["size"].to_pylist()) == {read}
    x, y = tiles["x"].to_numpy(), tiles["y"].to_numpy()
    assert (x % extent == 0).all() and (y % extent == 0).all()
    assert (x + extent <= 3072).all() and (y + extent <= 2048).all()
    assert tiles.schema.metadata == {
        b"mpp": str(mpp).encode(),
        b"size": str(size).encode(),
        b"extent": str(extent).encode(),
    }
    planted = truth.share("tissue_mask", x, y, extent)
    assert np.abs(tiles["tissue_fraction"].to_numpy() - planted).mean() < 0.03
    first = next(read_tiles(slide, tiles.slice(0, 1)))
    assert first.shape == (size, size, 3) and first.dtype == np.uint8


def test_min_tissue_keeps_only_tiles_with_enough_tissue(opened):
    slide, _, tissue = opened
    every = tile_slide(slide, tissue)
    kept = tile_slide(slide, tissue, min_tissue=0.5)
    fractions = every["tissue_fraction"].to_numpy()
    assert kept.num_rows == (fractions >= 0.5).sum() > 0
    assert kept["tissue_fraction"].to_numpy().min() >= 0.5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"mpp": 0}, "tiles need mpp > 0"),
        ({"size": -1}, "tiles need mpp > 0, size > 0"),
        ({"min_tissue": 1.5}, "0 <= min_tissue <= 1"),
    ],
)
def test_bad_tiling_parameters_are_refused(opened, kwargs, message):
    slide, _, tissue = opened
    with pytest.raises(ParameterError, match=message):
        tile_slide(slide, tissue, **kwargs)


def test_a_slide_without_mpp_cannot_be_tiled(tmp_path):
    import tifffile

    tifffile.imwrite(
        tmp_path / "x.tif", np.full((512, 512, 3), 240, np.uint8), tile=(256, 256)
    )
    with tiffslide.TiffSlide(tmp_path / "x.tif") as slide:
        with pytest.raises(ParameterError, match="states no micrometres per pixel"):
            tile_slide(slide, detect_tissue(slide, downsample=8))


def test_slides_are_processed_in_parallel_with_the_same_results(slides):
    paths = [p for p, _ in slides]
    one = process_slides(paths, workers=1)
    two = process_slides(paths, workers=2, min_tissue=0.0)
    assert [r.path for r in two] == [str(p) for p in paths]
    for a, b in zip(one, two, strict=True):
        assert np.array_equal(a.tissue.mask, b.tissue.mask)
        assert a.tiles.equals(b.tiles) and a.seconds > 0


def test_stain_normalisation_brings_two_stainings_together(opened):
    slide, truth, tissue = opened
    tiles = tile_slide(slide, tissue, min_tissue=0.9)
    rgb = next(read_tiles(slide, tiles.slice(0, 1)))
    od = -np.log((rgb.astype(float) + 1) / 240)
    for strength in (0.7, 1.6):  # a lighter and a stronger staining of the same tile
        other = np.clip(240 * np.exp(-strength * od) - 1, 0, 255).astype(np.uint8)
        before = np.abs(rgb.astype(float) - other).mean()
        after = np.abs(
            normalise_stain(rgb).astype(float) - normalise_stain(other)
        ).mean()
        assert after < before / 1.5, strength
    assert (
        normalise_stain(rgb).shape == rgb.shape
        and normalise_stain(rgb).dtype == np.uint8
    )
    glass = np.full((64, 64, 3), 242, np.uint8)
    assert np.array_equal(normalise_stain(glass), glass)
