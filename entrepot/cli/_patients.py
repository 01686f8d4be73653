"""`entrepot patients`: IPP merges (*fusion d'IPP*) and their undoing."""

from __future__ import annotations

from datetime import date
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
    stdout,
)
from entrepot.cli._privacy import KeyFileOption, _key

app = typer.Typer(help="Patients: merge two patient numbers (IPP), or undo it.")
OldIpp = Annotated[str, typer.Argument(help="The IPP merged away.")]
NewIpp = Annotated[str, typer.Argument(help="The surviving IPP.")]


@app.command("merge")
def merge(
    old_ipp: OldIpp,
    new_ipp: NewIpp,
    merged_on: Annotated[
        str | None,
        typer.Option("--merged-on", help="The day of the merge (YYYY-MM-DD)."),
    ] = None,
    warehouse: WarehouseOption = None,
    key_file: KeyFileOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Merge OLD_IPP into NEW_IPP: every row re-pointed, atomic, audited
    (pseudonyms only); the administrator or a user who may ingest."""
    from entrepot.errors import ParameterError
    from entrepot.privacy import Merge, merge_patients

    try:
        day = date.fromisoformat(merged_on) if merged_on else None
    except ValueError:
        raise ParameterError("--merged-on: not a date (YYYY-MM-DD)") from None
    with open_warehouse(warehouse) as wh:
        who = decide(wh, user, "ingest", None, "patients merge").user
        data = merge_patients(
            wh, _key(key_file), [Merge(old_ipp, new_ipp, day)], user=who
        )
    emit(
        data,
        as_json,
        lambda: (
            quiet
            or stdout.print(
                "merged (opt-out applied to both)"
                if data["opted_out"]
                else f"merged: rows moved {data['rows_moved']}"
            )
        ),
    )


@app.command("unmerge")
def unmerge(
    old_ipp: OldIpp,
    new_ipp: NewIpp,
    warehouse: WarehouseOption = None,
    key_file: KeyFileOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Undo a wrong merge: every row goes back to its patient as it was."""
    from entrepot.privacy import unmerge_patients

    with open_warehouse(warehouse) as wh:
        who = decide(wh, user, "ingest", None, "patients unmerge").user
        data = unmerge_patients(wh, _key(key_file), old_ipp, new_ipp, user=who)
    emit(
        data,
        as_json,
        lambda: (
            quiet or stdout.print(f"unmerged: rows restored {data['rows_restored']}")
        ),
    )
