"""Full-text search of notes: indexing speed and query latency.

Writes `--notes` synthetic French notes (sentences of the synthetic hospital's
phrase book, diseases affirmed, negated, hypothetical or about a relative)
into a DuckDB warehouse, indexes them with `update_index`, then times a mix of
queries (words, phrases, booleans, filters) through `search_notes`. Baseline,
in the same run: the same words found by a DuckDB ILIKE scan of note_text
(which cannot tell "pas de sclérodermie" from "sclérodermie").
Targets: >= 1,000 notes/s indexed; query p95 <= 50 ms on 100,000 notes.

    python bench/search.py [--notes 100000] [--queries 200] [--json out.json]
    python bench/search.py --notes 1000000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa

from entrepot.search import SearchFilters, search_notes, update_index
from entrepot.synth.notes._lexicon import DISEASE_FORMS
from entrepot.synth.notes._templates import PHRASES
from entrepot.warehouse import Warehouse

TARGET_NOTES_PER_S = 1_000
TARGET_P95_MS = 50
_CHUNK = 50_000  # notes generated and loaded at once
TITLES = (
    "Compte rendu de consultation",
    "Compte rendu d'hospitalisation",
    "Ordonnance",
)
KINDS = ("hdm", "neg", "hyp", "family", "history", "conclusion")
FILLERS = ("exam", "general_state", "evolution", "lifestyle", "follow_up", "closing")
QUERIES = (
    ("sclérodermie", {}),
    ("insuffisance cardiaque", {}),
    ('"fibrillation atriale"', {}),
    ("diabète AND NOT hypertension", {}),
    ("lupus OR psoriasis", {}),
    ("migraine", {"exclude": ()}),
    ("toux", {"note_type": "Compte rendu de consultation"}),
    ("embolie pulmonaire", {"start": date(2020, 1, 1), "end": date(2022, 12, 31)}),
)


def _sentence(rng: random.Random, kind: str) -> str:
    forms = rng.choice(list(DISEASE_FORMS.values()))
    article, name = rng.choice(forms)
    text = rng.choice(PHRASES[kind])
    slots = {"x": name, "a": article, "A": article.capitalize(), "de": "de ",
             "da": "d'" + article, "year": str(rng.randint(1990, 2020))}  # fmt: skip
    for key, value in slots.items():
        text = text.replace("{" + key + "}", value)
    return text.replace("{", "").replace("}", "")


def note_table(count: int, seed: int = 1, first_id: int = 1) -> pa.Table:
    """`count` notes of about 1,500 characters, 2,000 patients, 2015-2024."""
    rng = random.Random(seed + first_id)
    start = date(2015, 1, 1)
    texts, days, titles, persons = [], [], [], []
    for _ in range(count):
        parts = [_sentence(rng, rng.choice(KINDS)) for _ in range(8)]
        parts += [_sentence(rng, k) for k in rng.sample(FILLERS, 4)]
        rng.shuffle(parts)
        texts.append("\n".join(parts))
        days.append(start + timedelta(days=rng.randrange(3_650)))
        titles.append(rng.choice(TITLES))
        persons.append(rng.randrange(2_000) + 1)
    return pa.table({"note_id": pa.array(range(first_id, first_id + count), pa.int64()),
                     "person_id": pa.array(persons, pa.int64()), "note_date": days,
                     "note_title": titles, "note_text": texts})  # fmt: skip


def _load(wh, notes: pa.Table) -> None:
    schema = wh.table("note").schema().to_pyarrow()
    columns = {
        f.name: notes[f.name] if f.name in notes.column_names
        else pa.nulls(len(notes), f.type)
        for f in schema
    }  # fmt: skip
    with wh.store.transaction() as tx:
        tx.append("cdm", "note", wh.store.from_arrow(pa.table(columns).cast(schema)))


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def run(notes: int = 100_000, queries: int = 200, folder: Path | None = None) -> dict:
    """Index `notes` notes, then time `queries` searches and the ILIKE baseline."""
    with tempfile.TemporaryDirectory(dir=folder) as tmp:
        wh = Warehouse.create(Path(tmp) / "bench.duckdb", vocabulary=False)
        for first in range(1, notes + 1, _CHUNK):  # bounded memory for 1,000,000
            _load(wh, note_table(min(_CHUNK, notes - first + 1), first_id=first))
        started = time.perf_counter()
        indexed = update_index(wh)
        index_seconds = time.perf_counter() - started
        latencies, baseline = [], []
        for i in range(queries):
            text, filters = QUERIES[i % len(QUERIES)]
            started = time.perf_counter()
            search_notes(wh, text, SearchFilters(**filters))
            latencies.append((time.perf_counter() - started) * 1000)
        note = wh.table("note")
        for i in range(max(queries // 10, len(QUERIES))):
            word = QUERIES[i % len(QUERIES)][0].strip('"').split()[0]
            started = time.perf_counter()
            note.filter(note.note_text.ilike(f"%{word}%")).count().execute()
            baseline.append((time.perf_counter() - started) * 1000)
        wh.close()
    p95 = _percentile(latencies, 0.95)
    baseline_p95 = _percentile(baseline, 0.95)
    return {
        "notes": notes,
        "indexed": indexed["indexed"],
        "index_seconds": round(index_seconds, 2),
        "index_notes_per_s": round(notes / index_seconds),
        "queries": queries,
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(p95, 2),
        "ilike_p95_ms": round(baseline_p95, 2),
        "ratio": round(baseline_p95 / p95, 2),
        "targets_met": notes / index_seconds >= TARGET_NOTES_PER_S
        and p95 <= TARGET_P95_MS,
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args(argv)
    f = run(args.notes, args.queries)
    print(
        f"indexed {f['notes']} notes in {f['index_seconds']} s: "
        f"{f['index_notes_per_s']} notes/s (target >= {TARGET_NOTES_PER_S})"
    )
    print(f"{f['queries']} queries: p50 {f['p50_ms']} ms, p95 {f['p95_ms']} ms "
          f"(target <= {TARGET_P95_MS}); ILIKE scan p95 {f['ilike_p95_ms']} ms, "
          f"ratio {f['ratio']}x")  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))
    return f


if __name__ == "__main__":
    main()
