"""Scoring a de-identifier against gold identifier spans."""

from __future__ import annotations

from collections import defaultdict


def score(gold: dict[int, list[dict]], found: dict[int, list[dict]]) -> dict:
    """Recall per label (a gold span counts when every character is removed),
    precision (found spans touching a gold span), F1, and the share of documents
    with every gold span removed."""
    hit, total = defaultdict(int), defaultdict(int)
    true_found = all_found = clean = 0
    for doc, spans in gold.items():
        removed = _covered(found.get(doc, []))
        ok = True
        for g in spans:
            total[g["label"]] += 1
            if all(i in removed for i in range(g["start"], g["end"])):
                hit[g["label"]] += 1
            else:
                ok = False
        clean += ok
        gold_chars = {i for g in spans for i in range(g["start"], g["end"])}
        for f in found.get(doc, []):
            all_found += 1
            true_found += any(i in gold_chars for i in range(f["start"], f["end"]))
    recall = sum(hit.values()) / max(sum(total.values()), 1)
    precision = true_found / max(all_found, 1)
    return {
        "documents": len(gold),
        "recall": {k: round(hit[k] / total[k], 4) for k in sorted(total)},
        "recall_all": round(recall, 4),
        "precision": round(precision, 4),
        "f1": round(2 * recall * precision / max(recall + precision, 1e-9), 4),
        "fully_deidentified": round(clean / max(len(gold), 1), 4),
    }


def _covered(spans: list[dict]) -> set[int]:
    return {i for s in spans for i in range(s["start"], s["end"])}
