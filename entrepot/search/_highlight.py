"""Where a query's words are in a text: the stretches a page marks, read as
the index reads them (case, accents, elided articles and hyphens aside)."""

from __future__ import annotations

import re
from functools import lru_cache

from entrepot.search._language import Not, Words, _positions, parse
from entrepot.search._schema import analyzer

_ANALYZER = analyzer()
#: Words as the index's tokenizer cuts them: runs of letters and digits.
_WORD = re.compile(r"[^\W_]+")


@lru_cache(maxsize=100_000)
def _term(word: str) -> str | None:
    """The indexed term of one word (None: a word the index leaves out)."""
    terms = _ANALYZER.analyze(word)
    return terms[0] if terms else None


def _wanted(tree) -> list[Words]:
    """The words and phrases a query looks for (none under a NOT)."""
    if isinstance(tree, Words):
        return [tree]
    if isinstance(tree, Not):
        return []
    return [w for part in tree.parts for w in _wanted(part)]


def highlights(text: str, query: str) -> list[tuple[int, int]]:
    """(start, end) in `text` of each word or phrase of `query` (those after
    NOT aside), in order, overlapping ones joined. SearchQueryError for a
    query that cannot be read."""
    words = [(m.start(), m.end(), _term(m.group())) for m in _WORD.finditer(text)]
    found = []
    for wanted in _wanted(parse(query)):
        terms = _positions(_ANALYZER, wanted.text)
        if not terms:
            continue
        first = terms[0][0]
        terms = [(p - first, t) for p, t in terms]
        width = terms[-1][0]
        for i in range(len(words) - width):
            if all(words[i + p][2] == t for p, t in terms):
                found.append((words[i][0], words[i + width][1]))
    joined: list[tuple[int, int]] = []
    for start, end in sorted(found):
        if joined and start <= joined[-1][1]:
            joined[-1] = (joined[-1][0], max(end, joined[-1][1]))
        else:
            joined.append((start, end))
    return joined
