"""Commands on the vocabulary."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    QuietOption,
    WarehouseOption,
    decide,
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
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Replace the bundled vocabulary with your own Athena download, at full
    size; the right to ingest."""
    from entrepot.warehouse.vocabulary._athena import load_athena as load

    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        decision = decide(wh, user, "ingest", None, "vocab load-athena")
        counts = load(wh, folder, progress=step)
        decision.released(
            wh, "vocab.load-athena", {"folder": str(folder)}, rows=sum(counts.values())
        )
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
