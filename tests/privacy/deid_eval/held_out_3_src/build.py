"""Turn the hand-marked sources (*.txt here) into ../held_out_3.jsonl (held-out set 3).

[[value|CODE]] marks an identifier, {{term}} a medical term to keep.
In an NSS value and in the patient's nir, '??' is replaced by the NIR key."""

import json
import re
import sys
from pathlib import Path

CODES = {
    "N": "NOM",
    "P": "PRENOM",
    "D": "DATE",
    "DN": "DATE_NAISSANCE",
    "A": "ADRESSE",
    "V": "VILLE",
    "Z": "ZIP",
    "T": "TEL",
    "M": "MAIL",
    "S": "NSS",
    "I": "IPP",
    "NDA": "NDA",
    "H": "HOPITAL",
}
TOKEN = re.compile(r"\[\[(.+?)\|([A-Z]+)\]\]|\{\{(.+?)\}\}")


def key(nir):
    digits = (
        nir.replace(" ", "").replace("??", "").replace("2A", "19").replace("2B", "18")
    )
    assert len(digits) == 13, nir
    return nir.replace("??", f"{97 - int(digits) % 97:02d}")


def parse(block):
    head, _, body = block.partition("\n---\n")
    lines = head.strip().splitlines()
    doc_id = lines[0].strip()
    meta = dict(line.split(": ", 1) for line in lines[1:])
    patient = json.loads(meta["patient"])
    if "nir" in patient:
        patient["nir"] = key(patient["nir"])
    body = body.strip("\n")
    text, idents, terms, pos = [], [], [], 0
    out = 0
    for m in TOKEN.finditer(body):
        chunk = body[pos : m.start()]
        text.append(chunk)
        out += len(chunk)
        if m.group(3) is not None:
            value = m.group(3)
            terms.append({"start": out, "end": out + len(value), "text": value})
        else:
            value, code = m.group(1), m.group(2)
            label = CODES[code]
            if label == "NSS":
                value = key(value)
            idents.append(
                {"start": out, "end": out + len(value), "label": label, "text": value}
            )
        text.append(value)
        out += len(value)
        pos = m.end()
    text.append(body[pos:])
    text = "".join(text)
    assert (
        "[[" not in text and "]]" not in text and "{{" not in text and "}}" not in text
    ), doc_id
    return {
        "id": doc_id,
        "style": meta["style"],
        "patient": patient,
        "text": text,
        "identifiers": idents,
        "medical_terms": terms,
    }


def lint(doc):
    """Flag what looks like an identifier left unmarked, for a human to look at."""
    t = doc["text"]
    cov = {
        i
        for s in doc["identifiers"] + doc["medical_terms"]
        for i in range(s["start"], s["end"])
    }
    pats = [
        r"\d{2}[ .-]?\d{2}[ .-]?\d{2}[ .-]?\d{2}[ .-]?\d{2}",
        r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b",
        r"\S+@\S+",
        r"\b\d{5}\b",
        r"\b\d{8,}\b",
        r"\b\d{1,2}(er)? (janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)",
    ]
    for p in pats:
        for m in re.finditer(p, t):
            if not set(range(m.start(), m.end())) <= cov:
                print(f"  {doc['id']}: unmarked? {m.group()!r}")


docs = []
for f in sorted(Path(__file__).parent.glob("*.txt")):
    for block in f.read_text(encoding="utf-8").split("\n=== ")[1:]:
        docs.append(parse(block))
for d in docs:
    lint(d)
out = (
    Path(sys.argv[1])
    if len(sys.argv) > 1
    else Path(__file__).parent.parent / "held_out_3.jsonl"
)
out.write_text(
    "".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs), encoding="utf-8"
)
print(len(docs), "documents")
