"""`entrepot slides tissue | tile | infer` on a registered synthetic slide:
the interfaces' JSON, the mask file, the tiles table, the model's score and
heatmap stored and linked (image_feature -> measurement); one-line errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from entrepot.cli import main
from entrepot.synth import write_synthetic_slide
from entrepot.warehouse import Warehouse

from .conftest import add_clinic

WIDTH, HEIGHT = 1536, 1024


def tiny_model(path: Path, side: int = 64) -> Path:
    """An ONNX model by the documented contract: (N, 3, S, S) in [0, 1] ->
    (N,), here one minus the tile's mean (dark tissue scores high)."""
    import onnx
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [
            helper.make_node("ReduceMean", ["tiles"], ["mean"], axes=[1, 2, 3], keepdims=0),
            helper.make_node("Sub", ["one", "mean"], ["score"]),
        ],
        "darkness",
        [helper.make_tensor_value_info("tiles", TensorProto.FLOAT, ["N", 3, side, side])],
        [helper.make_tensor_value_info("score", TensorProto.FLOAT, ["N"])],
        initializer=[helper.make_tensor("one", TensorProto.FLOAT, [], [1.0])],
    )  # fmt: skip
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    helper.set_model_props(model, {"entrepot.name": "darkness", "entrepot.size": str(side)})  # fmt: skip
    onnx.save(model, path)
    return path


@pytest.fixture(scope="module")
def registered(tmp_path_factory, new_duckdb) -> Path:
    """A warehouse with one synthetic slide registered (slide 1, specimen 11)."""
    folder = tmp_path_factory.mktemp("slides-cli")
    path = folder / "eds.duckdb"
    with new_duckdb(path) as wh:
        add_clinic(wh)
    slide = folder / "slide.tiff"
    write_synthetic_slide(slide, seed=7, width=WIDTH, height=HEIGHT)
    assert main(["slides", "add", str(slide), "--specimen", "11", "-w", str(path), "-q"]) == 0  # fmt: skip
    tiny_model(folder / "darkness.onnx")
    return path


def cli(capsys, registered: Path, *argv: str, code: int = 0):
    done = main(["slides", *argv, "-w", str(registered), "--json"])
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out) if code == 0 else err.strip()


def test_tissue_writes_the_mask_it_describes(capsys, registered, tmp_path):
    mask = tmp_path / "mask.png"
    found = cli(capsys, registered, "tissue", "1", "--mask-out", str(mask))
    assert set(found) == {"tissue_fraction", "downsample", "mask_size"}
    assert found["downsample"] == 32 and isinstance(found["downsample"], int)
    assert found["mask_size"] == [WIDTH // 32, HEIGHT // 32]
    pixels = np.asarray(Image.open(mask))
    assert pixels.shape == (HEIGHT // 32, WIDTH // 32)
    assert found["tissue_fraction"] == round(float((pixels > 0).mean()), 4)
    assert 0.05 < found["tissue_fraction"] < 0.95


def test_tile_stores_every_tile_with_its_tissue(capsys, registered):
    found = cli(capsys, registered, "tile", "1", "--mpp", "0.5", "--size", "256")
    assert found["tiles"] == (WIDTH // 256) * (HEIGHT // 256)
    with Warehouse.open(registered, read_only=True) as wh:
        t = wh.table("slide_tile")
        stored = t.to_pyarrow().to_pylist()
    assert len(stored) == found["tiles"]
    assert found["with_tissue"] == sum(r["tissue_fraction"] > 0 for r in stored)
    assert 0 < found["with_tissue"] < found["tiles"]
    first = min(stored, key=lambda r: (r["y"], r["x"]))
    assert (first["image_occurrence_id"], first["level"], first["x"], first["y"],
            first["size"], first["mpp"], first["side"]) == (1, 0, 0, 0, 256, 0.5, 256)  # fmt: skip
    again = cli(capsys, registered, "tile", "1", "--mpp", "2", "--size", "128")
    assert again["tiles"] == (WIDTH // 512) * (HEIGHT // 512)  # replaced, not added
    with Warehouse.open(registered, read_only=True) as wh:
        assert wh.count("slide_tile") == again["tiles"]


def test_infer_stores_the_score_and_heatmap_linked(capsys, registered):
    model = str(registered.parent / "darkness.onnx")
    cli(capsys, registered, "tile", "1", "--mpp", "2", "--size", "128")
    err = cli(capsys, registered, "infer", "1", "--model", model, code=2)
    assert err == "entrepot: error: darkness.onnx takes 64 px tiles; these are 128 px"
    cli(capsys, registered, "tile", "1", "--mpp", "2", "--size", "64")
    found = cli(capsys, registered, "infer", "1", "--model", model)
    assert (found["slide_id"], found["model"]) == (1, "darkness")
    assert found["heatmap"] == [HEIGHT // 256, WIDTH // 256]
    with Warehouse.open(registered, read_only=True) as wh:
        feature = wh.table("image_feature").to_pyarrow().to_pylist()[-1]
        m = wh.table("measurement")
        value = m.filter(m.measurement_id == feature["image_feature_event_id"])
        value = value.to_pyarrow().to_pylist()[0]
        h = wh.table("slide_heatmap").to_pyarrow().to_pylist()[-1]
    assert (feature["image_occurrence_id"], feature["person_id"], feature["alg_system"]) == (1, 1, "darkness")  # fmt: skip
    assert (value["person_id"], value["value_as_number"]) == (1, pytest.approx(found["score"]))  # fmt: skip
    grid = json.loads(h["scores"])
    assert (h["image_feature_id"], h["rows"], h["columns"]) == (feature["image_feature_id"], *found["heatmap"])  # fmt: skip
    assert h["cell"] == 256  # 64 px tiles at 2 µm/px: 256 level-0 pixels at 0.5
    scored = [v for row in grid for v in row if v is not None]
    assert 0 < len(scored) < h["rows"] * h["columns"]  # background tiles unscored
    assert max(scored) == pytest.approx(found["score"], abs=0.05)


def test_infer_can_normalise_the_stain_first(capsys, registered):
    """`--normalise` maps each tile to Macenko's reference before the model
    sees it, which changes its score; the audit entry says so."""
    from entrepot.privacy import entries

    model = str(registered.parent / "darkness.onnx")
    cli(capsys, registered, "tile", "1", "--mpp", "2", "--size", "64")
    plain = cli(capsys, registered, "infer", "1", "--model", model)
    normalised = cli(capsys, registered, "infer", "1", "--model", model, "--normalise")
    assert abs(normalised["score"] - plain["score"]) > 0.01
    with Warehouse.open(registered, read_only=True) as wh:
        audited = [e for e in entries(wh) if e["action"] == "slides.infer"][-2:]
    assert [json.loads(e["parameters"])["normalised"] for e in audited] == [False, True]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["tissue", "99"], "slide 99: no such slide in this project"),
        (["tissue", "1", "--mask-out", "/nowhere/mask.png"],
         "/nowhere: no such folder to write mask.png in"),
        (["infer", "99", "--model", "m.onnx"], "slide 99: no such slide in this project"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(capsys, registered, argv, message):
    assert cli(capsys, registered, *argv, code=2) == f"entrepot: error: {message}"
