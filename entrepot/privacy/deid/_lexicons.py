"""Lexicons of the de-identifier (entrepot/data/privacy, see its PROVENANCE).

Two sources: short hand-written lists, and France-wide lists cut at a frequency
(the 8,000 most frequent surnames, first names given at least 30 times in one
birth year since 1920, every commune). A name that is also a French word, a place or a word
of the medical vocabularies (`Blanc`, `Rose`, `Raynaud`) is marked, and is a name
only in context; the others are names wherever they stand. The
synthetic hospital draws its names from none of these lists (tests/privacy).
Each list is read on first use.
"""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator
from functools import cache
from importlib.resources import files

from entrepot.privacy.deid._text import fold

_DATA = "entrepot.data.privacy"
#: Folding without fold's cache: each list is folded once, and would evict the text's words.
_fold = fold.__wrapped__
_KIND = {"NOM": "surnames", "PRENOM": "first_names"}
_VOCABULARY, _NLP = "entrepot.data.vocabulary", "entrepot.data.nlp"
_MEDICAL = (
    "cim10.csv.gz",
    "drugs.json.gz",
    "atc_brands.csv",
    "atc_names.csv",
    "lab_tests.csv",
)
_WORD = re.compile(r"[^\W\d_]+(?:['’-][^\W\d_]+)*")


def _lines(package: str, name: str) -> Iterator[str]:
    """The non-blank lines of a data file, read as a stream (gunzipped)."""
    with files(package).joinpath(name).open("rb") as raw:
        stream = gzip.open(raw) if name.endswith(".gz") else raw
        for line in io.TextIOWrapper(stream, encoding="utf-8"):
            if line.strip():
                yield line.strip()


def _rows(name: str) -> Iterator[list[str]]:
    """The rows of a tab-separated file, less its header."""
    lines = _lines(_DATA, name)
    next(lines)
    return (line.split("\t") for line in lines)


@cache
def _names(kind: str) -> dict[str, bool]:
    """Names of a kind ('first_names', 'surnames'), hand-written then France-wide
    → whether each is also a word or a place."""
    out = {}
    for name in (f"{kind}.tsv", f"{kind}_france.tsv.gz"):
        out |= {n: w == "1" for n, w in _rows(name)}
    return out


def _folded(names) -> frozenset[str]:
    """Folded names, and the parts of compound ones (`Anne-Marie`, `Le Gall`)."""
    return frozenset(_fold(p) for n in names for p in (n, *n.replace("-", " ").split()))


@cache
def first_names() -> frozenset[str]:
    """Folded first names (compound ones split too), words and places included."""
    return _folded(_names("first_names"))


@cache
def surnames() -> frozenset[str]:
    """Folded surnames, words and places included."""
    return _folded(_names("surnames"))


@cache
def sure_names() -> dict[str, str]:
    """Folded names that are neither words nor places → label (PRENOM when
    the name is a first name too): names even without a title or a first name."""
    out = {_fold(n): "NOM" for n, word in _names("surnames").items() if not word}
    out |= {_fold(n): "PRENOM" for n, word in _names("first_names").items() if not word}
    return out


@cache
def surrogate_names(label: str) -> tuple[str, ...]:
    """Folded hand-written names a surrogate is drawn from, in a fixed order."""
    hand = [name for name, _ in _rows(f"{_KIND[label]}.tsv")]
    if label == "NOM":
        return tuple(sorted({_fold(n) for n in hand}))
    return tuple(sorted(_folded(hand)))


@cache
def medical_words() -> frozenset[str]:
    """Folded words of the bundled medical vocabularies (CIM-10 labels, drug and
    lab names, the text-mining lexicons): words a name is not."""
    nlp = [f.name for f in files(_NLP).iterdir() if f.name.endswith(".yaml")]
    raw: set[str] = set()
    for package, names in ((_VOCABULARY, _MEDICAL), (_NLP, nlp)):
        for name in names:
            for line in _lines(package, name):
                raw.update(_WORD.findall(line))
    return frozenset(_fold(w) for w in raw)


def unknown_word(word: str) -> bool:
    """Whether a folded word is neither a medical word nor a name that is also a
    word or a place (what is left may be a name the lexicons lack)."""
    return word not in medical_words() and word not in _word_names()


@cache
def _word_names() -> frozenset[str]:
    kinds = ("first_names", "surnames")
    return frozenset(_fold(n) for k in kinds for n, word in _names(k).items() if word)


@cache
def hospitals() -> tuple[str, ...]:
    """Hospital names, longest first."""
    return tuple(sorted(_lines(_DATA, "hospitals.txt"), key=len, reverse=True))


@cache
def _communes() -> dict[str, bool]:
    """Folded names of every French commune (INSEE's geographic code) → whether
    it is also a French or a medical word (`Sens`, `Tours`, `Bar`)."""
    return {_fold(n): w == "1" for n, w in _rows("communes_france.tsv.gz")}


@cache
def cities() -> frozenset[str]:
    """Folded names of every French commune, words included."""
    return frozenset(_communes())


@cache
def sure_towns() -> frozenset[str]:
    """Folded communes that are no word and no first name (`Quimper`, not
    `Vire`, `Sens` nor `Albert`): towns even without a preposition."""
    firsts = first_names()
    return frozenset(n for n, word in _communes().items() if not (word or n in firsts))


@cache
def word_towns() -> frozenset[str]:
    """Folded communes that are also French words, not medical ones nor first
    names (`Rennes`, `Limoges`, `Tours`, `Sens`): towns only where a word would
    not be capitalised."""
    medical, firsts = medical_words(), first_names()
    return frozenset(
        n
        for n, word in _communes().items()
        if word and n not in medical and n not in firsts
    )
