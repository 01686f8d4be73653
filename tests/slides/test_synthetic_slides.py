"""Synthetic slides: both TIFF layouts, every level, label and macro, the truth."""

import hashlib

import numpy as np
import pytest

from entrepot.synth import write_synthetic_slide

tiffslide = pytest.importorskip("tiffslide")


@pytest.fixture(scope="module")
def slides(tmp_path_factory):
    folder = tmp_path_factory.mktemp("synthetic")
    made = {}
    for name, kwargs in {
        "pages": {"seed": 5},
        "subifds": {"seed": 5, "subifds": True},
        "again": {"seed": 5},
        "relabelled": {"seed": 5, "label_text": "DUPONT Jean\n12/03/1961"},
        "plain": {"seed": 6, "lesion": False, "pen_marks": False},
    }.items():
        path = folder / f"{name}.tif"
        made[name] = (
            path,
            write_synthetic_slide(path, width=2048, height=1536, **kwargs),
        )
    return made


@pytest.mark.parametrize("layout", ["pages", "subifds"])
def test_tiffslide_reads_every_level_the_mpp_and_the_associated_images(slides, layout):
    path, truth = slides[layout]
    with tiffslide.TiffSlide(path) as slide:
        assert slide.level_count == truth.levels == 2
        assert slide.level_dimensions == ((2048, 1536), (512, 384))
        assert slide.level_downsamples == (1.0, 4.0)
        assert float(slide.properties["tiffslide.mpp-x"]) == pytest.approx(0.5)
        assert {"label", "macro"} <= set(slide.associated_images)
        assert slide.associated_images["label"].size == (420, 420)
        coarse = np.asarray(slide.read_region((0, 0), 1, (512, 384)).convert("RGB"))
        assert coarse.shape == (384, 512, 3)


def test_the_same_seed_writes_the_same_file_and_the_label_holds_the_text(slides):
    def digest(name):
        return hashlib.sha256(slides[name][0].read_bytes()).hexdigest()

    assert digest("pages") == digest("again")
    assert digest("pages") != digest("relabelled")
    with (
        tiffslide.TiffSlide(slides["pages"][0]) as a,
        tiffslide.TiffSlide(slides["relabelled"][0]) as b,
    ):
        region = ((600, 400), 0, (512, 512))
        assert np.array_equal(
            np.asarray(a.read_region(*region)), np.asarray(b.read_region(*region))
        )
        for name in ("label", "macro"):
            assert not np.array_equal(
                np.asarray(a.associated_images[name]),
                np.asarray(b.associated_images[name]),
            )


def test_the_truth_masks_are_consistent_and_match_the_pixels(slides):
    path, truth = slides["pages"]
    assert truth.downsample == 16.0
    assert truth.tissue_mask.shape == truth.lesion_mask.shape == (96, 128)
    assert 0.05 < truth.tissue_mask.mean() < 0.6
    assert truth.lesion_mask.any() and truth.pen_mask.any()
    assert not (truth.lesion_mask & ~truth.tissue_mask).any()
    assert not (truth.pen_mask & truth.tissue_mask).any()
    with tiffslide.TiffSlide(path) as slide:
        rgb = np.asarray(
            slide.read_region((0, 0), 0, (2048, 1536)).convert("RGB"), float
        )
    cells = rgb.reshape(96, 16, 128, 16, 3).mean(axis=(1, 3))
    saturation = (cells.max(-1) - cells.min(-1)) / cells.max(-1)
    clean = ~truth.pen_mask
    assert (
        saturation[truth.tissue_mask].mean()
        > 0.2
        > saturation[clean & ~truth.tissue_mask].mean()
    )
    # the lesion is darker (denser, darker nuclei) than the rest of the tissue
    brightness = cells.mean(-1)
    assert (
        brightness[truth.lesion_mask].mean()
        < brightness[truth.tissue_mask & ~truth.lesion_mask].mean() - 20
    )


def test_lesion_and_pen_marks_can_be_left_out(slides):
    _, truth = slides["plain"]
    assert truth.tissue_mask.any()
    assert not truth.lesion_mask.any() and not truth.pen_mask.any()


def test_share_of_a_mask_under_squares(slides):
    _, truth = slides["pages"]
    share = truth.share("tissue_mask", [0, 0], [0, 0], 2048)
    assert share[0] == pytest.approx(truth.tissue_mask.mean())
    assert truth.share("lesion_mask", [0], [0], 16)[0] in (0.0, 1.0)
