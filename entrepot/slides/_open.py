"""Opening a whole-slide image, whatever its format, with tiffslide's API.

SVS, NDPI and pyramidal TIFF (levels as successive pages or as SubIFDs) are
read by tiffslide; a DICOM WSI (a folder of DICOM files) by wsidicom, behind
`DicomSlide`, which gives the same methods. MRXS is not read: tiffslide does
not read it and OpenSlide is not a dependency.

What a slide is (`describe`) keeps only named metadata: never the label or
macro images, never the scanner's free-text description (it may hold a name).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from entrepot.errors import InputFileError, MissingDependencyError

#: Suffixes of the files `scan` registers (a DICOM WSI: a folder with .dcm files).
SUFFIXES = (".svs", ".ndpi", ".tif", ".tiff", ".dcm")
_CHUNK = 1 << 20
_STAIN = re.compile(r"(?i)\bstain(?:ing)?\s*[=:]\s*([A-Za-z0-9&+ \-]{1,40})")


@dataclass(frozen=True)
class SlideInfo:
    """What a registry keeps of a slide: format, scanner, objective power,
    micrometres per pixel at level 0, dimensions, levels
    (width, height, downsample), stain (None when unknown)."""

    format: str
    scanner: str | None
    objective_power: float | None
    mpp: float | None
    width: int
    height: int
    levels: list[tuple[int, int, float]]
    stain: str | None

    def as_dict(self) -> dict:
        return asdict(self)


def _pathology_extra(error: ImportError) -> MissingDependencyError:
    return MissingDependencyError(
        f"reading slides needs the pathology extra: pip install "
        f"'entrepot[pathology]' ({error.name} is missing)"
    )


def open_slide(path: Path):
    """An opened slide (tiffslide's API): a TiffSlide, or a `DicomSlide` for a
    folder of DICOM files. An unreadable file is a one-line `InputFileError`."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".dcm":
        return DicomSlide(path.parent if path.is_file() else path)
    if path.suffix.lower() == ".mrxs":
        raise InputFileError(
            f"{path.name}: MRXS is not read (tiffslide does not read it; "
            "convert it to pyramidal TIFF or DICOM WSI)"
        )
    try:
        import tiffslide
    except ImportError as e:
        raise _pathology_extra(e) from None
    try:
        slide = tiffslide.TiffSlide(path)
        width, height = slide.dimensions  # parsed now: a broken file fails here
    except FileNotFoundError:
        raise InputFileError(f"{path.name}: no such file") from None
    except Exception as e:  # noqa: BLE001 - any reader error is an unreadable file
        raise InputFileError(
            f"{path.name}: not a readable whole-slide image ({type(e).__name__})"
        ) from None
    if width < 1 or height < 1:
        raise InputFileError(f"{path.name}: an empty image")
    return slide


def _number(value) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def describe(slide) -> SlideInfo:
    """The metadata a registry keeps, from an opened slide's properties."""
    props = slide.properties
    width, height = slide.dimensions
    levels = [
        (int(w), int(h), round(float(d), 4))
        for (w, h), d in zip(
            slide.level_dimensions, slide.level_downsamples, strict=True
        )
    ]
    vendor = props.get("tiffslide.vendor")
    stain = next(
        (str(v).strip() for k, v in props.items() if k.lower().endswith(".stain")),
        None,
    )
    if stain is None:
        found = _STAIN.search(str(props.get("tiff.ImageDescription") or ""))
        stain = found.group(1).strip() if found else None
    return SlideInfo(
        format=getattr(slide, "format", None) or _format(vendor),
        scanner=vendor if vendor and vendor != "generic-tiff" else None,
        objective_power=_number(props.get("tiffslide.objective-power")),
        mpp=_number(props.get("tiffslide.mpp-x")),
        width=int(width),
        height=int(height),
        levels=levels,
        stain=stain,
    )


def _format(vendor: str | None) -> str:
    return {"aperio": "svs", "hamamatsu": "ndpi"}.get(vendor or "", "tiff")


def checksum(path: Path) -> str:
    """SHA-256 of a file (or of a folder's files, in name order), streamed."""
    digest = hashlib.sha256()
    for part in _parts(Path(path)):
        with part.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _parts(path: Path) -> list[Path]:
    return sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]


def copy_hashed(source: Path, target: Path) -> str:
    """Copy a slide (file, or folder of DICOM files renamed 0.dcm, 1.dcm...)
    to `target` in one read; its SHA-256."""
    digest = hashlib.sha256()
    source = Path(source)
    if source.is_dir():
        target.mkdir()
        pairs = [(p, target / f"{i}.dcm") for i, p in enumerate(_parts(source))]
    else:
        pairs = [(source, target)]
    for src, dst in pairs:
        with src.open("rb") as f, dst.open("wb") as out:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    return digest.hexdigest()


class DicomSlide:
    """A DICOM WSI (wsidicom) behind the part of tiffslide's API the
    registry, the tiler and the viewer use."""

    format = "dicom"

    def __init__(self, folder: Path) -> None:
        try:
            from wsidicom import WsiDicom
        except ImportError as e:
            raise _pathology_extra(e) from None
        try:
            self._wsi = WsiDicom.open(folder)
        except Exception as e:  # noqa: BLE001 - any reader error is unreadable
            raise InputFileError(
                f"{folder.name}: not a readable DICOM WSI ({type(e).__name__})"
            ) from None
        self._levels = list(self._wsi.levels)

    @property
    def dimensions(self) -> tuple[int, int]:
        return self.level_dimensions[0]

    @property
    def level_count(self) -> int:
        return len(self._levels)

    @property
    def level_dimensions(self) -> tuple[tuple[int, int], ...]:
        return tuple((lv.size.width, lv.size.height) for lv in self._levels)

    @property
    def level_downsamples(self) -> tuple[float, ...]:
        w0 = self._levels[0].size.width
        return tuple(w0 / lv.size.width for lv in self._levels)

    @property
    def properties(self) -> dict:
        base = self._levels[0]
        mpp = base.mpp.width if base.mpp is not None else None
        return {
            "tiffslide.vendor": None,
            "tiffslide.mpp-x": mpp,
            "tiffslide.objective-power": None,
        }

    @property
    def associated_images(self) -> dict:
        """Never read: a label or overview image carries names and barcodes."""
        return {}

    def get_best_level_for_downsample(self, downsample: float) -> int:
        fits = [i for i, d in enumerate(self.level_downsamples) if d <= downsample]
        return max(fits, default=0)

    def read_region(self, location, level, size, *, as_array=False):
        """RGB pixels of a region: `location` in level-0 pixels, `size` at `level`."""
        import numpy as np

        scale = self.level_downsamples[level]
        x, y = (int(round(v / scale)) for v in location)
        image = self._wsi.read_region((x, y), self._levels[level].level, size)
        image = image.convert("RGB")
        return np.asarray(image) if as_array else image

    def close(self) -> None:
        self._wsi.close()

    def __enter__(self) -> DicomSlide:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def levels_json(info: SlideInfo) -> str:
    return json.dumps([list(level) for level in info.levels])
