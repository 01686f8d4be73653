"""Clinical text pipeline: edsnlp's default pipeline vs entrepot's, side by side.

Both run on the same 5,000-character documents (a synthetic hospital's notes
of each patient, joined), one process each, then entrepot's on 1, 2, ...
`--workers` processes over the same documents, with the speedup over one
process, the machine's CPU count and its load average when measured (a shared
machine's figures move with what else runs).

Both are scored on the same gold mentions (the synthetic notes'
`note_annotation` spans) of the same documents (those edsnlp runs on): recall
(gold mentions found with their exact span), qualifier accuracy on the gold
mentions each found, and on those both found (edsnlp's matcher is given the
gold mentions' words: its default pipeline has no terminology of its own).
Target: entrepot >= 5x edsnlp's documents/s per core, with qualifier accuracy
no worse on the mentions both found.

    python bench/nlp.py [--documents 300] [--chars 5000] [--workers 2] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

from entrepot.nlp import Entity, Gold, Pipeline, warehouse_gold

QUALIFIERS = ("negation", "hypothesis", "family", "history")
TARGET_RATIO = 5.0


def documents(golds: list[Gold], count: int, chars: int) -> list[Gold]:
    """Notes joined into documents of about `chars` characters, gold spans shifted."""
    out: list[Gold] = []
    text, spans = "", []
    for gold in golds * (1 + count * chars // max(sum(len(g.text) for g in golds), 1)):
        shift = len(text)
        text += gold.text + "\n\n"
        spans += [_shifted(e, shift) for e in gold.entities]
        if len(text) >= chars:
            out.append(Gold(len(out), text, tuple(spans)))
            text, spans = "", []
            if len(out) == count:
                break
    return out


def _shifted(e: Entity, shift: int) -> Entity:
    return Entity(e.start + shift, e.end + shift, e.text, e.label, e.concept_code,
                  e.negation, e.hypothesis, e.family, e.history)  # fmt: skip


def edsnlp_default(golds: list[Gold]):
    """edsnlp's default pipeline, its matcher given the gold mentions' words."""
    import edsnlp
    import edsnlp.pipes as eds

    terms: dict[str, set[str]] = {}
    for gold in golds:
        for e in gold.entities:
            terms.setdefault(e.label.lower(), set()).add(e.text)
    nlp = edsnlp.blank("eds")
    nlp.add_pipe(eds.sentences())
    nlp.add_pipe(eds.normalizer())
    nlp.add_pipe(
        eds.matcher(terms={k: sorted(v) for k, v in terms.items()}, attr="NORM")
    )
    nlp.add_pipe(eds.negation())
    nlp.add_pipe(eds.hypothesis())
    nlp.add_pipe(eds.family())
    nlp.add_pipe(eds.history())
    nlp.add_pipe(eds.dates())
    return nlp


def _edsnlp_entities(doc) -> list[Entity]:
    return [
        Entity(e.start_char, e.end_char, e.text, e.label_.upper(), None,
               bool(e._.negation), bool(e._.hypothesis), bool(e._.family),
               bool(e._.history))
        for e in doc.ents
    ]  # fmt: skip


def _found(
    pairs: list[tuple[list[Entity], tuple[Entity, ...]]],
) -> dict[tuple[int, int, int], tuple[Entity, Entity]]:
    """(document, start, end) of each gold mention found: (predicted, gold)."""
    found = {}
    for doc, (predicted, gold) in enumerate(pairs):
        by_span = {(e.start, e.end): e for e in predicted}
        for g in gold:
            if (e := by_span.get((g.start, g.end))) is not None:
                found[(doc, g.start, g.end)] = (e, g)
    return found


def _accuracy(found: list[tuple[Entity, Entity]]) -> dict:
    return {
        q: round(sum(getattr(e, q) == getattr(g, q) for e, g in found)
                 / max(len(found), 1), 4)
        for q in QUALIFIERS
    }  # fmt: skip


def scores(
    pairs: dict[str, list[tuple[list[Entity], tuple[Entity, ...]]]],
) -> dict[str, dict]:
    """Per pipeline, on the same gold mentions: recall, qualifier accuracy on
    those it found, and (`on_both`) on those every pipeline found."""
    total = sum(len(gold) for _, gold in next(iter(pairs.values())))
    found = {name: _found(p) for name, p in pairs.items()}
    both = set.intersection(*(set(f) for f in found.values()))
    return {
        name: {
            "gold_mentions": total,
            "found": len(f),
            "recall": round(len(f) / max(total, 1), 4),
            **_accuracy(list(f.values())),
            "found_by_both": len(both),
            "on_both": _accuracy([f[k] for k in sorted(both)]),
        }
        for name, f in found.items()
    }


def _timed(run, docs: list[Gold]) -> tuple[float, list]:
    started = time.perf_counter()
    results = [run(d.text) for d in docs]
    return time.perf_counter() - started, results


_worker_pipeline: Pipeline | None = None


def _load(barrier) -> None:
    """Load the pipeline in a worker, then wait for every worker to have it."""
    global _worker_pipeline
    _worker_pipeline = Pipeline()
    _worker_pipeline("Pas de fièvre.")
    barrier.wait()


def _entrepot_count(texts: list[str]) -> int:
    assert _worker_pipeline is not None
    return sum(len(_worker_pipeline(t).entities) for t in texts)


def scaling(docs: list[Gold], workers: int) -> dict:
    """entrepot's documents/s over `workers` processes, every one loaded first."""
    texts = [d.text for d in docs]
    chunks = [texts[i :: workers * 4] for i in range(workers * 4)]
    context = multiprocessing.get_context()
    barrier = context.Barrier(workers)
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_load, initargs=(barrier,)
    ) as pool:
        pool.submit(_entrepot_count, []).result()  # after every worker has loaded
        started = time.perf_counter()
        found = sum(pool.map(_entrepot_count, chunks))
        seconds = time.perf_counter() - started
    return {"workers": workers, "docs_per_s": round(len(texts) / seconds, 1),
            "found": found}  # fmt: skip


def scaling_series(docs: list[Gold], workers: int) -> dict:
    """Throughput on 1..`workers` processes, speedups over one, and the machine."""
    load = os.getloadavg()[0]
    rows = [scaling(docs, w) for w in range(1, max(workers, 1) + 1)]
    one = rows[0]["docs_per_s"]
    for row in rows:
        row["speedup"] = round(row["docs_per_s"] / one, 2)
        row["efficiency"] = round(row["speedup"] / row["workers"], 2)
    return {
        "scaling": rows,
        "cpu_count": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "load_average_1min": round(load, 2),
    }


def run(
    golds: list[Gold], count: int = 300, chars: int = 5_000, workers: int = 2
) -> dict:
    """Both pipelines on the same documents: throughput and qualifier accuracy."""
    docs = documents(golds, count, chars)
    eds_docs = docs[: max(len(docs) // 4, 1)]  # edsnlp is slow: a quarter will do
    eds = edsnlp_default(golds)
    eds(docs[0].text)  # warm up
    eds_seconds, eds_docs_out = _timed(eds, eds_docs)
    ours = Pipeline()
    ours(docs[0].text)
    our_seconds, our_out = _timed(ours, docs)
    eds_rate = len(eds_docs) / eds_seconds
    our_rate = len(docs) / our_seconds
    scored = scores(
        {
            "edsnlp": [(_edsnlp_entities(d), g.entities)
                       for d, g in zip(eds_docs_out, eds_docs, strict=True)],
            "entrepot": [(d.entities, g.entities) for d, g
                         in zip(our_out[: len(eds_docs)], eds_docs, strict=True)],
        }
    )  # fmt: skip
    return {
        "documents": len(docs),
        "scored_documents": len(eds_docs),
        "mean_chars": round(sum(len(d.text) for d in docs) / len(docs)),
        "edsnlp": {"documents": len(eds_docs), "docs_per_s": round(eds_rate, 2)}
        | scored["edsnlp"],
        "entrepot": {"documents": len(docs), "docs_per_s": round(our_rate, 2)}
        | scored["entrepot"],
        "ratio": round(our_rate / eds_rate, 2),
        "target_ratio": TARGET_RATIO,
        "accuracy_no_worse": all(
            scored["entrepot"]["on_both"][q] >= scored["edsnlp"]["on_both"][q]
            for q in QUALIFIERS
        ),
    } | scaling_series(docs, workers)


def _golds(warehouse: str | None, patients: int, folder: Path) -> list[Gold]:
    from entrepot.synth import generate_hospital
    from entrepot.warehouse import Warehouse

    if warehouse is None:
        warehouse = str(folder / "bench.duckdb")
        generate_hospital(warehouse, patients=patients, seed=3, notes=True)
    with Warehouse.open(warehouse, read_only=True) as wh:
        return warehouse_gold(wh)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=300)
    parser.add_argument("--chars", type=int, default=5_000)
    parser.add_argument(
        "--workers", type=int, default=2, help="Measure on 1..N processes (2)."
    )
    parser.add_argument("--patients", type=int, default=150)
    parser.add_argument("--warehouse", help="Use this synthetic hospital's notes.")
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        golds = _golds(args.warehouse, args.patients, Path(tmp))
    figures = run(golds, args.documents, args.chars, args.workers)
    e, o = figures["edsnlp"], figures["entrepot"]
    print(f"{figures['documents']} documents of ~{figures['mean_chars']} characters")
    print(f"scored on the same {e['gold_mentions']} gold mentions of "
          f"{figures['scored_documents']} documents; qualifier accuracy on the gold "
          f"mentions each found, then on the {e['found_by_both']} both found")  # fmt: skip
    print(f"{'':10} {'docs/s/core':>12} {'recall':>8} "
          + " ".join(f"{q:>10}" for q in QUALIFIERS))  # fmt: skip
    for name, f in (("edsnlp", e), ("entrepot", o)):
        print(f"{name:10} {f['docs_per_s']:>12} {f['recall']:>8} "
              + " ".join(f"{f[q]:>10}" for q in QUALIFIERS))  # fmt: skip
        print(f"{'  on both':10} {'':>12} {'':>8} "
              + " ".join(f"{f['on_both'][q]:>10}" for q in QUALIFIERS))  # fmt: skip
    print(f"ratio {figures['ratio']}x (target >= {TARGET_RATIO}x), qualifier accuracy "
          f"no worse on the mentions both found: {figures['accuracy_no_worse']}")  # fmt: skip
    print(f"scaling on {figures['cpu_count']} CPUs ({figures['usable_cpus']} usable, "
          f"load average {figures['load_average_1min']}):")  # fmt: skip
    for s in figures["scaling"]:
        print(f"entrepot on {s['workers']} processes: {s['docs_per_s']} docs/s, "
              f"{s['speedup']}x one process ({s['efficiency']:.0%} efficiency)")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
