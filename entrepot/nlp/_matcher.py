"""A phrase matcher over token keys: the longest known term at each token."""

from __future__ import annotations

from dataclasses import dataclass

from entrepot.nlp._text import term_key

#: Short terms with a capital ("HTA", "PR", "ScS") match only as written.
_CASED_UP_TO = 4


@dataclass(frozen=True, slots=True)
class Term:
    """What a term means: its label and code ("DISEASE", "CIM10:M34")."""

    label: str
    concept_code: str | None
    cased: str | None = None  # the exact writing required, for short abbreviations


@dataclass(frozen=True, slots=True)
class Match:
    start: int  # character offsets into the text
    end: int
    first: int  # token indices, end excluded
    last: int
    terms: tuple[Term, ...]


class Matcher:
    """Terms indexed by their token keys; `find` returns the longest matches."""

    def __init__(self) -> None:
        self.phrases: dict[tuple[str, ...], tuple[Term, ...]] = {}
        self.longest: dict[str, int] = {}  # first key -> longest phrase, in tokens

    def __len__(self) -> int:
        return len(self.phrases)

    def add(self, term: str, label: str, concept_code: str | None = None) -> None:
        """Add one term; a phrase already known under the same label keeps its code."""
        key = term_key(term)
        if not key:
            return
        stripped = term.strip()
        cased = (
            stripped
            if len(stripped) <= _CASED_UP_TO and stripped != stripped.lower()
            else None
        )
        known = self.phrases.get(key, ())
        if any(t.label == label and t.cased == cased for t in known):
            return
        self.phrases[key] = (*known, Term(label, concept_code, cased))
        self.longest[key[0]] = max(self.longest.get(key[0], 0), len(key))

    def find(self, text: str, toks: list[tuple[int, int, str]]) -> list[Match]:
        """Longest, non-overlapping matches, left to right."""
        found: list[Match] = []
        keys = [k for _, _, k in toks]
        i, n = 0, len(keys)
        longest, phrases = self.longest, self.phrases
        while i < n:
            size = longest.get(keys[i], 0)
            matched = False
            for length in range(min(size, n - i), 0, -1):
                terms = phrases.get(tuple(keys[i : i + length]))
                if terms is None:
                    continue
                start, end = toks[i][0], toks[i + length - 1][1]
                terms = tuple(
                    t for t in terms if t.cased is None or text[start:end] == t.cased
                )
                if terms:
                    found.append(Match(start, end, i, i + length, terms))
                    i += length
                    matched = True
                    break
            if not matched:
                i += 1
        return found
