"""Commands of operations: backup, restore, upgrade (the manage right)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    QuietOption,
    WarehouseOption,
    _check_writable,
    decide,
    emit,
    open_warehouse,
    stdout,
)


def backup(
    dest: Annotated[Path, typer.Argument(help="New folder to write the backup in.")],
    warehouse: WarehouseOption = None,
    no_slides: Annotated[
        bool,
        typer.Option(
            "--no-slides",
            help="Leave the whole-slide images out (a restore keeps the slide folder).",
        ),
    ] = False,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Copy the warehouse, its audit anchor, its search index and its slides
    (unless --no-slides) to DEST, consistently, while a server may serve it."""
    from entrepot.operations import backup as copy

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "manage", None, "backup")
        manifest = copy(wh, dest, slides=not no_slides)
        done = {
            "backup": str(dest),
            "files": len(manifest["files"]),
            "slides": manifest["slides"],
        }
        decision.released(wh, "backup", done | {"bytes": _bytes(manifest)})
    data = done | {k: manifest[k] for k in ("revision", "audit_head")}
    emit(
        data,
        as_json,
        lambda: (
            quiet
            or stdout.print(
                f"{data['files']} files ({_bytes(manifest):,} bytes) in {dest}, "
                f"slides {data['slides']}"
            )
        ),
    )


def _bytes(manifest: dict) -> int:
    return sum(f["bytes"] for f in manifest["files"].values())


def restore(
    src: Annotated[Path, typer.Argument(help="Folder of a backup.")],
    warehouse: WarehouseOption = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace a warehouse that is not empty.")
    ] = False,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Put a backup in place of the warehouse (none, or any with --force),
    with its audit anchor and search index, all or nothing."""
    from entrepot.operations import restore as put_back
    from entrepot.warehouse import DEFAULT_WAREHOUSE

    _check_writable(warehouse)
    data = put_back(
        src,
        warehouse or DEFAULT_WAREHOUSE,
        lambda wh: decide(wh, user, "manage", None, "restore"),
        force=force,
    )
    emit(
        data,
        as_json,
        lambda: (
            quiet
            or stdout.print(
                f"{data['warehouse']} restored from {src} (taken {data['taken_at']}); "
                "check it with `entrepot audit verify`"
            )
        ),
    )


def upgrade(
    warehouse: WarehouseOption = None,
    backup_to: Annotated[
        Path | None,
        typer.Option(
            "--backup",
            help="New folder for the backup taken first [default: beside the "
            "warehouse, WAREHOUSE.before-upgrade-TIME].",
            show_default=False,
        ),
    ] = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Migrate the warehouse to this entrepot's schema revision, after a
    backup, all steps or none."""
    from entrepot.operations import upgrade as migrate

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "manage", None, "upgrade")
        data = migrate(wh, decision, backup_to)
    emit(
        data,
        as_json,
        lambda: (
            quiet
            or stdout.print(
                f"already at schema revision {data['to']}"
                if not data["steps"]
                else f"upgraded from schema revision {data['from']} to {data['to']} "
                f"(backup in {data['backup']}, slides left out)"
            )
        ),
    )
