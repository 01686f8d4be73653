"""The index's schema: a note's text split by context, and its filters.

As Dr Warehouse does, each note's text is cut by context and certainty:
what is affirmed about the patient, their history, what is negated,
hypothetical, or about a relative; each kind goes to its own field, so that a
query can leave some out.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import tantivy

from entrepot.nlp._context import Context
from entrepot.nlp._text import fold

VERSION = "2"  # of the index layout: another one is rebuilt (2: note titles)
ANALYZER = "folded"  # lower case, accents removed
#: Context fields, in the order a piece's qualifiers pick one.
FIELDS = ("family", "negated", "hypothesis", "history", "affirmed")
#: Exclusion names a user gives -> the field they leave out.
EXCLUDABLE = {
    "negated": "negated",
    "negation": "negated",
    "hypothesis": "hypothesis",
    "family": "family",
    "history": "history",
}
DEFAULT_EXCLUDE = ("negated", "hypothesis", "family")
_EPOCH = date(1970, 1, 1)


def analyzer() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(64))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


def schema() -> tantivy.Schema:
    builder = tantivy.SchemaBuilder()
    builder.add_integer_field("note_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("person_id", stored=True, indexed=True, fast=True)
    builder.add_integer_field("note_day", stored=True, indexed=True, fast=True)
    builder.add_text_field("note_type", stored=True, tokenizer_name="raw")
    builder.add_text_field("note_title", stored=True, index_option="basic")  # shown
    for field in FIELDS:
        builder.add_text_field(field, stored=True, tokenizer_name=ANALYZER)
    return builder.build()


def open_index(path: Path, *, create: bool = False) -> tantivy.Index:
    """The index at `path` with entrepot's analyzer registered."""
    if create:
        path.mkdir(parents=True, exist_ok=True)
    index = tantivy.Index(schema(), path=str(path), reuse=True)
    index.register_tokenizer(ANALYZER, analyzer())
    return index


def day_number(day: date) -> int:
    return (day - _EPOCH).days


def from_day_number(number: int) -> date:
    return date.fromordinal(_EPOCH.toordinal() + number)


def note_type_key(title: str | None) -> str:
    """How a note type is matched: its title folded, spaces single."""
    return " ".join(fold(title or "").split())


def field_of(flags: frozenset[str]) -> str:
    """The field a piece of text goes to, by its qualifiers."""
    if "family" in flags:
        return "family"
    if "negation" in flags:
        return "negated"
    if "hypothesis" in flags:
        return "hypothesis"
    if "history" in flags:
        return "history"
    return "affirmed"


def contexts(text: str) -> list[tuple[int, int, str]]:
    """A note's text cut by context: (start, end, field) of each piece, its
    blanks left out; the field it is indexed under (negated, family...)."""
    found = []
    for start, end, flags in Context(text, fold(text)).pieces():
        piece = text[start:end]
        if piece.strip():
            start += len(piece) - len(piece.lstrip())
            end -= len(piece) - len(piece.rstrip())
            found.append((start, end, field_of(flags)))
    return found


def split_by_context(text: str) -> dict[str, str]:
    """A note's text, each piece in its context field (pieces joined by lines)."""
    parts: dict[str, list[str]] = {}
    for start, end, field in contexts(text):
        parts.setdefault(field, []).append(text[start:end])
    return {field: "\n".join(pieces) for field, pieces in parts.items()}
