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

from entrepot.extraction import RulesBackend, evaluate, load_schema, read_gold
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


def scores(path: Path) -> dict[str, dict]:
    """Per field of the gold set: the 2 x 2 counts, sensitivity and specificity
    (%) with their Wilson 95 % intervals, and the paper's figures."""
    schema = load_schema("brain_mri")
    gold = read_gold(path, schema)
    got = RulesBackend(schema).extract(schema, [g.text for g in gold])
    result = evaluate(schema, gold, {g.id: e for g, e in zip(gold, got, strict=True)})

    def percent(p) -> list[float | None]:
        return [
            None if v is None else round(100 * v, 1) for v in (p.value, p.low, p.high)
        ]

    return {
        f.name: {
            "tp": f.binary.tp, "fn": f.binary.fn, "tn": f.binary.tn, "fp": f.binary.fp,
            "sensitivity": percent(f.binary.sensitivity),
            "specificity": percent(f.binary.specificity),
            "published": {c.measure: c.published for c in f.published},
        }
        for f in result.fields
    }  # fmt: skip


def _shown(p: list[float | None]) -> str:
    value, low, high = p
    return "n/a" if value is None else f"{value} [{low}, {high}]"


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reports", type=int, default=5_000)
    parser.add_argument("--gold", type=Path, default=DEVELOPMENT)
    parser.add_argument("--label", default="development (seen)")
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args(argv)
    fields = scores(args.gold)
    texts = [g.text for g in read_gold(args.gold, load_schema("brain_mri"))]
    figures = {
        "speed": speed(texts, args.reports),
        "gold": {"file": str(args.gold), "label": args.label, "reports": len(texts)},
        "fields": fields,
    }
    s = figures["speed"]
    print(f"{s['reports']} reports of ~{s['mean_chars']} characters, one process")
    print(f"rules backend: {s['rules_per_s']} reports/s (target >= {TARGET:g}); "
          f"plain nlp pipeline: {s['nlp_pipeline_per_s']} reports/s; "
          f"ratio {s['ratio']}x")  # fmt: skip
    print(
        f"[{args.label}] {len(texts)} reports of {args.gold.name}: % [Wilson 95 % CI]"
    )
    print(f"{'field':18} {'sensitivity':>20} {'specificity':>20}  tp fn tn fp  paper")
    for name, f in fields.items():
        sens, spec = (_shown(f[m]) for m in ("sensitivity", "specificity"))
        paper = " / ".join(f"{v:g}" for v in f["published"].values())
        print(f"{name:18} {sens:>20} {spec:>20}  {f['tp']} {f['fn']} {f['tn']} "
              f"{f['fp']}  {paper}")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
