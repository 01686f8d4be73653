"""Opening a whole-slide image, whatever its format, with tiffslide's API.

SVS, NDPI and pyramidal TIFF (levels as successive pages or as SubIFDs) are
read by tiffslide; a DICOM WSI (a folder of DICOM files) by wsidicom and an
MRXS (a file beside its data folder) by OpenSlide, behind `_readers`' classes,
which give the same methods.

What a slide is (`describe`) keeps only named metadata: never the label or
macro images, never the scanner's free-text description (it may hold a name).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from entrepot.errors import InputFileError
from entrepot.slides._readers import (
    DicomSlide,
    MiraxSlide,
    mrxs_folder,
    pathology_extra,
)

#: Suffixes of the files `scan` registers (a DICOM WSI: a folder with .dcm
#: files; an MRXS: the .mrxs file, its data folder beside it).
SUFFIXES = (".svs", ".ndpi", ".tif", ".tiff", ".dcm", ".mrxs")
MRXS = ".mrxs"
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


def open_slide(path: Path):
    """An opened slide (tiffslide's API): a TiffSlide, a `DicomSlide` for a
    folder of DICOM files, a `MiraxSlide` for an MRXS. An unreadable file is a
    one-line `InputFileError`."""
    path = Path(path)
    if path.is_dir() or path.suffix.lower() == ".dcm":
        return DicomSlide(path.parent if path.is_file() else path)
    if path.suffix.lower() == MRXS:
        return MiraxSlide(path)
    try:
        import tiffslide
    except ImportError as e:
        raise pathology_extra(e) from None
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
    """SHA-256 of a file (or of a folder's files, in name order; of an MRXS
    and its data folder's files), streamed."""
    digest = hashlib.sha256()
    for part in slide_files(Path(path)):
        with part.open("rb") as f:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
    return digest.hexdigest()


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file())


def slide_files(path: Path) -> list[Path]:
    """The files a slide is made of, in the order they are hashed."""
    if path.is_dir():
        return _files(path)
    if path.suffix.lower() == MRXS:
        return [path, *_files(mrxs_folder(path))]
    return [path]


def stored_parts(target: Path) -> list[Path]:
    """What a stored slide is on disk: its file, or folder, and an MRXS's
    data folder."""
    if target.suffix.lower() == MRXS:
        return [target, target.with_suffix("")]
    return [target]


def copy_hashed(source: Path, target: Path) -> str:
    """Copy a slide to `target` in one read (a folder of DICOM files as
    0.dcm, 1.dcm...; an MRXS with its data folder, its files' names kept,
    since Slidedat.ini names them); its SHA-256."""
    digest = hashlib.sha256()
    source = Path(source)
    if source.is_dir():
        target.mkdir()
        pairs = [(p, target / f"{i}.dcm") for i, p in enumerate(slide_files(source))]
    elif source.suffix.lower() == MRXS:
        data = target.with_suffix("")
        data.mkdir()
        pairs = [(source, target)] + [
            (p, data / p.name) for p in slide_files(source)[1:]
        ]
    else:
        pairs = [(source, target)]
    for src, dst in pairs:
        with src.open("rb") as f, dst.open("wb") as out:
            while chunk := f.read(_CHUNK):
                digest.update(chunk)
                out.write(chunk)
    return digest.hexdigest()


def levels_json(info: SlideInfo) -> str:
    return json.dumps([list(level) for level in info.levels])
