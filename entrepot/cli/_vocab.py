"""Commands on the vocabulary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entrepot.cli._common import (
    JsonOption,
    QuietOption,
    WarehouseOption,
    emit,
    open_warehouse,
    progress,
    stdout,
)

app = typer.Typer(
    help="The vocabulary: concepts, hierarchies and mappings.", no_args_is_help=True
)


@app.command("load-athena")
def load_athena(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Unzipped Athena download (CONCEPT.csv, ... tab-separated)."
        ),
    ],
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Replace the bundled vocabulary with your own Athena download, at full size."""
    from entrepot.warehouse.vocabulary._athena import load_athena as load

    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        counts = load(wh, folder, progress=step)
    emit(
        {"loaded": counts},
        json,
        lambda: (
            quiet
            or stdout.print(
                "Vocabulary replaced: "
                + ", ".join(f"{t} {n:,}" for t, n in counts.items())
            )
        ),
    )
