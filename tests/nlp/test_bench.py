"""A small run of bench/nlp.py, so that it cannot rot (no timing assertion)."""

from __future__ import annotations

import os

from bench import nlp as bench


def test_nlp_benchmark_runs_small(hospital_file):
    figures = bench.main(
        ["--warehouse", str(hospital_file), "--documents", "8", "--chars", "3000",
         "--workers", "2"]
    )  # fmt: skip
    assert figures["documents"] == 8
    assert figures["mean_chars"] >= 3000
    for name in ("edsnlp", "entrepot"):
        f = figures[name]
        assert f["docs_per_s"] > 0 and f["found"] > 0
        assert 0.5 < f["negation"] <= 1.0
    assert figures["entrepot"]["found"] == figures["entrepot"]["gold_mentions"]
    e, o = figures["edsnlp"], figures["entrepot"]  # scored on the same gold mentions
    assert e["gold_mentions"] == o["gold_mentions"] > 0
    assert figures["scored_documents"] == e["documents"] == 2
    for f in (e, o):
        assert f["recall"] == round(f["found"] / f["gold_mentions"], 4)
    assert e["found_by_both"] == o["found_by_both"] == e["found"]
    assert figures["accuracy_no_worse"] == all(
        o["on_both"][q] >= e["on_both"][q] for q in bench.QUALIFIERS
    )
    one, two = figures["scaling"]
    assert (one["workers"], two["workers"]) == (1, 2)
    assert one["found"] == two["found"] > 0  # the same notes on both
    assert one["speedup"] == 1.0
    assert two["speedup"] == round(two["docs_per_s"] / one["docs_per_s"], 2)
    assert figures["cpu_count"] == os.cpu_count()
