"""What every command shares: options, output, progress and errors."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
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

CallerOption = Annotated[
    str | None,
    typer.Option(
        "--user",
        envvar="ENTREPOT_USER",
        help="Who asks: a registered user, whose password is read from "
        "$ENTREPOT_PASSWORD or asked on a terminal [default: the OS account; "
        "the warehouse's owner and root are its administrator].",
        show_default=False,
    ),
]
ProjectOption = Annotated[
    str | None,
    typer.Option(
        "--project",
        help="The project worked in: its perimeter and its threshold.",
        show_default=False,
    ),
]
MaskedOption = Annotated[
    bool,
    typer.Option(
        "--masked",
        help='Counts below the privacy threshold shown as "<N", for results '
        "that leave the warehouse team.",
    ),
]

CertOption = Annotated[
    Path | None,
    typer.Option(
        "--ssl-certfile",
        help="Serve HTTPS with this certificate (PEM), with --ssl-keyfile.",
        show_default=False,
    ),
]
KeyOption = Annotated[
    Path | None,
    typer.Option(
        "--ssl-keyfile", help="The certificate's private key (PEM).", show_default=False
    ),
]

stderr = Console(stderr=True)
stdout = Console()


def emit(data: Any, as_json: bool, human: Callable[[], None]) -> None:
    """Print `data` as JSON on stdout, or let `human` render it."""
    if as_json:
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
        sys.stdout.flush()  # a script reading a pipe sees each line at once
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


def open_warehouse(
    uri: str | None,
    *,
    read_only: bool = False,
    create: bool = False,
    user: str | None = None,
):
    """The warehouse a command works on (imported late: `--help` stays fast).

    `create`: a missing one is created, only for the OS account (`user` None
    or its name), which then owns it and is its administrator.
    """
    from entrepot.demo import DEMO_WAREHOUSE
    from entrepot.errors import AccessDeniedError, WarehouseNotFoundError
    from entrepot.privacy import os_account
    from entrepot.warehouse import Warehouse, resolve

    if not read_only:
        _check_writable(uri)
    if create and user not in (None, os_account()) and not resolve(uri).path.exists():
        raise AccessDeniedError(
            f"user {user!r} is not registered in this warehouse: a new "
            "warehouse's administrator is the OS account that creates it"
        )
    try:
        return Warehouse.open(uri, read_only=read_only, create=create)
    except WarehouseNotFoundError as e:
        if uri is not None or not Path(DEMO_WAREHOUSE).exists():
            raise
        raise WarehouseNotFoundError(
            f"{e}, or did you mean -w {DEMO_WAREHOUSE}?"
        ) from None


def _check_writable(uri: str | None) -> None:
    """Refuse, in one line, a warehouse this OS account may read but not
    write: commands that read patient data write their audit entry in it."""
    from entrepot.errors import AccessDeniedError
    from entrepot.privacy import os_account
    from entrepot.warehouse import resolve

    location = resolve(uri)
    folder = location.path if location.engine == "spark" else location.path.parent
    writable = os.access(location.path, os.W_OK) and os.access(folder, os.W_OK)
    if location.path.exists() and not writable:
        raise AccessDeniedError(
            f"{location}: OS account {os_account()!r} may not write to it, and "
            "every command that reads it writes an audit entry there"
        )


def _password(name: str) -> str | None:
    """A registered user's password: $ENTREPOT_PASSWORD, else asked on a terminal."""
    from entrepot.privacy import PASSWORD_ENV

    if PASSWORD_ENV in os.environ:
        return os.environ[PASSWORD_ENV]
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"password of {name}: ")
    return None


def caller(wh, user: str | None):
    """Who runs the command (`--user`, else the OS account), its claim proven."""
    from entrepot.privacy import identify

    return identify(wh, user, _password)


def decide(
    wh,
    user: str | None,
    action: str,
    project: str | None,
    target: str,
    **masking,
):
    """The release gate's decision for the caller of command `target`
    (`Caller.decide`; `masking`: `masked`, `mask_below`)."""
    return caller(wh, user).decide(wh, action, project, target=target, **masking)


def ssl_options(certfile: Path | None, keyfile: Path | None) -> dict[str, str]:
    """uvicorn's TLS options; one line when only one of the two files is given."""
    from entrepot.errors import ParameterError

    if (certfile is None) != (keyfile is None):
        raise ParameterError("--ssl-certfile and --ssl-keyfile go together")
    for f in (certfile, keyfile):
        if f is not None and not f.is_file():
            raise ParameterError(f"{f}: no such file")
    if certfile is None:
        return {}
    return {"ssl_certfile": str(certfile), "ssl_keyfile": str(keyfile)}


def number(value: int | str) -> str:
    """A count for people: 12,345, or a masked "<10" as it is."""
    return f"{value:,}" if isinstance(value, int) else str(value)
