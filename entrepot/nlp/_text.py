"""Text basics: folding (lower case, no accents, same length), tokens, sentences.

Every offset entrepot reports is an offset into the original text: folding
keeps one character for one character, so that patterns run on folded text.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

MAX_CHARS = 1_000_000  # longer documents are skipped, not read
#: Control characters that make a document unreadable (tab, newlines, form feed kept).
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_TOKEN = re.compile(r"\w+")
#: A sentence ends at a line break, or at . ! ? followed by a space and a capital.
_SENTENCE_END = re.compile(r"\n+|(?<=[.!?])[ \t]+(?=[A-ZÀ-Ý0-9«\"(-])")


def _fold_table() -> dict[int, str]:
    """One lower-case, accent-free character for each Latin character (œ kept)."""
    table: dict[int, str] = {}
    for code in range(0x80, 0x250):
        char = chr(code)
        base = unicodedata.normalize("NFKD", char.lower())[:1]
        if base and base.isascii() and base != char:
            table[code] = base
    table |= {ord("Œ"): "œ", ord("Æ"): "æ", ord("’"): "'", ord("ʼ"): "'"}
    return table


_FOLD = _fold_table()


def fold(text: str) -> str:
    """Lower case without accents, one character for one: 'Sœur Éva' -> 'sœur eva'."""
    folded = text.translate(_FOLD).lower()
    if len(folded) != len(text):  # rare characters whose lower case is longer
        folded = "".join(c.lower()[:1] for c in text.translate(_FOLD))
    return folded


@lru_cache(maxsize=200_000)
def token_key(token: str) -> str:
    """The form a token is looked up under: folded, ligatures spelled out."""
    return fold(token).replace("œ", "oe").replace("æ", "ae")


def tokens(folded: str) -> list[tuple[int, int, str]]:
    """Word tokens of folded text: (start, end, lookup key)."""
    return [(m.start(), m.end(), token_key(m.group())) for m in _TOKEN.finditer(folded)]


def term_key(term: str) -> tuple[str, ...]:
    """The token keys of a terminology term."""
    return tuple(token_key(t) for t in _TOKEN.findall(fold(term)))


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int


def sentences(text: str) -> list[Sentence]:
    """Sentences (and lines): spans of non-blank text."""
    found = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        _add_sentence(found, text, start, m.start())
        start = m.end()
    _add_sentence(found, text, start, len(text))
    return found


def _add_sentence(found: list[Sentence], text: str, start: int, end: int) -> None:
    chunk = text[start:end]
    stripped = chunk.strip()
    if stripped:
        lead = len(chunk) - len(chunk.lstrip())
        found.append(Sentence(start + lead, start + lead + len(stripped)))


def unreadable(text: object) -> str | None:
    """Why a document is skipped, or None: empty, too long, control characters,
    not text or not UTF-8 (lone surrogates)."""
    if not isinstance(text, str):
        return "not-text"
    if not text.strip():
        return "empty"
    if len(text) > MAX_CHARS:
        return "too-large"
    if _CONTROL.search(text):
        return "control-characters"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "not-utf8"
    return None
