"""Scores of the pipeline against gold mentions: per label and per qualifier.

Gold comes from the synthetic hospital (`entrepot.note_annotation`) or from
documents written with inline marks, as edsnlp's tests write them:
``<ent label=DISEASE code=CIM10:M34 negation>sclérodermie</ent>``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from entrepot.errors import InputFileError
from entrepot.nlp._pipeline import Entity, Pipeline

QUALIFIERS = ("negation", "hypothesis", "family", "history")
_MARK = re.compile(r"<ent((?:\s+[\w-]+(?:=[^\s>]+)?)*)\s*>(.*?)</ent>", re.DOTALL)
_ATTRIBUTE = re.compile(r"([\w-]+)(?:=([^\s>]+))?")


@dataclass(frozen=True, slots=True)
class Gold:
    """One gold document: its text and its mentions."""

    id: object
    text: str
    entities: tuple[Entity, ...]


def parse_marked(marked: str, id: object = None) -> Gold:
    """A document written with ``<ent ...>`` marks -> its text and gold mentions."""
    text, entities, last = [], [], 0
    length = 0
    for m in _MARK.finditer(marked):
        before = marked[last : m.start()]
        text.append(before)
        length += len(before)
        attributes = {k: v for k, v in _ATTRIBUTE.findall(m.group(1))}
        inner = m.group(2)
        flags = {
            q: q in attributes and attributes[q] in ("", "true") for q in QUALIFIERS
        }
        entities.append(
            Entity(
                length,
                length + len(inner),
                inner,
                attributes.get("label", "DISEASE"),
                attributes.get("code"),
                **flags,
            )
        )
        text.append(inner)
        length += len(inner)
        last = m.end()
    text.append(marked[last:])
    return Gold(id, "".join(text), tuple(entities))


def read_marked(path) -> list[Gold]:
    """Gold documents of a text file, separated by lines of three dashes."""
    try:
        content = open(path, encoding="utf-8").read()
    except (OSError, UnicodeDecodeError) as e:
        raise InputFileError(f"{path}: cannot read gold documents: {e}") from None
    parts = [p.strip("\n") for p in re.split(r"^---$", content, flags=re.MULTILINE)]
    return [parse_marked(p, i) for i, p in enumerate(parts) if p.strip()]


def warehouse_gold(wh, limit: int | None = None) -> list[Gold]:
    """The synthetic notes of a warehouse with their gold entity annotations."""
    notes = wh.table("note").select("note_id", "note_text").order_by("note_id")
    if limit:
        notes = notes.limit(limit)
    notes = notes.to_pyarrow().to_pylist()
    ann = wh.table("note_annotation")
    ann = ann.filter(ann.kind == "entity").to_pyarrow().to_pylist()
    by_note: dict[int, list[Entity]] = {}
    for a in ann:
        by_note.setdefault(a["note_id"], []).append(
            Entity(
                a["start"],
                a["end"],
                a["text"],
                a["label"],
                a["concept_code"],
                **{q: bool(a[q]) for q in QUALIFIERS},
            )
        )
    return [
        Gold(n["note_id"], n["note_text"], tuple(by_note.get(n["note_id"], ())))
        for n in notes
        if n["note_text"]
    ]


def _prf(tp: int, fp: int, fn: int) -> dict[str, float | int]:
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * p * r / (p + r) if p + r else 0.0
    return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f1, 4),
            "tp": tp, "fp": fp, "fn": fn}  # fmt: skip


def score(
    pairs: Iterable[tuple[Iterable[Entity], Iterable[Entity]]],
) -> dict[str, object]:
    """Scores of (predicted, gold) mentions per document: entities by exact span
    and label; qualifiers and concepts on the mentions found."""
    counts: dict[str, list[int]] = {}
    flags = {q: [0, 0, 0, 0] for q in QUALIFIERS}  # tp, fp, fn, tn
    concepts = [0, 0, 0]  # same code, same CIM-10 category or ATC group, compared
    documents = 0
    for predicted, gold in pairs:
        documents += 1
        gold_by_span = {(g.start, g.end, g.label): g for g in gold}
        labels = {g.label for g in gold_by_span.values()} | {"DISEASE", "DRUG", "LAB"}
        found = {(e.start, e.end, e.label): e for e in predicted if e.label in labels}
        for key in gold_by_span.keys() | found.keys():
            c = counts.setdefault(key[2], [0, 0, 0])
            c[
                0 if key in found and key in gold_by_span else 1 if key in found else 2
            ] += 1
        for key in found.keys() & gold_by_span.keys():
            e, g = found[key], gold_by_span[key]
            for q in QUALIFIERS:
                got, want = getattr(e, q), getattr(g, q)
                flags[q][0 if got and want else 1 if got else 2 if want else 3] += 1
            if g.concept_code:
                concepts[2] += 1
                concepts[0] += e.concept_code == g.concept_code
                concepts[1] += (e.concept_code or "")[:9] == g.concept_code[:9]
    total = [sum(c[i] for c in counts.values()) for i in range(3)]
    return {
        "documents": documents,
        "entities": {label: _prf(*c) for label, c in sorted(counts.items())}
        | {"all": _prf(*total)},
        "qualifiers": {
            q: _prf(*f[:3]) | {"accuracy": round((f[0] + f[3]) / max(sum(f), 1), 4)}
            for q, f in flags.items()
        },
        "concepts": {
            "compared": concepts[2],
            "exact": round(concepts[0] / max(concepts[2], 1), 4),
            "category": round(concepts[1] / max(concepts[2], 1), 4),
        },
    }


def evaluate(golds: Iterable[Gold], pipeline: Pipeline | None = None) -> dict:
    """Run the pipeline on gold documents and score it."""
    nlp = pipeline or Pipeline()
    return score((nlp(g.text).entities, g.entities) for g in golds)
