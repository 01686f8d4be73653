"""Pharmacovigilance in the warehouse: case / non-case disproportionality.

The persons with the outcome (a saved cohort, or a concept set of conditions)
are the cases, every other person of the perimeter a non-case. A case is
exposed to a drug (ATC 5th level) when an exposure started before its index
date (one started on the day of the event or later cannot have caused it); a
non-case when it had the drug at all, so that a drug with no effect tends to
an ROR under 1 (calibrate with negative controls). Each drug's 2 x 2 table gives the reporting odds
ratio (ROR) and the proportional reporting ratio (PRR), with 95 % confidence
intervals on the log scale; a zero cell adds 0.5 to every cell (Haldane).
The counts are Ibis expressions, so the same code runs on every engine.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import ibis.expr.types as ir

from entrepot.cohort import ConceptSet
from entrepot.drugs._cases import Outcome, first_outcomes
from entrepot.drugs._intervals import log_interval
from entrepot.privacy import Decision


@dataclass(frozen=True)
class DrugSignal:
    """One drug's disproportionality for the outcome."""

    drug: str  # the ATC ingredient's name
    atc: str
    cases_exposed: int
    noncases_exposed: int
    ror: float
    ror_ci: tuple[float, float]
    prr: float
    prr_ci: tuple[float, float]


@dataclass(frozen=True)
class Disproportionality:
    """The drugs of the warehouse against one outcome, the strongest first
    (by the lower bound of the ROR's interval)."""

    outcome: str
    persons: int
    cases: int
    drugs: list[DrugSignal]

    def to_dict(self) -> dict:
        return asdict(self)


def disproportionality(
    wh,
    outcome: Outcome,
    decision: Decision | None = None,
    *,
    name: str | None = None,
    min_cases: int = 1,
) -> Disproportionality:
    """The ROR and PRR for `outcome` of each drug taken before it by at least
    `min_cases` cases: `outcome` is a saved cohort (its id or name) or a concept
    set of conditions (named `name`); the persons are those `decision` sees
    (without one: the whole warehouse)."""
    decision = decision or Decision.unscoped(wh)
    persons = decision.table(wh, "person").select("person_id")
    label = name or ("outcome" if isinstance(outcome, ConceptSet) else str(outcome))
    cases = first_outcomes(wh, decision, outcome).semi_join(persons, "person_id")
    exposed = _exposed(wh, decision, cases)
    counts = exposed.group_by(["atc", "drug"]).aggregate(
        cases_exposed=exposed.case.sum(), exposed=exposed.count()
    )
    counts = counts.filter(counts.cases_exposed >= min_cases)
    n = int(persons.count().to_pyarrow().as_py())
    total = int(cases.count().to_pyarrow().as_py())
    drugs = [
        _signal(
            r["drug"], r["atc"], int(r["cases_exposed"]), int(r["exposed"]), total, n
        )
        for r in counts.to_pyarrow().to_pylist()
    ]
    drugs.sort(key=lambda d: (-d.ror_ci[0], -d.ror, d.atc))
    return Disproportionality(label, n, total, drugs)


def _exposed(wh, decision: Decision, cases: ir.Table) -> ir.Table:
    """(person_id, atc, drug, case) of each person exposed to each ATC ingredient,
    a case's exposures counted when they start before its index date."""
    de = decision.table(wh, "drug_exposure")
    concept = wh.table("concept")
    ingredient = concept.filter(
        (concept.vocabulary_id == "ATC") & (concept.concept_class_id == "ATC 5th")
    ).select(
        atc_id=concept.concept_id.cast("int64"),
        atc=concept.concept_code,
        drug=concept.concept_name,
    )
    ca = wh.table("concept_ancestor")
    below = ca.select(
        atc_id=ca.ancestor_concept_id.cast("int64"),
        concept_id=ca.descendant_concept_id.cast("int64"),
    ).join(ingredient, "atc_id")
    rows = de.select(
        person_id=de.person_id.cast("int64"),
        concept_id=de.drug_concept_id.cast("int64"),
        start=de.drug_exposure_start_date,
    )
    index = cases.select(case_id=cases.person_id, index_date=cases.outcome_date)
    rows = rows.join(below, "concept_id")
    rows = rows.left_join(index, rows.person_id == index.case_id)
    is_case = rows.case_id.notnull()
    rows = rows.filter(~is_case | (rows.start < rows.index_date))
    return rows.select(
        "person_id", "atc", "drug", case=is_case.cast("int64")
    ).distinct()


def _signal(
    drug: str, atc: str, a: int, exposed: int, cases: int, n: int
) -> DrugSignal:
    """ROR and PRR of one 2 x 2 table: a exposed cases, b exposed non-cases,
    c unexposed cases, d unexposed non-cases."""
    b = exposed - a
    c, d = cases - a, n - cases - b
    x = [float(v) for v in (a, b, c, d)]
    if 0 in (a, b, c, d):
        x = [v + 0.5 for v in x]
    fa, fb, fc, fd = x
    ror = fa * fd / (fb * fc)
    ror_se = math.sqrt(1 / fa + 1 / fb + 1 / fc + 1 / fd)
    prr = (fa / (fa + fb)) / (fc / (fc + fd))
    prr_se = math.sqrt(1 / fa - 1 / (fa + fb) + 1 / fc - 1 / (fc + fd))
    return DrugSignal(
        drug, atc, a, b, ror, _interval(ror, ror_se), prr, _interval(prr, prr_se)
    )


def _interval(ratio: float, se: float) -> tuple[float, float]:
    return log_interval(math.log(ratio), se, "the reporting ratio")
