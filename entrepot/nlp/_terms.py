"""Terminologies: CIM-10 diseases, ATC drugs, LOINC lab tests, and the user's own.

Built from the bundled vocabulary files and `entrepot/data/nlp/*.yaml`, then
cached on disk (building reads 42,000 CIM-10 labels; loading takes a moment).
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import json
import os
import pickle
import re
from functools import cache
from importlib.resources import files
from pathlib import Path

import yaml

from entrepot._declared import read_yaml
from entrepot.errors import TerminologyError
from entrepot.nlp._matcher import Matcher
from entrepot.warehouse.vocabulary._atc import normalise

VERSION = "2"  # bump when the way terms are built changes: old caches are ignored
_VOCABULARY = "entrepot.data.vocabulary"
_NLP_DATA = "entrepot.data.nlp"
#: Endings CIM-10 labels add that clinicians do not write.
_VAGUE = re.compile(
    r",? (sans précision|non précisée?s?|sans autre indication|"
    r"autres et sans précision|de cause inconnue)$",
    re.IGNORECASE,
)
_BRACKETS = re.compile(r"\s*\([^)]*\)")
#: Words in brackets of lab test names that say how a test is done, not what
#: it is called ("Hématies (numération)"): common words of notes, not names.
_HOW = frozenset("numération calculé bandelette culture dépistage titre".split())
#: Names of pharmaceutical forms the ATC lexicon lists as products: not drugs.
_FORMS = frozenset(
    "solution gel collyre creme crème pommade poudre sirop comprimé comprime "
    "eau lotion emulsion émulsion".split()
)


def _data(package: str, name: str) -> bytes:
    return files(package).joinpath(name).read_bytes()


def dotted(code: str) -> str:
    """A CIM-10 code as the vocabulary writes it: 'M340' -> 'M34.0'."""
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def label_forms(label: str) -> list[str]:
    """How a CIM-10 label is written in notes: whole, without its vague ending,
    without brackets."""
    forms = [label]
    for form in (_VAGUE.sub("", label), _BRACKETS.sub("", label)):
        if form and form not in forms:
            forms.append(form)
    return forms


def _csv(package: str, name: str) -> list[dict[str, str]]:
    raw = _data(package, name)
    if name.endswith(".gz"):
        raw = gzip.decompress(raw)
    return list(csv.DictReader(io.StringIO(raw.decode())))


def _cim10(matcher: Matcher) -> None:
    rows = _csv(_VOCABULARY, "cim10.csv.gz")
    labels = [(r["code"], r["long"]) for r in rows if not r["long"].startswith("***")]
    # whole labels first, shorter codes first: they keep a phrase they share
    for code, label in sorted(labels, key=lambda r: (len(r[0]), r[0])):
        matcher.add(label, "DISEASE", f"CIM10:{dotted(code)}")
    for code, label in sorted(labels, key=lambda r: (len(r[0]), r[0])):
        for form in label_forms(label)[1:]:
            matcher.add(form, "DISEASE", f"CIM10:{dotted(code)}")


def _atc(matcher: Matcher) -> None:
    raw = json.loads(gzip.decompress(_data(_VOCABULARY, "drugs.json.gz")))
    lexicon: dict[str, list[str]] = {}
    for code, terms in raw.items():
        lexicon.setdefault(normalise(code), []).extend(terms)
    for row in _csv(_VOCABULARY, "atc_names.csv"):
        lexicon.setdefault(row["code"], []).insert(0, row["name"])
    for row in _csv(_VOCABULARY, "atc_brands.csv"):  # brands edsnlp's lexicon lacks
        lexicon.setdefault(row["code"], []).append(row["brand"])
    for code, terms in sorted(lexicon.items()):
        if len(code) == 7:  # substances only: group names are not drugs given
            for term in terms:
                if term.lower() not in _FORMS:
                    matcher.add(term, "DRUG", f"ATC:{code}")


def _loinc(matcher: Matcher) -> None:
    for row in _csv(_VOCABULARY, "lab_tests.csv"):
        name = row["name_fr"]
        acronyms = [
            a for a in re.findall(r"\(([^)]*)\)", name) if a.lower() not in _HOW
        ]
        for term in (name, _BRACKETS.sub("", name), *acronyms):
            matcher.add(term, "LAB", f"LOINC:{row['loinc']}")


def _curated(matcher: Matcher) -> None:
    """Clinicians' names and abbreviations: `{code: [terms]}` per label file."""
    for label, name, prefix in (
        ("DISEASE", "diseases.yaml", "CIM10"),
        ("DISEASE", "adjectives.yaml", "CIM10"),
        ("DRUG", "drugs.yaml", "ATC"),
        ("LAB", "labs.yaml", "LOINC"),
    ):
        for code, terms in yaml.safe_load(_data(_NLP_DATA, name)).items():
            for term in terms:
                matcher.add(term, label, f"{prefix}:{code}")


def build_matcher() -> Matcher:
    """The bundled terminologies in one matcher (curated names win their phrase)."""
    matcher = Matcher()
    _curated(matcher)
    _cim10(matcher)
    _loinc(matcher)
    _atc(matcher)
    return matcher


def _fingerprint() -> str:
    digest = hashlib.sha256(VERSION.encode())
    for package, name in (
        (_VOCABULARY, "cim10.csv.gz"),
        (_VOCABULARY, "drugs.json.gz"),
        (_VOCABULARY, "atc_names.csv"),
        (_VOCABULARY, "atc_brands.csv"),
        (_VOCABULARY, "lab_tests.csv"),
        (_NLP_DATA, "diseases.yaml"),
        (_NLP_DATA, "adjectives.yaml"),
        (_NLP_DATA, "drugs.yaml"),
        (_NLP_DATA, "labs.yaml"),
    ):
        digest.update(_data(package, name))
    return digest.hexdigest()[:16]


def cache_dir() -> Path:
    """Where built matchers are kept: $ENTREPOT_CACHE or the user's cache folder."""
    root = os.environ.get("ENTREPOT_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "entrepot"
    )
    return Path(root) / "nlp"


@cache
def bundled_matcher() -> Matcher:
    """The bundled matcher, from the disk cache when it is there and current."""
    path = cache_dir() / f"matcher-{_fingerprint()}.pickle"
    try:
        with path.open("rb") as f:
            return pickle.load(f)
    except (OSError, EOFError, pickle.UnpicklingError, AttributeError):
        pass
    matcher = build_matcher()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        with partial.open("wb") as f:
            pickle.dump(matcher, f, protocol=pickle.HIGHEST_PROTOCOL)
        partial.replace(path)  # atomic: a reader never sees half a file
    except OSError:
        pass  # a read-only home: rebuild next time
    return matcher


def user_terms(path: str | os.PathLike) -> Matcher:
    """A user terminology, YAML `{label: [terms...]}`, as a matcher."""
    where = Path(path)
    data = read_yaml(where, TerminologyError, "cannot read terms: malformed YAML")
    if not isinstance(data, dict) or not data:
        raise TerminologyError(f"{where}: expected a mapping {{label: [terms...]}}")
    matcher = Matcher()
    for label, terms in data.items():
        if not isinstance(label, str) or not isinstance(terms, list):
            raise TerminologyError(
                f"{where}: -> {label}: expected a label with a list of terms"
            )
        for term in terms:
            if not isinstance(term, str | int | float):
                raise TerminologyError(f"{where}: -> {label}: {term!r} is not a term")
            matcher.add(str(term), label)
    return matcher
