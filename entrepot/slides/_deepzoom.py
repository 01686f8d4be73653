"""Deep Zoom (DZI) of a slide: a descriptor and JPEG tiles, made only from the
slide's pyramid levels (its label and macro images are never read), and a
model's heatmap as a translucent PNG to lay over it.

Deep Zoom level `L` (the deepest) is the slide at full size, each level above
halves it, level 0 is one pixel; a tile is TILE pixels square (less at the
right and bottom edges), without overlap.
"""

from __future__ import annotations

import io
import math

import numpy as np

from entrepot.errors import NotFoundError

TILE = 256
_NS = "http://schemas.microsoft.com/deepzoom/2008"


def deepest(width: int, height: int) -> int:
    """The Deep Zoom level of the full-size slide."""
    return math.ceil(math.log2(max(width, height, 1)))


def descriptor(width: int, height: int) -> str:
    """The DZI XML of a slide of this size."""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>'
        f'<Image xmlns="{_NS}" Format="jpeg" Overlap="0" TileSize="{TILE}">'
        f'<Size Width="{width}" Height="{height}"/></Image>'
    )


def tile(slide, level: int, column: int, row: int, quality: int = 80) -> bytes:
    """One JPEG tile; a level or tile outside the slide is a NotFoundError."""
    from PIL import Image

    width, height = slide.dimensions
    top = deepest(width, height)
    if not 0 <= level <= top:
        raise NotFoundError(f"no Deep Zoom level {level} (0 to {top})")
    scale = 2 ** (top - level)
    w, h = math.ceil(width / scale), math.ceil(height / scale)
    x, y = column * TILE, row * TILE
    if column < 0 or row < 0 or x >= w or y >= h:
        raise NotFoundError(f"no tile {column}_{row} at Deep Zoom level {level}")
    out = (min(TILE, w - x), min(TILE, h - y))
    source = slide.get_best_level_for_downsample(scale)
    down = slide.level_downsamples[source]
    x0, y0 = x * scale, y * scale  # level-0 pixels
    lw, lh = slide.level_dimensions[source]
    size = (
        max(1, min(math.ceil(out[0] * scale / down), lw - int(x0 / down))),
        max(1, min(math.ceil(out[1] * scale / down), lh - int(y0 / down))),
    )
    region = slide.read_region((x0, y0), source, size).convert("RGB")
    if region.size != out:
        region = region.resize(out, Image.Resampling.BILINEAR)
    buffer = io.BytesIO()
    region.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def heatmap_png(scores: list[list[float | None]]) -> bytes:
    """A heatmap grid as a PNG: score 0 transparent to 1 red, no tile clear."""
    from PIL import Image

    grid = np.array(
        [[np.nan if v is None else v for v in row] for row in scores], dtype=float
    )
    rgba = np.zeros((*grid.shape, 4), dtype=np.uint8)
    known = ~np.isnan(grid)
    value = np.clip(np.where(known, grid, 0.0), 0.0, 1.0)
    rgba[..., 0] = 255
    rgba[..., 1] = (200 * (1 - value)).astype(np.uint8)
    rgba[..., 3] = np.where(known, 40 + 160 * value, 0).astype(np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(rgba, "RGBA").save(buffer, "PNG")
    return buffer.getvalue()
