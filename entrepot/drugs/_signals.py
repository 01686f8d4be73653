"""Safety signals for one outcome, and the events over-represented after one drug.

`signals` screens the drugs taken before the outcome by at least `min_cases`
cases (case / non-case disproportionality), then, for each, runs the
self-controlled case series (the first risk window's IRR) and the median time
to onset (days 1–90; no Weibull fit here: `time_to_onset` gives it).
Negative-control drugs (known to cause no common adverse event) run the
same case series; their estimates give the design's systematic error, which
calibrates each drug's IRR interval (Schuemie et al. 2014, 2018). A drug is a
signal when its calibrated interval lies above 1 and at least `min_cases`
cases were exposed. When fewer than three controls can be estimated (a control
needs an outcome in its risk window), no interval is calibrated
(`calibrated_ci` None) and a drug is a signal only when both designs agree:
the IRR's and the ROR's intervals above 1.

`drug_events` goes the other way: the conditions (a concept each) recorded
after starting a drug, each a case / non-case table against the drug; those
over-represented get the case series too, and are signals unless its
interval disagrees.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import asdict, dataclass

from entrepot.cohort import CohortDefinition, ConceptSet
from entrepot.drugs._calibration import SystematicError, fit_systematic_error
from entrepot.drugs._cases import Outcome, exposure_starts
from entrepot.drugs._disproportionality import _signal, disproportionality
from entrepot.drugs._onset import onset_days_each
from entrepot.drugs._sccs import SccsResult, sccs_each
from entrepot.errors import DrugInputError
from entrepot.privacy import Decision

#: Negative controls: drugs with no known link to common adverse events
#: (skin, kidney, blood): levothyroxine, colecalciferol, tamsulosin, latanoprost.
NEGATIVE_CONTROLS = ("H03AA01", "A11CC05", "G04CA02", "S01EE01")
#: Exposed cases a drug needs to be screened and flagged.
MIN_CASES = 3


@dataclass(frozen=True)
class Signal:
    """One drug against the outcome: disproportionality, case series, onset,
    and the verdict after calibration."""

    drug: str
    atc: str
    cases_exposed: int
    ror: float
    ror_ci: tuple[float, float]
    irr: float | None  # None when the case series cannot be fitted or diverges
    irr_ci: tuple[float, float | None] | None  # (lower bound, None): diverges
    calibrated_ci: tuple[float, float | None] | None  # None without calibration
    median_onset_days: float | None
    signal: bool


@dataclass(frozen=True)
class Signals:
    """The drugs screened for one outcome, the strongest first, the
    systematic error their IRRs were calibrated with (None: too few controls),
    and the suspects whose risk windows the case series were adjusted for."""

    outcome: str
    cases: int
    signals: list[Signal]
    systematic_error: SystematicError | None
    adjusted_for: tuple[str, ...] = ()  # the suspects the case series adjust for

    def to_dict(self) -> dict:
        return {
            "outcome": self.outcome,
            "cases": self.cases,
            "signals": [asdict(s) for s in self.signals],
        }


def signals(
    wh,
    outcome: Outcome,
    decision: Decision | None = None,
    *,
    name: str | None = None,
    controls: tuple[str, ...] | None = None,
    min_cases: int = MIN_CASES,
) -> Signals:
    """The drugs associated with `outcome` (a saved cohort's id or name, or a
    concept set of conditions named `name`), calibrated with `controls` (ATC
    codes of negative-control drugs; None: those of `NEGATIVE_CONTROLS` in the
    vocabulary). Each case series is adjusted for the risk windows of the
    suspects: the drugs whose IRR's and ROR's CIs lie above 1 in a first,
    unadjusted pass."""
    if min_cases < 1:
        raise DrugInputError(f"the exposed cases needed must be ≥ 1: {min_cases}")
    decision = decision or Decision.unscoped(wh)
    found = disproportionality(wh, outcome, decision, name=name, min_cases=min_cases)
    if controls is None:  # the shipped ones this warehouse's vocabulary holds
        wanted = _known_atc(wh, NEGATIVE_CONTROLS)
    else:
        wanted = {c.strip().upper() for c in controls}
    screened = [d for d in found.drugs if d.atc not in wanted]
    every = sorted({d.atc for d in screened} | wanted)
    series = sccs_each(wh, outcome, every, decision=decision)
    suspects = tuple(
        d.atc
        for d in screened
        if _above_one(_reported(_first_window(series[d.atc]))[1])
        and _above_one(d.ror_ci)
        and d.cases_exposed >= min_cases
    )
    if suspects:  # each drug's control time freed of the others' risk
        series = sccs_each(wh, outcome, every, decision=decision, adjust=suspects)
    error = _systematic_error(series[c] for c in sorted(wanted))
    onsets = onset_days_each(wh, outcome, [d.atc for d in screened], decision=decision)
    out = []
    for d in screened:
        window = _first_window(series[d.atc])
        irr, irr_ci = _reported(window)
        calibrated = calibrated_ci(error, window)
        days = onsets[d.atc]
        flagged = _above_one(calibrated) or (
            error is None and _above_one(irr_ci) and _above_one(d.ror_ci)
        )
        out.append(
            Signal(
                d.drug,
                d.atc,
                d.cases_exposed,
                d.ror,
                d.ror_ci,
                irr,
                irr_ci,
                calibrated,
                float(statistics.median(days)) if days else None,
                flagged and d.cases_exposed >= min_cases,
            )
        )
    out.sort(key=lambda s: (not s.signal, -(s.calibrated_ci or (0, 0))[0], s.atc))
    return Signals(found.outcome, found.cases, out, error, suspects)


def calibrated_ci(
    error: SystematicError | None, window
) -> tuple[float, float | None] | None:
    """A case series window's 95 % CI calibrated with `error`: (lower, None)
    where it has a lower bound only; None without calibration or estimate."""
    irr, irr_ci = _reported(window)
    if error is None or irr_ci is None:
        return None
    if irr is None:  # a lower bound only
        return (error.calibrate_lower(math.log(irr_ci[0])), None)
    return error.calibrate(window.log_irr, window.se).ci


def _known_atc(wh, codes) -> set[str]:
    concept = wh.table("concept")
    known = concept.filter(
        (concept.vocabulary_id == "ATC") & concept.concept_code.isin(list(codes))
    )
    return set(known.concept_code.to_pyarrow().to_pylist())


def _above_one(ci: tuple[float, float] | None) -> bool:
    return ci is not None and ci[0] > 1


def _first_window(result: SccsResult | DrugInputError):
    """The case series' first risk window, or None when it cannot be fitted
    (no exposed case with control time, every outcome in a window)."""
    return None if isinstance(result, DrugInputError) else result.windows[0]


def _reported(window) -> tuple[float | None, tuple | None]:
    """The IRR and CI as reported: an IRR with no finite estimate is None and
    its CI (lower bound, None)."""
    if window is None:
        return None, None
    if math.isinf(window.irr):
        return None, (window.ci[0], None)
    return window.irr, window.ci


def _systematic_error(results) -> SystematicError | None:
    """The systematic error of the case series fitted on the negative
    controls' results, or None when fewer than needed can be estimated."""
    estimates = []
    for result in results:
        window = _first_window(result)
        if window is not None and window.se is not None:
            estimates.append((window.log_irr, window.se))
    try:
        return fit_systematic_error(estimates)
    except DrugInputError:
        return None


@dataclass(frozen=True)
class DrugEvent:
    """One condition against one drug: persons with the condition after
    starting the drug, and the case / non-case ROR."""

    concept: str
    concept_id: int
    cases_exposed: int
    ror: float
    ror_ci: tuple[float, float]
    irr: float | None
    irr_ci: tuple[float, float | None] | None
    signal: bool


@dataclass(frozen=True)
class DrugEvents:
    drug: str
    atc: str
    events: list[DrugEvent]

    def to_dict(self) -> dict:
        return {
            "drug": self.drug,
            "atc": self.atc,
            "events": [asdict(e) for e in self.events],
        }


def drug_events(
    wh,
    atc: str,
    decision: Decision | None = None,
    *,
    min_cases: int = MIN_CASES,
) -> DrugEvents:
    """The conditions over-represented after starting `atc` (an ATC code):
    each condition concept whose first occurrence follows a start of the drug
    in at least `min_cases` persons, with its case / non-case ROR (a case
    exposed only after its first occurrence counts as unexposed, as in
    `disproportionality`). Each event whose ROR's lower bound is above 1 gets
    the case series' first risk window (IRR None for the others, and where it
    cannot be fitted or bounded); a signal when the ROR's lower bound is above
    1 and the case series, where it gives an interval, agrees (no calibration:
    that would need negative-control outcomes)."""
    decision = decision or Decision.unscoped(wh)
    code = atc.strip().upper()
    concept = wh.table("concept")
    named = concept.filter(
        (concept.vocabulary_id == "ATC") & (concept.concept_code == code)
    )
    names = named.concept_name.to_pyarrow().to_pylist()
    if not names:
        raise DrugInputError(f"no ATC code {code!r} in the vocabulary")
    starts = exposure_starts(wh, decision, code)
    first = starts.group_by("person_id").aggregate(started=starts.exposure_start.min())
    co = decision.table(wh, "condition_occurrence")
    co = co.filter(co.condition_concept_id != 0)
    onsets = co.group_by(
        person_id=co.person_id.cast("int64"), concept_id=co.condition_concept_id
    ).aggregate(onset=co.condition_start_date.cast("date").min())
    rows = onsets.left_join(first, "person_id")
    counts = rows.group_by("concept_id").aggregate(
        cases=rows.count(),
        after=(rows.started < rows.onset).sum(),
        exposed=rows.started.notnull().sum(),
    )
    counts = counts.filter(counts.after >= min_cases)
    counts = counts.join(concept, counts.concept_id == concept.concept_id)
    counts = counts.select("concept_id", "cases", "after", "exposed", "concept_name")
    persons = decision.table(wh, "person").count().to_pyarrow().as_py()
    users = first.count().to_pyarrow().as_py()
    events = []
    for r in counts.to_pyarrow().to_pylist():
        a = int(r["after"])
        # exposed non-cases: the drug's users who never had the condition
        table = _signal(
            r["concept_name"],
            code,
            a,
            a + users - int(r["exposed"]),
            int(r["cases"]),
            persons,
        )
        irr = irr_ci = None
        if _above_one(table.ror_ci):  # screened: the case series confirms or not
            event = ConceptSet(items=[{"concept_id": int(r["concept_id"])}])
            window = _first_window(
                sccs_each(wh, event, [code], decision=decision)[code]
            )
            irr, irr_ci = _reported(window)
        events.append(
            DrugEvent(
                r["concept_name"],
                int(r["concept_id"]),
                a,
                table.ror,
                table.ror_ci,
                irr,
                irr_ci,
                _above_one(table.ror_ci) and (irr_ci is None or _above_one(irr_ci)),
            )
        )
    events.sort(key=lambda e: (-e.ror_ci[0], e.concept_id))
    return DrugEvents(names[0], code, events)


def definition_outcome(definition: CohortDefinition) -> ConceptSet:
    """A cohort definition's outcome for the self-controlled designs: the
    conditions of its entry events, each person's first occurrence (its
    dates, inclusion rules and exit are not applied)."""
    sets = {
        e.concept_set
        for e in definition.entry.events
        if e.domain == "condition" and e.concept_set
    }
    items = [i for s in sorted(sets) for i in definition.concept_sets[s].items]
    if not items:
        raise DrugInputError(
            f"cohort {definition.name!r}: no entry event of conditions to take as the outcome"
        )
    return ConceptSet(items=items)
