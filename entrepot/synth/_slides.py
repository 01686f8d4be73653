"""Synthetic whole-slide images: pyramidal TIFFs with their ground truth.

A slide is drawn from a few smooth fields on a coarse grid (one cell per
`TRUTH_DOWNSAMPLE` pixels of level 0): tissue fragments, a "lesion" inside
the tissue, pen strokes, air-bubble rings and an out-of-focus patch. Every
level is rendered from the same fields, tile by tile (never the whole slide
in memory), with periodic H&E textures built in optical density (Ruifrok's
haematoxylin and eosin vectors). The truth masks are the fields' signs at the
grid cells' centres, so they are exact, not re-detected.

Two layouts: an Aperio-like SVS (levels as successive pages: level 0, the
thumbnail, the other levels, then the label and macro pages; `MPP =` in the
description) or, with
`subifds=True`, a tifffile "shaped" TIFF whose levels are SubIFDs of the
first page (mpp in the resolution tags) followed by pages named `label` and
`macro`. tiffslide reads both with all their levels and both associated
images.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from entrepot.errors import MissingDependencyError
from entrepot.synth._slide_textures import PERIOD, textures_at

#: Level-0 pixels per cell of the fields and of the truth masks.
TRUTH_DOWNSAMPLE = 16
TILE = 256
INKS = {"blue": (40, 70, 170), "green": (40, 140, 80), "black": (35, 35, 45)}


@dataclass(frozen=True)
class SlideTruth:
    """What was planted, at `downsample` (level-0 pixels per mask pixel).

    `tissue_mask` excludes the pen strokes drawn over tissue; `lesion_mask`
    lies inside the tissue (all false without a lesion)."""

    tissue_mask: np.ndarray
    lesion_mask: np.ndarray
    pen_mask: np.ndarray
    downsample: float
    width: int
    height: int
    mpp: float
    levels: int

    def share(self, mask: str, xs, ys, extent: int) -> np.ndarray:
        """The share of `mask` ("tissue_mask", "lesion_mask" or "pen_mask")
        under each level-0 square (x, y, extent), by the mask's summed areas."""
        grid = getattr(self, mask)
        summed = np.zeros((grid.shape[0] + 1, grid.shape[1] + 1))
        summed[1:, 1:] = grid.cumsum(0).cumsum(1)

        def cells(v, limit):
            return np.clip(
                np.rint(np.asarray(v) / self.downsample).astype(int), 0, limit
            )

        x0, x1 = cells(xs, grid.shape[1]), cells(np.asarray(xs) + extent, grid.shape[1])
        y0, y1 = cells(ys, grid.shape[0]), cells(np.asarray(ys) + extent, grid.shape[0])
        inside = summed[y1, x1] - summed[y0, x1] - summed[y1, x0] + summed[y0, x0]
        return inside / np.maximum((x1 - x0) * (y1 - y0), 1)


@dataclass(frozen=True)
class _Fields:
    tissue: np.ndarray
    lesion: np.ndarray
    pen: np.ndarray
    ink: np.ndarray  # index into INKS of the nearest stroke
    bubble: np.ndarray
    blur: np.ndarray


def _smooth_noise(rng, shape, sigma: float) -> np.ndarray:
    """Gaussian-filtered white noise of unit standard deviation."""
    from scipy.ndimage import gaussian_filter

    noise = gaussian_filter(rng.standard_normal(shape), sigma, mode="wrap")
    return noise / (noise.std() or 1.0)


def _ellipse(gx, gy, cx, cy, a, b, angle) -> np.ndarray:
    """1 at the centre, 0 on the ellipse, negative outside."""
    c, s = np.cos(angle), np.sin(angle)
    u, v = (gx - cx) * c + (gy - cy) * s, -(gx - cx) * s + (gy - cy) * c
    return 1.0 - np.sqrt((u / a) ** 2 + (v / b) ** 2)


def _stroke(shape, points, half_width) -> np.ndarray:
    """half_width minus the distance to a polyline, in grid cells."""
    from scipy.ndimage import distance_transform_edt
    from skimage.draw import line

    drawn = np.ones(shape, bool)
    for (x0, y0), (x1, y1) in zip(points[:-1], points[1:], strict=True):
        rr, cc = line(int(y0), int(x0), int(y1), int(x1))
        keep = (rr >= 0) & (rr < shape[0]) & (cc >= 0) & (cc < shape[1])
        drawn[rr[keep], cc[keep]] = False
    return half_width - distance_transform_edt(drawn)


def _fields(rng, gh: int, gw: int, lesion: bool, pen_marks: bool) -> _Fields:
    gy, gx = np.mgrid[0:gh, 0:gw].astype(float)
    side = min(gh, gw)
    warp = _smooth_noise(rng, (gh, gw), side / 25)
    tissue = np.full((gh, gw), -1.0)
    for _ in range(rng.integers(1, 4)):
        a, b = side * rng.uniform(0.12, 0.26, 2)
        cx, cy = gw * rng.uniform(0.3, 0.7), gh * rng.uniform(0.3, 0.7)
        fragment = _ellipse(gx, gy, cx, cy, a, b, rng.uniform(0, np.pi))
        tissue = np.maximum(tissue, fragment + 0.18 * warp)
    for _ in range(rng.integers(2, 6)):  # lumens: holes inside the tissue
        cx, cy = rng.uniform(0, gw), rng.uniform(0, gh)
        r = side * rng.uniform(0.015, 0.04)
        tissue = np.minimum(tissue, np.hypot(gx - cx, gy - cy) / r - 1.0)
    inside = np.argwhere(tissue > 0.3)
    lesion_field = np.full((gh, gw), -1.0)
    if lesion and len(inside):
        cy, cx = inside[rng.integers(len(inside))]
        r = side * rng.uniform(0.08, 0.13)
        lesion_field = _ellipse(gx, gy, cx, cy, r, r * rng.uniform(0.6, 1.0), 0.0)
        lesion_field += 0.25 * _smooth_noise(rng, (gh, gw), side / 40)
    pen = np.full((gh, gw), -1.0)
    ink = np.zeros((gh, gw), np.uint8)
    if pen_marks:
        for _ in range(rng.integers(1, 4)):
            n = 40
            if rng.random() < 0.5:  # a loop around part of the tissue
                t = np.linspace(0, 2 * np.pi * rng.uniform(0.6, 1.0), n)
                cx, cy = gw * rng.uniform(0.35, 0.65), gh * rng.uniform(0.35, 0.65)
                r = side * rng.uniform(0.3, 0.45)
                pts = np.c_[cx + r * np.cos(t), cy + 0.9 * r * np.sin(t)]
            else:  # a line in the margin
                y = gh * rng.choice([0.08, 0.92]) + rng.uniform(-2, 2)
                pts = np.c_[np.linspace(gw * 0.1, gw * 0.9, n), np.full(n, y)]
            pts += np.cumsum(rng.normal(0, side / 600, pts.shape), axis=0)
            stroke = _stroke((gh, gw), pts, max(1.2, side / 160))
            ink[stroke > pen] = rng.integers(len(INKS))
            pen = np.maximum(pen, stroke)
    bubble = np.full((gh, gw), -1.0)
    for _ in range(rng.integers(0, 3)):
        cx, cy, r = (
            rng.uniform(0, gw),
            rng.uniform(0, gh),
            side * rng.uniform(0.03, 0.06),
        )
        bubble = np.maximum(bubble, 0.6 - np.abs(np.hypot(gx - cx, gy - cy) - r))
    cx, cy = gw * rng.uniform(0.3, 0.7), gh * rng.uniform(0.3, 0.7)
    blur = _ellipse(gx, gy, cx, cy, side * 0.1, side * 0.07, 0.0)
    return _Fields(tissue, lesion_field, pen, ink, bubble, blur)


def _axis(start: int, count: int, d: int, limit: int):
    """For `count` level pixels from `start`: the grid cell before each
    pixel's centre and the weight of the next one (linear interpolation)."""
    g = ((np.arange(start, start + count) + 0.5) * d) / TRUTH_DOWNSAMPLE - 0.5
    g = np.clip(g, 0, limit - 1)
    i0 = np.minimum(g.astype(int), max(limit - 2, 0))
    return i0, np.minimum(i0 + 1, limit - 1), (g - i0).astype(np.float32)


def _sample(field: np.ndarray, x0: int, y0: int, w: int, h: int, d: int):
    """The field bilinearly interpolated at the centres of the level pixels
    [x0, x0 + w) x [y0, y0 + h) of a level of downsample `d` (rows first,
    on the few grid rows involved, then columns)."""
    y_lo, y_hi, fy = _axis(y0, h, d, field.shape[0])
    x_lo, x_hi, fx = _axis(x0, w, d, field.shape[1])
    first, last = int(x_lo[0]), int(x_hi[-1]) + 1
    part = field[:, first:last].astype(np.float32)
    rows = part[y_lo] * (1 - fy[:, None]) + part[y_hi] * fy[:, None]
    return rows[:, x_lo - first] * (1 - fx) + rows[:, x_hi - first] * fx


def _periodic(d: int) -> tuple[int, tuple[np.ndarray, ...]]:
    """The textures of downsample d, repeated to cover any tile from any
    offset (so a tile is a slice, not a copy), and their period."""
    period = PERIOD // d
    reps = 1 + -(-TILE // period)
    return period, tuple(np.tile(t, (reps, reps, 1)) for t in textures_at(d))


def _window(texture, period: int, x0: int, y0: int, w: int, h: int) -> np.ndarray:
    """The periodic texture over [x0, x0 + w) x [y0, y0 + h)."""
    y, x = y0 % period, x0 % period
    if y + h > texture.shape[0] or x + w > texture.shape[1]:  # larger than a tile
        return texture[
            np.ix_(np.arange(y, y + h) % period, np.arange(x, x + w) % period)
        ]
    return texture[y : y + h, x : x + w]


def _cells(start: int, count: int, d: int, limit: int) -> np.ndarray:
    """The grid cell under each of `count` level pixels from `start`."""
    centres = (np.arange(start, start + count) + 0.5) * d / TRUTH_DOWNSAMPLE
    return np.clip(centres.astype(int), 0, limit - 1)


def _render(f: _Fields, tex: dict, x0, y0, w, h, d) -> np.ndarray:
    """RGB uint8 pixels [x0, x0 + w) x [y0, y0 + h) of the level of downsample d."""
    period, textures = tex[d]
    normal, lesion, blurred, background = (
        _window(t, period, x0, y0, w, h) for t in textures
    )
    # the coarse cells under this region decide which fields matter
    g0y, g0x = (
        max(0, (y0 * d) // TRUTH_DOWNSAMPLE - 2),
        max(0, (x0 * d) // TRUTH_DOWNSAMPLE - 2),
    )
    g1y, g1x = (
        ((y0 + h) * d) // TRUTH_DOWNSAMPLE + 3,
        ((x0 + w) * d) // TRUTH_DOWNSAMPLE + 3,
    )

    def near(field):
        return field[g0y:g1y, g0x:g1x].max() > -0.05

    out = background
    if near(f.tissue):
        tissue = _sample(f.tissue, x0, y0, w, h, d) > 0
        texture = normal
        if near(f.blur):
            blur = _sample(f.blur, x0, y0, w, h, d) > 0
            texture = np.where(blur[..., None], blurred, texture)
        if near(f.lesion):
            inside = _sample(f.lesion, x0, y0, w, h, d) > 0
            texture = np.where(inside[..., None], lesion, texture)
        out = np.where(tissue[..., None], texture, out)
    if near(f.bubble):
        ring = np.clip(_sample(f.bubble, x0, y0, w, h, d) * 2, 0, 1)
        out = out * (1 - 0.3 * ring[..., None])
    if near(f.pen):
        alpha = 0.88 * np.clip(_sample(f.pen, x0, y0, w, h, d) * 2 + 0.5, 0, 1)
        cy, cx = _cells(y0, h, d, f.ink.shape[0]), _cells(x0, w, d, f.ink.shape[1])
        ink = np.asarray(list(INKS.values()), np.float32)[f.ink[np.ix_(cy, cx)]] / 255
        out = out * (1 - alpha[..., None] + alpha[..., None] * ink)
    return np.clip(out, 0, 255).astype(np.uint8)


def _tiles(f, tex, width, height, d) -> Iterator[np.ndarray]:
    for y in range(0, height, TILE):
        for x in range(0, width, TILE):
            yield _render(f, tex, x, y, TILE, TILE, d)


def _label(text: str) -> np.ndarray:
    """A slide label: the text and a barcode drawn from it."""
    from PIL import Image, ImageDraw, ImageFont

    image = Image.new("RGB", (420, 420), (250, 250, 250))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=28)
    for i, line in enumerate(text.splitlines() or [""]):
        draw.text((20, 20 + 36 * i), line, fill=(0, 0, 0), font=font)
    bits = np.unpackbits(
        np.frombuffer(hashlib.sha256(text.encode()).digest()[:12], np.uint8)
    )
    for i, bit in enumerate(bits):
        x = 20 + 4 * i
        if bit and x < 400:
            draw.rectangle((x, 300, x + 2, 390), fill=(0, 0, 0))
    return np.asarray(image)


def _macro(f: _Fields, tex: dict, label: np.ndarray, width, height) -> np.ndarray:
    """The whole glass: the label beside a coarse picture of the slide."""
    from PIL import Image

    d = max(tex)
    picture = _render(f, tex, 0, 0, -(-width // d), -(-height // d), d)
    side = label.shape[0]
    scale = side / picture.shape[0]
    picture = Image.fromarray(picture).resize(
        (max(1, int(picture.shape[1] * scale)), side)
    )
    return np.concatenate([label, np.asarray(picture)], axis=1)


def _downsamples(width: int, height: int) -> list[int]:
    """1, 4, 16, … while the level is at least 256 px long (at most PERIOD)."""
    out = [1]
    while max(width, height) // (out[-1] * 4) >= 256 and out[-1] * 4 <= PERIOD // 4:
        out.append(out[-1] * 4)
    return out


def write_synthetic_slide(
    path: str | Path,
    *,
    seed: int,
    width: int = 4096,
    height: int = 4096,
    mpp: float = 0.5,
    subifds: bool = False,
    lesion: bool = True,
    pen_marks: bool = True,
    label_text: str | None = None,
    compression: str = "jpeg",
) -> SlideTruth:
    """Write a synthetic H&E slide to `path` as a tiled pyramidal TIFF
    (deterministic per seed) and return its planted masks.

    The label and macro images hold `label_text` (default: a made-up
    specimen number drawn from the seed)."""
    try:
        import skimage  # noqa: F401
        import tifffile
    except ImportError as error:
        raise MissingDependencyError(
            "synthetic slides need tifffile and scikit-image: "
            "pip install 'entrepot[pathology]'"
        ) from error
    rng = np.random.default_rng(seed)
    gh, gw = -(-height // TRUTH_DOWNSAMPLE), -(-width // TRUTH_DOWNSAMPLE)
    f = _fields(rng, gh, gw, lesion, pen_marks)
    downsamples = _downsamples(width, height)
    tex = {d: _periodic(d) for d in downsamples}
    if label_text is None:
        label_text = f"SYNTH-{seed:06d}\nH&E"
    label = _label(label_text)
    macro = _macro(f, tex, label, width, height)
    dims = [(-(-width // d), -(-height // d)) for d in downsamples]
    codec = {"compression": compression, "photometric": "rgb", "tile": (TILE, TILE)}
    if compression == "jpeg":
        codec["compressionargs"] = {"level": 90}
    resolution = (1e4 / mpp, 1e4 / mpp)

    def level(i, **extra):
        w, h = dims[i]
        tw.write(
            _tiles(f, tex, w, h, downsamples[i]),
            shape=(h, w, 3),
            dtype=np.uint8,
            **codec,
            **extra,
        )

    def shaped(image, name):
        shape = {"shape": list(image.shape), "name": name}
        return {"metadata": None, "description": json.dumps(shape)}

    with tifffile.TiffWriter(path, bigtiff=width * height > 2**31) as tw:
        if subifds:
            level(
                0,
                subifds=len(dims) - 1,
                resolution=resolution,
                resolutionunit="CENTIMETER",
                **shaped(np.empty((height, width, 3)), "Baseline"),
            )
            for i in range(1, len(dims)):
                level(
                    i,
                    subfiletype=1,
                    **shaped(np.empty((dims[i][1], dims[i][0], 3)), "Level"),
                )
            tw.write(label, photometric="rgb", **shaped(label, "label"))
            tw.write(macro, photometric="rgb", **shaped(macro, "macro"))
        else:
            description = (
                f"Aperio Image Library entrepot-synthetic\r\n{width}x{height} "
                f"({TILE}x{TILE}) {compression}|AppMag = {10 / mpp:g}|MPP = {mpp}"
            )
            level(
                0,
                description=description,
                metadata=None,
                resolution=resolution,
                resolutionunit="CENTIMETER",
            )
            thumb = _render(f, tex, 0, 0, *dims[-1], downsamples[-1])
            tw.write(
                thumb, photometric="rgb", metadata=None, description="Aperio thumbnail"
            )
            for i in range(1, len(dims)):
                level(i, metadata=None, description=f"Aperio level {i}")
            tw.write(
                label,
                photometric="rgb",
                subfiletype=1,
                metadata=None,
                description="Aperio label",
            )
            tw.write(
                macro,
                photometric="rgb",
                subfiletype=9,
                metadata=None,
                description="Aperio macro",
            )
    pen = f.pen > 0
    return SlideTruth(
        tissue_mask=(f.tissue > 0) & ~pen,
        lesion_mask=(f.lesion > 0) & (f.tissue > 0) & ~pen,
        pen_mask=pen,
        downsample=float(TRUTH_DOWNSAMPLE),
        width=width,
        height=height,
        mpp=mpp,
        levels=len(dims),
    )
