"""The characterization analyses: what the warehouse holds, as tables to plot.

Each analysis is a function `(ctx) -> list[dict]` of rows, declared with its
title, columns and which columns are counts (masked when small).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ibis
import ibis.expr.types as ir

from entrepot.quality._context import Context

#: Domain tables: their date, their concept and the type concept that says where a row comes from.
DOMAINS = {
    "visit_occurrence": ("visit_start_date", "visit_concept_id", "visit_concept_id"),
    "condition_occurrence": (
        "condition_start_date",
        "condition_concept_id",
        "condition_type_concept_id",
    ),
    "drug_exposure": (
        "drug_exposure_start_date",
        "drug_concept_id",
        "drug_type_concept_id",
    ),
    "procedure_occurrence": (
        "procedure_date",
        "procedure_concept_id",
        "procedure_type_concept_id",
    ),
    "measurement": (
        "measurement_date",
        "measurement_concept_id",
        "measurement_type_concept_id",
    ),
    "observation": (
        "observation_date",
        "observation_concept_id",
        "observation_type_concept_id",
    ),
    "note": ("note_date", "note_class_concept_id", "note_type_concept_id"),
    "death": ("death_date", "cause_concept_id", "death_type_concept_id"),
}
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass(frozen=True)
class Analysis:
    name: str
    title: str
    columns: tuple[str, ...]
    counts: tuple[str, ...]  # masked when small
    run: Callable[[Context, int], list[dict]]


def _rows(expr: ir.Table) -> list[dict]:
    return expr.to_pyarrow().to_pylist()


def _names(ctx: Context) -> ir.Table:
    c = ctx.table("concept")
    return c.select(_cid=c.concept_id, _cname=c.concept_name)


def _named(ctx: Context, t: ir.Table, column: str, as_: str) -> ir.Table:
    """Add the concept name of `column` as `as_` (the id when not in the vocabulary)."""
    n = _names(ctx)
    j = t.left_join(n, t[column] == n._cid)
    return j.mutate(**{as_: j._cname.fill_null(j[column].cast("string"))}).drop(
        "_cid", "_cname"
    )


def _domains(ctx: Context, *fields: int):
    for table, spec in DOMAINS.items():
        if ctx.has(table) and all(ctx.usable(table, spec[i]) for i in fields):
            yield table, spec


def persons_by_sex(ctx: Context, top: int) -> list[dict]:
    p = ctx.table("person")
    counts = p.group_by("gender_concept_id").aggregate(persons=p.count())
    named = _named(ctx, counts, "gender_concept_id", "sex")
    return _rows(named.select("sex", "persons").order_by("sex"))


def _age(ctx: Context) -> ir.Table:
    p = ctx.persons
    last = p._death.coalesce(p._last_seen, ibis.literal(ctx.today))
    return p.mutate(_age=last.year() - p._year_of_birth)


def persons_by_age_band_and_sex(ctx: Context, top: int) -> list[dict]:
    a = _age(ctx)
    band = (a._age.clip(lower=0, upper=90) // 10) * 10
    a = a.mutate(_band=band)
    counts = a.group_by("_band", "_gender").aggregate(persons=a.count())
    named = _named(ctx, counts, "_gender", "sex")
    rows = _rows(named.select("_band", "sex", "persons").order_by("_band", "sex"))
    for r in rows:
        low = int(r.pop("_band"))
        r["age_band"] = "90+" if low >= 90 else f"{low}-{low + 9}"
    return [
        {"age_band": r["age_band"], "sex": r["sex"], "persons": r["persons"]}
        for r in rows
    ]


def persons_by_year_of_birth(ctx: Context, top: int) -> list[dict]:
    p = ctx.table("person")
    counts = p.group_by("year_of_birth").aggregate(persons=p.count())
    return _rows(counts.order_by("year_of_birth"))


_FOLLOW_UP = (
    (30, "< 1 month"),
    (182, "1-6 months"),
    (365, "6-12 months"),
    (730, "1-2 years"),
    (1826, "2-5 years"),
    (3652, "5-10 years"),
)


def observation_time(ctx: Context, top: int) -> list[dict]:
    o = ctx.table("observation_period")
    days = o.observation_period_end_date.delta(
        o.observation_period_start_date, unit="day"
    )
    per_person = o.group_by("person_id").aggregate(_days=(days + 1).sum())
    band = ibis.cases(
        *[(per_person._days < limit, label) for limit, label in _FOLLOW_UP],
        else_="10 years or more",
    )
    counts = per_person.group_by(follow_up=band).aggregate(
        persons=per_person.count(), _order=per_person._days.min()
    )
    return [
        {"follow_up": r["follow_up"], "persons": r["persons"]}
        for r in _rows(counts.order_by("_order"))
    ]


def records_per_year(ctx: Context, top: int) -> list[dict]:
    out = []
    for table, (date, _, _) in _domains(ctx, 0):
        t = ctx.table(table)
        counts = t.group_by(year=t[date].year()).aggregate(
            records=t.count(), persons=t.person_id.nunique()
        )
        rows = _rows(counts.filter(counts.year.notnull()).order_by("year"))
        out += [{"domain": table} | r for r in rows]
    return out


def records_per_type(ctx: Context, top: int) -> list[dict]:
    out = []
    for table, (_, _, kind) in _domains(ctx, 2):
        t = ctx.table(table)
        counts = t.group_by(kind).aggregate(records=t.count())
        named = _named(ctx, counts, kind, "type")
        rows = _rows(named.select("type", "records").order_by(ibis.desc("records")))
        out += [{"domain": table} | r for r in rows[:top]]
    return out


def top_concepts(ctx: Context, top: int) -> list[dict]:
    out = []
    for table, (_, concept, _) in _domains(ctx, 1):
        t = ctx.table(table)
        counts = (
            t.group_by(concept_id=t[concept])
            .aggregate(records=t.count(), persons=t.person_id.nunique())
            .order_by(ibis.desc("records"), "concept_id")
            .limit(top)
        )
        named = _named(ctx, counts, "concept_id", "concept_name")
        rows = _rows(named.order_by(ibis.desc("records"), "concept_id"))
        out += [
            {
                "domain": table,
                "concept_id": r["concept_id"],
                "concept_name": r["concept_name"],
                "records": r["records"],
                "persons": r["persons"],
            }
            for r in rows
        ]
    return out


def lab_distributions(ctx: Context, top: int) -> list[dict]:
    m = ctx.table("measurement")
    m = m.filter(m.value_as_number.notnull())
    v = m.value_as_number
    stats = m.group_by("measurement_concept_id", "unit_concept_id").aggregate(
        n=m.count(),
        min=v.min(),
        _q=v.approx_quantile(list(QUANTILES)),  # one sketch for all quantiles
        max=v.max(),
    )
    stats = stats.order_by(ibis.desc("n"), "measurement_concept_id").limit(top)
    named = _named(ctx, stats, "measurement_concept_id", "test")
    named = _named(ctx, named, "unit_concept_id", "unit")
    columns = [
        "test",
        "unit",
        "n",
        "min",
        *[f"p{round(q * 100):02d}" for q in QUANTILES],
        "max",
    ]
    rows = _rows(named.order_by(ibis.desc("n"), "measurement_concept_id"))
    for r in rows:
        r |= {
            f"p{round(q * 100):02d}": x
            for q, x in zip(QUANTILES, r.pop("_q"), strict=True)
        }
    return [
        {c: _round(r[c]) for c in ["measurement_concept_id", *columns]} for r in rows
    ]


def _round(value):
    """Four significant digits for statistics; ids and counts untouched."""
    return float(f"{value:.4g}") if isinstance(value, float) else value


def mapping_coverage(ctx: Context, top: int) -> list[dict]:
    out = []
    for table, (_, concept, _) in _domains(ctx, 1):
        t = ctx.table(table)
        row = _rows(
            t.aggregate(rows=t.count(), mapped=(t[concept].fill_null(0) != 0).sum())
        )[0]
        rows, mapped = int(row["rows"]), int(row["mapped"] or 0)
        out.append(
            {
                "domain": table,
                "field": concept,
                "rows": rows,
                "mapped": mapped,
                "mapped_percent": round(100 * mapped / rows, 2) if rows else None,
            }
        )
    return out


ANALYSES = (
    Analysis(
        "persons_by_sex",
        "Persons by sex",
        ("sex", "persons"),
        ("persons",),
        persons_by_sex,
    ),
    Analysis(
        "persons_by_age_band_and_sex",
        "Persons by age (at death or last follow-up) and sex",
        ("age_band", "sex", "persons"),
        ("persons",),
        persons_by_age_band_and_sex,
    ),
    Analysis(
        "persons_by_year_of_birth",
        "Persons by year of birth",
        ("year_of_birth", "persons"),
        ("persons",),
        persons_by_year_of_birth,
    ),
    Analysis(
        "observation_time",
        "Persons by length of follow-up (observation periods)",
        ("follow_up", "persons"),
        ("persons",),
        observation_time,
    ),
    Analysis(
        "records_per_year",
        "Records and persons per year and domain",
        ("domain", "year", "records", "persons"),
        ("records", "persons"),
        records_per_year,
    ),
    Analysis(
        "records_per_type",
        "Records per domain and type (visit kind, record origin)",
        ("domain", "type", "records"),
        ("records",),
        records_per_type,
    ),
    Analysis(
        "top_concepts",
        "Most frequent concepts per domain",
        ("domain", "concept_id", "concept_name", "records", "persons"),
        ("records", "persons"),
        top_concepts,
    ),
    Analysis(
        "lab_distributions",
        "Lab values per test and unit (approximate quantiles)",
        (
            "measurement_concept_id",
            "test",
            "unit",
            "n",
            "min",
            "p05",
            "p25",
            "p50",
            "p75",
            "p95",
            "max",
        ),
        ("n",),
        lab_distributions,
    ),
    Analysis(
        "mapping_coverage",
        "Records mapped to a standard concept, per domain",
        ("domain", "field", "rows", "mapped", "mapped_percent"),
        ("rows", "mapped"),
        mapping_coverage,
    ),
)
NEEDS = {
    "persons_by_sex": ("person",),
    "persons_by_age_band_and_sex": ("person",),
    "persons_by_year_of_birth": ("person",),
    "observation_time": ("observation_period",),
    "lab_distributions": ("measurement",),
}
