"""Small pyramidal TIFF slides written here with tifffile (levels as pages or
as SubIFDs, a label and a macro image that carry a name), and a warehouse
with persons, specimens and a procedure to link them to."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from ..cohort.conftest import write_tables
from .mrxs import write_mrxs

#: The name a label image and a file name carry, never to be shown.
NAME = "DUPONT Jean"
LABEL_COLOUR = (250, 10, 250)  # a magenta no slide level has
#: specimen_id -> (person_id, day); person 3 has a procedure that day.
SPECIMENS = {
    11: (1, date(2020, 3, 2)),
    12: (2, date(2021, 5, 6)),
    13: (3, date(2022, 1, 4)),
}


def write_slide(
    path: Path,
    *,
    width: int = 1200,
    height: int = 900,
    subifds: bool = False,
    seed: int = 0,
    description: str = "entrepot test slide|Stain = H&E",
) -> Path:
    """A three-level pyramidal TIFF at 0.5 µm/px: pink tissue on white, then
    a label image (magenta, with the name in its description) and a macro."""
    import tifffile

    rng = np.random.default_rng(seed)
    image = np.full((height, width, 3), 245, np.uint8)
    image[height // 4 : 3 * height // 4, width // 5 : 4 * width // 5] = (200, 120, 170)
    image = (image.astype(int) + rng.integers(-5, 5, image.shape)).clip(0, 255)
    image = image.astype(np.uint8)
    options = dict(
        tile=(256, 256), photometric="rgb", compression="jpeg",
        resolution=(2e4, 2e4), resolutionunit="CENTIMETER",
    )  # fmt: skip
    with tifffile.TiffWriter(path) as tw:
        tw.write(image, subifds=2 if subifds else 0, description=description, **options)
        for step in (2, 4):
            tw.write(image[::step, ::step], subfiletype=1, **options)
        label = np.zeros((120, 240, 3), np.uint8) + np.array(LABEL_COLOUR, np.uint8)
        tw.write(label, photometric="rgb", subfiletype=1, description=f"label {NAME}")
        tw.write(label[:, :200], photometric="rgb", subfiletype=9, description="macro")
    return path


def _stained_slide():
    """The slide's specimen description, H&E-stained, as wsidicom writes it."""
    from pydicom.uid import generate_uid
    from wsidicom.conceptcode import SpecimenStainsCode
    from wsidicom.metadata import Slide, SlideSample, Staining
    from wsidicom.metadata.schema.dicom import SlideDicomSchema

    stains = ["hematoxylin stain", "water soluble eosin stain"]
    staining = Staining(substances=[SpecimenStainsCode(s) for s in stains])
    sample = SlideSample(identifier="A1", uid=generate_uid())
    return SlideDicomSchema().dump(Slide("S1", stainings=[staining], samples=[sample]))


def write_dicom_wsi(
    folder: Path, image: np.ndarray, levels=(1, 2, 4), tile=128, mpp=0.5
) -> Path:
    """A DICOM WSI (VL Whole Slide Microscopy, TILED_FULL, uncompressed): one
    file per level, the patient's name in each, as a scanner writes it, and
    its scanner, objective power and staining."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, generate_uid

    folder.mkdir(parents=True, exist_ok=True)
    study, series, frame = generate_uid(), generate_uid(), generate_uid()
    stained = _stained_slide()
    h0, w0 = image.shape[:2]
    for i, step in enumerate(levels):
        img = image[::step, ::step]
        h, w = img.shape[:2]
        rows, cols = -(-h // tile), -(-w // tile)
        padded = np.zeros((rows * tile, cols * tile, 3), np.uint8)
        padded[:h, :w] = img
        frames = [
            padded[r * tile : (r + 1) * tile, c * tile : (c + 1) * tile]
            for r in range(rows)
            for c in range(cols)
        ]
        meta = FileMetaDataset()
        meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.77.1.6"
        meta.MediaStorageSOPInstanceUID = generate_uid()
        meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds = Dataset()
        ds.file_meta = meta
        ds.SOPClassUID = meta.MediaStorageSOPClassUID
        ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
        ds.StudyInstanceUID, ds.SeriesInstanceUID, ds.FrameOfReferenceUID = (
            study,
            series,
            frame,
        )
        ds.Modality = "SM"
        ds.Manufacturer, ds.ManufacturerModelName = "3DHISTECH", "PANNORAMIC 250"
        ds.update(stained)
        ds.PatientName, ds.PatientID = NAME.replace(" ", "^"), "123"
        ds.ImageType = (
            ["ORIGINAL", "PRIMARY", "VOLUME", "NONE"]
            if i == 0
            else ["DERIVED", "PRIMARY", "VOLUME", "RESAMPLED"]
        )
        ds.DimensionOrganizationType = "TILED_FULL"
        ds.TotalPixelMatrixColumns, ds.TotalPixelMatrixRows = w, h
        ds.TotalPixelMatrixFocalPlanes = 1
        ds.Rows = ds.Columns = tile
        ds.NumberOfFrames = len(frames)
        ds.SamplesPerPixel = 3
        ds.PhotometricInterpretation = "RGB"
        ds.PlanarConfiguration = 0
        ds.BitsAllocated = 8
        ds.BitsStored = 8
        ds.HighBit = 7
        ds.PixelRepresentation = 0
        ds.ImagedVolumeWidth = w0 * mpp / 1000
        ds.ImagedVolumeHeight = h0 * mpp / 1000
        ds.ImagedVolumeDepth = 0.001
        measures = Dataset()
        measures.PixelSpacing = [mpp * step / 1000] * 2
        measures.SliceThickness = 0.001
        shared = Dataset()
        shared.PixelMeasuresSequence = [measures]
        ds.SharedFunctionalGroupsSequence = [shared]
        ds.ExtendedDepthOfField = "NO"
        ds.FocusMethod = "AUTO"
        ds.SpecimenLabelInImage = "NO"
        ds.BurnedInAnnotation = "NO"
        ds.VolumetricProperties = "VOLUME"
        path = Dataset()
        path.OpticalPathIdentifier = "1"
        path.ObjectiveLensPower = 20
        ds.OpticalPathSequence = [path]
        ds.NumberOfOpticalPaths = 1
        ds.InstanceNumber = i + 1
        ds.PixelData = np.stack(frames).tobytes()
        ds.save_as(folder / f"level{i}.dcm", enforce_file_format=True)
    return folder


def clinic_rows() -> dict[str, pa.Table]:
    """Persons 1 to 4, their specimens, and person 3's biopsy that day."""
    return {
        "person": pa.table({
            "person_id": [1, 2, 3, 4], "gender_concept_id": [8507, 8532, 8532, 8507],
            "year_of_birth": [1950, 1960, 1970, 1980],
            "race_concept_id": [0] * 4, "ethnicity_concept_id": [0] * 4,
        }),
        "specimen": pa.table({
            "specimen_id": list(SPECIMENS),
            "person_id": [p for p, _ in SPECIMENS.values()],
            "specimen_concept_id": [0] * 3,
            "specimen_type_concept_id": [32817] * 3,
            "specimen_date": [d for _, d in SPECIMENS.values()],
        }),
        "procedure_occurrence": pa.table({
            "procedure_occurrence_id": [70], "person_id": [3],
            "procedure_concept_id": [0], "procedure_date": [date(2022, 1, 4)],
            "procedure_type_concept_id": [32817], "visit_occurrence_id": [500],
        }),
    }  # fmt: skip


def add_clinic(wh) -> None:
    write_tables(wh, clinic_rows())


@pytest.fixture
def clinic(new_duckdb, tmp_path) -> Path:
    """A DuckDB warehouse with persons, specimens and a procedure."""
    path = tmp_path / "eds.duckdb"
    with new_duckdb(path) as wh:
        add_clinic(wh)
    return path


@pytest.fixture(scope="module")
def slides(tmp_path_factory) -> Path:
    """A folder of slides named as a scanner names them: with the patient's name."""
    folder = tmp_path_factory.mktemp("scanner")
    write_slide(folder / "DUPONT_Jean_123.tiff", seed=1)
    write_slide(folder / "MARTIN_Paul_456.tiff", subifds=True, seed=2, width=1000)
    return folder


@pytest.fixture(scope="module")
def mrxs(tmp_path_factory) -> tuple[Path, dict]:
    """A three-level MRXS of 1000 x 700 px (four by three images of 256 px),
    pink tissue on white, named after its patient, with a label image."""
    folder = tmp_path_factory.mktemp("mrxs")
    rng = np.random.default_rng(3)
    image = np.full((700, 1000, 3), 240, np.uint8)
    image[100:500, 200:700] = (200, 120, 170)
    image = (image + rng.integers(0, 12, image.shape)).astype(np.uint8)
    label = np.zeros((100, 200, 3), np.uint8) + np.array(LABEL_COLOUR, np.uint8)
    path = folder / "DUPONT_Jean_789.mrxs"
    written = write_mrxs(path, image, label=label, slide_name=NAME)
    return path, written
