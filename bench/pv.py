"""Safety signals for one outcome: time of `pv signals` through DuckDB.

A synthetic hospital (no notes) with its planted adverse drug events is
generated, then `entrepot.drugs.signals` is timed for toxidermies (CIM-10
L27.1): disproportionality over every drug, then for each screened drug the
self-controlled case series, the time to onset, and calibration by the
shipped negative controls. Baseline, in the same run: a plain count of
exposures per drug among the cases. Target: 1,000,000 patients in under 2
minutes (generating such a hospital takes far longer than the analysis:
`--warehouse` times a hospital generated before, seed 7 and no notes, as
`entrepot synth -n N --seed 7 --no-notes -w PATH` builds it).

With `--coverage`, the same hospital also scores the case series against its
ground truth (`synth_truth`): for each planted event, the planted pairs and
the negative controls (true relative risk 1), whether the first risk
window's 95 % CI, uncalibrated and calibrated, covers the true IRR, and the
AUC of the CIs' lower bounds between pairs and controls. A control is
calibrated with the other controls (leave one out). A pair's true IRR of
days 1–30 is the ratio of the events expected in those days after each
start of the drug, within the observation period, to the background's:
1 + (RR − 1) · (days of its latency window) · Σ (share of latencies within
the start's days in the window) / Σ (the start's days in the window), the
first sum over the starts that are planted courses at risk (prescriptions
outside any visit, with a planted course of one drug of each `with` group
running that day), the second over all the drug's exposure starts.

    python bench/pv.py [--patients 2000 | --warehouse PATH] [--coverage] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import ibis
import numpy as np

from entrepot.cohort import ConceptSet
from entrepot.drugs import fit_systematic_error, signals
from entrepot.drugs._cases import exposure_starts
from entrepot.drugs._sccs import DEFAULT_WINDOWS, sccs_each
from entrepot.drugs._signals import calibrated_ci
from entrepot.errors import DrugInputError
from entrepot.privacy import Decision
from entrepot.synth import generate_hospital
from entrepot.synth._drug_events import Latency
from entrepot.warehouse import Warehouse

OUTCOME = ConceptSet(items=[{"vocabulary": "CIM10", "code": "L27.1"}])


def exposure_counts(wh) -> int:
    """The baseline: exposures of each drug concept among the persons with
    the outcome (no dates, no models); the number of drugs."""
    co = wh.table("condition_occurrence")
    concept = wh.table("concept")
    code = concept.filter(
        (concept.vocabulary_id == "CIM10") & (concept.concept_code == "L27.1")
    )
    cases = co.semi_join(code, co.condition_concept_id == code.concept_id)
    cases = cases.select("person_id").distinct()
    de = wh.table("drug_exposure").semi_join(cases, "person_id")
    counts = de.group_by("drug_concept_id").aggregate(exposures=de.count())
    return counts.count().to_pyarrow().as_py()


def run(
    patients: int = 2000,
    seed: int = 7,
    warehouse: Path | None = None,
    coverage: bool = False,
) -> dict:
    """Times on a generated hospital of `patients`, or on `warehouse`; with
    `coverage`, the case series' coverage of the planted truth too."""
    if warehouse is not None:
        return _timed(str(warehouse), coverage)
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "pv.duckdb")
        generate_hospital(path, patients=patients, seed=seed, notes=False, workers=1)
        return _timed(path, coverage)


def _timed(path: str, coverage: bool) -> dict:
    with Warehouse.open(path, read_only=True) as wh:
        if coverage:
            return {"patients": _patients(wh), "coverage": truth_coverage(wh)}
        patients = _patients(wh)
        load = _load()
        started = time.perf_counter()
        drugs = exposure_counts(wh)
        baseline = round(time.perf_counter() - started, 3)
        started = time.perf_counter()
        found = signals(wh, OUTCOME, name="toxidermie")
        seconds = round(time.perf_counter() - started, 3)
    return {
        "patients": patients,
        "cases": found.cases,
        "drugs_among_cases": drugs,
        "drugs_screened": len(found.signals),
        "flagged": sorted(s.atc for s in found.signals if s.signal),
        "calibrated": found.systematic_error is not None,
        "baseline_seconds": baseline,
        "signals_seconds": seconds,
        "ratio": round(seconds / baseline, 1) if baseline else None,
        "load_average": [load, _load()],  # 1-minute load before and after
    }


def _patients(wh) -> int:
    return wh.table("person").count().to_pyarrow().as_py()


def truth_coverage(wh, events: list[str] | None = None) -> dict:
    """Coverage of the true IRRs by the case series' CIs, and AUC of their
    lower bounds, over the planted pairs and the negative controls of
    `events` (CIM-10 codes undotted, as synth_truth keeps them; None: all)."""
    truth = wh.table("synth_truth")
    truth = truth.filter(
        (truth.module == "drug_events") & truth.subtype.isin(["pair", "control"])
    ).to_pyarrow()
    rows = []
    for code in events or sorted(set(truth["event_code"].to_pylist())):
        mine = [r for r in truth.to_pylist() if r["event_code"] == code]
        rows += _event_rows(wh, code, mine)
    return _summary(rows)


def _event_rows(wh, code: str, truth: list[dict]) -> list[dict]:
    """One row per planted pair and control of the event `code` (undotted):
    the truth, the IRR's CI and the calibrated one (None: not estimated)."""
    outcome = ConceptSet(items=[{"vocabulary": "CIM10", "code": _dotted(wh, code)}])
    found = signals(wh, outcome, name=code)
    by_atc = {s.atc: s for s in found.signals}
    controls = sorted(r["drug_atc"] for r in truth if r["subtype"] == "control")
    series = sccs_each(wh, outcome, controls, adjust=found.adjusted_for)
    windows = {
        c: None if isinstance(series[c], DrugInputError) else series[c].windows[0]
        for c in controls
    }
    rows = []
    for c in controls:
        others = [windows[o] for o in controls if o != c and windows[o] is not None]
        try:  # leave one out: the control is not in its own error model
            error = fit_systematic_error(
                (w.log_irr, w.se) for w in others if w.se is not None
            )
        except DrugInputError:
            error = None
        w = windows[c]
        ci = None if w is None or w.ci is None else (w.ci[0], _finite(w.ci[1]))
        rows.append(_row(code, c, "control", 1.0, ci, calibrated_ci(error, w)))
    for r in truth:
        if r["subtype"] == "pair":
            s = by_atc.get(r["drug_atc"])
            ci, calibrated = (s.irr_ci, s.calibrated_ci) if s else (None, None)
            rows.append(
                _row(code, r["drug_atc"], "pair", _true_irr(wh, r), ci, calibrated)
            )
    return rows


def _row(event, atc, kind, true_irr, ci, calibrated) -> dict:
    return {
        "event": event,
        "atc": atc,
        "kind": kind,
        "true_irr": round(true_irr, 3),
        "irr_ci": ci,
        "calibrated_ci": calibrated,
    }


def _finite(bound: float) -> float | None:
    return None if bound == float("inf") else bound


def _dotted(wh, code: str) -> str:
    """The CIM-10 code as the vocabulary spells it (synth_truth undots it)."""
    concept = wh.table("concept")
    found = concept.filter(
        (concept.vocabulary_id == "CIM10")
        & (concept.concept_code.replace(".", "") == code)
    )
    return found.concept_code.to_pyarrow().to_pylist()[0]


def _true_irr(wh, pair: dict) -> float:
    """The planted IRR of the first risk window: the events expected in it
    over those of the background, summed over the drug's exposure starts
    (see the module's docstring)."""
    latency = Latency(
        median=pair["latency_median"],
        shape=pair["latency_shape"],
        min=pair["latency_min"],
        max=pair["latency_max"],
    )
    first, last = DEFAULT_WINDOWS[0]
    starts = _starts(wh, pair).to_pyarrow()
    days = np.clip(np.asarray(starts["remaining"]) - first + 1, 0, last - first + 1)
    at_risk = np.asarray(starts["at_risk"])
    within = latency.share_below(first - 1 + days + 0.5) - latency.share_below(
        first - 0.5
    )
    induced = (pair["relative_risk"] - 1) * latency.window_days * within[at_risk]
    return 1 + induced.sum() / days.sum()


def _starts(wh, pair: dict):
    """(remaining: the days from each exposure start of the drug to the end
    of its observation period, at_risk: a planted course at risk, with one of
    each `with` group running that day)."""
    courses = _planted(wh, pair["drug_atc"])
    for group in (pair["with_atc"] or "").split(";"):
        if group:
            running = ibis.union(*(_planted(wh, a) for a in group.split(",")))
            courses = courses.semi_join(
                running,
                [
                    courses.person_id == running.person_id,
                    running.start <= courses.start,
                    courses.start <= running.end,
                ],
            )
    courses = courses.select("person_id", risk_start="start").distinct()
    starts = exposure_starts(wh, Decision.unscoped(wh), pair["drug_atc"])
    op = wh.table("observation_period")
    starts = starts.join(
        op,
        [
            starts.person_id == op.person_id,
            op.observation_period_start_date.cast("date") <= starts.exposure_start,
            starts.exposure_start <= op.observation_period_end_date.cast("date"),
        ],
    )
    starts = starts.left_join(
        courses,
        [
            starts.person_id == courses.person_id,
            starts.exposure_start == courses.risk_start,
        ],
    )
    return starts.select(
        remaining=starts.observation_period_end_date.cast("date").delta(
            starts.exposure_start, unit="day"
        ),
        at_risk=starts.risk_start.notnull(),
    )


def _planted(wh, atc: str):
    """(person_id, start, end) of the drug's prescriptions outside any visit."""
    concept, ancestor = wh.table("concept"), wh.table("concept_ancestor")
    de = wh.table("drug_exposure")
    de = de.filter(de.visit_occurrence_id.isnull())
    code = concept.filter(
        (concept.vocabulary_id == "ATC") & (concept.concept_code == atc)
    )
    ids = code.join(ancestor, code.concept_id == ancestor.ancestor_concept_id)
    de = de.semi_join(ids, de.drug_concept_id == ids.descendant_concept_id)
    return de.select(
        "person_id",
        start=de.drug_exposure_start_date.cast("date"),
        end=de.drug_exposure_end_date.cast("date"),
    )


def _covers(ci, true_irr: float) -> bool:
    return ci is not None and ci[0] <= true_irr and (ci[1] is None or true_irr <= ci[1])


def _summary(rows: list[dict]) -> dict:
    """Coverage by the CIs (over the rows that have one) and AUC of their
    lower bounds (pairs against controls, over the rows that have one)."""
    from sklearn.metrics import roc_auc_score

    out = {"rows": rows, "pairs": sum(r["kind"] == "pair" for r in rows)}
    out["controls"] = len(rows) - out["pairs"]
    for key in ("irr_ci", "calibrated_ci"):
        have = [r for r in rows if r[key] is not None]
        covered = [r for r in have if _covers(r[key], r["true_irr"])]
        kinds = {r["kind"] for r in have}
        out[key] = {
            "estimated": len(have),
            "covered": len(covered),
            "coverage": round(len(covered) / len(have), 3) if have else None,
            "auc": round(
                roc_auc_score(
                    [r["kind"] == "pair" for r in have], [r[key][0] for r in have]
                ),
                3,
            )
            if len(kinds) == 2
            else None,
        }
    return out


def _load() -> float | None:
    """The machine's 1-minute load average (Linux), None elsewhere."""
    try:
        return float(Path("/proc/loadavg").read_text().split()[0])
    except OSError:
        return None


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2000)
    parser.add_argument("--warehouse", type=Path, help="Time this hospital instead.")
    parser.add_argument("--json", type=Path, help="Write the figures here too.")
    parser.add_argument(
        "--coverage", action="store_true", help="Score the CIs against the truth."
    )
    args = parser.parse_args(argv)
    figures = run(args.patients, warehouse=args.warehouse, coverage=args.coverage)
    if args.coverage:
        _print_coverage(figures)
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
        return figures
    print(
        f"{figures['patients']:,} patients, {figures['cases']} cases of L27.1: "
        f"pv signals {figures['signals_seconds']} s ({figures['drugs_screened']} "
        f"drugs screened, flagged {', '.join(figures['flagged']) or 'none'}, "
        f"{'' if figures['calibrated'] else 'not '}calibrated); "
        f"baseline (exposures per drug among cases) {figures['baseline_seconds']} s; "
        f"ratio {figures['ratio']} (load average {figures['load_average'][0]} "
        f"before, {figures['load_average'][1]} after)"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


def _print_coverage(figures: dict) -> None:
    c = figures["coverage"]
    print(
        f"{figures['patients']:,} patients: {c['pairs']} planted pairs, "
        f"{c['controls']} negative controls"
    )
    for key, name in (("irr_ci", "uncalibrated"), ("calibrated_ci", "calibrated")):
        k = c[key]
        print(
            f"{name} 95 % CI: {k['covered']} of {k['estimated']} estimated cover "
            f"the true IRR (coverage {k['coverage']}); AUC of the lower bounds "
            f"{k['auc']}"
        )


if __name__ == "__main__":
    main()
