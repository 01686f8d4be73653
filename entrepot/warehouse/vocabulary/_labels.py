"""Concepts' labels, to name the ids of a result."""

from __future__ import annotations

import ibis.expr.types as ir


def with_labels(
    wh, t: ir.Table, column: str, *, language: int | None = None
) -> ir.Table:
    """`t` with `concept_code`, `vocabulary_id` and `concept_name` of the
    concept in `column` (null when the concept is unknown). With `language`
    (a language concept id: French is 4180190), `concept_name` is the
    concept's synonym in that language where it has one (the first in
    order when it has several)."""
    c = wh.table("concept")
    name = c.concept_name
    if language is not None:
        s = wh.table("concept_synonym")
        s = s.filter(s.language_concept_id == language)
        s = s.group_by(_syn_id=s.concept_id).agg(_syn_name=s.concept_synonym_name.min())
        c = c.left_join(s, c.concept_id == s._syn_id)
        name = c._syn_name.coalesce(c.concept_name)
    c = c.select(
        _label_id=c.concept_id.cast("int64"),
        concept_code=c.concept_code,
        vocabulary_id=c.vocabulary_id,
        concept_name=name,
    )
    joined = t.left_join(c, t[column].cast("int64") == c._label_id)
    return joined.drop("_label_id")
