"""Tissue detection plus tiling of synthetic whole-slide images: slides per
minute per core, beside a baseline measured in the same run: reading every
tile of the level the tiles are cut from (what any tile-level pass costs).

Synthetic slides (`entrepot.synth.write_synthetic_slide`, seeds 0..N-1,
JPEG-compressed pyramidal TIFFs at 0.5 µm per pixel) are written first (not
timed), one is processed to load the libraries (reported, not timed), then
`entrepot.slides.process_slides` detects the tissue (downsample
32) and tiles at 0.5 µm per pixel, 256 px. The same run scores the masks
against the planted ones (IoU, share of pen-mark area kept). Targets: at least
1 slide per minute per core on 20,000 x 20,000 px slides, IoU >= 0.90, pen
marks <= 2 % kept.

    python bench/slides.py [--slides 2] [--size 4096] [--workers 1] [--json out.json]
    python bench/slides.py --size 20000          # the target's slides
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np

from entrepot.slides import open_slide, process_slides, read_tiles
from entrepot.synth import write_synthetic_slide

TARGETS = {"slides_per_minute_per_core": 1.0, "iou": 0.90, "pen_kept": 0.02}


def _agreement(found, truth) -> tuple[float, float]:
    """IoU with the planted tissue and share of pen area kept, at the mask's scale."""
    from PIL import Image

    def at(mask):
        image = Image.fromarray(mask.astype(np.uint8) * 255)
        return np.asarray(image.resize(found.shape[::-1], Image.BOX)) >= 128

    tissue, pen = at(truth.tissue_mask), at(truth.pen_mask)
    iou = (found & tissue).sum() / max(1, (found | tissue).sum())
    return float(iou), float((found & pen).sum() / max(1, pen.sum()))


def read_every_tile(path, tiles) -> int:
    """The baseline: read (decode) every tile of the table's level."""
    with open_slide(path) as slide:
        return sum(1 for _ in read_tiles(slide, tiles))


def run(slides: int = 2, size: int = 4096, workers: int = 1) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        paths, truths = [], []
        for seed in range(slides):
            paths.append(Path(folder) / f"{seed}.tif")
            truths.append(
                write_synthetic_slide(paths[-1], seed=seed, width=size, height=size)
            )
        written = time.perf_counter() - started
        started = time.perf_counter()
        process_slides(paths[:1])  # imports (scikit-image, tiffslide) happen once
        warm_up = time.perf_counter() - started
        started = time.perf_counter()
        results = process_slides(paths, workers=workers)
        seconds = time.perf_counter() - started
        started = time.perf_counter()
        read = sum(
            read_every_tile(p, r.tiles) for p, r in zip(paths, results, strict=True)
        )
        baseline = time.perf_counter() - started
    scores = [
        _agreement(r.tissue.mask, t) for r, t in zip(results, truths, strict=True)
    ]
    return {
        "slides": slides,
        "size": size,
        "workers": workers,
        "write_seconds": round(written, 2),
        "warm_up_seconds": round(warm_up, 3),
        "seconds": round(seconds, 3),
        "slides_per_minute_per_core": round(slides * 60 / seconds / workers, 2),
        "tiles": sum(r.tiles.num_rows for r in results),
        "baseline_tiles_read": read,
        "baseline_seconds": round(baseline, 3),
        "ratio": round(baseline / seconds, 1),
        "iou_min": round(min(s[0] for s in scores), 4),
        "iou_mean": round(float(np.mean([s[0] for s in scores])), 4),
        "pen_kept_max": round(max(s[1] for s in scores), 4),
        "targets": TARGETS,
    }


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--slides", type=int, default=2)
    parser.add_argument("--size", type=int, default=4096, help="side of each slide, px")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    f = run(args.slides, args.size, args.workers)
    where = f"[synthetic, {f['slides']} slides of {f['size']} x {f['size']} px]"
    print(
        f"{where} written in {f['write_seconds']} s; imports and a first slide "
        f"{f['warm_up_seconds']} s (neither timed below)"
    )
    print(
        f"{where} detection + tiling: {f['seconds']} s on {f['workers']} worker(s), "
        f"{f['slides_per_minute_per_core']} slides/min/core "
        f"(target >= {TARGETS['slides_per_minute_per_core']}), {f['tiles']} tiles"
    )
    print(
        f"{where} baseline, reading every tile of the level ({f['baseline_tiles_read']} "
        f"tiles, one core): {f['baseline_seconds']} s; ratio {f['ratio']} "
        "(baseline / detection + tiling)"
    )
    print(
        f"{where} tissue IoU min {f['iou_min']} mean {f['iou_mean']} "
        f"(target >= {TARGETS['iou']}); pen marks kept max {f['pen_kept_max']} "
        f"(target <= {TARGETS['pen_kept']})"
    )
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))
    return f


if __name__ == "__main__":
    main()
