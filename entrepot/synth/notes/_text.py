"""Building a document by appending segments while recording annotated spans.

Templates are strings with ``{slot}`` placeholders. Gender words (``{e}``,
``{il}``, ``{patient}``...) are resolved when templates are compiled, once per
sex, so that writing a sentence is a loop over literal strings and slots: no
regular expression ever runs over finished text.
"""

from __future__ import annotations

from datetime import date
from random import Random
from typing import NamedTuple

#: Gender words: (masculine, feminine).
GENDER = {
    "e": ("", "e"),
    "il": ("il", "elle"),
    "Il": ("Il", "Elle"),
    "le": ("le", "la"),
    "Le": ("Le", "La"),
    "patient": ("le patient", "la patiente"),
    "Patient": ("Le patient", "La patiente"),
    "du_patient": ("du patient", "de la patiente"),
    "au_patient": ("au patient", "à la patiente"),
    "M": ("M.", "Mme"),
    "Monsieur": ("Monsieur", "Madame"),
    "monsieur": ("monsieur", "madame"),
    "eur": ("eur", "rice"),
    "euse": ("eux", "euse"),
    "eure": ("eur", "euse"),
    "Ne": ("Né", "Née"),
}

MONTHS = (
    "",
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
VOWELS = frozenset("aeiouyhéèêàâîïôœAEIOUYHÉÈÊÀÂÎÏÔŒ")


class Slot(str):
    """A placeholder of a compiled template (a literal is a plain ``str``)."""

    __slots__ = ()


Compiled = tuple[tuple[str, ...], tuple[str, ...]]  # segments for M, for F


class Span(NamedTuple):
    """A value to write as an annotated span."""

    text: str
    kind: str  # "entity" or "identifier"
    label: str
    code: str | None = None


#: The qualifier flags of an entity: negation, hypothesis, family, history.
AFFIRMED = (False, False, False, False)
NEGATED = (True, False, False, False)
HYPOTHESIS = (False, True, False, False)
FAMILY = (False, False, True, False)
HISTORY = (False, False, False, True)


def compile_template(template: str) -> Compiled:
    """Split a template into literals and slots, resolving gender words per sex."""
    out: list[list[str]] = [[], []]
    rest = template
    while rest:
        start = rest.find("{")
        if start < 0:
            pieces, rest = [rest], ""
        else:
            end = rest.index("}", start)
            name = rest[start + 1 : end]
            pieces = [rest[:start], name]
            rest = rest[end + 1 :]
        for sex in (0, 1):
            segs = out[sex]
            for i, piece in enumerate(pieces):
                if i == 1 and piece not in GENDER:
                    segs.append(Slot(piece))
                    continue
                text = GENDER[piece][sex] if i == 1 else piece
                if not text:
                    continue
                if segs and type(segs[-1]) is str:
                    segs[-1] += text
                else:
                    segs.append(text)
    return tuple(out[0]), tuple(out[1])


def compile_all(templates: dict[str, list[str]]) -> dict[str, tuple[Compiled, ...]]:
    """Every template of a phrase book, compiled."""
    return {k: tuple(compile_template(t) for t in v) for k, v in templates.items()}


class Doc:
    """A document being written: text parts and the spans annotated in it."""

    __slots__ = ("female", "gold", "parts", "pos", "spans")

    def __init__(self, female: bool) -> None:
        self.female = female
        self.parts: list[str] = []
        self.pos = 0
        self.spans: list[tuple] = []
        #: (schema, subtype, {field: value}): the gold values of an extraction
        self.gold: tuple[str, str, dict] | None = None

    def add(self, text: str) -> None:
        """Append plain text."""
        self.parts.append(text)
        self.pos += len(text)

    def ident(self, text: str, label: str) -> None:
        """Append an identifier span (NOM, DATE, IPP...)."""
        end = self.pos + len(text)
        self.spans.append((self.pos, end, "identifier", label, None, text, *AFFIRMED))
        self.parts.append(text)
        self.pos = end

    def ent(self, text: str, label: str, code: str, flags: tuple = AFFIRMED) -> None:
        """Append an entity span (DISEASE, DRUG, LAB) with its qualifier flags."""
        end = self.pos + len(text)
        self.spans.append((self.pos, end, "entity", label, code, text, *flags))
        self.parts.append(text)
        self.pos = end

    def span(self, value: Span, flags: tuple = AFFIRMED) -> None:
        """Append a prepared span."""
        if value.kind == "identifier":
            self.ident(value.text, value.label)
        else:
            self.ent(value.text, value.label, value.code or "", flags)

    def fill(self, compiled: Compiled, values: dict, flags: tuple = AFFIRMED) -> None:
        """Write a compiled template, its slots taken from ``values``."""
        for seg in compiled[self.female]:
            if type(seg) is str:
                self.parts.append(seg)
                self.pos += len(seg)
            else:
                value = values[seg]
                if type(value) is str:
                    self.parts.append(value)
                    self.pos += len(value)
                else:
                    self.span(value, flags)

    def say(
        self,
        rng: Random,
        choices: tuple[Compiled, ...],
        flags: tuple = AFFIRMED,
        **values: object,
    ) -> None:
        """Write one of several phrasings, chosen by the random generator."""
        self.fill(choices[int(rng.random() * len(choices))], values, flags)

    def text(self) -> str:
        return "".join(self.parts)


def pick(rng: Random, seq: tuple | list):
    """One element of a sequence (faster than ``Random.choice``)."""
    return seq[int(rng.random() * len(seq))]


def dmy(d: date) -> str:
    """A date as 12/03/2021."""
    return f"{d.day:02d}/{d.month:02d}/{d.year}"


def long_date(d: date) -> str:
    """A date as 12 mars 2021."""
    return f"{'1er' if d.day == 1 else d.day} {MONTHS[d.month]} {d.year}"


def number(value: float) -> str:
    """A measured value in French notation: 10,2 ; 145 ; 0,35."""
    a = abs(value)
    if a >= 100:
        text = f"{value:.0f}"
    elif a >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}".rstrip("0").rstrip(".") if a < 1 else f"{value:.1f}"
    return text.replace(".", ",")


def de(word: str) -> str:
    """The ``de`` to write before a word, elided before a vowel: "de ", "d'"."""
    return "d'" if word[:1] in VOWELS else "de "
