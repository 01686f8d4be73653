"""Concept sets resolved to concept ids, with Circe's rules, in one query.

Included: the concepts themselves (if in `concept`), their valid descendants
(`concept_ancestor`), and with `mapped` the source concepts that 'Maps to' them;
minus the excluded ones, resolved the same way.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import Context
from entrepot.cohort._model import ConceptItem, ConceptSet
from entrepot.cohort._statements import fetch
from entrepot.errors import UnknownCodeError


def code_ids(
    ctx: Context, items: list[ConceptItem], source: str
) -> dict[tuple[str, str], int]:
    """Concept ids of (vocabulary, code) items; every unknown code is listed."""
    wanted = sorted({(i.vocabulary, i.code) for i in items if i.code is not None})
    if not wanted:
        return {}

    def lookup() -> ir.Table:
        concept = ctx.table("concept")
        return concept.filter(
            concept.vocabulary_id.isin(sorted({v for v, _ in wanted}))
            & concept.concept_code.isin(sorted({c for _, c in wanted}))
        ).select("vocabulary_id", "concept_code", "concept_id")

    rows = fetch(ctx.wh.store, ("codes", tuple(wanted)), lookup).to_pylist()
    found = {
        (r["vocabulary_id"], r["concept_code"]): int(r["concept_id"]) for r in rows
    }
    unknown = [f"{v} {c}" for v, c in wanted if (v, c) not in found]
    if unknown:
        raise UnknownCodeError(
            f"{source}: unknown code(s) in the warehouse's vocabulary: "
            + ", ".join(unknown)
        )
    return found


class _Vocabulary:
    """The three vocabulary tables, read once, with concept ids as int64."""

    def __init__(self, ctx: Context) -> None:
        concept = ctx.table("concept")
        self.concept = concept.select(
            concept_id=concept.concept_id.cast("int64"),
            invalid_reason=concept.invalid_reason,
        )
        ca = ctx.table("concept_ancestor")
        self.ancestor = ca.select(
            ancestor=ca.ancestor_concept_id.cast("int64"),
            descendant=ca.descendant_concept_id.cast("int64"),
        )
        self.relationship = None
        if ctx.has("concept_relationship"):
            cr = ctx.table("concept_relationship")
            self.relationship = cr.filter(
                (cr.relationship_id == "Maps to") & cr.invalid_reason.isnull()
            ).select(
                source=cr.concept_id_1.cast("int64"),
                target=cr.concept_id_2.cast("int64"),
            )

    def plain(self, ids: list[int], descendants: list[int]) -> ir.Table:
        """The concepts, and the valid descendants of some (Circe's sub-query)."""
        parts = [
            self.concept.filter(self.concept.concept_id.isin(ids)).select("concept_id")
        ]
        if descendants:
            valid = self.concept.filter(self.concept.invalid_reason.isnull())
            below = self.ancestor.filter(self.ancestor.ancestor.isin(descendants))
            parts.append(
                valid.join(below, valid.concept_id == below.descendant).select(
                    "concept_id"
                )
            )
        return ibis.union(*parts, distinct=True)

    def side(self, items: list[tuple[ConceptItem, int]]) -> ir.Table | None:
        """One side (include or exclude) of a concept set."""
        if not items:
            return None
        ids = [c for _, c in items]
        result = self.plain(ids, [c for i, c in items if i.descendants])
        mapped = [(i, c) for i, c in items if i.mapped]
        if mapped and self.relationship is not None:
            targets = self.plain(
                [c for _, c in mapped], [c for i, c in mapped if i.descendants]
            )
            r = self.relationship
            sources = r.semi_join(targets, r.target == targets.concept_id)
            result = ibis.union(
                result, sources.select(concept_id=sources.source), distinct=True
            )
        return result


def _set_expression(
    vocab: _Vocabulary, name: str, concept_set: ConceptSet, codes: dict
) -> ir.Table:
    sides = []
    for excluded in (False, True):
        items = [i for i in concept_set.items if i.exclude == excluded]
        ids = [
            i.concept_id if i.code is None else codes[(i.vocabulary, i.code)]
            for i in items
        ]
        sides.append(vocab.side(list(zip(items, ids, strict=True))))
    included, excluded = sides
    if excluded is not None:
        included = included.anti_join(excluded, "concept_id")
    return included.select(concept_set=ibis.literal(name), concept_id="concept_id")


def resolve_concept_sets(
    ctx: Context, sets: dict[str, ConceptSet], source: str
) -> dict[str, list[int]]:
    """Every concept set of a definition, by name: its sorted concept ids."""
    if not sets:
        return {}
    codes = code_ids(ctx, [i for s in sets.values() for i in s.items], source)

    def expression() -> ir.Table:
        vocab = _Vocabulary(ctx)
        parts = [_set_expression(vocab, name, s, codes) for name, s in sets.items()]
        return ibis.union(*parts, distinct=False)

    key = (
        "concepts",
        tuple((name, s.model_dump_json()) for name, s in sets.items()),
        tuple(sorted(codes.items())),
        any(i.mapped for s in sets.values() for i in s.items)
        and ctx.has("concept_relationship"),
    )
    rows = fetch(ctx.wh.store, key, expression).to_pylist()
    resolved: dict[str, list[int]] = {name: [] for name in sets}
    for row in rows:
        resolved[row["concept_set"]].append(int(row["concept_id"]))
    return {name: sorted(ids) for name, ids in resolved.items()}
