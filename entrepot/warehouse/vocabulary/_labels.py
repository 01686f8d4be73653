"""Concepts' labels, to name the ids of a result."""

from __future__ import annotations

import ibis.expr.types as ir


def with_labels(wh, t: ir.Table, column: str) -> ir.Table:
    """`t` with `concept_code`, `vocabulary_id` and `concept_name` of the
    concept in `column` (null when the concept is unknown)."""
    c = wh.table("concept")
    c = c.select(
        _label_id=c.concept_id.cast("int64"),
        concept_code=c.concept_code,
        vocabulary_id=c.vocabulary_id,
        concept_name=c.concept_name,
    )
    joined = t.left_join(c, t[column].cast("int64") == c._label_id)
    return joined.drop("_label_id")
