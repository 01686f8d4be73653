"""Whole-slide images: tissue detection, tiling, stain normalisation and ONNX
models on the tiles; the registry that links each slide to its patient and
specimen, and the Deep Zoom tiles the viewer shows, through the release gate.

>>> from tiffslide import TiffSlide                          # doctest: +SKIP
>>> slide = TiffSlide("slide.svs")                           # doctest: +SKIP
>>> tissue = detect_tissue(slide)                            # doctest: +SKIP
>>> tiles = tile_slide(slide, tissue, mpp=0.5, size=256)     # doctest: +SKIP
>>> run_model(slide, tiles, LESION_MODEL).score              # doctest: +SKIP
"""

from entrepot.slides._deepzoom import descriptor, heatmap_png, tile
from entrepot.slides._lookup import slide_of, slides_of
from entrepot.slides._models import (
    LESION_MODEL,
    TOP_SHARE,
    ModelContract,
    SlideInference,
    check_model,
    run_model,
)
from entrepot.slides._open import SlideInfo, checksum, describe, open_slide
from entrepot.slides._parallel import SlideTiles, process_slides
from entrepot.slides._registry import add, registry_table, scan, slide_folder
from entrepot.slides._results import (
    heatmap_of,
    store_inference,
    store_tiles,
    tiles_of,
    write_mask,
)
from entrepot.slides._stain import normalise_stain
from entrepot.slides._tiles import read_tiles, slide_mpp, tile_slide
from entrepot.slides._tissue import TissueMask, detect_tissue, ink_mask

__all__ = [
    "LESION_MODEL",
    "TOP_SHARE",
    "ModelContract",
    "SlideInference",
    "SlideInfo",
    "SlideTiles",
    "TissueMask",
    "add",
    "check_model",
    "checksum",
    "describe",
    "descriptor",
    "detect_tissue",
    "heatmap_of",
    "heatmap_png",
    "ink_mask",
    "normalise_stain",
    "open_slide",
    "process_slides",
    "read_tiles",
    "registry_table",
    "run_model",
    "scan",
    "slide_folder",
    "slide_mpp",
    "slide_of",
    "slides_of",
    "store_inference",
    "store_tiles",
    "tile",
    "tile_slide",
    "tiles_of",
    "write_mask",
]
