"""Tissue detection against the planted masks of synthetic slides."""

import numpy as np
import pytest
from PIL import Image

from entrepot.slides import TissueMask, detect_tissue, ink_mask
from entrepot.synth import write_synthetic_slide

tiffslide = pytest.importorskip("tiffslide")
SEEDS = [(2, False), (7, True), (11, False)]  # seeds 2 and 7: ink over tissue


def at(mask: np.ndarray, shape) -> np.ndarray:
    """A truth mask at another resolution (majority of its cells)."""
    image = Image.fromarray(mask.astype(np.uint8) * 255)
    return np.asarray(image.resize(shape[::-1], Image.BOX)) >= 128


@pytest.fixture(scope="module")
def slides(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tissue")
    out = []
    for seed, subifds in SEEDS:
        path = folder / f"{seed}.tif"
        out.append((path, write_synthetic_slide(path, seed=seed, subifds=subifds)))
    return out


@pytest.mark.parametrize("downsample", [16, 32])
def test_tissue_matches_the_planted_mask_and_leaves_the_ink_out(slides, downsample):
    for path, truth in slides:
        with tiffslide.TiffSlide(path) as slide:
            found = detect_tissue(slide, downsample=downsample)
        assert isinstance(found, TissueMask) and found.downsample == downsample
        assert found.mask.shape == (4096 // downsample, 4096 // downsample)
        tissue = at(truth.tissue_mask, found.mask.shape)
        pen = at(truth.pen_mask, found.mask.shape)
        iou = (found.mask & tissue).sum() / (found.mask | tissue).sum()
        assert iou >= 0.90, (path.name, iou)
        assert (found.mask & pen).sum() <= 0.02 * pen.sum(), path.name
        assert found.tissue_fraction == pytest.approx(found.mask.mean())
        assert found.tissue_fraction == pytest.approx(tissue.mean(), abs=0.03)


def test_empty_glass_has_no_tissue(tmp_path):
    import tifffile

    glass = np.full((1024, 1024, 3), 243, np.uint8)
    glass[500:520, 100:900] = 150  # a grey scratch, and dust
    glass[200:203, 300:303] = 60
    tifffile.imwrite(
        tmp_path / "glass.tif",
        glass,
        tile=(256, 256),
        photometric="rgb",
        resolution=(20_000, 20_000),
        resolutionunit="CENTIMETER",
    )
    with tiffslide.TiffSlide(tmp_path / "glass.tif") as slide:
        found = detect_tissue(slide, downsample=8)
    assert found.mask.shape == (128, 128) and found.tissue_fraction == 0.0


@pytest.mark.parametrize(
    ("colour", "ink"),
    [
        ((40, 70, 170), True),  # blue
        ((40, 140, 80), True),  # green
        ((35, 35, 45), True),  # black
        ((236, 160, 200), False),  # eosin
        ((120, 80, 170), False),  # haematoxylin-rich tissue
    ],
)
def test_ink_is_told_from_stain_by_its_hue(colour, ink):
    assert bool(ink_mask(np.array([[colour]], np.uint8))[0, 0]) is ink


def test_reading_in_strips_gives_the_same_mask(slides, monkeypatch):
    from entrepot.slides import _tissue

    path, _ = slides[0]
    with tiffslide.TiffSlide(path) as slide:
        whole = detect_tissue(slide).mask
        monkeypatch.setattr(_tissue, "STRIP_PIXELS", 100_000)  # 12 mask rows a strip
        assert np.array_equal(detect_tissue(slide).mask, whole)
