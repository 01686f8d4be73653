"""Digital pathology: whole-slide images registered, linked to the patient,
viewed through the release gate."""

from entrepot.slides._deepzoom import descriptor, heatmap_png, tile
from entrepot.slides._lookup import slide_of, slides_of
from entrepot.slides._open import SlideInfo, checksum, describe, open_slide
from entrepot.slides._registry import add, registry_table, scan, slide_folder
from entrepot.slides._results import (
    heatmap_of,
    store_inference,
    store_tiles,
    tiles_of,
    write_mask,
)

__all__ = [
    "SlideInfo",
    "add",
    "checksum",
    "describe",
    "descriptor",
    "heatmap_of",
    "heatmap_png",
    "open_slide",
    "registry_table",
    "scan",
    "slide_folder",
    "slide_of",
    "slides_of",
    "store_inference",
    "store_tiles",
    "tile",
    "tiles_of",
    "write_mask",
]
