"""A small run of bench/search.py, so that it cannot rot (no timing assertion)."""

from __future__ import annotations

from bench import search as bench


def test_search_benchmark_runs_small(tmp_path):
    figures = bench.run(notes=300, queries=16, folder=tmp_path)
    assert (figures["notes"], figures["indexed"]) == (300, 300)
    assert figures["index_notes_per_s"] > 0
    assert 0 < figures["p50_ms"] <= figures["p95_ms"]


def test_notes_are_french_and_qualified():
    notes = bench.note_table(5, seed=2)
    assert notes.num_rows == 5
    text = "\n".join(notes["note_text"].to_pylist())
    assert "{" not in text and len(text) > 2_000
