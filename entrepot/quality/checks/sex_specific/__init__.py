"""Plausibility: no pregnancy in a man, no prostate in a woman (setting `sex_specific`)."""

from __future__ import annotations

import functools
import operator

import ibis

from entrepot.quality._model import Source
from entrepot.quality._registry import Family, register

MALE, FEMALE = 8507, 8532  # OMOP gender concepts
FIELDS = (
    ("condition_occurrence", "condition_concept_id"),
    ("condition_occurrence", "condition_source_concept_id"),
    ("procedure_occurrence", "procedure_concept_id"),
    ("observation", "observation_concept_id"),
)


def _sexed_concepts(ctx):
    """Concepts only one sex can have, with `_only` ('female' or 'male')."""
    c = ctx.table("concept")
    parts = []
    for rule in ctx.config.sex_specific:
        matches = [
            (c.vocabulary_id == vocabulary)
            & functools.reduce(
                operator.or_, [c.concept_code.startswith(p) for p in prefixes]
            )
            for vocabulary, prefixes in rule.codes.items()
            if prefixes
        ]
        if matches:
            parts.append(
                c.filter(functools.reduce(operator.or_, matches)).select(
                    _concept=c.concept_id, _only=ibis.literal(rule.sex)
                )
            )
    return ibis.union(*parts) if len(parts) > 1 else parts[0]


def _source(table: str, field: str) -> Source:
    def build(ctx):
        r = ctx.rows(table)
        sexed = _sexed_concepts(ctx)
        r = r.inner_join(sexed, r[field] == sexed._concept)
        persons = ctx.persons.select("person_id", "_gender")
        return r.inner_join(persons, "person_id")

    return Source(("sexed_rows", table, field), (table, "concept", "person"), build)


def _violated(r):
    return ((r._only == "female") & (r._gender == MALE)) | (
        (r._only == "male") & (r._gender == FEMALE)
    )


def _make(ctx, family):
    if not ctx.config.sex_specific:
        return
    for table, field in FIELDS:
        yield family.check(
            ctx,
            table,
            field,
            f"{table}.{field}: no concept of one sex in a person of the other "
            "(a pregnancy in a man, a prostate in a woman)",
            _source(table, field),
            needs=(
                (table, field),
                ("concept", "concept_code"),
                ("person", "gender_concept_id"),
            ),
            violated=_violated,
        )


family = register(
    Family("sex_specific", "plausibility", "sex-specific concepts fit the sex", _make)
)
