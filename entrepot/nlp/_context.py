"""Sections and qualifiers: which parts of a text are negated, hypothetical,
about a relative, in the patient's history or reported speech.

Cues are found once per document on folded text. A negation or hypothesis
cue covers its clause forward, up to a termination word or a comma or "et"
after which no list goes on ("pas de fièvre, toux productive" vs "pas de
fièvre, de toux ni de dyspnée"), or backward to a comma for cues that follow
what they qualify ("... non retrouvée", "... ?"); family, history and reported
speech cues cover their sentence (not a surname: "Mme Cousin"); sections
("Antécédents familiaux :") cover every sentence under them.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field

from entrepot.nlp import _patterns as p
from entrepot.nlp._text import Sentence, sentences

QUALIFIERS = ("negation", "hypothesis", "family", "history", "reported")
_WORD = re.compile(r"\w+")
_ITEM_WORDS = 4  # a longer item after a separator starts a new clause
_SCOPED = (
    ("negation", p.NEGATION_BEFORE, True),
    ("negation", p.NEGATION_AFTER, False),
    ("hypothesis", p.HYPOTHESIS_BEFORE, True),
    ("hypothesis", p.HYPOTHESIS_AFTER, False),
)
_SENTENCE_WIDE = (
    ("family", p.FAMILY),
    ("history", p.HISTORY),
    ("reported", p.REPORTED),
)


@dataclass(frozen=True, slots=True)
class Section:
    start: int
    end: int
    name: str
    title_end: int


@dataclass(slots=True)
class _Scope:
    start: int
    end: int
    flag: str


@dataclass(slots=True)
class _SentenceContext:
    sentence: Sentence
    section: str | None
    flags: set[str] = field(default_factory=set)
    scopes: list[_Scope] = field(default_factory=list)


def sections(
    folded: str,
    pattern: re.Pattern[str] = p.SECTION_TITLE,
    names: dict[str, str] = p.SECTIONS,
) -> list[Section]:
    """Sections by their titles at the start of a line (`pattern`, group 1 a
    key of `names`: by default a clinical note's); text before the first title
    is in none."""
    titles = list(pattern.finditer(folded))
    return [
        Section(
            m.start(1),
            titles[i + 1].start(1) if i + 1 < len(titles) else len(folded),
            names[m.group(1)],
            m.end(),
        )
        for i, m in enumerate(titles)
    ]


def _starts(matches: list[re.Match[str]]) -> list[int]:
    return [m.start() for m in matches]


def _a_name(folded: str, start: int) -> bool:
    """Whether the cue at `start` is a person's name after a title ("Mme Cousin")."""
    return p.TITLE_BEFORE.search(folded, max(start - 12, 0), start) is not None


def _list_end(
    folded: str,
    separators: list[re.Match[str]],
    starts: list[int],
    begin: int,
    stop: int,
) -> int:
    """Where a forward scope from `begin` ends, given its clause ends at `stop`:
    at the first separator (comma, "et") after which no list goes on, else at
    `stop`.

    An item goes on with the list when it opens with "de", "ni" or "ou", or
    holds "ou"/"ni" among its first words (it closes the list); short items
    (a few words) go on only when a later item does."""
    pending = None  # the first separator of short items not yet known to be a list
    i = bisect_left(starts, begin)
    while i < len(starts) and starts[i] < stop:
        after = starts[i + 1] if i + 1 < len(starts) else stop
        item = folded[separators[i].end() : min(after, stop)]
        words = _WORD.findall(item, 0, 200)[: _ITEM_WORDS + 1]
        if p.LIST_GOES_ON.match(item) or p.LIST_CLOSERS.intersection(words):
            pending = None
        else:
            pending = starts[i] if pending is None else pending
            if len(words) > _ITEM_WORDS:
                return pending
        i += 1
    return stop if pending is None else pending


class Context:
    """The qualifiers of every position of one text."""

    def __init__(self, text: str, folded: str) -> None:
        self.text = text
        self.sections = sections(folded)
        self._sentences = [_SentenceContext(s, None) for s in sentences(text)]
        self._starts = [c.sentence.start for c in self._sentences]
        self._place_sections()
        self._place_cues(folded)

    # -- building ---------------------------------------------------------
    def _place_sections(self) -> None:
        for section in self.sections:
            for ctx in self._in(section.start, section.end):
                ctx.section = section.name
                if section.name in p.HISTORY_SECTIONS:
                    ctx.flags.add("history")
                elif section.name in p.FAMILY_SECTIONS:
                    ctx.flags.add("family")
                elif section.name in p.HYPOTHESIS_SECTIONS:
                    ctx.flags.add("hypothesis")

    def _place_cues(self, folded: str) -> None:
        for flag, pattern in _SENTENCE_WIDE:
            for m in pattern.finditer(folded):
                ctx = self._at(m.start())
                if ctx is not None and not _a_name(folded, m.start()):
                    ctx.flags.add(flag)
        pseudo = [(m.start(), m.end()) for m in p.PSEUDO_NEGATION.finditer(folded)]
        ends = _starts(list(p.TERMINATION.finditer(folded)))
        separators = list(p.LIST_SEPARATOR.finditer(folded))
        cuts = sorted(
            ends + [m.start() for m in separators if folded[m.start()] == ","]
        )
        seps = _starts(separators)
        for flag, pattern, forward in _SCOPED:
            for m in pattern.finditer(folded):
                if flag == "negation" and any(a <= m.start() < b for a, b in pseudo):
                    continue
                ctx = self._at(m.start())
                if ctx is None:
                    continue
                s = ctx.sentence
                if forward:  # to the next termination word or end of a list
                    i = bisect_left(ends, m.end())
                    stop = ends[i] if i < len(ends) and ends[i] < s.end else s.end
                    stop = _list_end(folded, separators, seps, m.end(), stop)
                    ctx.scopes.append(_Scope(m.start(), stop, flag))
                else:  # back to the previous comma or termination word
                    i = bisect_left(cuts, m.start()) - 1
                    begin = cuts[i] if i >= 0 and cuts[i] >= s.start else s.start
                    ctx.scopes.append(_Scope(begin, m.end(), flag))
        for ctx in self._sentences:
            if "family" in ctx.flags:
                ctx.flags.discard("history")  # a relative's past is not the patient's

    def _at(self, pos: int) -> _SentenceContext | None:
        i = bisect_right(self._starts, pos) - 1
        if i >= 0 and pos < self._sentences[i].sentence.end:
            return self._sentences[i]
        return None

    def _in(self, start: int, end: int) -> Iterator[_SentenceContext]:
        i = max(bisect_right(self._starts, start) - 1, 0)
        while i < len(self._sentences) and self._starts[i] < end:
            ctx = self._sentences[i]
            if ctx.sentence.end > start:
                yield ctx
            i += 1

    # -- reading ----------------------------------------------------------
    def flags_at(self, start: int) -> set[str]:
        """The qualifiers of a span starting here."""
        ctx = self._at(start)
        if ctx is None:
            return set()
        flags = set(ctx.flags)
        flags.update(s.flag for s in ctx.scopes if s.start <= start < s.end)
        return flags

    def section_at(self, pos: int) -> str | None:
        ctx = self._at(pos)
        return ctx.section if ctx else None

    def pieces(self) -> Iterator[tuple[int, int, frozenset[str]]]:
        """The text cut where qualifiers change: (start, end, qualifiers)."""
        for ctx in self._sentences:
            s = ctx.sentence
            cuts = {s.start, s.end}
            for scope in ctx.scopes:
                cuts.update((max(scope.start, s.start), min(scope.end, s.end)))
            bounds = sorted(cuts)
            for a, b in zip(bounds, bounds[1:], strict=False):
                flags = set(ctx.flags)
                flags.update(x.flag for x in ctx.scopes if x.start <= a < x.end)
                yield a, b, frozenset(flags)
