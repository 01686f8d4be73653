"""The query language open to users: words, "phrases", AND, OR, NOT (or a
leading -) and parentheses. Everything else is text: `person_id:12` is the
words "person id 12", never a field, so that a query cannot pick one
patient's, one date's or one type's notes (those are the filters' job, which
the caller authorises).

Words are read as French users type them: case, accents, straight or
typographic apostrophes and quotes (« », “ ”), elided articles (d', l',
qu'...) and hyphens do not matter.
"""

from __future__ import annotations

from dataclasses import dataclass

import tantivy

from entrepot.errors import SearchQueryError
from entrepot.nlp._text import fold

OPERATORS = ("AND", "OR", "NOT")
#: Opening quote -> the quotes that close it.
_QUOTES = {'"': '"', "“": '”"', "«": "»", "„": '“"'}
_SPECIAL = set("()") | set(_QUOTES)
#: Articles and conjunctions that French writes elided before a vowel.
_ELIDED = frozenset(
    "c d j l m n s t qu jusqu lorsqu puisqu quoiqu presqu quelqu".split()
)


@dataclass(frozen=True)
class Words:
    """Words that follow one another (one word, a hyphenated one, a phrase)."""

    text: str


@dataclass(frozen=True)
class Not:
    part: object


@dataclass(frozen=True)
class All:
    parts: tuple


@dataclass(frozen=True)
class Any:
    parts: tuple


def _lex(text: str) -> list[tuple[str, str]]:
    """(kind, value) tokens: ( ) AND OR NOT phrase word."""
    out: list[tuple[str, str]] = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif c in "()":
            out.append((c, c))
            i += 1
        elif c in _QUOTES:
            ends = [j for j in (text.find(e, i + 1) for e in _QUOTES[c]) if j >= 0]
            if not ends:
                raise SearchQueryError(f"unclosed quote {c} in query {text!r}")
            out.append(("phrase", text[i + 1 : min(ends)]))
            i = min(ends) + 1
        elif c in "-+" and i + 1 < n and not text[i + 1].isspace():
            if c == "-":
                out.append(("NOT", c))
            i += 1
        else:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _SPECIAL:
                j += 1
            word = text[i:j]
            out.append((word, word) if word in OPERATORS else ("word", word))
            i = j
    return out


class _Parser:
    """or := and (OR and)* ; and := not (AND? not)* ;
    not := (NOT | -) not | ( or ) | phrase | word"""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _lex(text)
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at][0] if self.at < len(self.tokens) else None

    def error(self, message: str) -> SearchQueryError:
        return SearchQueryError(f"cannot read query {self.text!r}: {message}")

    def parse(self):
        tree = self.any()
        if self.peek() is not None:
            raise self.error(f"unexpected {self.tokens[self.at][1]}")
        return tree

    def any(self):
        parts = [self.all()]
        while self.peek() == "OR":
            self.at += 1
            parts.append(self.all())
        return parts[0] if len(parts) == 1 else Any(tuple(parts))

    def all(self):
        parts = [self.one()]
        while self.peek() not in (None, "OR", ")"):
            if self.peek() == "AND":
                self.at += 1
                if self.peek() in (None, "OR", ")"):
                    raise self.error("AND needs a word after it")
            parts.append(self.one())
        return parts[0] if len(parts) == 1 else All(tuple(parts))

    def one(self):
        kind = self.peek()
        if kind is None:
            raise self.error("a word is missing at the end")
        value = self.tokens[self.at][1]
        self.at += 1
        if kind == "NOT":
            if self.peek() in (None, "OR", "AND", ")"):
                raise self.error("NOT needs a word after it")
            return Not(self.one())
        if kind == "(":
            tree = self.any()
            if self.peek() != ")":
                raise self.error("missing )")
            self.at += 1
            return tree
        if kind in ("phrase", "word"):
            return Words(value)
        raise self.error(f"unexpected {value}")


def parse(text: str):
    """The tree of a user's query; SearchQueryError names what is wrong."""
    if not text.strip():
        raise SearchQueryError("empty search query")
    return _Parser(text).parse()


def _positions(analyzer: tantivy.TextAnalyzer, text: str) -> list[tuple[int, str]]:
    """(position, term) of indexed words, elided articles left out (their
    position kept, so that a phrase still matches the indexed text)."""
    out: list[tuple[int, str]] = []
    position = 0
    for chunk in text.split():
        pieces = fold(chunk).split("'")  # fold: typographic apostrophes too
        for k, piece in enumerate(pieces):
            terms = analyzer.analyze(piece)
            if k < len(pieces) - 1 and terms and terms[-1] in _ELIDED:
                out.extend((position + i, t) for i, t in enumerate(terms[:-1]))
            else:
                out.extend((position + i, t) for i, t in enumerate(terms))
            position += len(terms)
    return out


def to_query(tree, schema, analyzer, fields: list[str]) -> tantivy.Query | None:
    """The tantivy query of a parsed tree over the text `fields` (None: no word)."""
    if isinstance(tree, Words):
        terms = _positions(analyzer, tree.text)
        if not terms:
            return None
        first = terms[0][0]
        if len(terms) == 1:
            each = [tantivy.Query.term_query(schema, f, terms[0][1]) for f in fields]
        else:
            words = [(p - first, t) for p, t in terms]
            each = [tantivy.Query.phrase_query(schema, f, words) for f in fields]
        return tantivy.Query.boolean_query([(tantivy.Occur.Should, q) for q in each])
    if isinstance(tree, Any):
        parts = [to_query(p, schema, analyzer, fields) for p in tree.parts]
        return _combine([(tantivy.Occur.Should, q) for q in parts if q])
    parts = tree.parts if isinstance(tree, All) else (tree,)
    clauses = []
    for part in parts:
        negated = isinstance(part, Not)
        query = to_query(part.part if negated else part, schema, analyzer, fields)
        if query:
            occur = tantivy.Occur.MustNot if negated else tantivy.Occur.Must
            clauses.append((occur, query))
    if clauses and all(o == tantivy.Occur.MustNot for o, _ in clauses):
        clauses.append((tantivy.Occur.Must, tantivy.Query.all_query()))
    return _combine(clauses)


def _combine(clauses: list) -> tantivy.Query | None:
    return tantivy.Query.boolean_query(clauses) if clauses else None


def user_query(text: str, schema, analyzer, fields: list[str]) -> tantivy.Query:
    """A user's query over the text `fields`; SearchQueryError when unreadable."""
    query = to_query(parse(text), schema, analyzer, fields)
    if query is None:
        raise SearchQueryError(f"no word to search for in query {text!r}")
    return query
