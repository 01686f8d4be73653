"""What every command shares: options, output, progress and errors."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

WarehouseOption = Annotated[
    str | None,
    typer.Option(
        "--warehouse",
        "-w",
        envvar="ENTREPOT_WAREHOUSE",
        help="Warehouse: a .duckdb file or spark:FOLDER [default: ./entrepot.duckdb].",
        show_default=False,
    ),
]
JsonOption = Annotated[
    bool, typer.Option("--json", help="Print JSON on stdout, only that.")
]
QuietOption = Annotated[
    bool, typer.Option("--quiet", "-q", help="No progress or messages.")
]

stderr = Console(stderr=True)
stdout = Console()


def emit(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    """Print `data` as JSON on stdout, or let `human` render it."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    else:
        human()


@contextmanager
def progress(quiet: bool, total: int | None = None) -> Iterator[Callable[[str], None]]:
    """A callback `step(label)` that advances a progress bar on a terminal."""
    if quiet or not stderr.is_terminal:
        yield lambda label: None
        return
    bar = Progress(
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
        TimeElapsedColumn(),
        console=stderr,
        transient=True,
    )
    with bar:
        task = bar.add_task("starting", total=total)
        started = False

        def step(label: str) -> None:
            nonlocal started
            if started:
                bar.advance(task)
            started = True
            bar.update(task, description=label)

        yield step


def open_warehouse(uri: str | None, *, read_only: bool = False):
    """The warehouse a command works on (imported late: `--help` stays fast)."""
    from entrepot.warehouse import Warehouse

    return Warehouse.open(uri, read_only=read_only)
