"""Integrity of held-out set 2 (`deid_eval/held_out_2.jsonl`).

Reads only that file: it checks the annotations against the text, not any de-identifier."""
import json
import re
from collections import Counter
from pathlib import Path

import pytest

PATH = Path(__file__).parent / "deid_eval" / "held_out_2.jsonl"
LABELS = {"NOM", "PRENOM", "DATE", "DATE_NAISSANCE", "ADRESSE", "VILLE", "ZIP", "TEL", "MAIL",
          "NSS", "IPP", "NDA", "HOPITAL"}
DOCS = [json.loads(line) for line in PATH.read_text(encoding="utf-8").splitlines() if line.strip()]


def nir_key_ok(nir):
    digits = re.sub(r"\s", "", nir).upper()
    if not re.fullmatch(r"[12]\d{2}\d{2}(\d{2}|2A|2B)\d{6}\d{2}", digits):
        return False
    body = digits[:13].replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == int(digits[13:])


def test_at_least_40_documents():
    assert len(DOCS) >= 40
    assert len({d["id"] for d in DOCS}) == len(DOCS)


@pytest.mark.parametrize("doc", DOCS, ids=[d["id"] for d in DOCS])
def test_offsets_labels_keys(doc):
    text = doc["text"]
    for s in doc["identifiers"]:
        assert text[s["start"]:s["end"]] == s["text"], s
        assert s["label"] in LABELS, s
        assert s["text"] == s["text"].strip() and s["text"], s
        if s["label"] == "NSS":
            assert nir_key_ok(s["text"]), s
    for s in doc["medical_terms"]:
        assert text[s["start"]:s["end"]] == s["text"], s
    if "nir" in doc["patient"]:
        assert nir_key_ok(doc["patient"]["nir"]), doc["patient"]["nir"]
    spans = sorted((s["start"], s["end"]) for s in doc["identifiers"])
    for (a0, a1), (b0, b1) in zip(spans, spans[1:]):
        assert a1 <= b0, (a0, a1, b0, b1)  # identifier spans do not overlap


@pytest.mark.parametrize("doc", DOCS, ids=[d["id"] for d in DOCS])
def test_annotated_value_annotated_everywhere(doc):
    """A value annotated once is covered by an identifier span wherever it occurs as a word
    (case-sensitive; values shorter than 3 characters, such as a bare day `le 3`, are skipped)."""
    text = doc["text"]
    covered = set()
    for s in doc["identifiers"]:
        covered.update(range(s["start"], s["end"]))
    missing = []
    for value in {s["text"] for s in doc["identifiers"] if len(s["text"]) >= 3}:
        for m in re.finditer(r"(?<!\w)" + re.escape(value) + r"(?!\w)", text):
            if not set(range(m.start(), m.end())) <= covered:
                missing.append((value, m.start()))
    assert not missing, missing


def test_every_label_present():
    counts = Counter(s["label"] for d in DOCS for s in d["identifiers"])
    assert set(counts) == LABELS, counts
