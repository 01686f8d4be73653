"""Text helpers: accent folding and a bounded edit distance."""

from __future__ import annotations

import unicodedata
from functools import lru_cache


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents: 'Hélène' → 'helene'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def within_one_edit(a: str, b: str) -> bool:
    """Whether `a` and `b` differ by at most one insertion, deletion or change."""
    if a == b:
        return True
    if abs(len(a) - len(b)) > 1:
        return False
    if len(a) > len(b):
        a, b = b, a
    i = 0
    while i < len(a) and a[i] == b[i]:
        i += 1
    if len(a) == len(b):
        return (
            a[i + 1 :] == b[i + 1 :]
            or (  # one change, or a swap of two letters
                i + 1 < len(a)
                and a[i] == b[i + 1]
                and a[i + 1] == b[i]
                and a[i + 2 :] == b[i + 2 :]
            )
        )
    return a[i:] == b[i + 1 :]
