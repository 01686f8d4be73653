"""ONNX models on tiles: the shipped lesion model, the contract, plugged models."""

import re

import numpy as np
import pytest

from entrepot.errors import InputFileError, ParameterError
from entrepot.slides import (
    LESION_MODEL,
    TOP_SHARE,
    check_model,
    detect_tissue,
    read_tiles,
    run_model,
    tile_slide,
)
from entrepot.synth import write_synthetic_slide

tiffslide = pytest.importorskip("tiffslide")
onnx = pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")
from onnx import TensorProto, helper  # noqa: E402

#: Seeds the shipped model was not trained on (tools/build_slide_model.py
#: trains on 1000-1009 and scores on 2000-2009).
HELD_OUT = (31, 32)


@pytest.fixture(scope="module")
def slides(tmp_path_factory):
    folder = tmp_path_factory.mktemp("models")
    out = {}
    for seed in HELD_OUT:
        out[seed] = (
            folder / f"{seed}.tif",
            write_synthetic_slide(folder / f"{seed}.tif", seed=seed),
        )
    path = folder / "clean.tif"
    out["clean"] = (
        path,
        write_synthetic_slide(path, seed=31, width=2048, height=2048, lesion=False),
    )
    return out


def tiled(path, **kwargs):
    slide = tiffslide.TiffSlide(path)
    return slide, tile_slide(
        slide, detect_tissue(slide), **{"min_tissue": 0.5, **kwargs}
    )


def test_the_shipped_model_finds_the_planted_lesion_on_unseen_slides(slides):
    from sklearn.metrics import roc_auc_score

    scores, labels = [], []
    for seed in HELD_OUT:
        path, truth = slides[seed]
        slide, tiles = tiled(path)
        result = run_model(slide, tiles, LESION_MODEL)
        assert result.model == "synthetic-lesion-v1" and len(result.checksum) == 64
        assert result.tile_scores.column_names == ["x", "y", "score"]
        assert result.tile_scores.num_rows == tiles.num_rows
        x, y = tiles["x"].to_numpy(), tiles["y"].to_numpy()
        labels += list(truth.share("lesion_mask", x, y, 256) >= 0.5)
        scores += result.tile_scores["score"].to_pylist()
        assert result.heatmap.shape == (16, 16)
        assert np.isfinite(result.heatmap).sum() == tiles.num_rows
        assert result.heatmap[y[0] // 256, x[0] // 256] == scores[len(scores) - len(x)]
        k = max(1, int(np.ceil(TOP_SHARE * len(x))))
        top = np.sort(result.tile_scores["score"].to_numpy())[-k:]
        assert result.score == pytest.approx(top.mean())
    assert sum(labels) >= 10
    assert roc_auc_score(labels, scores) >= 0.95
    slide, tiles = tiled(slides["clean"][0])
    assert run_model(slide, tiles, LESION_MODEL).score < 0.5 < result.score


def test_batches_and_stain_normalisation_keep_the_scores(slides):
    slide, tiles = tiled(slides[HELD_OUT[0]][0])
    scores = run_model(slide, tiles, LESION_MODEL).tile_scores["score"].to_numpy()
    order = np.argsort(scores)
    picked = tiles.take(np.r_[order[:5], order[-5:]])  # 5 lowest, then 5 highest
    big = run_model(slide, picked, LESION_MODEL, batch_size=64)
    small = run_model(slide, picked, LESION_MODEL, batch_size=3)
    assert np.allclose(big.tile_scores["score"], small.tile_scores["score"], atol=1e-6)
    assert np.allclose(big.tile_scores["score"], scores[np.r_[order[:5], order[-5:]]])
    normalised = run_model(slide, picked, LESION_MODEL, normalise=True)
    normalised = normalised.tile_scores["score"].to_numpy()
    assert normalised[5:].min() > normalised[:5].max()  # lesion tiles still rank first


def save(tmp_path, nodes, inputs, outputs, init=(), meta=None, name="m.onnx"):
    graph = helper.make_graph(nodes, "g", inputs, outputs, list(init))
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    if meta:
        helper.set_model_props(model, meta)
    path = tmp_path / name
    path.write_bytes(model.SerializeToString())
    return path


def tensor(name, shape, kind=TensorProto.FLOAT):
    return helper.make_tensor_value_info(name, kind, shape)


def test_any_model_with_the_documented_input_and_output_can_be_plugged(
    slides, tmp_path
):
    """A model of our own: the mean red intensity of a tile."""
    from onnx import numpy_helper

    path = save(
        tmp_path,
        [
            helper.make_node("Slice", ["x", "zero", "one", "ch"], ["red"]),
            helper.make_node("ReduceMean", ["red"], ["p"], axes=[1, 2, 3], keepdims=0),
        ],
        [tensor("x", ["N", 3, None, None])],
        [tensor("p", ["N"])],
        init=[
            numpy_helper.from_array(np.array([0], np.int64), "zero"),
            numpy_helper.from_array(np.array([1], np.int64), "one"),
            numpy_helper.from_array(np.array([1], np.int64), "ch"),
        ],
        name="red.onnx",
    )
    slide, tiles = tiled(slides[HELD_OUT[0]][0], mpp=1.0, size=128)
    tiles = tiles.slice(0, 9)
    result = run_model(slide, tiles, path, batch_size=4)
    expected = [tile[..., 0].mean() / 255 for tile in read_tiles(slide, tiles)]
    assert np.allclose(result.tile_scores["score"], expected, atol=1e-5)
    assert result.model == "red"
    assert check_model(ort.InferenceSession(str(path)), path).side is None


def identity(tmp_path, input_shape, output_shape, kind=TensorProto.FLOAT, meta=None):
    nodes = [helper.make_node("Identity", ["x"], ["y"])]
    return save(
        tmp_path,
        nodes,
        [tensor("x", input_shape, kind)],
        [tensor("y", output_shape, kind)],
        meta=meta,
    )


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (
            lambda t: identity(t, ["N", 4, 256, 256], ["N", 4, 256, 256]),
            r"input must be float32 \(N, 3, S, S\)",
        ),
        (
            lambda t: identity(
                t, ["N", 3, 256, 256], ["N", 3, 256, 256], kind=TensorProto.DOUBLE
            ),
            "input must be float32",
        ),
        (
            lambda t: identity(t, ["N", 3, 128, 256], ["N", 3, 128, 256]),
            "tiles must be square",
        ),
        (
            lambda t: identity(t, ["N", 3, 256, 256], ["N", 3, 256, 256]),
            r"first output must be float32 \(N,\) or \(N, 1\)",
        ),
        (
            lambda t: (t / "junk.onnx").write_bytes(b"not a model") and t / "junk.onnx",
            "not an ONNX model",
        ),
    ],
)
def test_a_model_that_breaks_the_contract_is_refused_in_one_line(
    slides, tmp_path, make, message
):
    slide, tiles = tiled(slides[HELD_OUT[0]][0])
    path = make(tmp_path)
    with pytest.raises(InputFileError) as error:
        run_model(slide, tiles, path)
    text = str(error.value)
    assert "\n" not in text
    assert re.search(message, text), text


def test_tiles_cut_at_another_magnification_or_size_are_refused(slides):
    slide, tiles = tiled(slides[HELD_OUT[0]][0], mpp=1.0)
    with pytest.raises(
        InputFileError, match="lesion.onnx takes tiles at 0.5 µm/px; these are at 1.0"
    ):
        run_model(slide, tiles, LESION_MODEL)
    slide, tiles = tiled(slides[HELD_OUT[0]][0], size=128)
    with pytest.raises(
        InputFileError, match="lesion.onnx takes 256 px tiles; these are 128 px"
    ):
        run_model(slide, tiles, LESION_MODEL)


def test_a_model_whose_outputs_are_not_probabilities_is_refused(slides, tmp_path):
    from onnx import numpy_helper

    axes = numpy_helper.from_array(np.array([1, 2, 3], np.int64), "axes")
    path = save(
        tmp_path,
        [helper.make_node("ReduceSum", ["x", "axes"], ["p"], keepdims=0)],
        [tensor("x", ["N", 3, 256, 256])],
        [tensor("p", ["N"])],
        init=[axes],
        name="sum.onnx",
    )
    slide, tiles = tiled(slides[HELD_OUT[0]][0])
    with pytest.raises(InputFileError, match="sum.onnx gave 1 values for 1 tiles, or"):
        run_model(slide, tiles.slice(0, 1), path)
    bare = tiles.replace_schema_metadata(None)
    with pytest.raises(ParameterError, match="the tiles must come from tile_slide"):
        run_model(slide, bare, LESION_MODEL)
