"""API: concepts of the warehouse's vocabulary, by French label or code (no
patient data: any logged-in user, audited)."""

from __future__ import annotations

import unicodedata
from typing import Annotated

import ibis
from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from entrepot.web._auth import LoggedIn
from entrepot.web._state import state

router = APIRouter(tags=["vocabulary"])

#: Accented lower-case letters and their plain forms, folded on both sides.
ACCENTED = "àáâãäåçèéêëìíîïñòóôõöùúûüýÿ"
PLAIN = "aaaaaaceeeeiiiinooooouuuuyy"
#: Vocabularies that describe the vocabulary itself, never searched.
META = ("Vocabulary", "Domain", "Concept Class", "Relationship")


class Concept(BaseModel):
    concept_id: int
    concept_code: str
    vocabulary_id: str
    concept_name: str
    domain_id: str | None
    standard_concept: str | None


def fold(text: str) -> str:
    """Lower case, accents removed (as `ACCENTED` -> `PLAIN` does in SQL)."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def find_concepts(wh, q: str, vocabulary: str | None, limit: int) -> list[dict]:
    """Valid concepts whose label holds every word of `q`, or whose code
    holds `q`; exact codes first, then standard, then classification ones.
    Each word is a literal substring (no pattern characters)."""
    words = fold(q).split()
    if not words:
        return []
    c = wh.table("concept")
    c = c.filter(c.invalid_reason.isnull(), ~c.vocabulary_id.isin(META))
    if vocabulary:
        c = c.filter(c.vocabulary_id == vocabulary)
    name = c.concept_name.lower().translate(ACCENTED, PLAIN)
    code = c.concept_code.lower()
    phrase = " ".join(words)
    by_name = ibis.and_(*[name.contains(w) for w in words])
    found = c.filter(by_name | code.contains(phrase))
    rank = found.standard_concept.cases(("S", 0), ("C", 1), else_=2)
    ordered = found.order_by(
        [
            (found.concept_code.lower() != phrase).cast("int8"),
            rank,
            (
                ~found.concept_name.lower()
                .translate(ACCENTED, PLAIN)
                .startswith(words[0])
            ).cast("int8"),
            found.concept_name.length(),
            found.concept_code,
        ]
    )
    columns = list(Concept.model_fields)
    return ordered.select(*columns).limit(limit).to_pyarrow().to_pylist()


@router.get("/vocabulary", response_model=list[Concept])
def vocabulary(
    request: Request,
    session: LoggedIn,
    q: Annotated[
        str,
        Query(min_length=1, max_length=200, description="Words of a label, or a code."),
    ],
    vocabulary: Annotated[
        str | None, Query(max_length=50, description="CIM10, ATC, LOINC...")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> list[Concept]:
    """Concepts whose French label (every word, case and accents ignored) or
    code matches: exact code first, then standard concepts."""
    key = ("vocabulary", q, vocabulary, limit)
    rows = state(request).cached(key, find_concepts, q, vocabulary or None, limit)
    return [Concept(**r) for r in rows]
