"""Mapping local lab codes to LOINC (`entrepot vocab map`): top-1 and top-5
accuracy, against a baseline in the same run (exact match of normalised
labels), on two sets labelled apart:

- synthetic: the synthetic hospital's own lab catalogue (125 codes, written
  with the matcher in view; its truth is the LOINC it records);
- held-out, hand-written: 47 French lab labels of bench/data/vocab_map_heldout.csv,
  written and committed before the matcher existed, never tuned on.

Target: top-5 ≥ 0.9 on the synthetic codes.

    python bench/vocab_map.py [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import tempfile
import time
from pathlib import Path

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: F401 (imported before timing)

from entrepot.synth._reference import local_lab_codes
from entrepot.warehouse import Warehouse
from entrepot.warehouse.vocabulary._mapping import (
    Source,
    _plain,
    accuracy,
    candidates,
    propose,
)

HELD_OUT = Path(__file__).resolve().parent / "data" / "vocab_map_heldout.csv"
TARGET_TOP5 = 0.9


def _number(text: str) -> float | None:
    return float(text) if text else None


def synthetic() -> tuple[list[Source], dict[str, str]]:
    """The synthetic lab system's catalogue and its true LOINC codes."""
    rows = local_lab_codes()
    sources = [
        Source(r["local_code"], r["local_label"], r["unit"] or None,
               _number(r["low"]), _number(r["high"]))
        for r in rows.values()
    ]  # fmt: skip
    return sources, {r["local_code"]: loinc for loinc, r in rows.items()}


def held_out() -> tuple[list[Source], dict[str, str]]:
    """The hand-written held-out labels and their true LOINC codes."""
    with HELD_OUT.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    sources = [
        Source(r["source_code"], r["source_label"], r["unit"] or None,
               _number(r["low"]), _number(r["high"]))
        for r in rows
    ]  # fmt: skip
    return sources, {r["source_code"]: r["loinc"] for r in rows}


def exact_labels(sources: list[Source], concepts) -> list[dict]:
    """The baseline: concepts one of whose labels equals the source label,
    once lower-cased, accents and punctuation removed."""
    by_label: dict[str, list] = {}
    for c in concepts:
        for label in c.labels:
            by_label.setdefault(_plain(label), []).append(c)
    return [
        {"source_code": s.code, "rank": rank, "concept_code": c.code}
        for s in sources
        for rank, c in enumerate(by_label.get(_plain(s.label), [])[:5], start=1)
    ]


def score(sources, truth, concepts) -> dict:
    started = time.perf_counter()
    proposals = propose(sources, concepts)
    seconds = time.perf_counter() - started
    return {
        "entrepot": accuracy(proposals, truth),
        "baseline_exact_label": accuracy(exact_labels(sources, concepts), truth),
        "codes_per_s": round(len(sources) / seconds, 1),
    }


def run() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        with Warehouse.create(Path(folder) / "v.duckdb", vocabulary=True) as wh:
            concepts = candidates(wh, "LOINC")
    return {
        "target_top5": TARGET_TOP5,
        "synthetic": score(*synthetic(), concepts),
        "held_out": score(*held_out(), concepts),
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args(argv)
    figures = run()
    for name, tag in (("synthetic", "synthetic"), ("held_out", "held-out, hand-written")):  # fmt: skip
        f = figures[name]
        for method in ("entrepot", "baseline_exact_label"):
            a = f[method]
            print(
                f"[{tag}] {method}: top-1 {a['top1']:.3f}, top-5 {a['top5']:.3f} "
                f"({a['codes']} codes)"
                + (f", target top-5 >= {TARGET_TOP5}" if method == "entrepot" else "")
            )
        print(f"[{tag}] codes/s (one core): {f['codes_per_s']}")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
