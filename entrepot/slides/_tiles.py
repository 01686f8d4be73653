"""Tiling a slide at a chosen magnification, with each tile's tissue fraction."""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from entrepot.errors import ParameterError
from entrepot.slides._tissue import TissueMask, best_level


def slide_mpp(slide) -> float:
    """Level 0's micrometres per pixel, from tiffslide's `tiffslide.mpp-x`."""
    mpp = slide.properties.get("tiffslide.mpp-x")
    if not mpp:
        raise ParameterError(
            "the slide states no micrometres per pixel (tiffslide.mpp-x)"
        )
    return float(mpp)


def tile_slide(
    slide,
    tissue: TissueMask,
    *,
    mpp: float = 0.5,
    size: int = 256,
    min_tissue: float = 0.0,
):
    """The grid of `size` x `size` tiles at `mpp` µm per pixel that lie wholly
    inside the slide, as a pyarrow table (level, x, y, size, tissue_fraction).

    x and y are level-0 pixels of the tile's top-left corner; `level` is the
    pyramid level to read it from and `size` its side at that level (read
    with `read_region((x, y), level, (size, size))`, then resized to the
    table's `size` metadata when the level is finer than `mpp`). Tiles with
    a tissue fraction below `min_tissue` are left out. The schema metadata
    holds `mpp`, `size` and `extent` (the side in level-0 pixels)."""
    import pyarrow as pa

    if mpp <= 0 or size <= 0 or not 0 <= min_tissue <= 1:
        raise ParameterError(
            f"tiles need mpp > 0, size > 0 and 0 <= min_tissue <= 1 (got {mpp}, {size}, {min_tissue})"
        )
    scale = mpp / slide_mpp(slide)  # level-0 pixels per tile pixel
    extent = max(1, round(size * scale))
    level = best_level(slide, scale)
    read = max(1, round(extent / slide.level_downsamples[level]))
    width, height = slide.level_dimensions[0]
    ys, xs = np.mgrid[0 : height - extent + 1 : extent, 0 : width - extent + 1 : extent]
    xs, ys = xs.ravel(), ys.ravel()
    fraction = _fractions(tissue, xs, ys, extent)
    keep = fraction >= min_tissue
    n = int(keep.sum())
    table = pa.table(
        {
            "level": pa.array(np.full(n, level), pa.int32()),
            "x": pa.array(xs[keep], pa.int64()),
            "y": pa.array(ys[keep], pa.int64()),
            "size": pa.array(np.full(n, read), pa.int32()),
            "tissue_fraction": pa.array(fraction[keep], pa.float32()),
        }
    )
    meta = {"mpp": str(mpp), "size": str(size), "extent": str(extent)}
    return table.replace_schema_metadata(meta)


def _fractions(tissue: TissueMask, xs, ys, extent: int) -> np.ndarray:
    """Share of tissue under each tile, from the mask's summed-area table."""
    mask = tissue.mask
    summed = np.zeros((mask.shape[0] + 1, mask.shape[1] + 1))
    summed[1:, 1:] = mask.cumsum(0).cumsum(1)

    def cell(v, limit):
        return np.clip(np.rint(v / tissue.downsample).astype(int), 0, limit)

    x0, x1 = cell(xs, mask.shape[1]), cell(xs + extent, mask.shape[1])
    y0, y1 = cell(ys, mask.shape[0]), cell(ys + extent, mask.shape[0])
    x1, y1 = (
        np.maximum(x1, np.minimum(x0 + 1, mask.shape[1])),
        np.maximum(y1, np.minimum(y0 + 1, mask.shape[0])),
    )
    area = np.maximum((x1 - x0) * (y1 - y0), 1)
    inside = summed[y1, x1] - summed[y0, x1] - summed[y1, x0] + summed[y0, x0]
    return (inside / area).astype(np.float32)


def read_tiles(slide, tiles) -> Iterator[np.ndarray]:
    """The pixels of each tile of `tiles` (from `tile_slide`), RGB uint8 of
    side the table's `size` metadata."""
    from PIL import Image

    side = int(tiles.schema.metadata[b"size"])
    columns = tiles.select(["level", "x", "y", "size"]).to_pydict()
    for level, x, y, read in zip(*columns.values(), strict=True):
        image = slide.read_region((x, y), level, (read, read)).convert("RGB")
        if read != side:
            image = image.resize((side, side), Image.BILINEAR)
        yield np.asarray(image)
