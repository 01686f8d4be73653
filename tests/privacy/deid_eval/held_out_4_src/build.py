"""One-off converter for held-out set 4: `NN.txt` (a header, `===`, then the text with
identifiers marked `[[value|LABEL]]` and medical terms `{{term}}`) to `../held_out_4.jsonl`.

A NIR written with `..` in place of its key, or a patient `nir` of 13 characters, gets its
key (97 minus the first 13 digits modulo 97, 2A/2B read as 19/18). Run it from anywhere:
`python tests/privacy/deid_eval/held_out_4_src/build.py`."""

import json
import re
from pathlib import Path

HERE = Path(__file__).parent
MARK = re.compile(r"\[\[(.+?)\|([A-Z_]+)\]\]|\{\{(.+?)\}\}", re.S)


def nir_key(body):
    digits = re.sub(r"\s", "", body).upper().replace("2A", "19").replace("2B", "18")
    return f"{97 - int(digits[:13]) % 97:02d}"


def with_key(nir):
    if nir.endswith(".."):
        return nir[:-2] + nir_key(nir[:-2])
    if len(re.sub(r"\s", "", nir)) == 13:
        return nir + " " + nir_key(nir)
    return nir


def convert(source):
    head, body = source.read_text(encoding="utf-8").split("\n===\n", 1)
    meta = dict(line.split(": ", 1) for line in head.splitlines())
    patient = json.loads(meta["patient"])
    if "nir" in patient:
        patient["nir"] = with_key(patient["nir"])
    text, spans, terms, last = [], [], [], 0
    size = 0
    for m in MARK.finditer(body):
        chunk = body[last : m.start()]
        text.append(chunk)
        size += len(chunk)
        if m.group(3) is not None:
            value = m.group(3)
            terms.append({"start": size, "end": size + len(value), "text": value})
        else:
            value, label = m.group(1), m.group(2)
            if label == "NSS":
                value = with_key(value)
            spans.append(
                {"start": size, "end": size + len(value), "label": label, "text": value}
            )
        text.append(value)
        size += len(value)
        last = m.end()
    text.append(body[last:])
    full = "".join(text).rstrip("\n") + "\n"
    return {
        "id": meta["id"],
        "style": meta["style"],
        "patient": patient,
        "text": full,
        "identifiers": spans,
        "medical_terms": terms,
    }


def main():
    docs = [convert(p) for p in sorted(HERE.glob("[0-9][0-9].txt"))]
    out = HERE.parent / "held_out_4.jsonl"
    with out.open("w", encoding="utf-8") as f:
        for doc in docs:
            f.write(json.dumps(doc, ensure_ascii=False) + "\n")
    print(f"{len(docs)} documents -> {out}")


if __name__ == "__main__":
    main()
