"""Converter for the hand-written held-out sets 4 to 6: a folder `held_out_N_src/` of `NN.txt`
(a header of `key: value` lines with `id`, `style` and the `patient` record as JSON, `===`,
then the text with identifiers marked `[[value|LABEL]]` and medical terms `{{term}}`) to
`held_out_N.jsonl` beside the folder.

A NIR written with `..` in place of its key, or a patient `nir` of 13 characters, gets its
key (97 minus the first 13 digits modulo 97, 2A/2B read as 19/18). Run it from anywhere:
`python tests/privacy/deid_eval/build_held_out.py tests/privacy/deid_eval/held_out_5_src`."""

import json
import re
import sys
from pathlib import Path

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
    """One document of the set, as a dict of the JSONL's fields."""
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


def build(folder):
    """The JSONL text of the set whose sources are in `folder`."""
    docs = []
    for source in sorted(Path(folder).glob("[0-9][0-9].txt")):
        try:
            docs.append(convert(source))
        except (ValueError, KeyError) as exc:
            raise SystemExit(f"{source}: {exc!r}") from exc
    if not docs:
        raise SystemExit(f"{folder}: no NN.txt source in this folder")
    return "".join(json.dumps(doc, ensure_ascii=False) + "\n" for doc in docs)


def target(folder):
    """`held_out_N.jsonl` beside the folder `held_out_N_src`."""
    folder = Path(folder)
    return folder.parent / (folder.name.removesuffix("_src") + ".jsonl")


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: build_held_out.py FOLDER (a set's held_out_N_src)")
    folder = Path(sys.argv[1])
    out = target(folder)
    out.write_text(build(folder), encoding="utf-8")
    print(f"{out.read_text(encoding='utf-8').count(chr(10))} documents -> {out}")


if __name__ == "__main__":
    main()
