"""`entrepot model report`: a trained model's folder as a TRIPOD+AI report."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from entrepot.cli._common import JsonOption, QuietOption, emit, stdout
from entrepot.errors import OutputPathError


def report(
    model: Annotated[Path, typer.Argument(help="A folder `entrepot model train` wrote.")],
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
        lambda: quiet
        or stdout.print(f"{html}: {made.filled} of 27 TRIPOD+AI items filled"),
    )


def register(group: typer.Typer) -> None:
    """Add `report` to the `model` group."""
    group.command()(report)
