"""Tissue detection and tiling of many slides, in parallel processes."""

from __future__ import annotations

import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from entrepot.slides._open import open_slide
from entrepot.slides._tiles import tile_slide
from entrepot.slides._tissue import TissueMask, detect_tissue


@dataclass(frozen=True)
class SlideTiles:
    """One slide's tissue mask and tile table, and the seconds they took."""

    path: str
    tissue: TissueMask
    tiles: object  # pyarrow.Table from tile_slide
    seconds: float


def _one(path, downsample, mpp, size, min_tissue) -> SlideTiles:
    started = time.perf_counter()
    with open_slide(path) as slide:
        tissue = detect_tissue(slide, downsample=downsample)
        tiles = tile_slide(slide, tissue, mpp=mpp, size=size, min_tissue=min_tissue)
    return SlideTiles(str(path), tissue, tiles, time.perf_counter() - started)


def process_slides(
    paths,
    *,
    downsample: float = 32,
    mpp: float = 0.5,
    size: int = 256,
    min_tissue: float = 0.0,
    workers: int = 1,
) -> list[SlideTiles]:
    """Detect the tissue of each slide file and tile it, `workers` slides at
    a time (one process each); results in the order of `paths`."""
    job = partial(
        _one, downsample=downsample, mpp=mpp, size=size, min_tissue=min_tissue
    )
    paths = [str(Path(p)) for p in paths]
    if workers <= 1 or len(paths) <= 1:
        return [job(p) for p in paths]
    with ProcessPoolExecutor(max_workers=min(workers, len(paths))) as pool:
        return list(pool.map(job, paths))
