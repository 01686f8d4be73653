"""Rebuild entrepot/data/slides/lesion.onnx: the shipped slide model.

A logistic regression on five colour-deconvolution features of a tile,
written as one ONNX graph (so any ONNX runtime computes exactly what was
trained). The graph: optical density -log(max(x, 1/255)); a 1x1 convolution
with the pseudo-inverse of Ruifrok's haematoxylin and eosin vectors gives
each pixel's two concentrations; their means and mean squares, and the share
of strongly haematoxylin-stained (nuclear) pixels, feed a logistic regression.

It is trained on tiles of synthetic slides (`write_synthetic_slide`, seeds
TRAIN) labelled by their planted lesion masks: a tile is positive when half
of it or more is lesion, negative when none of it is and half of it or more
is tissue. It is then scored (AUROC) on tiles of slides of other seeds
(HELD_OUT) with at least half of their area tissue, positive when half or
more is lesion. The features are computed by the graph itself, through
onnxruntime, so training and inference cannot disagree.

    python tools/build_slide_model.py [--out entrepot/data/slides/lesion.onnx]

Needs the `dev` extra (onnx, scikit-learn, tiffslide, onnxruntime).
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np

from entrepot.slides import (
    LESION_MODEL,
    detect_tissue,
    open_slide,
    read_tiles,
    tile_slide,
)
from entrepot.synth import write_synthetic_slide

TRAIN = range(1000, 1010)
HELD_OUT = range(2000, 2010)
MPP, SIZE = 0.5, 256
#: Ruifrok & Johnston's haematoxylin and eosin optical-density vectors.
HAEMATOXYLIN, EOSIN = (0.65, 0.70, 0.29), (0.07, 0.99, 0.11)
NUCLEAR = 1.0  # haematoxylin concentration above which a pixel is nuclear


def graph(weights=None, bias=0.0):
    """The ONNX model: features only (weights None) or the full classifier."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    unmix = np.linalg.pinv(np.c_[HAEMATOXYLIN, EOSIN]).astype(np.float32)  # (2, 3)
    init = [
        numpy_helper.from_array(np.array(1 / 255, np.float32), "floor"),
        numpy_helper.from_array(unmix.reshape(2, 3, 1, 1), "unmix"),
        numpy_helper.from_array(np.array(20.0, np.float32), "steep"),
        numpy_helper.from_array(np.array(NUCLEAR, np.float32), "nuclear"),
    ]
    nodes = [
        helper.make_node("Max", ["image", "floor"], ["clipped"]),
        helper.make_node("Log", ["clipped"], ["log"]),
        helper.make_node("Neg", ["log"], ["od"]),
        helper.make_node("Conv", ["od", "unmix"], ["stains"]),
        helper.make_node("GlobalAveragePool", ["stains"], ["mean"]),
        helper.make_node("Mul", ["stains", "stains"], ["square"]),
        helper.make_node("GlobalAveragePool", ["square"], ["mean_square"]),
        helper.make_node("Sub", ["stains", "nuclear"], ["above"]),
        helper.make_node("Mul", ["above", "steep"], ["scaled"]),
        helper.make_node("Sigmoid", ["scaled"], ["soft"]),
        helper.make_node("GlobalAveragePool", ["soft"], ["share"]),
        helper.make_node(
            "Concat", ["mean", "mean_square", "share"], ["pooled"], axis=1
        ),
        helper.make_node("Flatten", ["pooled"], ["features"]),
    ]
    output = "features"
    outputs = [helper.make_tensor_value_info("features", TensorProto.FLOAT, ["N", 6])]
    if weights is not None:
        init += [
            numpy_helper.from_array(
                np.asarray(weights, np.float32).reshape(6, 1), "weights"
            ),
            numpy_helper.from_array(np.asarray([bias], np.float32), "bias"),
        ]
        nodes += [
            helper.make_node("Gemm", ["features", "weights", "bias"], ["logit"]),
            helper.make_node("Sigmoid", ["logit"], ["probability"]),
        ]
        output = "probability"
        outputs = [helper.make_tensor_value_info(output, TensorProto.FLOAT, ["N", 1])]
    inputs = [
        helper.make_tensor_value_info("image", TensorProto.FLOAT, ["N", 3, SIZE, SIZE])
    ]
    model = helper.make_model(
        helper.make_graph(nodes, "entrepot_lesion", inputs, outputs, init),
        opset_imports=[helper.make_opsetid("", 17)],
        producer_name="entrepot tools/build_slide_model.py",
    )
    model.ir_version = 8
    meta = {
        "entrepot.name": "synthetic-lesion-v1",
        "entrepot.mpp": str(MPP),
        "entrepot.size": str(SIZE),
    }
    helper.set_model_props(model, meta)
    onnx.checker.check_model(model)
    return model


def tiles_of(seeds, folder: Path):
    """(tiles' pixels, lesion share, tissue share) of slides of `seeds`."""
    pixels, lesion, tissue = [], [], []
    for seed in seeds:
        path = folder / f"{seed}.tif"
        truth = write_synthetic_slide(path, seed=seed)
        with open_slide(path) as slide:
            tiles = tile_slide(slide, detect_tissue(slide), mpp=MPP, size=SIZE)
            pixels += list(read_tiles(slide, tiles))
        extent = int(tiles.schema.metadata[b"extent"])
        xs, ys = tiles["x"].to_numpy(), tiles["y"].to_numpy()
        lesion += list(truth.share("lesion_mask", xs, ys, extent))
        tissue += list(truth.share("tissue_mask", xs, ys, extent))
    return np.stack(pixels), np.array(lesion), np.array(tissue)


def features(model, pixels: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString())
    out = []
    for start in range(0, len(pixels), 64):
        x = pixels[start : start + 64].transpose(0, 3, 1, 2).astype(np.float32) / 255
        out.append(session.run(None, {"image": x})[0])
    return np.concatenate(out)


def main(argv=None) -> dict:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=LESION_MODEL)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        pixels, lesion, tissue = tiles_of(TRAIN, Path(folder))
        keep = (lesion >= 0.5) | ((lesion == 0) & (tissue >= 0.5))
        x = features(graph(), pixels[keep])
        y = lesion[keep] >= 0.5
        mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
        fit = LogisticRegression(C=1.0, class_weight="balanced").fit(
            (x - mean) / scale, y
        )
        weights = fit.coef_[0] / scale
        bias = float(fit.intercept_[0] - (fit.coef_[0] * mean / scale).sum())
        model = graph(weights, bias)
        args.out.write_bytes(model.SerializeToString())
        pixels, lesion, tissue = tiles_of(HELD_OUT, Path(folder))
    import onnxruntime as ort

    session = ort.InferenceSession(str(args.out))
    test = tissue >= 0.5
    x = pixels[test].transpose(0, 3, 1, 2).astype(np.float32) / 255
    scores = np.concatenate(
        [
            session.run(None, {"image": x[i : i + 64]})[0][:, 0]
            for i in range(0, len(x), 64)
        ]
    )
    labels = lesion[test] >= 0.5
    result = {
        "train_tiles": int(keep.sum()),
        "train_positive": int(y.sum()),
        "held_out_tiles": int(test.sum()),
        "held_out_positive": int(labels.sum()),
        "held_out_auroc": round(float(roc_auc_score(labels, scores)), 4),
    }
    print(
        f"[synthetic, held-out seeds {HELD_OUT.start}-{HELD_OUT.stop - 1}] tile AUROC "
        f"{result['held_out_auroc']} ({result['held_out_positive']} lesion tiles of "
        f"{result['held_out_tiles']}); trained on {result['train_tiles']} tiles of seeds "
        f"{TRAIN.start}-{TRAIN.stop - 1}"
    )
    return result


if __name__ == "__main__":
    main()
