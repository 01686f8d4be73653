"""`entrepot model report` and `entrepot model explain`: a trained model's
TRIPOD+AI report, and its explanations."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    ProjectOption,
    QuietOption,
    WarehouseOption,
    decide,
    emit,
    open_warehouse,
    stdout,
)
from entrepot.errors import OutputPathError


def report(
    model: Annotated[
        Path, typer.Argument(help="A folder `entrepot model train` wrote.")
    ],
    html: Annotated[Path, typer.Option("--html", help="The report's HTML file.")],
    external: Annotated[
        Path | None,
        typer.Option(
            "--external", help="A folder `entrepot model validate --out` wrote."
        ),
    ] = None,
    lang: Annotated[
        Literal["en", "fr"], typer.Option("--lang", help="Labels' language.")
    ] = "en",
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write the model's report: the TRIPOD+AI checklist filled from the study
    and its results (the rest left to the authors), performance, calibration,
    decision curve, subgroups and explanations. Reads the folder only (it left
    the warehouse through the release gate when it was trained)."""
    from entrepot.model import model_report

    made = model_report(model, external, lang)
    try:
        html.write_text(made.html, encoding="utf-8")
    except OSError as e:
        raise OutputPathError(f"cannot write {html}: {e.strerror or e}") from None
    summary = {
        "html": str(html),
        "items_filled": made.checklist.filled_items,
        "filled": made.filled,
        "subitems_filled": made.checklist.filled_subitems,
        "left_to_authors": made.checklist.left_to_authors,
    }
    emit(
        summary,
        json,
        lambda: (
            quiet or stdout.print(f"{html}: {made.filled} of 27 TRIPOD+AI items filled")
        ),
    )


def register(group: typer.Typer) -> None:
    """Add `report` and `explain` to the `model` group."""
    group.command()(report)
    group.command()(explain)


def explain(
    model: Annotated[
        Path, typer.Argument(help="A folder `entrepot model train` wrote.")
    ],
    person: Annotated[
        int | None,
        typer.Option(
            "--person",
            help="Explain this person's prediction (a pseudonymous person_id of "
            "the study population inside your perimeter); else the global "
            "explanations, written to the folder's explanations.json.",
        ),
    ] = None,
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Explain the model: each covariate's mean |SHAP| and permutation
    importance on the evaluated persons, or one person's SHAP values (covariates
    by name, no identifier). The covariates are computed again in the warehouse."""
    import json as _json

    from entrepot.model import explain as global_explanations
    from entrepot.model import explain_person

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "read", project, "model explain")
        if person is None:
            found = global_explanations(wh, model, decision)
            written = model / "explanations.json"
            try:
                written.write_text(_json.dumps(found, indent=1), encoding="utf-8")
            except OSError as e:
                raise OutputPathError(f"cannot write {written}: {e.strerror}") from None
            shown = found["persons"]
        else:
            found = explain_person(wh, model, person, decision)
            shown = 1
        decision.released(
            wh,
            "model.explain",
            {"model": str(model), "person": person},
            rows=len(found.get("contributions", found.get("shap", []))),
            persons=shown,
        )
    emit(found, json, lambda: quiet or _print_explanation(found))


def _print_explanation(found: dict) -> None:
    from rich.table import Table

    if "contributions" in found:
        table = Table(
            "covariate", "value", "SHAP (log-odds)", title=f"risk {found['risk']}"
        )
        for c in found["contributions"]:
            table.add_row(c["label"] or c["covariate"], str(c["value"]), str(c["shap"]))
    else:
        table = Table("covariate", "mean |SHAP|", title=found["explainer"])
        for c in found["shap"]:
            table.add_row(c["covariate"], str(c["value"]))
    stdout.print(table)
