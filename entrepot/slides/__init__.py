"""Whole-slide images: tissue detection, tiling, stain normalisation and ONNX
models on the tiles (pixels only; the registry lives beside them).

>>> from tiffslide import TiffSlide                          # doctest: +SKIP
>>> slide = TiffSlide("slide.svs")                           # doctest: +SKIP
>>> tissue = detect_tissue(slide)                            # doctest: +SKIP
>>> tiles = tile_slide(slide, tissue, mpp=0.5, size=256)     # doctest: +SKIP
>>> run_model(slide, tiles, LESION_MODEL).score              # doctest: +SKIP
"""

from entrepot.slides._models import (
    LESION_MODEL,
    TOP_SHARE,
    ModelContract,
    SlideInference,
    check_model,
    run_model,
)
from entrepot.slides._parallel import SlideTiles, open_tiff, process_slides
from entrepot.slides._stain import normalise_stain
from entrepot.slides._tiles import read_tiles, slide_mpp, tile_slide
from entrepot.slides._tissue import TissueMask, detect_tissue, ink_mask

__all__ = [
    "LESION_MODEL",
    "TOP_SHARE",
    "ModelContract",
    "SlideInference",
    "SlideTiles",
    "TissueMask",
    "check_model",
    "detect_tissue",
    "ink_mask",
    "normalise_stain",
    "open_tiff",
    "process_slides",
    "read_tiles",
    "run_model",
    "slide_mpp",
    "tile_slide",
]
