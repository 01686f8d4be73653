"""Full-text search in the warehouse's notes (tantivy), by context and
certainty: by default a search leaves out negated, hypothetical and family text.

Importing this package registers its opt-out hook: patients who object are
removed from the index at once; so are notes an ingestion deletes or changes.
"""

from entrepot.errors import MissingDependencyError

try:
    import tantivy  # noqa: F401
except ImportError:  # pragma: no cover - the `nlp` extra is not installed
    raise MissingDependencyError(
        "full-text search needs tantivy: pip install 'entrepot[nlp]'"
    ) from None

from entrepot.ingest import on_notes_removed  # noqa: E402
from entrepot.privacy import on_optout  # noqa: E402
from entrepot.search._cohort import save_search_cohort
from entrepot.search._highlight import highlights
from entrepot.search._index import (
    forget_notes,
    forget_persons,
    index_path,
    update_index,
)
from entrepot.search._query import SearchFilters, parse_exclude, search_notes
from entrepot.search._schema import (
    DEFAULT_EXCLUDE,
    FIELDS,
    contexts,
    split_by_context,
)

on_optout(forget_persons)
on_notes_removed(forget_notes)

__all__ = [
    "DEFAULT_EXCLUDE",
    "FIELDS",
    "SearchFilters",
    "contexts",
    "forget_notes",
    "forget_persons",
    "highlights",
    "index_path",
    "parse_exclude",
    "save_search_cohort",
    "search_notes",
    "split_by_context",
    "update_index",
]
