"""Scoring a de-identifier against gold identifier spans."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable


def score(
    gold: dict[Hashable, list[dict]],
    found: dict[Hashable, list[dict]],
    keep: dict[Hashable, list[dict]] | None = None,
) -> dict:
    """Recall per label (a gold span counts when every character is removed),
    precision (found spans touching a gold span), F1, the share of documents
    with every gold span removed, and the gold spans left (`missed`, with the
    document's key). With `keep` (spans of medical terms per document), the
    share of those terms that no found span touches."""
    hit, total = defaultdict(int), defaultdict(int)
    true_found = all_found = clean = 0
    missed = []
    for doc, spans in gold.items():
        removed, before = _covered(found.get(doc, [])), len(missed)
        for g in spans:
            total[g["label"]] += 1
            if all(i in removed for i in range(g["start"], g["end"])):
                hit[g["label"]] += 1
            else:
                missed.append({"document": doc, **g})
        clean += len(missed) == before
        gold_chars = _covered(spans)
        for f in found.get(doc, []):
            all_found += 1
            true_found += any(i in gold_chars for i in range(f["start"], f["end"]))
    recall = sum(hit.values()) / max(sum(total.values()), 1)
    precision = true_found / max(all_found, 1)
    result = {
        "documents": len(gold),
        "recall": {k: round(hit[k] / total[k], 4) for k in sorted(total)},
        "recall_all": round(recall, 4),
        "precision": round(precision, 4),
        "f1": round(2 * recall * precision / max(recall + precision, 1e-9), 4),
        "fully_deidentified": round(clean / max(len(gold), 1), 4),
        "missed": missed,
    }
    if keep is not None:
        result["medical_terms_intact"] = _intact(keep, found)
    return result


def _intact(
    keep: dict[Hashable, list[dict]], found: dict[Hashable, list[dict]]
) -> float:
    """The share of medical-term spans that no found span touches."""
    intact = terms = 0
    for doc, spans in keep.items():
        removed = _covered(found.get(doc, []))
        terms += len(spans)
        intact += sum(
            not any(i in removed for i in range(s["start"], s["end"])) for s in spans
        )
    return round(intact / max(terms, 1), 4)


def _covered(spans: list[dict]) -> set[int]:
    return {i for s in spans for i in range(s["start"], s["end"])}
