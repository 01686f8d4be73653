"""The model report: a trained model's folder as one self-contained HTML page,
with the TRIPOD+AI checklist filled where the software can, performance,
calibration, decision curve, subgroups and explanations as inline SVG. Its
body (`Report.body`) is also the web app's page, which styles the same
classes from its own stylesheet: no style attribute, no script.

Every figure comes from the folder (`entrepot model train --out`), which left
the warehouse through the release gate; the curves are drawn at score
quantiles (each step holds a twentieth of the persons, never one person).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path

import numpy as np

from entrepot.errors import NotFoundError, StudyError
from entrepot.model._svg import bar_chart, line_chart
from entrepot.model._tripod import MAIN_ITEMS, Checklist, ModelFolder, fill

STEPS = 20  # points of the ROC and precision-recall curves
EXPLANATIONS = "explanations.json"
LABELS = {
    "en": {
        "report": "Model report",
        "performance": "Performance",
        "figure": "Figure",
        "value": "Value",
        "checklist": "TRIPOD+AI checklist",
        "filled": "{items} of {total} items filled by the software "
        "({subitems} of {all} sub-items)",
        "item": "Item",
        "topic": "Topic",
        "recommendation": "Recommendation",
        "answer": "Filled from the study and its results",
        "authors": "left to the authors",
        "left": "Left to the authors",
        "plots": "Plots",
        "subgroups": "Subgroups",
        "group": "Group",
        "flags": "Flags",
        "explanations": "Explanations",
        "roc": "ROC curve",
        "pr": "Precision-recall curve",
        "calibration": "Calibration",
        "decision": "Decision curve",
        "shap": "SHAP: mean |value| (log-odds)",
        "importance": "Permutation importance (AUROC lost)",
        "subgroup_auroc": "AUROC by subgroup",
        "fpr": "1 - specificity",
        "tpr": "sensitivity",
        "recall": "recall",
        "precision": "precision",
        "predicted": "predicted risk",
        "observed": "observed rate",
        "threshold": "threshold probability",
        "net_benefit": "net benefit",
        "model": "model",
        "treat_all": "treat all",
        "ideal": "ideal",
        "source": "Checklist: Collins GS et al. TRIPOD+AI statement. "
        "BMJ 2024;385:e078378 (CC BY 4.0).",
    },
    "fr": {
        "report": "Rapport du modèle",
        "performance": "Performances",
        "figure": "Mesure",
        "value": "Valeur",
        "checklist": "Liste TRIPOD+AI",
        "filled": "{items} items sur {total} remplis par le logiciel "
        "({subitems} sous-items sur {all})",
        "item": "Item",
        "topic": "Thème",
        "recommendation": "Recommandation",
        "answer": "Rempli d'après l'étude et ses résultats",
        "authors": "laissé aux auteurs",
        "left": "Laissés aux auteurs",
        "plots": "Graphiques",
        "subgroups": "Sous-groupes",
        "group": "Groupe",
        "flags": "Alertes",
        "explanations": "Explications",
        "roc": "Courbe ROC",
        "pr": "Courbe précision-rappel",
        "calibration": "Calibration",
        "decision": "Courbe de décision",
        "shap": "SHAP : |valeur| moyenne (log-odds)",
        "importance": "Importance par permutation (AUROC perdue)",
        "subgroup_auroc": "AUROC par sous-groupe",
        "fpr": "1 - spécificité",
        "tpr": "sensibilité",
        "recall": "rappel",
        "precision": "précision",
        "predicted": "risque prédit",
        "observed": "taux observé",
        "threshold": "seuil de probabilité",
        "net_benefit": "bénéfice net",
        "model": "modèle",
        "treat_all": "traiter tous",
        "ideal": "idéal",
        "source": "Liste : Collins GS et al. TRIPOD+AI statement. "
        "BMJ 2024;385:e078378 (CC BY 4.0).",
    },
}


@dataclass
class Report:
    """A rendered report: the page written as one file, its body (the
    sections, for a page of the web app) and its checklist."""

    html: str
    body: str
    checklist: Checklist

    @property
    def filled(self) -> int:
        return len(self.checklist.filled_items)


def project_model(wh, project: str | None, name: str) -> Path:
    """The folder of a project's trained model as the web app shows it:
    `eds.duckdb.models/PROJECT/NAME` beside a DuckDB file (`_` for the
    warehouse-wide one), `models/PROJECT/NAME` in another engine's folder."""
    root = (
        Path(f"{wh.uri.path}.models")
        if wh.engine == "duckdb"
        else Path(wh.uri.path) / "models"
    )
    folder = root / (project or "_") / name
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]*", name) or not folder.is_dir():
        raise NotFoundError(f"no model {name!r} in this project")
    return folder


def read_folder(path: str | Path, external: str | Path | None = None) -> ModelFolder:
    """A model folder's files (and a validation folder's results), read."""
    import yaml

    from entrepot import __version__
    from entrepot.model._train import load_model

    path = Path(path)
    needed = ["study.yaml", "results.json", "covariates.json", "predictions.parquet"]
    missing = [n for n in needed if not (path / n).is_file()]
    if missing:
        raise StudyError(f"{path}: no {', '.join(missing)} (not a model's folder)")
    model = load_model(path)
    folder = ModelFolder(
        study=yaml.safe_load((path / "study.yaml").read_text(encoding="utf-8")),
        results=_json(path / "results.json"),
        definitions=_json(path / "covariates.json"),
        version=__version__,
    )
    folder.coefficients, folder.intercept = _linear(model)
    if (path / EXPLANATIONS).is_file():
        folder.explanations = _json(path / EXPLANATIONS)
    if external is not None:
        folder.external = _json(Path(external) / "results.json")
    return folder


def _json(path: Path) -> dict:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise StudyError(f"{path}: cannot read: {e}") from None


def _linear(model) -> tuple[list[tuple[str, float]] | None, float | None]:
    """A linear model's coefficients on the covariates' own scale, largest first."""
    final = model.estimator[-1]
    if not hasattr(final, "coef_"):
        return None, None
    coef = final.coef_[0].astype(float)
    scaler = model.estimator[0]
    if hasattr(scaler, "scale_"):
        coef = coef / np.where(scaler.scale_ == 0, 1, scaler.scale_)
    order = np.argsort(-np.abs(coef), kind="stable")
    named = [(model.names[i], float(coef[i])) for i in order if coef[i] != 0]
    return named, float(final.intercept_[0])


def model_report(
    path: str | Path, external: str | Path | None = None, lang: str = "en"
) -> Report:
    """The report of the model folder `path` (and of its external validation)."""
    import pyarrow.parquet as pq

    folder = read_folder(path, external)
    predictions = pq.read_table(Path(path) / "predictions.parquet")
    return render(folder, predictions, lang)


def render(folder: ModelFolder, predictions, lang: str = "en") -> Report:
    """The report's HTML from a read folder and its predictions table."""
    from jinja2 import Environment
    from markupsafe import Markup

    checklist = fill(folder)
    labels = LABELS[lang]
    evaluated = folder.results.get("evaluated", "test")
    on = np.asarray(predictions["split"].to_numpy(zero_copy_only=False)) == evaluated
    y = predictions["y_true"].to_numpy()[on].astype(int)
    p = predictions["y_score"].to_numpy()[on].astype(float)
    env = Environment(autoescape=True)
    study = folder.results.get("study", {})
    body = env.from_string(_resource("report_body.html")).render(
        t=labels,
        title=checklist.rows[0].answer,
        performance=_performance(folder.results),
        counted=labels["filled"].format(
            items=len(checklist.filled_items),
            total=MAIN_ITEMS,
            subitems=checklist.filled_subitems,
            all=len(checklist.rows),
        ),
        rows=checklist.rows,
        left=checklist.left_to_authors,
        plots=_plots(folder, y, p, labels),
        subgroups=_subgroup_rows(folder.results),
    )
    html = env.from_string(_resource("report.html")).render(
        lang=lang,
        t=labels,
        study=study,
        css=Markup(_resource("report.css")),
        body=Markup(body),
    )
    return Report(html, body, checklist)


def _resource(name: str) -> str:
    return files("entrepot.data.tripod_ai").joinpath(name).read_text("utf-8")


def _performance(r: dict) -> list[tuple[str, str]]:
    c = r.get("calibration", {})
    return [
        ("AUROC", f"{r.get('auroc')} ({_ci(r.get('auroc_ci'))})"),
        ("AUPRC", f"{r.get('auprc')} ({_ci(r.get('auprc_ci'))})"),
        ("E/O", str(c.get("e_o"))),
        ("calibration-in-the-large", str(c.get("in_the_large"))),
        ("calibration slope", str(c.get("slope"))),
        ("calibration intercept", str(c.get("intercept"))),
        ("Brier", str(r.get("brier"))),
    ] + [
        (f"n {split}", f"{n['persons']} ({n['events']} events)")
        for split, n in r.get("n", {}).items()
    ]


def _ci(ci) -> str:
    return f"95% CI {ci[0]}-{ci[1]}" if ci else ""


def _subgroup_rows(r: dict) -> list[dict]:
    rows = []
    for variable, groups in r.get("subgroups", {}).items():
        for group, x in groups.items():
            c = x.get("calibration") or {}
            rows.append(
                {
                    "group": f"{variable}={group}",
                    "n": x.get("n"),
                    "events": x.get("events"),
                    "auroc": x.get("auroc"),
                    "e_o": c.get("e_o"),
                    "slope": c.get("slope"),
                    "flags": ", ".join(x.get("flags", [])),
                }
            )
    return rows


def _plots(folder: ModelFolder, y, p, t: dict) -> list[str]:
    from markupsafe import Markup

    r = folder.results
    roc, pr = _curves(y, p)
    plots = [
        line_chart(
            t["roc"],
            [(t["model"], roc), (t["ideal"], [(0, 0), (1, 1)])],
            t["fpr"],
            t["tpr"],
        ),
        line_chart(t["pr"], [(t["model"], pr)], t["recall"], t["precision"]),
        line_chart(
            t["calibration"],
            [
                (
                    t["model"],
                    [
                        (x["mean_predicted"], x["observed"])
                        for x in r.get("calibration", {}).get("curve", [])
                        if x.get("observed") is not None
                    ],
                ),
                (t["ideal"], [(0, 0), (1, 1)]),
            ],
            t["predicted"],
            t["observed"],
        ),
        _decision_curve(r.get("net_benefit", []), t),
        bar_chart(
            t["subgroup_auroc"],
            [(x["group"], x["auroc"] or 0.0) for x in _subgroup_rows(r)],
            "AUROC",
        ),
    ]
    explained = folder.explanations or {}
    for key, label in (("shap", "shap"), ("permutation", "importance")):
        if explained.get(key):
            bars = [(x["covariate"], max(x["value"], 0.0)) for x in explained[key][:15]]
            plots.append(bar_chart(t[label], bars, t[label]))
    return [Markup(svg) for svg in plots]


def _curves(y: np.ndarray, p: np.ndarray):
    """ROC and precision-recall points at score quantiles."""
    if len(y) == 0 or y.min() == y.max():
        return [], []
    cuts = np.unique(np.quantile(p, np.linspace(0, 1, STEPS + 1)))[::-1]
    positives, negatives = y.sum(), len(y) - y.sum()
    roc, pr = [(0.0, 0.0)], []
    for c in cuts:
        flagged = p >= c
        tp = int((flagged & (y == 1)).sum())
        fp = int((flagged & (y == 0)).sum())
        roc.append((fp / negatives, tp / positives))
        if tp + fp:
            pr.append((tp / positives, tp / (tp + fp)))
    roc.append((1.0, 1.0))
    return roc, pr


def _decision_curve(points: list[dict], t: dict) -> str:
    shown = [x for x in points if x["threshold"] <= 0.6]
    top = max([x["treat_all"] for x in shown] + [0.05])
    return line_chart(
        t["decision"],
        [
            (t["model"], [(x["threshold"], x["model"]) for x in shown]),
            (t["treat_all"], [(x["threshold"], x["treat_all"]) for x in shown]),
            ("0", [(0, 0), (1, 0)]),
        ],
        t["threshold"],
        t["net_benefit"],
        (-0.05, round(top * 1.1, 2)),
    )
