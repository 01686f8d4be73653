"""A minimal MRXS (3DHISTECH MIRAX) slide, written as OpenSlide reads one:
`NAME.mrxs` beside a folder `NAME/` holding `Slidedat.ini` (the levels and
their geometry), `Index.dat` (where each JPEG image lies) and `Data0000.dat`
(the JPEG images, and a label image carrying a name, as a scanner's barcode
does). No overlap and no position buffer: camera images lie edge to edge.

Index.dat, as OpenSlide 4.0 reads it (little-endian int32): the version
`01.02` and the slide id; then a pointer to the table of each level's record
and a pointer to the table of non-hierarchical records. A record is `0` and
a pointer to a data page; a page is its entry count, the next page (0: none)
and its entries: for a level, (image index, offset, length, file number) per
image, the index counted on level 0's grid of images; for a non-hierarchical
record, two zeroes then (offset, length, file number).
"""

from __future__ import annotations

import io
import struct
import uuid
from pathlib import Path

import numpy as np
from PIL import Image

TILE = 256


def _jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "JPEG", quality=95)
    return buffer.getvalue()


def _images(image: np.ndarray, levels: int, fill: int):
    """Per level, {(x, y) on level 0's image grid: TILE x TILE pixels}: level
    k's images each cover 2^k x 2^k images of level 0, box-averaged."""
    rows, cols = -(-image.shape[0] // TILE), -(-image.shape[1] // TILE)
    padded = np.full((rows * TILE, cols * TILE, 3), fill, np.uint8)
    padded[: image.shape[0], : image.shape[1]] = image
    for k in range(levels):
        step = 2**k
        found = {}
        for y in range(0, rows, step):
            for x in range(0, cols, step):
                block = np.full((TILE * step, TILE * step, 3), fill, np.float64)
                part = padded[
                    y * TILE : (y + step) * TILE, x * TILE : (x + step) * TILE
                ]
                block[: part.shape[0], : part.shape[1]] = part
                small = block.reshape(TILE, step, TILE, step, 3).mean(axis=(1, 3))
                found[(x, y)] = np.round(small).astype(np.uint8)
        yield found


def write_mrxs(
    path: Path,
    image: np.ndarray,
    *,
    levels: int = 3,
    mpp: float = 0.25,
    objective: int = 20,
    label: np.ndarray | None = None,
    slide_name: str = "",
) -> dict:
    """Write `image` (H x W x 3, uint8; padded with white to whole images of
    TILE px) as an MRXS slide of `levels` levels. Returns, per level, each
    image's decoded pixels by its level-0 grid position, to compare reads with."""
    path = Path(path)
    folder = path.with_suffix("")
    folder.mkdir(parents=True)
    slide_id = uuid.uuid4().hex
    cols, rows = -(-image.shape[1] // TILE), -(-image.shape[0] // TILE)
    data = bytearray(b"01.02" + slide_id.encode() + b"000")  # a data file's header
    written: list[dict] = []
    entries: list[list[tuple[int, int, int, int]]] = []
    for found in _images(image, levels, 255):
        level, decoded = [], {}
        for (x, y), pixels in found.items():
            jpeg = _jpeg(pixels)
            level.append((y * cols + x, len(data), len(jpeg), 0))
            data += jpeg
            decoded[(x, y)] = np.asarray(Image.open(io.BytesIO(jpeg)).convert("RGB"))
        entries.append(level)
        written.append(decoded)
    nonhier = []
    if label is not None:
        jpeg = _jpeg(label)
        nonhier.append((len(data), len(jpeg), 0))
        data += jpeg
    (folder / "Data0000.dat").write_bytes(bytes(data))
    (folder / "Index.dat").write_bytes(_index(slide_id, entries, nonhier))
    (folder / "Slidedat.ini").write_text(
        _slidedat(
            slide_id, cols, rows, levels, mpp, objective, label is not None, slide_name
        )
    )
    path.write_text(f"[GENERAL]\nSLIDE_ID = {slide_id}\n")
    return {"levels": written, "cols": cols, "rows": rows}


def _index(slide_id: str, levels, nonhier) -> bytes:
    """Index.dat: header, the two root pointers, then tables, records and pages."""
    u32 = struct.Struct("<i").pack
    out = bytearray(b"01.02" + slide_id.encode())
    root = len(out)
    out += bytes(8)  # the hierarchical and non-hierarchical root pointers
    tables = []
    for records in (levels, nonhier):
        tables.append(len(out))
        out += bytes(4 * len(records))
    for table, records, hier in (
        (tables[0], levels, True),
        (tables[1], nonhier, False),
    ):
        for i, record in enumerate(records):
            struct.pack_into("<i", out, table + 4 * i, len(out))
            page = len(out) + 8
            out += u32(0) + u32(page)
            if hier:
                out += u32(len(record)) + u32(0)
                for entry in record:
                    out += b"".join(u32(v) for v in entry)
            else:
                out += (
                    u32(1) + u32(0) + u32(0) + u32(0) + b"".join(u32(v) for v in record)
                )
    struct.pack_into("<ii", out, root, *tables)
    return bytes(out)


def _slidedat(
    slide_id, cols, rows, levels, mpp, objective, label: bool, slide_name: str
) -> str:
    lines = [
        "[GENERAL]",
        f"SLIDE_NAME = {slide_name}",
        "SLIDE_VERSION = 01.03",
        f"SLIDE_ID = {slide_id}",
        f"IMAGENUMBER_X = {cols}",
        f"IMAGENUMBER_Y = {rows}",
        f"OBJECTIVE_MAGNIFICATION = {objective}",
        "CameraImageDivisionsPerSide = 1",
        "",
        "[HIERARCHICAL]",
        "HIER_COUNT = 1",
        f"NONHIER_COUNT = {int(label)}",
        "INDEXFILE = Index.dat",
        "HIER_0_NAME = Slide zoom level",
        f"HIER_0_COUNT = {levels}",
    ]
    for k in range(levels):
        lines += [
            f"HIER_0_VAL_{k} = ZoomLevel_{k}",
            f"HIER_0_VAL_{k}_SECTION = LAYER_0_LEVEL_{k}_SECTION",
        ]
    if label:
        lines += [
            "NONHIER_0_NAME = Scan data layer",
            "NONHIER_0_COUNT = 1",
            "NONHIER_0_VAL_0 = ScanDataLayer_SlideBarcode",
            "NONHIER_0_VAL_0_SECTION = NONHIERLAYER_0_LEVEL_0_SECTION",
            "",
            "[NONHIERLAYER_0_LEVEL_0_SECTION]",
            "BARCODE_IMAGE_TYPE = JPEG",
        ]
    lines += ["", "[DATAFILE]", "FILE_COUNT = 1", "FILE_0 = Data0000.dat"]
    for k in range(levels):
        lines += [
            "",
            f"[LAYER_0_LEVEL_{k}_SECTION]",
            "OVERLAP_X = 0",
            "OVERLAP_Y = 0",
            f"MICROMETER_PER_PIXEL_X = {mpp * 2**k}",
            f"MICROMETER_PER_PIXEL_Y = {mpp * 2**k}",
            "IMAGE_FORMAT = JPEG",
            "IMAGE_FILL_COLOR_BGR = 16777215",
            f"DIGITIZER_WIDTH = {TILE}",
            f"DIGITIZER_HEIGHT = {TILE}",
            f"IMAGE_CONCAT_FACTOR = {0 if k == 0 else 1}",
        ]
    return "\n".join(lines) + "\n"
