"""Search the notes' index: by context, with filters, as hits or as a cohort."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date

import tantivy

from entrepot.errors import SearchQueryError
from entrepot.search._index import require_index
from entrepot.search._language import user_query
from entrepot.search._schema import (
    DEFAULT_EXCLUDE,
    EXCLUDABLE,
    FIELDS,
    analyzer,
    day_number,
    from_day_number,
    note_type_key,
)

_SNIPPET_CHARS = 200
_ANALYZER = analyzer()  # the index's own: a query's words are read as its text


@dataclass(frozen=True)
class SearchFilters:
    """Which text and which notes a query searches."""

    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    note_type: str | None = None
    start: date | None = None
    end: date | None = None
    #: Only these persons' notes (a project's perimeter); None: everyone's.
    persons: frozenset[int] | None = None
    #: Never these persons' notes (opted out; the release gate's `Scope`).
    hidden: frozenset[int] = frozenset()

    def within(self, scope) -> SearchFilters | None:
        """These filters where the release gate's `Scope` lets a search look
        (`Decision.scope`); None when nothing can match."""
        if scope is None:
            return None
        return replace(
            self,
            start=scope.start,
            end=scope.end,
            persons=scope.persons,
            hidden=scope.hidden,
        )


def parse_exclude(value: str | None) -> tuple[str, ...]:
    """'negated,family' -> ('negated', 'family'); 'none' -> (); None -> default."""
    if value is None:
        return DEFAULT_EXCLUDE
    names = [v.strip().lower() for v in value.split(",") if v.strip()]
    if names == ["none"]:
        return ()
    unknown = [n for n in names if n not in EXCLUDABLE]
    if unknown:
        raise SearchQueryError(
            f"--exclude: unknown context {unknown[0]!r}; expected none or some of "
            + ", ".join(sorted(set(EXCLUDABLE.values())))
        )
    return tuple(dict.fromkeys(EXCLUDABLE[n] for n in names))


def searched_fields(exclude: tuple[str, ...]) -> list[str]:
    return [f for f in FIELDS if f not in exclude]


def build_query(schema, text: str, filters: SearchFilters) -> tantivy.Query:
    """The user's query within the searched contexts, with the note filters."""
    fields = searched_fields(filters.exclude)
    parts = [(tantivy.Occur.Must, user_query(text, schema, _ANALYZER, fields))]
    if filters.note_type:
        parts.append(
            (
                tantivy.Occur.Must,
                tantivy.Query.term_query(
                    schema, "note_type", note_type_key(filters.note_type)
                ),
            )
        )
    if filters.start or filters.end:
        if filters.start and filters.end and filters.start > filters.end:
            raise SearchQueryError(
                f"--from {filters.start} comes after --to {filters.end}"
            )
        parts.append(
            (
                tantivy.Occur.Must,
                tantivy.Query.range_query(
                    schema,
                    "note_day",
                    tantivy.FieldType.Integer,
                    day_number(filters.start) if filters.start else None,
                    day_number(filters.end) if filters.end else None,
                ),
            )
        )
    if filters.persons is not None:
        parts.append(
            (
                tantivy.Occur.Must,
                tantivy.Query.term_set_query(
                    schema, "person_id", sorted(filters.persons)
                ),
            )
        )
    if filters.hidden:
        parts.append(
            (
                tantivy.Occur.MustNot,
                tantivy.Query.term_set_query(
                    schema, "person_id", sorted(filters.hidden)
                ),
            )
        )
    return tantivy.Query.boolean_query(parts)


def _snippet(generators, doc) -> str:
    for generator in generators:
        html = generator.snippet_from_doc(doc).to_html()
        if "<b>" in html:
            return html.replace("\n", " ")
    return ""


#: Matching notes collected at a time for counts and cohorts.
HIT_BATCH = 100_000


def _matching(searcher, schema, query, batch_size: int):
    """The addresses of every note matching `query`, `batch_size` at a time
    in note id order (each batch asks for the notes after the last one), so
    that memory does not grow with the number of hits."""
    after = query
    while True:
        hits = searcher.search(
            after,
            limit=batch_size,
            count=False,
            order_by_field="note_id",
            order=tantivy.Order.Asc,
        ).hits
        if not hits:
            return
        yield [address for _, address in hits]
        if len(hits) < batch_size:
            return
        later = tantivy.Query.range_query(
            schema, "note_id", tantivy.FieldType.Integer, hits[-1][0], None,
            include_lower=False,
        )  # fmt: skip
        after = tantivy.Query.boolean_query(
            [(tantivy.Occur.Must, query), (tantivy.Occur.Must, later)]
        )


def search_notes(
    wh,
    text: str,
    filters: SearchFilters | None = None,
    *,
    limit: int = 20,
    offset: int = 0,
    batch_size: int = HIT_BATCH,
) -> dict[str, object]:
    """`{"notes", "persons", "person_ids", "offset", "hits": [{note_id,
    person_id, note_date, note_title, snippet}]}`: counts over every matching
    note, the persons they count (for the release gate's count of persons),
    hits for the page of `limit` from `offset` (best first), with snippets
    (matches in <b>...</b>). Matching notes are counted `batch_size` at a
    time; only the page's hits are ranked."""
    if limit < 0 or offset < 0:
        raise SearchQueryError(f"limit {limit} and offset {offset}: at least 0")
    filters = filters or SearchFilters()
    index = require_index(wh)
    searcher = index.searcher()
    query = build_query(index.schema, text, filters)
    notes, persons = 0, set()
    for addresses in _matching(searcher, index.schema, query, batch_size):
        notes += len(addresses)
        persons.update(searcher.fast_field_values("person_id", addresses))
    page = (
        searcher.search(query, limit=limit, count=False, offset=offset).hits
        if limit and offset < notes
        else []
    )
    page.sort(key=lambda h: (-h[0], h[1].segment_ord, h[1].doc))  # stable pages
    generators = []
    for field in searched_fields(filters.exclude):
        generator = tantivy.SnippetGenerator.create(
            searcher, query, index.schema, field
        )
        generator.set_max_num_chars(_SNIPPET_CHARS)
        generators.append(generator)
    hits = []
    for _, address in page:
        doc = searcher.doc(address)
        hits.append(
            {
                "note_id": doc["note_id"][0],
                "person_id": doc["person_id"][0],
                "note_date": from_day_number(doc["note_day"][0]).isoformat(),
                "note_title": doc["note_title"][0] or None,
                "snippet": _snippet(generators, doc),
            }
        )
    return {
        "notes": notes,
        "persons": len(persons),
        "person_ids": sorted(persons),
        "offset": offset,
        "hits": hits,
    }


def matching_notes(wh, text: str, filters: SearchFilters, batch_size: int = HIT_BATCH):
    """(person_id, day number) of every matching note, read `batch_size`
    notes at a time."""
    index = require_index(wh)
    searcher = index.searcher()
    query = build_query(index.schema, text, filters)
    for addresses in _matching(searcher, index.schema, query, batch_size):
        persons = searcher.fast_field_values("person_id", addresses)
        days = searcher.fast_field_values("note_day", addresses)
        yield from zip(persons, days, strict=True)
