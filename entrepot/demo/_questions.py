"""Research questions the warehouse answers today, as Ibis expressions (any engine)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import ibis.expr.types as ir


def concepts(wh, vocabulary: str, codes: list[str]) -> ir.Table:
    """Concept ids of `codes` and all their descendants (`concept_ancestor`)."""
    concept = wh.table("concept")
    roots = concept.filter(
        (concept.vocabulary_id == vocabulary) & concept.concept_code.isin(codes)
    )
    ancestor = wh.table("concept_ancestor")
    return ancestor.semi_join(
        roots, ancestor.ancestor_concept_id == roots.concept_id
    ).select(concept_id=ancestor.descendant_concept_id)


def conditions(wh, codes: list[str], since: date | None = None) -> ir.Table:
    """Condition occurrences coded with CIM-10 `codes` (and descendants)."""
    t = wh.table("condition_occurrence")
    wanted = concepts(wh, "CIM10", codes)
    t = t.semi_join(wanted, t.condition_concept_id == wanted.concept_id)
    return t if since is None else t.filter(t.condition_start_date >= since)


def drugs(wh, codes: list[str], during: tuple[date, date] | None = None) -> ir.Table:
    """Drug exposures to ATC `codes` (and descendants), overlapping `during` if given."""
    t = wh.table("drug_exposure")
    wanted = concepts(wh, "ATC", codes)
    t = t.semi_join(wanted, t.drug_concept_id == wanted.concept_id)
    if during is None:
        return t
    first, last = during
    return t.filter(
        (t.drug_exposure_start_date <= last) & (t.drug_exposure_end_date >= first)
    )


def persons(rows: ir.Table) -> int:
    return int(rows.person_id.nunique().to_pyarrow().as_py())


def _immunosuppressed(wh) -> int:
    return persons(drugs(wh, ["L04AX01", "L04AA06"]))


def _immunosuppressed_august_2021(wh) -> int:
    return persons(
        drugs(wh, ["L04AX01", "L04AA06"], (date(2021, 8, 1), date(2021, 8, 31)))
    )


def _skin_reactions_since_2015(wh) -> int:
    return persons(
        conditions(wh, ["L27.0", "L27.1", "L51.1", "L51.2"], date(2015, 1, 1))
    )


def _systemic_sclerosis(wh) -> int:
    return persons(conditions(wh, ["M34"]))


def _covid_immunosuppressed(wh) -> int:
    covid = conditions(wh, ["U07.1"])
    treated = drugs(wh, ["L04", "L01BA01"])
    return persons(covid.semi_join(treated, "person_id"))


@dataclass(frozen=True)
class Question:
    """A research question and how the warehouse answers it (number of patients)."""

    key: str
    text: str
    answer: Callable[[object], int]


QUESTIONS = (
    Question(
        "immunosuppressed",
        "Patients ever on azathioprine or mycophenolate",
        _immunosuppressed,
    ),
    Question(
        "immunosuppressed_2021_08",
        "… of whom exposed in August 2021",
        _immunosuppressed_august_2021,
    ),
    Question(
        "skin_reactions_since_2015",
        "Drug-induced skin reactions (toxidermies, SJS/TEN) since 2015",
        _skin_reactions_since_2015,
    ),
    Question(
        "systemic_sclerosis",
        "Patients with systemic sclerosis (M34)",
        _systemic_sclerosis,
    ),
    Question(
        "covid_immunosuppressed",
        "COVID-19 in patients on immunosuppressants (L04, methotrexate)",
        _covid_immunosuppressed,
    ),
)
