"""Running an ONNX model on a slide's tiles, in batches, and aggregating.

The contract a plugged model follows (checked before it runs, with a
one-line error naming what differs):

- one input, float32, shape (N, 3, S, S): N tiles, RGB channels first,
  values in [0, 1], S the tiles' side (fixed in the graph or free);
- its first output, float32, shape (N,) or (N, 1): each tile's probability;
- optional metadata properties `entrepot.mpp` and `entrepot.size`: the
  micrometres per pixel and side the model was trained at; when present, the
  tiles must have been cut at them (`tile_slide(..., mpp=, size=)`);
- optional `entrepot.name`: the name results are stored under (else the
  file's name).

The slide's score is the mean of its highest tile probabilities (the top
`TOP_SHARE` of tiles, at least one); the heatmap holds each tile's
probability on the tile grid, NaN where no tile was scored.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from entrepot.errors import InputFileError, MissingDependencyError, ParameterError
from entrepot.slides._stain import normalise_stain
from entrepot.slides._tiles import read_tiles

#: Share of the highest-scoring tiles whose mean is the slide's score.
TOP_SHARE = 0.02
#: The shipped model (see entrepot/data/slides/PROVENANCE.md).
LESION_MODEL = Path(__file__).resolve().parents[1] / "data" / "slides" / "lesion.onnx"


@dataclass(frozen=True)
class SlideInference:
    """A model's output on one slide: per tile (x, y, score), on the tile grid
    (`heatmap`, rows x columns of tiles), and one `score` for the slide."""

    tile_scores: object  # pyarrow.Table (x, y, score)
    heatmap: np.ndarray
    score: float
    model: str
    checksum: str  # sha256 of the model file


@dataclass(frozen=True)
class ModelContract:
    """What a model file declares: its input's name and side, and the mpp
    and side it was trained at (None where unstated)."""

    name: str
    input_name: str
    side: int | None
    mpp: float | None
    size: int | None


def _session(model_path):
    try:
        import onnxruntime as ort
    except ImportError as error:
        raise MissingDependencyError(
            "slide models need onnxruntime: pip install 'entrepot[pathology]'"
        ) from error
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    try:
        return ort.InferenceSession(
            str(model_path), options, providers=["CPUExecutionProvider"]
        )
    except Exception as error:  # onnxruntime raises its own, long, errors
        raise InputFileError(
            f"{model_path}: not an ONNX model onnxruntime can run"
        ) from error


def check_model(session, model_path) -> ModelContract:
    """The model's contract, or a one-line InputFileError saying what breaks it."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    where = Path(model_path).name
    if len(inputs) != 1:
        raise InputFileError(
            f"{where}: a slide model has one input, this one has {len(inputs)}"
        )
    shape, kind = inputs[0].shape, inputs[0].type
    if kind != "tensor(float)" or len(shape) != 4 or shape[1] != 3:
        raise InputFileError(
            f"{where}: the input must be float32 (N, 3, S, S), RGB in [0, 1]; it is {kind} {shape}"
        )
    sides = {s for s in shape[2:] if isinstance(s, int)}
    if len(sides) > 1:
        raise InputFileError(
            f"{where}: the input's tiles must be square, not {shape[2:]}"
        )
    out = outputs[0]
    second = out.shape[1] if len(out.shape) == 2 else None
    per_tile = len(out.shape) == 1 or (
        len(out.shape) == 2 and (second in (1, None) or isinstance(second, str))
    )
    if out.type != "tensor(float)" or not per_tile:
        raise InputFileError(
            f"{where}: the first output must be float32 (N,) or (N, 1) probabilities; it is {out.type} {out.shape}"
        )
    meta = session.get_modelmeta().custom_metadata_map
    try:
        mpp = float(meta["entrepot.mpp"]) if "entrepot.mpp" in meta else None
        size = int(meta["entrepot.size"]) if "entrepot.size" in meta else None
    except ValueError as error:
        raise InputFileError(
            f"{where}: entrepot.mpp/entrepot.size are not numbers"
        ) from error
    return ModelContract(
        name=meta.get("entrepot.name", Path(model_path).stem),
        input_name=inputs[0].name,
        side=sides.pop() if sides else None,
        mpp=mpp,
        size=size,
    )


def _check_tiles(contract: ModelContract, tiles, where: str) -> None:
    meta = tiles.schema.metadata or {}
    if not {b"mpp", b"size", b"extent"} <= set(meta):
        raise ParameterError("the tiles must come from tile_slide (mpp, size, extent)")
    mpp, size = float(meta[b"mpp"]), int(meta[b"size"])
    wanted = contract.size or contract.side
    if wanted is not None and wanted != size:
        raise InputFileError(f"{where} takes {wanted} px tiles; these are {size} px")
    if contract.mpp is not None and not math.isclose(contract.mpp, mpp, rel_tol=1e-3):
        raise InputFileError(
            f"{where} takes tiles at {contract.mpp} µm/px; these are at {mpp}"
        )


def _batches(slide, tiles, batch_size: int, normalise: bool):
    batch = []
    for rgb in read_tiles(slide, tiles):
        batch.append(normalise_stain(rgb) if normalise else rgb)
        if len(batch) == batch_size:
            yield batch
            batch = []
    if batch:
        yield batch


def run_model(
    slide, tiles, model_path, *, batch_size: int = 64, normalise: bool = False
) -> SlideInference:
    """Run the ONNX model at `model_path` on `tiles` (from `tile_slide`) of
    `slide`, `batch_size` tiles at a time, optionally stain-normalised."""
    import pyarrow as pa

    session = _session(model_path)
    contract = check_model(session, model_path)
    _check_tiles(contract, tiles, Path(model_path).name)
    scores = []
    for batch in _batches(slide, tiles, batch_size, normalise):
        x = np.stack(batch).transpose(0, 3, 1, 2).astype(np.float32) / 255
        out = np.asarray(session.run(None, {contract.input_name: x})[0], np.float32)
        if out.size != len(batch) or not ((out >= 0) & (out <= 1)).all():
            raise InputFileError(
                f"{Path(model_path).name} gave {out.size} values for {len(batch)} "
                "tiles, or values outside [0, 1]: not one probability per tile"
            )
        scores.append(out.reshape(len(batch)))
    score = np.concatenate(scores) if scores else np.zeros(0, np.float32)
    x, y = tiles["x"].to_numpy(), tiles["y"].to_numpy()
    extent = int(tiles.schema.metadata[b"extent"])
    width, height = slide.level_dimensions[0]
    heatmap = np.full((height // extent, width // extent), np.nan, np.float32)
    heatmap[y // extent, x // extent] = score
    top = np.sort(score)[::-1][: max(1, math.ceil(TOP_SHARE * len(score)))]
    digest = hashlib.sha256(Path(model_path).read_bytes()).hexdigest()
    return SlideInference(
        tile_scores=pa.table({"x": x, "y": y, "score": score}),
        heatmap=heatmap,
        score=float(top.mean()) if len(score) else float("nan"),
        model=contract.name,
        checksum=digest,
    )
