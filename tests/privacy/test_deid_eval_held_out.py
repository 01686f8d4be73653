"""Integrity of the sets written as held-out sets 2 to 6 (`deid_eval/held_out_2.jsonl`,
`held_out_3.jsonl`, `held_out_4.jsonl`, `held_out_5.jsonl`, `held_out_6.jsonl`).

Reads only the evaluation files and the de-identifier's label vocabulary (`LABELS`): it
checks the annotations against the text, that no surname of sets 3 to 6 comes from an
earlier set, and that sets 4 to 6 are what their sources build; it runs no de-identifier."""

import itertools
import json
import re
import unicodedata
from collections import Counter
from importlib.util import module_from_spec, spec_from_file_location
from pathlib import Path

import pytest

from entrepot.privacy.deid import LABELS

HERE = Path(__file__).parent / "deid_eval"
_SPEC = spec_from_file_location("build_held_out", HERE / "build_held_out.py")
build_held_out = module_from_spec(_SPEC)
_SPEC.loader.exec_module(build_held_out)
#: Words of a surname that are not a family's name of their own (particles, `Saint-`).
PARTICLES = {
    "de",
    "du",
    "des",
    "la",
    "le",
    "les",
    "van",
    "den",
    "der",
    "von",
    "da",
    "dos",
}
PARTICLES |= {"di", "saint", "sainte"}


def _load(name):
    path = HERE / name
    return [
        json.loads(line)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]


#: Each set's documents, and how many it has at least.
SETS = {
    "held_out_2": (_load("held_out_2.jsonl"), 40),
    "held_out_3": (_load("held_out_3.jsonl"), 46),
    "held_out_4": (_load("held_out_4.jsonl"), 50),
    "held_out_5": (_load("held_out_5.jsonl"), 55),
    "held_out_6": (_load("held_out_6.jsonl"), 60),
}
#: The sets whose surnames must be new, each with the sets written before it.
EARLIER = {"held_out_3": ("documents.jsonl", "held_out.jsonl", "held_out_2.jsonl")}
EARLIER["held_out_4"] = (*EARLIER["held_out_3"], "held_out_3.jsonl")
EARLIER["held_out_5"] = (*EARLIER["held_out_4"], "held_out_4.jsonl")
EARLIER["held_out_6"] = (*EARLIER["held_out_5"], "held_out_5.jsonl")
EVERY_DOC = [
    pytest.param(doc, id=f"{name}-{doc['id']}")
    for name, (docs, _) in SETS.items()
    for doc in docs
]


def nir_key_ok(nir):
    digits = re.sub(r"\s", "", nir).upper()
    if not re.fullmatch(r"[12]\d{2}\d{2}(\d{2}|2A|2B)\d{6}\d{2}", digits):
        return False
    body = digits[:13].replace("2A", "19").replace("2B", "18")
    return 97 - int(body) % 97 == int(digits[13:])


def surname_words(value):
    """The words of a surname, lower case without accents, particles left out."""
    plain = (
        unicodedata.normalize("NFKD", value)
        .encode("ascii", "ignore")
        .decode()
        .casefold()
    )
    return {
        w for w in re.split(r"[\s\-'’]+", plain) if len(w) >= 3 and w not in PARTICLES
    }


@pytest.mark.parametrize("name", SETS)
def test_enough_documents_each_once(name):
    docs, least = SETS[name]
    assert len(docs) >= least
    assert len({d["id"] for d in docs}) == len(docs)


@pytest.mark.parametrize("doc", EVERY_DOC)
def test_offsets_labels_keys(doc):
    text = doc["text"]
    for s in doc["identifiers"]:
        assert text[s["start"] : s["end"]] == s["text"], s
        assert s["label"] in LABELS, s
        assert s["text"] == s["text"].strip() and s["text"], s
        if s["label"] == "NSS":
            assert nir_key_ok(s["text"]), s
    for s in doc["medical_terms"]:
        assert text[s["start"] : s["end"]] == s["text"], s
    if "nir" in doc["patient"]:
        assert nir_key_ok(doc["patient"]["nir"]), doc["patient"]["nir"]
    spans = sorted((s["start"], s["end"]) for s in doc["identifiers"])
    for (a0, a1), (b0, b1) in itertools.pairwise(spans):
        assert a1 <= b0, (a0, a1, b0, b1)  # identifier spans do not overlap
    terms = {i for s in doc["medical_terms"] for i in range(s["start"], s["end"])}
    names = {i for s in doc["identifiers"] for i in range(s["start"], s["end"])}
    assert not terms & names  # a medical term is never an identifier


@pytest.mark.parametrize("doc", EVERY_DOC)
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


@pytest.mark.parametrize("name", EARLIER)
def test_patient_record_is_in_the_fields_of_an_identity(name):
    fields = {
        "first_name",
        "last_name",
        "birth_name",
        "birth_date",
        "street",
        "postcode",
    }
    fields |= {"city", "phone", "email", "nir", "ipp", "nda", "ndas", "gp_name"}
    for doc in SETS[name][0]:
        patient = doc["patient"]
        assert set(patient) <= fields, (doc["id"], set(patient) - fields)
        assert {"first_name", "last_name", "birth_date"} <= set(patient), doc["id"]
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", patient["birth_date"]), doc["id"]


@pytest.mark.parametrize("name", ["held_out_4", "held_out_5", "held_out_6"])
def test_built_from_its_sources(name):
    """The JSONL is, byte for byte, what `build_held_out.py` makes of `NAME_src/`."""
    built = build_held_out.build(HERE / f"{name}_src")
    assert built == (HERE / f"{name}.jsonl").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", SETS)
def test_every_label_present(name):
    counts = Counter(s["label"] for d in SETS[name][0] for s in d["identifiers"])
    assert set(counts) == set(LABELS), counts


@pytest.mark.parametrize("name", EARLIER)
def test_no_surname_shared_with_an_earlier_set(name):
    """A set's surnames (NOM spans and the patients' names) share no word with the NOM spans
    or patients' names of the sets written before it."""

    def words(docs):
        out = set()
        for d in docs:
            values = [s["text"] for s in d["identifiers"] if s["label"] == "NOM"]
            values += [d["patient"].get(k, "") for k in ("last_name", "birth_name")]
            for value in values:
                out |= surname_words(value)
        return out

    earlier = set().union(*(words(_load(other)) for other in EARLIER[name]))
    shared = words(SETS[name][0]) & earlier
    assert not shared, sorted(shared)
