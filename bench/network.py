"""A network of synthetic hospitals: a count study, a logistic training
study (federated Newton) and a FedAvg training study sent by a hub to N
nodes (real `entrepot serve` processes on loopback), against the same
analyses run pooled, in the same run.

Federated: the hub's wall time to send the study and, once every node's
administrator accepted it, to get and combine the answers (the Newton rounds
included), and the bytes of every message body exchanged (sent and received,
as the hub logs them; HTTP headers not counted). Pooled: the time to read
the person-level rows the analysis needs out of each warehouse and compute
the same figure on their union in one place (the count; the same Newton fit;
for FedAvg, the unpenalised logistic fit on the union of the training
persons of the same split), and the bytes of those rows as Parquet (zstd):
the least that pooling would move. `ratio` is federated over pooled. For
FedAvg, the test AUROC and AUPRC of both models on the union of the test
persons (worked out here, from the rows, for the comparison only).

    python bench/network.py [--nodes 5] [--patients 300] [--json out.json]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import queue
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parents[1]
COHORTS = {
    "diabetes.yaml": "name: Diabetes\nconcept_sets:\n  d: {items: [{vocabulary: "
    "CIM10, code: E11, descendants: true}]}\nentry:\n  events: [{condition: "
    "{concept_set: d, first: true}}]\n",
    "everyone.yaml": "name: Everyone seen\nconcept_sets: {}\nentry:\n  events: "
    "[{visit: {first: true}}]\n",
    "count.yaml": "name: count\ncohort: diabetes.yaml\nanalysis: count\n",
    "logistic.yaml": "name: logistic\ncohort: everyone.yaml\nanalysis: logistic\n"
    "parameters: {outcome: diabetes.yaml}\n",
    "fedavg.yaml": "name: fedavg\ncohort: everyone.yaml\nanalysis: fedavg\n"
    "parameters: {outcome: diabetes.yaml, seed: 0}\n",
}
STUDIES = ("count", "logistic", "fedavg")


def _cli(*args: str) -> dict:
    from entrepot.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main([*args, "--json"]) == 0, args
    return json.loads(out.getvalue())


def _serve(path: str, folder: Path) -> tuple[subprocess.Popen, str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "entrepot",
            "serve",
            "-w",
            path,
            "--port",
            str(port),
            "--json",
        ],
        cwd=folder,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(
        target=lambda: lines.put(process.stdout.readline()), daemon=True
    ).start()
    return process, lines


def _federated(state: Path, study: Path, warehouses: list[str]) -> dict:
    from entrepot.hub import HubState, refresh, send_study
    from entrepot.network import load_study

    body = load_study(study)
    with HubState(state) as hub:
        started = time.perf_counter()
        sent = send_study(hub, body)
        seconds = time.perf_counter() - started
        for path in warehouses:  # each node's administrator accepts
            _cli("node", "accept", sent["study_id"], "-w", path)
        started = time.perf_counter()
        found = refresh(hub, sent["study_id"])
        seconds += time.perf_counter() - started
        messages = [m for m in hub.messages() if m["study_id"] == sent["study_id"]]
    assert all(n["status"] == "done" for n in found["nodes"]), found["nodes"]
    return {
        "seconds": seconds,
        "bytes": sum(len(m["body"]) for m in messages),
        "messages": len(messages),
        "combined": found["combined"],
    }


def _pooled(study: Path, warehouses: list[str]) -> dict:
    """The person-level rows gathered from every warehouse, then the figure."""
    from entrepot.network import load_study
    from entrepot.network._analyses import design, periods
    from entrepot.warehouse import Warehouse

    body = load_study(study)
    started = time.perf_counter()
    rows, designs = [], []
    for path in warehouses:
        with Warehouse.open(path, read_only=True) as wh:
            table = periods(wh, body).to_pyarrow()
            rows.append(table)
            if body["analysis"] != "count":
                designs.append(design(wh, body))
    union = pa.concat_tables(
        [t.append_column("node", pa.array([i] * len(t))) for i, t in enumerate(rows)]
    )
    if body["analysis"] == "count":  # persons are numbered within each node
        figure = len(
            set(
                zip(
                    union["node"].to_pylist(),
                    union["person_id"].to_pylist(),
                    strict=True,
                )
            )
        )
    elif body["analysis"] == "logistic":
        x = np.concatenate([d[0] for d in designs])
        y = np.concatenate([d[1] for d in designs])
        figure = _newton(x, y)
    else:
        figure = _split_fit(designs, body["parameters"])
    seconds = time.perf_counter() - started
    sink = pa.BufferOutputStream()
    pq.write_table(union, sink, compression="zstd")
    return {"seconds": seconds, "bytes": sink.getvalue().size, "figure": figure}


def _split_fit(designs: list, parameters: dict) -> dict:
    """The pooled logistic fit on the union of the training persons, and the
    union of the test persons (the study's split)."""
    from entrepot.network._federated import test_split

    parts = []
    for x, y, persons in designs:
        test = test_split(persons, parameters["seed"], parameters["test_fraction"])
        parts.append((x[~test], y[~test], x[test], y[test]))
    x, y, xt, yt = (np.concatenate([p[i] for p in parts]) for i in range(4))
    return {"beta": _newton(x, y), "x_test": xt, "y_test": yt}


def _scores(beta, x: np.ndarray, y: np.ndarray) -> dict:
    from sklearn.metrics import average_precision_score, roc_auc_score

    s = x @ np.asarray(beta, float)
    return {"auroc": roc_auc_score(y, s), "auprc": average_precision_score(y, s)}


def _newton(x: np.ndarray, y: np.ndarray, tolerance: float = 1e-10) -> list[float]:
    beta = np.zeros(x.shape[1])
    for _ in range(100):
        p = 1 / (1 + np.exp(-(x @ beta)))
        step = np.linalg.solve((x * (p * (1 - p))[:, None]).T @ x, x.T @ (y - p))
        beta += step
        if np.abs(step).max() < tolerance:
            break
    return beta.tolist()


def run(nodes: int = 5, patients: int = 300) -> dict:
    from entrepot.synth import generate_hospital

    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for name, text in COHORTS.items():
            (folder / name).write_text(text)
        warehouses = []
        for i in range(nodes):
            path = str(folder / f"node{i}.duckdb")
            share = 0.1 + 0.3 * i / max(nodes - 1, 1)  # non-IID: each its case mix
            generate_hospital(
                path, patients=patients, seed=100 + i, notes=False, workers=1,
                enrich={"diabetes": share},
            )  # fmt: skip
            warehouses.append(path)
        servers = []
        try:
            for i, path in enumerate(warehouses):
                token = _cli("node", "token", "--hub", "bench", "-w", path)["token"]
                (folder / f"node{i}.token").write_text(token)
                servers.append(_serve(path, folder))
            for i, (_, lines) in enumerate(servers):
                url = json.loads(lines.get(timeout=120))["url"]
                _cli("hub", "add-node", f"node{i}", url, "--token-file",
                     str(folder / f"node{i}.token"), "--state", str(folder / "hub"))  # fmt: skip
            figures = {"nodes": nodes, "patients_per_node": patients}
            for study in STUDIES:
                path = folder / f"{study}.yaml"
                federated = _federated(folder / "hub", path, warehouses)
                pooled = _pooled(path, warehouses)
                if study == "count":
                    same = federated["combined"]["count"] == pooled["figure"]
                elif study == "logistic":
                    found = list(federated["combined"]["coefficients"].values())
                    same = bool(np.abs(np.array(found) - pooled["figure"]).max() < 1e-6)
                else:
                    fig = pooled["figure"]
                    test = (fig["x_test"], fig["y_test"])
                    fed = _scores(
                        list(federated["combined"]["weights"].values()), *test
                    )
                    pool = _scores(fig["beta"], *test)
                    same = bool(
                        abs(fed["auroc"] - pool["auroc"]) <= 0.01
                        and fed["auprc"] >= 0.9 * pool["auprc"]
                    )
                    figures["fedavg_test"] = {
                        "persons": len(fig["y_test"]),
                        "federated": fed,
                        "pooled": pool,
                        "nodes_mean": federated["combined"]["test"]["mean_over_nodes"],
                    }
                figures[study] = {
                    "federated_seconds": round(federated["seconds"], 3),
                    "pooled_seconds": round(pooled["seconds"], 3),
                    "ratio_seconds": round(federated["seconds"] / pooled["seconds"], 2),
                    "federated_bytes": federated["bytes"],
                    "pooled_bytes": pooled["bytes"],
                    "ratio_bytes": round(federated["bytes"] / pooled["bytes"], 3),
                    "messages": federated["messages"],
                    # FedAvg: within 0.01 of pooled AUROC, >= 90 % of its AUPRC
                    "within_targets" if study == "fedavg" else "equal_to_pooled": same,
                }
        finally:
            for process, _ in servers:
                process.terminate()
                process.wait(timeout=60)
    return figures


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--nodes", type=int, default=5)
    parser.add_argument("--patients", type=int, default=300, help="per node")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures = run(args.nodes, args.patients)
    print(f"{figures['nodes']} nodes of {figures['patients_per_node']} patients")
    for study in STUDIES:
        f = figures[study]
        print(
            f"{study:9} federated {f['federated_seconds']:.3f} s, "
            f"{f['federated_bytes']:,} bytes in {f['messages']} messages | pooled "
            f"{f['pooled_seconds']:.3f} s, {f['pooled_bytes']:,} bytes | ratio "
            f"{f['ratio_seconds']}x time, {f['ratio_bytes']}x bytes | "
            + (
                f"within targets: {f['within_targets']}"
                if study == "fedavg"
                else f"equal to pooled: {f['equal_to_pooled']}"
            )
        )
    t = figures["fedavg_test"]
    print(
        f"fedavg test ({t['persons']} persons): AUROC federated "
        f"{t['federated']['auroc']:.4f} pooled {t['pooled']['auroc']:.4f} | AUPRC "
        f"federated {t['federated']['auprc']:.4f} pooled {t['pooled']['auprc']:.4f} "
        f"| the nodes' own, averaged: {t['nodes_mean']}"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
