"""Text helpers: accent folding and a bounded edit distance."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

#: Letters O and l among digits, as a scanner reads a zero and a one (`68O233119`,
#: `06 39 OO 61`, `l5/O1`).
_LETTER_O = re.compile(r"(?<![^\W\d_])[\dOl]*[Ol][\dOl]*(?![^\W\d_])")
_DIGIT_BESIDE = re.compile(r"\d[ ./-]?$")
_O_BESIDE_DIGIT = re.compile(r"\d[ ./-]?[Ol]|[Ol][ ./-]?\d")


@lru_cache(maxsize=65536)
def fold(text: str) -> str:
    """Lower case without accents: 'Hélène' → 'helene'."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def scanned_digits(text: str) -> str:
    """`text` with each letter O read as a zero, and l as a one, where it stands
    among digits (a scanned letter's `O8/0l/27`), the same length: patterns of
    numbers read it."""
    if not _O_BESIDE_DIGIT.search(text):
        return text
    out = list(text)
    for m in _LETTER_O.finditer(text):
        if any(c.isdigit() for c in m.group()) or (
            _DIGIT_BESIDE.search(text, max(0, m.start() - 2), m.start())
            and re.match(r"[ ./-]?\d", text[m.end() : m.end() + 2])
        ):
            out[m.start() : m.end()] = m.group().replace("O", "0").replace("l", "1")
    return "".join(out)


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
