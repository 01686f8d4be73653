"""Slides tiffslide does not read, behind the part of tiffslide's API the
registry, the tiler and the viewer use: a DICOM WSI (wsidicom) and an MRXS
(OpenSlide). Their properties are only the named ones `describe` reads, under
tiffslide's names; their label and macro images are never read."""

from __future__ import annotations

from pathlib import Path

from entrepot.errors import InputFileError, MissingDependencyError


def pathology_extra(error: ImportError) -> MissingDependencyError:
    return MissingDependencyError(
        f"reading slides needs the pathology extra: pip install "
        f"'entrepot[pathology]' ({error.name} is missing)"
    )


def _unreadable(path: Path, error: Exception, what: str) -> InputFileError:
    return InputFileError(
        f"{path.name}: not a readable {what} ({type(error).__name__})"
    )


def mrxs_folder(path: Path) -> Path:
    """An MRXS's data folder (`NAME/` beside `NAME.mrxs`); missing, a one-line error."""
    folder = path.with_suffix("")
    if not folder.is_dir():
        raise InputFileError(f"{path.name}: no data folder {folder.name}/ beside it")
    return folder


class _Slide:
    """What every adapter shares; subclasses give `level_dimensions`,
    `level_downsamples`, `properties`, `read_region` and `close`."""

    @property
    def dimensions(self) -> tuple[int, int]:
        return self.level_dimensions[0]

    @property
    def level_count(self) -> int:
        return len(self.level_dimensions)

    @property
    def associated_images(self) -> dict:
        """Never read: a label or overview image carries names and barcodes."""
        return {}

    def get_best_level_for_downsample(self, downsample: float) -> int:
        fits = [i for i, d in enumerate(self.level_downsamples) if d <= downsample]
        return max(fits, default=0)

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _as(image, as_array: bool):
    import numpy as np

    return np.asarray(image) if as_array else image


class DicomSlide(_Slide):
    """A DICOM WSI: a folder of DICOM files, one per level (wsidicom)."""

    format = "dicom"

    def __init__(self, folder: Path) -> None:
        try:
            from wsidicom import WsiDicom
        except ImportError as e:
            raise pathology_extra(e) from None
        try:
            self._wsi = WsiDicom.open(folder)
        except Exception as e:  # noqa: BLE001 - any reader error is unreadable
            raise _unreadable(folder, e, "DICOM WSI") from None
        self._levels = list(self._wsi.levels)

    @property
    def level_dimensions(self) -> tuple[tuple[int, int], ...]:
        return tuple((lv.size.width, lv.size.height) for lv in self._levels)

    @property
    def level_downsamples(self) -> tuple[float, ...]:
        w0 = self._levels[0].size.width
        return tuple(w0 / lv.size.width for lv in self._levels)

    @property
    def properties(self) -> dict:
        """µm per pixel, and when the files state them, the scanner
        (manufacturer and model), the first optical path's objective power
        and the staining (its substances)."""
        base = self._levels[0]
        scanner, power, stain = self._described()
        return {
            "tiffslide.vendor": scanner,
            "tiffslide.mpp-x": base.mpp.width if base.mpp is not None else None,
            "tiffslide.objective-power": power,
            "dicom.stain": stain,
        }

    def _described(self) -> tuple[str | None, float | None, str | None]:
        try:
            metadata = self._wsi.metadata
            made = metadata.equipment
            paths = metadata.pyramid.optical_paths
            stainings = metadata.slide.stainings or []
        except Exception:  # noqa: BLE001 - metadata wsidicom cannot parse: unknown
            return None, None, None
        scanner = " ".join(filter(None, (made.manufacturer, made.model_name)))
        objective = paths[0].objective if paths else None
        substances = [
            s if isinstance(s, str) else s.meaning
            for staining in stainings
            for s in _listed(staining.substances)
        ]
        return (
            scanner or None,
            objective and objective.objective_power,
            " + ".join(substances) or None,
        )

    def read_region(self, location, level, size, *, as_array=False):
        """RGB pixels of a region: `location` in level-0 pixels, `size` at `level`."""
        scale = self.level_downsamples[level]
        x, y = (int(round(v / scale)) for v in location)
        image = self._wsi.read_region((x, y), self._levels[level].level, size)
        return _as(image.convert("RGB"), as_array)

    def close(self) -> None:
        self._wsi.close()


def _listed(substances) -> list:
    return [substances] if isinstance(substances, str) else list(substances)


class MiraxSlide(_Slide):
    """An MRXS slide (3DHISTECH): `NAME.mrxs` beside its data folder `NAME/`,
    read by OpenSlide; regions come as RGB over the slide's background colour."""

    format = "mrxs"

    def __init__(self, path: Path) -> None:
        try:
            import openslide
        except ImportError as e:
            raise pathology_extra(e) from None
        mrxs_folder(path)
        try:
            self._slide = openslide.OpenSlide(path)
        except Exception as e:  # noqa: BLE001 - any reader error is unreadable
            raise _unreadable(path, e, "whole-slide image") from None
        props = self._slide.properties
        self._background = "#" + props.get("openslide.background-color", "FFFFFF")
        self.level_dimensions = self._slide.level_dimensions
        self.level_downsamples = self._slide.level_downsamples
        self.properties = {
            f"tiffslide.{name}": props.get(f"openslide.{name}")
            for name in ("vendor", "mpp-x", "objective-power")
        }

    def read_region(self, location, level, size, *, as_array=False):
        """RGB pixels of a region: `location` in level-0 pixels, `size` at `level`."""
        from PIL import Image

        rgba = self._slide.read_region(tuple(map(int, location)), level, size)
        image = Image.new("RGB", rgba.size, self._background)
        image.paste(rgba, mask=rgba.getchannel("A"))
        return _as(image, as_array)

    def close(self) -> None:
        self._slide.close()
