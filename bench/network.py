"""A network of synthetic hospitals: a count study and a logistic training
study sent by a hub to N nodes (real `entrepot serve` processes on loopback),
against the same analyses run pooled, in the same run.

Federated: the hub's wall time to send the study and, once every node's
administrator accepted it, to get and combine the answers (the Newton rounds
included), and the bytes of every message body exchanged (sent and received,
as the hub logs them; HTTP headers not counted). Pooled: the time to read
the person-level rows the analysis needs out of each warehouse and compute
the same figure on their union in one place (the count; the same Newton fit),
and the bytes of those rows as Parquet (zstd): the least that pooling would
move. `ratio` is federated over pooled.

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
}


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
            if body["analysis"] == "logistic":
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
    else:
        x = np.concatenate([d[0] for d in designs])
        y = np.concatenate([d[1] for d in designs])
        figure = _newton(x, y)
    seconds = time.perf_counter() - started
    sink = pa.BufferOutputStream()
    pq.write_table(union, sink, compression="zstd")
    return {"seconds": seconds, "bytes": sink.getvalue().size, "figure": figure}


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
            for study in ("count", "logistic"):
                path = folder / f"{study}.yaml"
                federated = _federated(folder / "hub", path, warehouses)
                pooled = _pooled(path, warehouses)
                if study == "count":
                    same = federated["combined"]["count"] == pooled["figure"]
                else:
                    found = list(federated["combined"]["coefficients"].values())
                    same = bool(np.abs(np.array(found) - pooled["figure"]).max() < 1e-6)
                figures[study] = {
                    "federated_seconds": round(federated["seconds"], 3),
                    "pooled_seconds": round(pooled["seconds"], 3),
                    "ratio_seconds": round(federated["seconds"] / pooled["seconds"], 2),
                    "federated_bytes": federated["bytes"],
                    "pooled_bytes": pooled["bytes"],
                    "ratio_bytes": round(federated["bytes"] / pooled["bytes"], 3),
                    "messages": federated["messages"],
                    "equal_to_pooled": same,
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
    for study in ("count", "logistic"):
        f = figures[study]
        print(
            f"{study:9} federated {f['federated_seconds']:.3f} s, "
            f"{f['federated_bytes']:,} bytes in {f['messages']} messages | pooled "
            f"{f['pooled_seconds']:.3f} s, {f['pooled_bytes']:,} bytes | ratio "
            f"{f['ratio_seconds']}x time, {f['ratio_bytes']}x bytes | equal to "
            f"pooled: {f['equal_to_pooled']}"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=1))
    return figures


if __name__ == "__main__":
    main()
