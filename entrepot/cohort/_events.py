"""One criterion's rows as events: person, id, start, end, visit, concept.

Circe's order of operations: concept sets first, then `first` (each person's
first matching row), then every other filter.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

from entrepot.cohort._context import Context, typed, where
from entrepot.cohort._model import DateAdjustment, Event, UserPeriod, gender_ids
from entrepot.cohort._ranges import in_concepts, in_range
from entrepot.cohort.criteria import DOMAINS
from entrepot.cohort.criteria._domain import LINKED

COLUMNS = (
    "person_id",
    "event_id",
    "start_date",
    "end_date",
    "visit_occurrence_id",
    "concept_id",
)


def events(
    ctx: Context,
    event: Event,
    columns: tuple[str, ...] = (),
    persons: ir.Table | None = None,
) -> ir.Table:
    """The rows of `event`'s domain that it selects, with the standard columns
    and `columns`: attributes of the domain (`value`, `unit`...) or text
    columns of its table (`value_source_value`). `persons` (a person_id
    column), when given, are the only persons asked about: the event's own
    criteria are then worked out on their rows only (each person's rows are
    worked out alone, so this changes no row of theirs)."""
    domain = DOMAINS[event.domain]
    t = domain.rows(ctx, event) if domain.rows else ctx.table(domain.table)
    if event.concept_set is not None:
        t = t.filter(t[domain.concept].isin(ctx.ids(event.concept_set)))
    if event.source_concept_set is not None:
        t = t.filter(t[domain.source_concept].isin(ctx.ids(event.source_concept_set)))
    t = _linked(ctx, t, event)
    rows = t.select(
        person_id=typed(t.person_id, "int64"),
        event_id=typed(t[domain.id], "int64"),
        start_date=typed(t[domain.start], "date"),
        end_date=typed(domain.end(t), "date"),
        visit_occurrence_id=_column(
            t, "visit_occurrence_id" if domain.has_visit else None
        ),
        concept_id=_column(t, domain.concept),
        type_concept_id=_column(t, domain.type_concept),
        **{name: column(t) for name, column in domain.attributes.items()},
        **{name: _text(t, name) for name in columns if name not in domain.attributes},
        **{name: t[name] for name in LINKED if getattr(event, name) is not None},
        **(
            {"linked_site": t.linked_site} if event.place_of_service is not None else {}
        ),
    )
    if event.first:
        order = ibis.row_number().over(
            group_by="person_id", order_by=["start_date", "event_id"]
        )
        rows = rows.filter(order == 0)
    if event.date_adjustment is not None:
        rows = _adjusted(rows, event.date_adjustment)
    rows = where(rows, _filters(ctx, rows, event) + domain.conditions(ctx, rows, event))
    rows = _person_filters(ctx, rows, event)
    if event.visit_type is not None:
        visits = ctx.table("visit_occurrence")
        wanted = visits.filter(
            in_concepts(visits.visit_concept_id, event.visit_type, ctx.ids)
        )
        rows = rows.semi_join(
            wanted,
            (rows.visit_occurrence_id == wanted.visit_occurrence_id)
            & (rows.person_id == wanted.person_id),
        )
    if event.user_period is not None:
        rows = _user_period(rows, event.user_period)
    rows = rows.select(*COLUMNS, *columns)
    if event.criteria is not None:
        from entrepot.cohort._groups import group_hits, with_observation

        if persons is not None:
            rows = rows.semi_join(persons, rows.person_id == persons.person_id)

        framed = with_observation(ctx, rows)
        hits = group_hits(ctx, event.criteria, framed)
        rows = rows.semi_join(hits, ["person_id", "event_id"])
    return rows


def _linked(ctx: Context, t: ir.Table, event: Event) -> ir.Table:
    """The rows with their provider's specialty and their care site's place of
    service, if asked (left joins: a row without a care site is left out by
    the filters, after `first`, as Circe's inner join does)."""
    if event.provider_specialty is not None:
        provider = ctx.table("provider")
        provider = provider.select(
            linked_provider=typed(provider.provider_id, "int64"),
            provider_specialty=typed(provider.specialty_concept_id, "int64"),
        )
        t = t.left_join(provider, t.provider_id == provider.linked_provider)
    if event.place_of_service is not None:
        site = ctx.table("care_site")
        site = site.select(
            linked_site=typed(site.care_site_id, "int64"),
            place_of_service=typed(site.place_of_service_concept_id, "int64"),
        )
        t = t.left_join(site, t.care_site_id == site.linked_site)
    return t


def _adjusted(rows: ir.Table, adjustment: DateAdjustment) -> ir.Table:
    """Rows with their dates moved; those that end before they start left out."""
    dates = {"start": rows.start_date, "end": rows.end_date}

    def moved(which: str, days: int) -> ir.DateValue:
        return (dates[which] + ibis.interval(days=days)).cast("date")

    rows = rows.mutate(
        start_date=moved(adjustment.start_with, adjustment.start_offset),
        end_date=moved(adjustment.end_with, adjustment.end_offset),
    )
    return rows.filter(rows.end_date >= rows.start_date)


def _user_period(rows: ir.Table, period: UserPeriod) -> ir.Table:
    """The periods that cover the user's dates, dated by them."""
    given = {"start_date": period.start, "end_date": period.end}
    given = {column: day for column, day in given.items() if day is not None}
    rows = rows.filter(
        *[(rows.start_date <= day) & (rows.end_date >= day) for day in given.values()]
    )
    return rows.mutate(**{column: ibis.literal(day) for column, day in given.items()})


def _text(t: ir.Table, name: str) -> ir.Value:
    """A text column, or null where the table lacks it (an older CDM: 5.3's
    observation has no value_source_value)."""
    return t[name] if name in t.columns else ibis.null("string")


def _column(t: ir.Table, name: str | None) -> ir.Value:
    """An id column as int64, or null when the domain has none."""
    return ibis.null("int64") if name is None else typed(t[name], "int64")


def _filters(ctx: Context, rows: ir.Table, event: Event) -> list[ir.BooleanValue]:
    """Conditions on the columns every domain has (dates, length, type)."""
    conditions = in_range(rows.start_date, event.start_date) + in_range(
        rows.end_date, event.end_date
    )
    if event.length is not None:
        days = rows.end_date.delta(rows.start_date, unit="day")
        conditions += in_range(days, event.length)
    for name in LINKED:
        if getattr(event, name) is not None:
            conditions.append(in_concepts(rows[name], getattr(event, name), ctx.ids))
    if event.place_of_service is not None:
        conditions.append(rows.linked_site.notnull())
    types = event.type_concept
    if event.type_concept_set is not None:
        types = ctx.ids(event.type_concept_set)
    if types is not None:
        matches = in_concepts(rows.type_concept_id, types, ctx.ids)
        conditions.append(~matches if event.type_exclude else matches)
    return conditions


def _person_filters(ctx: Context, rows: ir.Table, event: Event) -> ir.Table:
    """Age at the event's start or end (difference of years, as Circe), gender."""
    if event.age is None and event.age_at_end is None and event.gender is None:
        return rows
    person = ctx.persons()
    joined = rows.join(person, rows.person_id == person.pid)
    conditions = in_range(
        joined.start_date.year() - joined.year_of_birth, event.age
    ) + in_range(joined.end_date.year() - joined.year_of_birth, event.age_at_end)
    if event.gender is not None:
        conditions.append(
            in_concepts(joined.gender_concept_id, gender_ids(event.gender), ctx.ids)
        )
    return where(joined, conditions).select(rows.columns)
