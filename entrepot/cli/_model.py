"""`entrepot model`: patient-level prediction studies, trained and validated."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    ProjectOption,
    QuietOption,
    WarehouseOption,
    decide,
    emit,
    number,
    open_warehouse,
    stdout,
)

app = typer.Typer(
    help="Prediction models: a study in one file, trained, evaluated, validated.",
    no_args_is_help=True,
)


@app.command()
def train(
    study: Annotated[
        str,
        typer.Argument(
            help="Study file (YAML), or a shipped study's name "
            "(heart_failure_mortality)."
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="Folder for study.yaml, model.joblib, covariates.json, "
            "predictions.parquet and results.json.",
        ),
    ],
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Train a study's learners on its training persons and evaluate the
    selected model on its test persons (predictions leave the warehouse:
    the right to export, audited)."""
    from entrepot.model import load_study, train_study

    loaded = load_study(study)
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "export", project, "model train")
        run = train_study(wh, loaded, decision)
        run.write(out)
        _released(wh, decision, "model.train", run, {"study": study, "out": str(out)})
    emit(run.results, json, lambda: quiet or _print(run.results, out))


@app.command()
def validate(
    model: Annotated[
        Path, typer.Argument(help="A folder `entrepot model train` wrote.")
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Folder for this warehouse's predictions and results."
        ),
    ] = None,
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Evaluate a trained model on this warehouse's study population (another
    hospital, a later period): split `external`."""
    from entrepot.model import validate_model

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "export", project, "model validate")
        run = validate_model(wh, model, decision)
        if out is not None:
            run.write(out)
        parameters = {"model": str(model), "out": str(out) if out else None}
        _released(wh, decision, "model.validate", run, parameters)
    emit(run.results, json, lambda: quiet or _print(run.results, out))


def _released(wh, decision, what: str, run, parameters: dict) -> None:
    n = run.predictions.num_rows
    decision.released(wh, what, parameters, rows=n, persons=n)


def _print(results: dict, out: Path | None) -> None:
    title = f"{results['study']['name']}: {results['evaluated']} set"
    table = Table("figure", "value", title=title + (f" -> {out}" if out else ""))
    lo, hi = results["auroc_ci"]
    table.add_row("AUROC", f"{results['auroc']} ({lo}-{hi})")
    lo, hi = results["auprc_ci"]
    table.add_row("AUPRC", f"{results['auprc']} ({lo}-{hi})")
    c = results["calibration"]
    table.add_row("E/O", str(c["e_o"]))
    table.add_row("calibration slope", str(c["slope"]))
    table.add_row("calibration-in-the-large", str(c["in_the_large"]))
    table.add_row("Brier", str(results["brier"]))
    for split, n in results["n"].items():
        table.add_row(
            f"n {split}", f"{number(n['persons'])} ({number(n['events'])} events)"
        )
    for variable, groups in results["subgroups"].items():
        for group, figures in groups.items():
            if figures["flags"]:
                table.add_row(f"flag {variable}={group}", ", ".join(figures["flags"]))
    stdout.print(table)
