"""The clinical text pipeline: terms found on folded tokens, qualified by context.

Lean by design: one pass of a phrase matcher over token keys, cue patterns run
once per document, qualifiers read only where something was found.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from entrepot.nlp._context import Context
from entrepot.nlp._matcher import Match, Matcher, Term
from entrepot.nlp._measures import Date, Measurement, dates, measurements
from entrepot.nlp._terms import VERSION as TERMS_VERSION
from entrepot.nlp._terms import bundled_matcher, user_terms
from entrepot.nlp._text import fold, tokens

VERSION = f"entrepot-nlp 0.2 (terms {TERMS_VERSION})"
_MEASURE_AFTER = 30  # characters: a value this close after a lab test is its result


@dataclass(frozen=True, slots=True)
class Entity:
    """A mention: offsets into the text, label, code and qualifiers."""

    start: int
    end: int
    text: str
    label: str
    concept_code: str | None
    negation: bool = False
    hypothesis: bool = False
    family: bool = False
    history: bool = False
    reported: bool = False
    section: str | None = None
    measurement: Measurement | None = None

    def as_dict(self) -> dict[str, object]:
        """The public JSON shape of a mention."""
        return {
            "start": self.start,
            "end": self.end,
            "text": self.text,
            "label": self.label,
            "concept_code": self.concept_code,
            "negation": self.negation,
            "hypothesis": self.hypothesis,
            "family": self.family,
            "history": self.history,
        }


@dataclass(slots=True)
class Document:
    text: str
    entities: list[Entity] = field(default_factory=list)
    dates: list[Date] = field(default_factory=list)
    measurements: list[Measurement] = field(default_factory=list)
    context: Context | None = None


class Pipeline:
    """French clinical text -> qualified mentions of diseases, drugs, lab tests
    and the user's own terms.

    >>> nlp = Pipeline()                                        # doctest: +SKIP
    >>> [e.negation for e in nlp("Pas de sclérodermie.").entities]  # doctest: +SKIP
    [True]
    """

    def __init__(
        self,
        terms: str | os.PathLike | None = None,
        *,
        bundled: bool = True,
    ) -> None:
        self.matchers: list[Matcher] = []
        if terms is not None:  # the user's terms win a phrase they share
            self.matchers.append(user_terms(terms))
        if bundled:
            self.matchers.append(bundled_matcher())

    def __call__(self, text: str) -> Document:
        folded = fold(text)
        toks = tokens(folded)
        context = Context(text, folded)
        found = measurements(text, folded)
        starts = [m.start for m in found]
        entities = []
        for match in self._matches(text, toks):
            term, measure = _choose(text, match, found, starts)
            flags = context.flags_at(match.start)
            entities.append(
                Entity(
                    match.start,
                    match.end,
                    text[match.start : match.end],
                    term.label,
                    term.concept_code,
                    "negation" in flags,
                    "hypothesis" in flags,
                    "family" in flags,
                    "history" in flags,
                    "reported" in flags,
                    context.section_at(match.start),
                    measure,
                )
            )
        return Document(text, entities, dates(text, folded), found, context)

    def pipe(self, texts: Iterable[str]) -> Iterator[Document]:
        for text in texts:
            yield self(text)

    def _matches(self, text: str, toks: list[tuple[int, int, str]]) -> list[Match]:
        """Matches of every matcher, the first matcher's winning overlaps."""
        if len(self.matchers) == 1:
            return _closed(text, self.matchers[0].find(text, toks))
        taken: list[Match] = []
        for matcher in self.matchers:
            for m in matcher.find(text, toks):
                if all(m.last <= t.first or m.first >= t.last for t in taken):
                    taken.append(m)
        return _closed(text, sorted(taken, key=lambda m: m.start))


def _closed(text: str, matches: list[Match]) -> list[Match]:
    """Matches that end before a closing bracket their term opened take it in."""
    out = []
    for m in matches:
        inner = text[m.start : m.end]
        if inner.count("(") > inner.count(")") and text[m.end : m.end + 1] == ")":
            m = Match(m.start, m.end + 1, m.first, m.last, m.terms)
        out.append(m)
    return out


def _choose(
    text: str, match: Match, found: list[Measurement], starts: list[int]
) -> tuple[Term, Measurement | None]:
    """The meaning of a match and the measurement it reports: a lab test when a
    value follows it in the same clause ("Albumine 38 g/L"), else its other one."""
    i = bisect_left(starts, match.end)
    measure = None
    if i < len(found) and found[i].start - match.end <= _MEASURE_AFTER:
        gap = text[match.end : found[i].start]
        if not any(c in gap for c in "\n;."):
            measure = found[i]
    labs = [t for t in match.terms if t.label == "LAB"]
    others = [t for t in match.terms if t.label != "LAB"]
    if labs and (measure is not None or not others):
        return labs[0], measure
    return others[0], None
