"""Tissue detection on a low-resolution level of a slide.

H&E tissue is coloured (saturated); glass, dust and air-bubble rims are grey.
The mask is Otsu's threshold on saturation (smoothed a little, with a floor so
that a slide of empty glass is not split in two), minus ink: pen strokes are
saturated too, but blue or green (hues between H&E's pink and purple never
reach) or near-black and grey. Morphology then closes small gaps, fills holes
smaller than a lumen and drops specks. Out-of-focus tissue keeps its colour
and stays tissue.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from entrepot.errors import MissingDependencyError

#: Saturation below which nothing counts as tissue, whatever Otsu says.
MIN_SATURATION = 0.07
#: Hues (degrees) of ink: green to blue. H&E spans purple (haematoxylin,
#: about 260-300) to pink (eosin, 300-360 and 0-20).
INK_HUES = (70.0, 245.0)
#: Brightness (max of RGB, 0-1) under which a pixel is black ink (grey ink
#: up to 0.45): H&E at low resolution never gets this dark.
INK_DARK = (0.3, 0.45)
#: Level-0 pixels around ink also left out (ink's blurred rim over tissue).
INK_MARGIN = 32
#: Objects smaller than this (level-0 pixels², 0.02 mm² at 0.5 µm per pixel)
#: are dropped; holes smaller than MIN_HOLE are filled.
MIN_OBJECT = 80_000
MIN_HOLE = 16_000
#: Level pixels read at once when reducing a level to the mask's scale.
STRIP_PIXELS = 16_000_000


@dataclass(frozen=True)
class TissueMask:
    """Where the tissue is: `mask` (True = tissue), one pixel per `downsample`
    level-0 pixels, and the share of the slide that is tissue."""

    mask: np.ndarray
    downsample: float
    tissue_fraction: float


def best_level(slide, downsample: float) -> int:
    """The coarsest level whose downsample does not exceed `downsample`."""
    levels = [
        i for i, d in enumerate(slide.level_downsamples) if d <= downsample * 1.01
    ]
    return max(levels, key=lambda i: slide.level_downsamples[i]) if levels else 0


def read_low_resolution(slide, downsample: float) -> np.ndarray:
    """The whole slide as RGB uint8 at `downsample` (level 0 = 1), read from
    the best level in strips of about STRIP_PIXELS and reduced by box
    averaging (a slide without a coarse level never sits whole in memory)."""
    from PIL import Image

    level = best_level(slide, downsample)
    w, h = slide.level_dimensions[level]
    w0, h0 = slide.level_dimensions[0]
    out_w, out_h = max(1, round(w0 / downsample)), max(1, round(h0 / downsample))
    rows_per_strip = max(1, STRIP_PIXELS // (w * max(1, round(h / out_h))))
    level_ds = slide.level_downsamples[level]
    strips = []
    for top in range(0, out_h, rows_per_strip):
        bottom = min(out_h, top + rows_per_strip)
        y0, y1 = (
            round(top * h / out_h),
            max(round(bottom * h / out_h), round(top * h / out_h) + 1),
        )
        region = slide.read_region((0, round(y0 * level_ds)), level, (w, y1 - y0))
        strips.append(
            np.asarray(region.convert("RGB").resize((out_w, bottom - top), Image.BOX))
        )
    return np.concatenate(strips)


def ink_mask(rgb: np.ndarray) -> np.ndarray:
    """Pixels of pen ink: blue or green hues, or dark and grey."""
    from skimage.color import rgb2hsv

    hsv = rgb2hsv(rgb)
    hue = hsv[..., 0] * 360
    coloured = (
        (hue > INK_HUES[0]) & (hue < INK_HUES[1]) & (hsv[..., 1] > MIN_SATURATION)
    )
    value = hsv[..., 2]
    dark = (value < INK_DARK[0]) | ((value < INK_DARK[1]) & (hsv[..., 1] < 0.35))
    return coloured | dark


def tissue_from_rgb(rgb: np.ndarray, downsample: float) -> np.ndarray:
    """The tissue mask of an RGB image taken at `downsample`."""
    from scipy import ndimage
    from skimage.filters import threshold_otsu
    from skimage.morphology import disk, remove_small_holes, remove_small_objects

    rgb_f = rgb.astype(np.float32) / 255
    top, bottom = rgb_f.max(axis=-1), rgb_f.min(axis=-1)
    saturation = ndimage.gaussian_filter((top - bottom) / np.maximum(top, 1e-6), 1.0)
    threshold = threshold_otsu(saturation) if np.ptp(saturation) > 0 else 1.0
    ink = ndimage.binary_dilation(
        ink_mask(rgb), disk(max(1, round(INK_MARGIN / downsample)))
    )
    tissue = (saturation > max(threshold, MIN_SATURATION)) & ~ink
    tissue = ndimage.binary_opening(tissue, disk(1))
    tissue = remove_small_holes(tissue, max_size=int(MIN_HOLE / downsample**2))
    tissue = remove_small_objects(tissue, max_size=int(MIN_OBJECT / downsample**2))
    return tissue & ~ink


def detect_tissue(slide, *, downsample: float = 32) -> TissueMask:
    """The tissue mask of `slide` (tiffslide's API), at `downsample` of level 0."""
    try:
        import skimage  # noqa: F401
    except ImportError as error:
        raise MissingDependencyError(
            "tissue detection needs scikit-image: pip install 'entrepot[pathology]'"
        ) from error
    mask = tissue_from_rgb(read_low_resolution(slide, downsample), downsample)
    return TissueMask(
        mask=mask, downsample=float(downsample), tissue_fraction=float(mask.mean())
    )
