"""Condition and drug eras, derived from the clinical tables as OHDSI's era
scripts do, so that era-based cohorts (ATLAS's ConditionEra, DrugEra) find them.

- condition_era: a person's occurrences of one condition concept, merged when
  one starts at most 30 days after the latest end so far (persistence window).
- drug_era: exposures rolled up to their ingredient (RxNorm Ingredient through
  concept_ancestor, or the ATC 5th-level concept a French warehouse codes
  with), overlapping exposures merged, then merged across gaps of at most 30
  days; `gap_days` is the era's length minus the days exposed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import ibis
import ibis.expr.types as ir

#: Days allowed between two occurrences (or exposures) of the same era.
PERSISTENCE_DAYS = 30
ONE_DAY = ibis.interval(days=1)
#: Era ids are numbered in this many buckets of persons, in parallel.
ID_BUCKETS = 64


def merge_periods(
    rows: ir.Table,
    pad: int,
    keys: Sequence[str] = ("person_id",),
    **aggregates: Callable[[ir.Table], ir.Value],
) -> ir.Table:
    """Periods (`start_date`, `end_date`) of the same `keys` merged when they
    overlap once their ends are padded by `pad` days (the padding removed
    after): Circe's era constructor. `aggregates` are computed per merged period."""
    padding = ibis.interval(days=pad)
    rows = rows.mutate(end_date=rows.end_date + padding)
    before = ibis.window(
        group_by=list(keys), order_by=["start_date", "end_date"], rows=(None, -1)
    )
    rows = rows.mutate(
        is_start=ibis.ifelse(rows.end_date.max().over(before) >= rows.start_date, 0, 1)
    )
    running = ibis.window(
        group_by=list(keys),
        order_by=["start_date", ibis.desc("is_start"), "end_date"],
        rows=(None, 0),
    )
    rows = rows.mutate(group_idx=rows.is_start.sum().over(running))
    merged = rows.group_by([*keys, "group_idx"]).aggregate(
        start_date=rows.start_date.min(),
        end_date=rows.end_date.max() - padding,
        **{name: f(rows) for name, f in aggregates.items()},
    )
    return merged.select(*keys, "start_date", "end_date", *aggregates)


def exposure_end(t: ir.Table, days_supply: int | None = None) -> ir.Value:
    """The end of a drug exposure: its end date, else start plus days supply,
    else the day after the start; or start plus a fixed `days_supply`."""
    start = t.drug_exposure_start_date
    if days_supply is not None:
        return start + ibis.interval(days=days_supply)
    supply = t.days_supply.cast("int64").as_interval("D")
    return ibis.coalesce(t.drug_exposure_end_date, start + supply, start + ONE_DAY)


def condition_eras(wh) -> ir.Table:
    """`condition_era` rows computed from `condition_occurrence`."""
    co = wh.table("condition_occurrence")
    co = co.filter(co.condition_concept_id != 0)
    start = co.condition_start_date.cast("date")
    rows = co.select(
        person_id=co.person_id.cast("int64"),
        concept_id=co.condition_concept_id.cast("int64"),
        start_date=start,
        end_date=ibis.coalesce(co.condition_end_date.cast("date"), start + ONE_DAY),
    )
    eras = merge_periods(
        rows, PERSISTENCE_DAYS, ("person_id", "concept_id"), count=lambda t: t.count()
    )
    return _numbered(
        eras,
        "condition_era_id",
        person_id=eras.person_id,
        condition_concept_id=eras.concept_id,
        condition_era_start_date=eras.start_date,
        condition_era_end_date=eras.end_date,
        condition_occurrence_count=eras["count"].cast("int64"),
    )


def drug_eras(wh) -> ir.Table:
    """`drug_era` rows computed from `drug_exposure` and the vocabulary."""
    de = wh.table("drug_exposure")
    de = de.filter(de.drug_concept_id != 0)
    exposures = de.select(
        person_id=de.person_id.cast("int64"),
        drug_concept_id=de.drug_concept_id.cast("int64"),
        start_date=de.drug_exposure_start_date.cast("date"),
        end_date=exposure_end(de).cast("date"),
    )
    ingredients = _ingredients(wh)
    rows = exposures.join(ingredients, "drug_concept_id").select(
        "person_id", "start_date", "end_date", concept_id=ingredients.ingredient_id
    )
    keys = ("person_id", "concept_id")
    exposed = merge_periods(rows, 0, keys, count=lambda t: t.count())  # overlaps
    exposed = exposed.mutate(
        days=exposed.end_date.delta(exposed.start_date, unit="day")
    )
    eras = merge_periods(
        exposed,
        PERSISTENCE_DAYS,
        keys,
        count=lambda t: t["count"].sum(),
        days=lambda t: t.days.sum(),
    )
    length = eras.end_date.delta(eras.start_date, unit="day")
    return _numbered(
        eras,
        "drug_era_id",
        person_id=eras.person_id,
        drug_concept_id=eras.concept_id,
        drug_era_start_date=eras.start_date,
        drug_era_end_date=eras.end_date,
        drug_exposure_count=eras["count"].cast("int64"),
        gap_days=(length - eras.days).cast("int64"),
    )


def _ingredients(wh) -> ir.Table:
    """(drug_concept_id, ingredient_id): each drug concept's ingredients."""
    ancestry = wh.table("concept_ancestor")
    concept = wh.table("concept")
    rxnorm = concept.filter(
        concept.vocabulary_id.isin(["RxNorm", "RxNorm Extension"])
        & (concept.concept_class_id == "Ingredient")
    )
    through_ancestry = ancestry.join(
        rxnorm, ancestry.ancestor_concept_id == rxnorm.concept_id
    ).select(
        drug_concept_id=ancestry.descendant_concept_id.cast("int64"),
        ingredient_id=ancestry.ancestor_concept_id.cast("int64"),
    )
    atc = concept.filter(
        (concept.vocabulary_id == "ATC") & (concept.concept_class_id == "ATC 5th")
    )
    themselves = atc.select(
        drug_concept_id=atc.concept_id.cast("int64"),
        ingredient_id=atc.concept_id.cast("int64"),
    )
    return ibis.union(through_ancestry, themselves, distinct=True)


def _numbered(eras: ir.Table, id_column: str, **columns: ir.Value) -> ir.Table:
    """Era rows with ids 1, 2, ... in (person bucket, person, concept, start)
    order: numbered within `ID_BUCKETS` buckets of persons, each bucket's ids
    following the previous buckets', so that no window holds every row (one
    Spark partition) and the same rows get the same ids on every engine."""
    rows = eras.select(**columns)
    names = list(columns)
    rows = rows.mutate(_bucket=rows[names[0]] % ID_BUCKETS)
    order = ibis.window(group_by="_bucket", order_by=names[:3])
    rows = rows.mutate(_n=ibis.row_number().over(order) + 1)
    sizes = rows.group_by("_bucket").aggregate(_size=rows.count())
    before = sizes.view()
    offsets = (
        sizes.left_join(before, before._bucket < sizes._bucket)
        .group_by(bucket=sizes._bucket)
        .aggregate(_offset=before._size.sum().fill_null(0))
    )
    numbered = rows.join(offsets, rows._bucket == offsets.bucket)
    return numbered.select(
        (numbered._offset + numbered._n).cast("int64").name(id_column), *names
    )


def build_eras(wh) -> dict[str, int]:
    """Replace `condition_era` and `drug_era` with eras computed from the
    clinical tables, in one transaction; rows written per table."""
    built = {"condition_era": condition_eras(wh), "drug_era": drug_eras(wh)}
    wh.replace_tables(built)
    return {name: wh.count(name) for name in built}
