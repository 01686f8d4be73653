"""Structured extraction: the rules backend's speed, and its figures on a gold set.

The rules backend and, as the baseline, entrepot's plain clinical text
pipeline (`entrepot.nlp.Pipeline`, mentions and qualifiers, nothing
extracted) run on the same reports in one process: reports/s of each and
their ratio. Target: >= 100 reports/s per core for the rules. The reports are
the gold set's, repeated up to `--reports`; the gold set (by default the
hand-written development set, which the rules were built on: "development
(seen)") is also scored: sensitivity and specificity per field.

    python bench/extract.py [--reports 5000] [--gold FILE.jsonl] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from entrepot.extraction import RulesBackend, load_schema
from entrepot.nlp import Pipeline

DEVELOPMENT = (
    Path(__file__).resolve().parents[1] / "tests/extraction/brain_mri_dev.jsonl"
)
TARGET = 100.0  # reports/s per core


def _timed(run, texts: list[str]) -> float:
    """Reports per second of `run` over `texts`, after one warm-up call."""
    run(texts[:1])
    started = time.perf_counter()
    run(texts)
    return len(texts) / (time.perf_counter() - started)


def speed(texts: list[str], count: int) -> dict:
    """The rules and the plain pipeline on the same `count` reports."""
    reports = (texts * (count // len(texts) + 1))[:count]
    schema = load_schema("brain_mri")
    rules = RulesBackend(schema)
    pipeline = Pipeline()
    ours = _timed(lambda t: rules.extract(schema, t), reports)
    baseline = _timed(lambda t: [pipeline(x) for x in t], reports)
    return {
        "reports": count,
        "mean_chars": round(sum(map(len, reports)) / count),
        "rules_per_s": round(ours, 1),
        "nlp_pipeline_per_s": round(baseline, 1),
        "ratio": round(ours / baseline, 2),
        "target_per_s": TARGET,
    }


def scores(gold: list[dict]) -> dict[str, dict]:
    """Per field: the confusion counts, sensitivity and specificity (%)."""
    schema = load_schema("brain_mri")
    got = RulesBackend(schema).extract(schema, [g["text"] for g in gold])
    out = {}
    for field in schema.names:
        pairs = [
            (g["fields"][field], e.fields[field])
            for g, e in zip(gold, got, strict=True)
            if g["fields"][field] is not None
        ]
        tp = sum(g is True and p is True for g, p in pairs)
        tn = sum(g is False and p is False for g, p in pairs)
        positives = sum(g is True for g, _ in pairs)
        negatives = len(pairs) - positives
        out[field] = {
            "tp": tp, "fn": positives - tp, "tn": tn, "fp": negatives - tn,
            "sensitivity": round(100 * tp / positives, 1) if positives else None,
            "specificity": round(100 * tn / negatives, 1) if negatives else None,
        }  # fmt: skip
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5_000)
    parser.add_argument("--gold", type=Path, default=DEVELOPMENT)
    parser.add_argument("--label", default="development (seen)")
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args(argv)
    gold = [json.loads(line) for line in args.gold.read_text().splitlines() if line]
    figures = {
        "speed": speed([g["text"] for g in gold], args.reports),
        "gold": {"file": str(args.gold), "label": args.label, "reports": len(gold)},
        "fields": scores(gold),
    }
    s = figures["speed"]
    print(f"{s['reports']} reports of ~{s['mean_chars']} characters, one process")
    print(f"rules backend: {s['rules_per_s']} reports/s (target >= {TARGET:g}); "
          f"plain nlp pipeline: {s['nlp_pipeline_per_s']} reports/s; "
          f"ratio {s['ratio']}x")  # fmt: skip
    print(f"[{args.label}] {len(gold)} reports of {args.gold.name}")
    print(f"{'field':20} {'sensitivity':>12} {'specificity':>12}   tp fn tn fp")
    for name, f in figures["fields"].items():
        print(f"{name:20} {f['sensitivity']!s:>12} {f['specificity']!s:>12}   "
              f"{f['tp']} {f['fn']} {f['tn']} {f['fp']}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
