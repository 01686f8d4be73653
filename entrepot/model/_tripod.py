"""The TRIPOD+AI checklist (Collins et al., BMJ 2024), filled from a trained
model's folder where the software knows the answer.

Each of the 52 sub-items (`entrepot/data/tripod_ai/checklist.csv`, the
published wording) gets a sentence built from `study.yaml`, `results.json`,
`covariates.json` and the explanations, or none: left to the authors (the
healthcare context, ethics, funding, interpretation...). A main item (1 to 27)
counts as filled when the software fills at least one of its sub-items; the
report shows both counts.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files

MAIN_ITEMS = 27


@dataclass(frozen=True)
class ChecklistItem:
    item: str  # "1", "3a"...
    section: str
    topic: str
    applies: str  # D, E or D;E
    text: str

    @property
    def main(self) -> int:
        return int(re.match(r"\d+", self.item).group())


@cache
def checklist() -> tuple[ChecklistItem, ...]:
    """The checklist's sub-items, in order, as published."""
    path = files("entrepot.data.tripod_ai").joinpath("checklist.csv")
    with path.open(encoding="utf-8") as f:
        return tuple(ChecklistItem(**row) for row in csv.DictReader(f))


@dataclass
class ModelFolder:
    """What a report is made from: a model folder's files, read."""

    study: dict  # study.yaml
    results: dict  # results.json
    definitions: dict[str, dict]  # covariates.json
    coefficients: list[tuple[str, float]] | None = None  # a linear model's
    intercept: float | None = None
    explanations: dict | None = None  # explain()'s, as a dict
    external: dict | None = None  # results.json of `model validate`
    version: str = ""


@dataclass
class FilledItem:
    item: ChecklistItem
    answer: str | None  # None: left to the authors


@dataclass
class Checklist:
    rows: list[FilledItem] = field(default_factory=list)

    @property
    def filled_items(self) -> list[int]:
        """Main items with at least one sub-item filled."""
        return sorted({r.item.main for r in self.rows if r.answer})

    @property
    def filled_subitems(self) -> int:
        return sum(1 for r in self.rows if r.answer)

    @property
    def left_to_authors(self) -> list[str]:
        return [r.item.item for r in self.rows if not r.answer]


def fill(folder: ModelFolder) -> Checklist:
    """The checklist with each sub-item answered where the software can."""
    return Checklist(
        [
            FilledItem(i, FILLERS[i.item](folder) if i.item in FILLERS else None)
            for i in checklist()
        ]
    )


def _study(f: ModelFolder) -> dict:
    return f.results.get("study", {})


def _n(f: ModelFolder, split: str) -> str:
    n = f.results.get("n", {}).get(split)
    return f"{n['persons']} persons ({n['events']} with the outcome)" if n else ""


def _tar(f: ModelFolder) -> str:
    tar = _study(f).get("time_at_risk", {})
    return f"days {tar.get('start')} to {tar.get('end')} after the index date"


def _title(f: ModelFolder) -> str:
    s = _study(f)
    learner = f.results.get("model", {}).get("learner", "a model")
    return (
        f"Development and evaluation of a multivariable prediction model ({learner}) "
        f"of {s.get('outcome')} ({_tar(f)}) in the target population "
        f"“{s.get('target')}”"
    )


def _abstract(f: ModelFolder) -> str:
    r = f.results
    lo, hi = r.get("auroc_ci", [None, None])
    return (
        f"{_title(f)}. Data: {f.results.get('warehouse')} OMOP CDM warehouse, index "
        f"dates {_dates(f)}. Development: {_n(f, 'train')}; evaluation "
        f"({r.get('evaluated')}): {_n(f, r.get('evaluated', 'test'))}. AUROC "
        f"{r.get('auroc')} (95% CI {lo}-{hi}), calibration slope "
        f"{r.get('calibration', {}).get('slope')}, E/O "
        f"{r.get('calibration', {}).get('e_o')}, Brier {r.get('brier')}."
    )


def _dates(f: ModelFolder) -> str:
    dates = _study(f).get("dates", {})
    firsts = [d[0] for d in dates.values() if d and d[0]]
    lasts = [d[1] for d in dates.values() if d and d[1]]
    return f"{min(firsts)} to {max(lasts)}" if firsts else "unknown"


def _objectives(f: ModelFolder) -> str:
    kinds = "development and internal evaluation (held-out test set)"
    if f.external:
        kinds += ", and external evaluation on another warehouse"
    return f"Objective: {_study(f).get('description') or _title(f)} Study: {kinds}."


def _sources(f: ModelFolder) -> str:
    text = (
        "Routine care data: the electronic health records of a hospital data "
        f"warehouse in the OMOP CDM ({f.results.get('warehouse')} engine), for "
        "development and internal evaluation"
    )
    if f.external:
        text += f"; external evaluation on another warehouse ({f.external.get('warehouse')})"
    return text + ". The rationale and representativeness are the authors' to give."


def _accrual(f: ModelFolder) -> str:
    dates = "; ".join(
        f"{split}: index dates {d[0]} to {d[1]}"
        for split, d in _study(f).get("dates", {}).items()
    )
    return f"{dates}; follow-up: {_tar(f)}."


def _setting(f: ModelFolder) -> str:
    centres = 2 if f.external else 1
    return f"Hospital care, from {centres} hospital data warehouse(s), one per centre."


def _eligibility(f: ModelFolder) -> str:
    s = _study(f)
    steps = "; ".join(
        f"{a['rule']}: {a['persons']}" for a in f.results.get("attrition", [])
    )
    return (
        f"Target cohort “{s.get('target')}” (its first entry is the index date). "
        f"{s.get('censoring', {}).get('rule', '')}. Persons left after each rule: "
        f"{steps}."
    )


def _preparation(f: ModelFolder) -> str:
    windows = _covariate_sets(f)
    return (
        "Covariates computed in the warehouse's engine from the OMOP tables, "
        f"the same way for every person whatever their group: {windows}; those "
        f"recorded for fewer than {_study(f).get('covariates', {}).get('min_persons')} "
        "persons are left out."
    )


def _covariate_sets(f: ModelFolder) -> str:
    c = _study(f).get("covariates", {})
    parts = (
        ["demographics (age, 5-year age group, sex)"] if c.get("demographics") else []
    )
    for domain in ("conditions", "drugs", "measurements", "visits", "note_mentions"):
        if c.get(domain):
            windows = ", ".join(
                "all time" if w == "all" else f"{w} days" for w in c[domain]
            )
            parts.append(
                f"{domain} ({windows} before the index date, index day included)"
            )
    parts += [f"custom: {name}" for name in c.get("custom", {})]
    return "; ".join(parts)


def _outcome(f: ModelFolder) -> str:
    return (
        f"Outcome cohort “{_study(f).get('outcome')}”, from the warehouse's records, "
        f"in the time-at-risk ({_tar(f)}); assessed the same way for every person."
    )


def _no_assessor(_: ModelFolder) -> str:
    return "Not applicable: read from coded records, with no human interpretation."


def _blind(_: ModelFolder) -> str:
    return (
        "The outcome is read from the records by the cohort definition, "
        "independently of the predictors and of the model's predictions."
    )


def _choice(f: ModelFolder) -> str:
    return (
        f"All available predictors of the default OMOP covariate sets "
        f"({_covariate_sets(f)}), no pre-selection by the outcome; "
        f"{len(f.definitions)} covariates kept."
    )


def _predictors(f: ModelFolder) -> str:
    analyses: dict[str, int] = {}
    for d in f.definitions.values():
        key = f"{d.get('analysis')} ({d.get('window')})"
        analyses[key] = analyses.get(key, 0) + 1
    listed = "; ".join(f"{k}: {v}" for k, v in sorted(analyses.items()))
    return (
        "Each covariate is defined in covariates.json (analysis, domain, window, "
        f"concept), measured before the index date: {listed}."
    )


def _sample_size(f: ModelFolder) -> str:
    covariates = f.results.get("model", {}).get("covariates")
    n = f.results.get("n", {}).get("train", {})
    events = n.get("events")
    epp = (
        f"; {events / covariates:.2f} events per candidate covariate"
        if isinstance(events, int) and covariates
        else ""
    )
    return (
        f"All eligible persons of the warehouse. Development: {_n(f, 'train')}; "
        f"evaluation: {_n(f, f.results.get('evaluated', 'test'))}{epp}. "
        "No sample size calculation was made."
    )


def _missing(f: ModelFolder) -> str:
    return (
        "A condition, drug, visit or measurement not recorded in a window counts "
        "as absent (0); a measurement's last value is 0 where none was measured, "
        "beside its presence indicator. No person is omitted for missing data; "
        "persons are removed only by the eligibility rules above."
    )


def _partition(f: ModelFolder) -> str:
    return f"Split: {_study(f).get('split', {}).get('rule')}."


def _handling(f: ModelFolder) -> str:
    learner = f.results.get("model", {}).get("learner")
    if learner == "l1_logistic":
        return (
            "Linear terms on the log-odds; each covariate divided by its largest "
            "absolute value (binary covariates unchanged)."
        )
    return "Covariates given as they are to the trees (no transformation needed)."


def _model_type(f: ModelFolder) -> str:
    learners = "; ".join(
        f"{x['learner']} {x['settings']} (cross-validated AUROC {x['cv_auroc']}"
        f"{', selected' if x.get('selected') else ''})"
        for x in f.results.get("learners", [])
    )
    return (
        f"Learners tried: {learners}. Hyper-parameters chosen by cross-validated "
        "AUROC on the training persons; internal validation on the held-out test set."
    )


def _measures(f: ModelFolder) -> str:
    return (
        "Discrimination: AUROC and AUPRC with bootstrap 95% CIs; calibration: "
        "E/O, calibration-in-the-large, slope and intercept, calibration curve; "
        "overall: Brier score; clinical utility: net benefit (decision curve); "
        "the same per subgroup. Plots: ROC, precision-recall, calibration, decision "
        "curve, SHAP summary, subgroups."
    )


def _no_updating(_: ModelFolder) -> str:
    return "No model updating (recalibration) was done."


def _predictions(_: ModelFolder) -> str:
    return (
        "With the fitted model object (model.joblib, a scikit-learn pipeline) on "
        "covariates computed by the same definitions (`entrepot model validate`)."
    )


def _imbalance(_: ModelFolder) -> str:
    return "No class imbalance method was used; predictions are not reweighted."


def _fairness(f: ModelFolder) -> str:
    return (
        "Performance and calibration compared per subgroup (fairlearn MetricFrame); "
        f"{f.results.get('subgroup_rule', '')}"
    )


def _output(_: ModelFolder) -> str:
    return (
        "A probability of the outcome; no classification threshold (net benefit "
        "is shown over thresholds of 1% to 99%)."
    )


def _differences(f: ModelFolder) -> str | None:
    if not f.external:
        return None
    mine, theirs = f.results.get("n", {}), f.external.get("n", {})
    absent = f.external.get("model", {}).get("covariates_absent")
    return (
        "Same eligibility, outcome and covariate definitions (the study file "
        f"travels with the model). Development: {mine.get('train')}; evaluation: "
        f"{theirs.get('external')}; covariates never recorded there: {absent}."
    )


def _code(f: ModelFolder) -> str:
    return (
        f"entrepot {f.version} (open source), with the study file (study.yaml) "
        "saved beside the model."
    )


def _flow(f: ModelFolder) -> str:
    steps = " → ".join(
        f"{a['rule']} ({a['persons']})" for a in f.results.get("attrition", [])
    )
    splits = "; ".join(
        f"{k}: {v['persons']} persons, {v['events']} with the outcome"
        for k, v in f.results.get("n", {}).items()
    )
    return f"{steps}. {splits}."


def _characteristics(f: ModelFolder) -> str | None:
    groups = f.results.get("subgroups", {})
    if not groups:
        return None
    parts = []
    for variable, found in groups.items():
        shown = ", ".join(
            f"{g}: {v.get('n')} ({v.get('events')} events)" for g, v in found.items()
        )
        parts.append(f"{variable}: {shown}")
    return f"Evaluation set by group — {'; '.join(parts)}."


def _comparison(f: ModelFolder) -> str | None:
    if not f.external:
        return None
    return (
        f"Outcome rate — development: {_rate(f.results, 'train')}, evaluation: "
        f"{_rate(f.external, 'external')}."
    )


def _rate(results: dict, split: str) -> str:
    n = results.get("n", {}).get(split, {})
    p, e = n.get("persons"), n.get("events")
    return (
        f"{e}/{p} ({e / p:.1%})" if isinstance(p, int) and isinstance(e, int) else "?"
    )


def _per_analysis(f: ModelFolder) -> str:
    return "; ".join(
        f"{k}: {v['persons']} persons, {v['events']} events"
        for k, v in f.results.get("n", {}).items()
    )


def _specification(f: ModelFolder) -> str:
    m = f.results.get("model", {})
    text = (
        f"{m.get('learner')} with {m.get('covariates')} covariates "
        f"({m.get('nonzero')} non-zero coefficients) saved as model.joblib "
        "(freely available to whoever holds the folder)"
    )
    if f.coefficients is not None:
        top = ", ".join(f"{n} {c:+.3f}" for n, c in f.coefficients[:10])
        text += f"; intercept {f.intercept:+.3f}; largest coefficients: {top}"
    return text + "."


def _performance(f: ModelFolder) -> str:
    r = f.results
    flagged = [
        f"{v}={g} ({', '.join(x['flags'])})"
        for v, groups in r.get("subgroups", {}).items()
        for g, x in groups.items()
        if x.get("flags")
    ]
    return (
        f"AUROC {r.get('auroc')} (95% CI {r.get('auroc_ci')}), AUPRC "
        f"{r.get('auprc')} (95% CI {r.get('auprc_ci')}), Brier {r.get('brier')}; "
        f"per subgroup in the table below; flagged: {', '.join(flagged) or 'none'}."
    )


def _no_update_results(_: ModelFolder) -> str:
    return "No model updating was done: the model is evaluated as developed."


FILLERS: dict[str, Callable[[ModelFolder], str | None]] = {
    "1": _title,
    "2": _abstract,
    "3b": lambda f: f"Target population: “{_study(f).get('target')}”.",
    "4": _objectives,
    "5a": _sources,
    "5b": _accrual,
    "6a": _setting,
    "6b": _eligibility,
    "7": _preparation,
    "8a": _outcome,
    "8b": _no_assessor,
    "8c": _blind,
    "9a": _choice,
    "9b": _predictors,
    "9c": _no_assessor,
    "10": _sample_size,
    "11": _missing,
    "12a": _partition,
    "12b": _handling,
    "12c": _model_type,
    "12e": _measures,
    "12f": _no_updating,
    "12g": _predictions,
    "13": _imbalance,
    "14": _fairness,
    "15": _output,
    "16": _differences,
    "18f": _code,
    "20a": _flow,
    "20b": _characteristics,
    "20c": _comparison,
    "21": _per_analysis,
    "22": _specification,
    "23a": _performance,
    "24": _no_update_results,
}
