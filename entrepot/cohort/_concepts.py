"""Concept sets resolved to concept ids, with Circe's rules, in one query
whose size does not grow with them: every set's items are one small table.

Included: the concepts themselves (if in `concept`), their valid descendants
(`concept_ancestor`), and with `mapped` the source concepts that 'Maps to' them;
minus the excluded ones, resolved the same way.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

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


def _items(ctx: Context, sets: dict[str, ConceptSet], codes: dict) -> ir.Table:
    """Every item of every set as a row of one small table: (concept_set,
    concept_id, descendants, mapped, exclude)."""
    rows = [
        (name, i.concept_id if i.code is None else codes[(i.vocabulary, i.code)], i)
        for name, s in sets.items()
        for i in s.items
    ]
    return ctx.wh.store.from_arrow(
        pa.table(
            {
                "concept_set": pa.array([n for n, _, _ in rows], pa.string()),
                "concept_id": pa.array([c for _, c, _ in rows], pa.int64()),
                "descendants": pa.array([i.descendants for *_, i in rows]),
                "mapped": pa.array([i.mapped for *_, i in rows]),
                "exclude": pa.array([i.exclude for *_, i in rows]),
            }
        )
    )


def _found(ctx: Context, items: ir.Table, mapped: bool) -> ir.Table:
    """(concept_set, exclude, concept_id): each item's concept if in
    `concept`, the valid descendants of those with `descendants`, and with
    `mapped` the source concepts that 'Maps to' any of them (Circe's rules)."""
    concept = ctx.table("concept")
    concept = concept.select(
        cid=concept.concept_id.cast("int64"), invalid_reason=concept.invalid_reason
    )
    ca = ctx.table("concept_ancestor")
    below = ca.select(
        ancestor=ca.ancestor_concept_id.cast("int64"),
        descendant=ca.descendant_concept_id.cast("int64"),
    )
    keys = ("concept_set", "exclude", "mapped")
    own = items.join(concept, items.concept_id == concept.cid).select(
        *keys, "concept_id"
    )
    valid = concept.filter(concept.invalid_reason.isnull())
    wide = items.filter(items.descendants)
    wide = wide.join(below, wide.concept_id == below.ancestor)
    wide = wide.join(valid, wide.descendant == valid.cid)
    found = ibis.union(
        own, wide.select(*keys, concept_id=wide.descendant), distinct=True
    )
    if mapped:
        cr = ctx.table("concept_relationship")
        maps = cr.filter(
            (cr.relationship_id == "Maps to") & cr.invalid_reason.isnull()
        ).select(
            source=cr.concept_id_1.cast("int64"), target=cr.concept_id_2.cast("int64")
        )
        onto = found.filter(found.mapped)
        onto = onto.join(maps, onto.concept_id == maps.target)
        found = ibis.union(
            found, onto.select(*keys, concept_id=onto.source), distinct=True
        )
    return found.select("concept_set", "exclude", "concept_id")


def resolve_concept_sets(
    ctx: Context, sets: dict[str, ConceptSet], source: str
) -> dict[str, list[int]]:
    """Every concept set of a definition, by name: its sorted concept ids."""
    if not sets:
        return {}
    codes = code_ids(ctx, [i for s in sets.values() for i in s.items], source)

    mapped = any(i.mapped for s in sets.values() for i in s.items) and ctx.has(
        "concept_relationship"
    )

    def expression() -> ir.Table:
        found = _found(ctx, _items(ctx, sets, codes), mapped)
        kept = found.filter(~found.exclude)
        dropped = found.filter(found.exclude)
        return (
            kept.anti_join(
                dropped,
                (kept.concept_set == dropped.concept_set)
                & (kept.concept_id == dropped.concept_id),
            )
            .select("concept_set", "concept_id")
            .distinct()
        )

    key = (
        "concepts",
        tuple((name, s.model_dump_json()) for name, s in sets.items()),
        tuple(sorted(codes.items())),
        mapped,
    )
    rows = fetch(ctx.wh.store, key, expression).to_pylist()
    resolved: dict[str, list[int]] = {name: [] for name in sets}
    for row in rows:
        resolved[row["concept_set"]].append(int(row["concept_id"]))
    return {name: sorted(ids) for name, ids in resolved.items()}
