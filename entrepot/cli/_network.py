"""`entrepot node` (a warehouse in a network) and `entrepot hub` (the hub)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entrepot.cli._common import (
    CallerOption,
    CertOption,
    JsonOption,
    KeyOption,
    QuietOption,
    WarehouseOption,
    decide,
    emit,
    open_warehouse,
    ssl_options,
    stderr,
    stdout,
)

node_app = typer.Typer(
    help="This warehouse as a node of a network: hubs' tokens, their studies.",
    no_args_is_help=True,
)
hub_app = typer.Typer(
    help="The hub of a network: its nodes, studies sent, results combined.",
    no_args_is_help=True,
)
StateOption = Annotated[
    Path, typer.Option("--state", help="The hub's state folder (created if missing).")
]
StudyId = Annotated[str, typer.Argument(help="The study's id.")]


@node_app.command()
def token(
    hub: Annotated[str, typer.Option("--hub", help="The hub's name.")],
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Issue the token a hub uses to send studies here, printed once (only its
    hash is kept; a new one replaces the hub's earlier token)."""
    from entrepot.network import issue_token

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "manage", None, "node token")
        issued = issue_token(wh, hub, decision.user)
        decision.released(wh, "network.token", {"hub": hub})
    emit({"hub": hub, "token": issued}, json, lambda: quiet or print(issued))


@node_app.command()
def studies(
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """The studies hubs sent here, and their status (pending until accepted)."""
    from entrepot.network import list_studies

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "manage", None, "node studies")
        found = list_studies(wh)
        decision.released(wh, "network.studies", rows=len(found))

    def human() -> None:
        table = Table("id", "name", "hub", "analysis", "received", "status")
        for s in found:
            table.add_row(
                s["id"],
                s["name"],
                s["hub"],
                s["analysis"],
                s["received_at"],
                s["status"],
            )
        stdout.print(table)

    emit({"studies": found}, json, lambda: quiet or human())


def _answer(study_id: str, accept: bool, user, warehouse, json: bool, quiet: bool):
    from entrepot.network import decide_study

    target = "node accept" if accept else "node refuse"
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "manage", None, target)
        found = decide_study(wh, decision, study_id, accept)
    result = {"id": found["id"], "name": found["name"], "status": found["status"]}
    emit(
        result,
        json,
        lambda: quiet or stdout.print(f"study {study_id}: {found['status']}"),
    )


@node_app.command()
def accept(
    study_id: StudyId,
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Accept a pending study: it runs when the hub next asks."""
    _answer(study_id, True, user, warehouse, json, quiet)


@node_app.command()
def refuse(
    study_id: StudyId,
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Refuse a pending study: it never runs here."""
    _answer(study_id, False, user, warehouse, json, quiet)


@hub_app.command("add-node")
def add_node(
    name: Annotated[str, typer.Argument(help="The node's name.")],
    url: Annotated[str, typer.Argument(help="The node's URL (its entrepot serve).")],
    token_file: Annotated[
        Path, typer.Option("--token-file", help="The token the node issued.")
    ],
    state: StateOption,
    ca: Annotated[
        Path | None,
        typer.Option(
            "--ca", help="CA certificate (PEM) the node's HTTPS is checked with."
        ),
    ] = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Register a node (replacing one of that name): its URL and token."""
    from entrepot.errors import AuthenticationError, NetworkError
    from entrepot.hub import HubState, verify
    from entrepot.network import key_of

    if not url.startswith(("http://", "https://")):
        raise NetworkError(f"{url}: a node's URL starts with http:// or https://")
    try:
        token = token_file.read_text()
    except OSError as e:
        raise NetworkError(f"{token_file}: cannot read: {e.strerror}") from None
    try:
        key = key_of(token)
    except AuthenticationError as e:
        raise NetworkError(f"{token_file}: {e}") from None
    if ca is not None:
        verify(str(ca))
    with HubState(state) as hub:
        hub.add_node(name, url, key, str(ca.resolve()) if ca else None)
    result = {"node": name, "url": url.rstrip("/")}
    emit(result, json, lambda: quiet or stdout.print(f"node {name}: {url}"))


Timeout = Annotated[
    float, typer.Option("--timeout", help="Seconds a node has to answer.", min=0.1)
]


@hub_app.command()
def run(
    study: Annotated[Path, typer.Argument(help="The study file (YAML).")],
    state: StateOption,
    timeout: Timeout = 30.0,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Send a study to every node; each node's status (pending until its
    administrator accepts), and what is combined so far."""
    from entrepot.hub import HubState, send_study
    from entrepot.network import load_study

    body = load_study(study)
    with HubState(state) as hub:
        found = send_study(hub, body, timeout)
    emit(found, json, lambda: quiet or _print(found))


@hub_app.command()
def result(
    study_id: StudyId,
    state: StateOption,
    timeout: Timeout = 30.0,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Ask the nodes not done yet; each node's status, the combined result,
    and what was suppressed or left out."""
    from entrepot.hub import HubState, refresh

    with HubState(state) as hub:
        found = refresh(hub, study_id, timeout)
    emit(found, json, lambda: quiet or _print(found))


@hub_app.command("serve")
def serve_hub(
    state: StateOption,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(help="Port to listen on.", min=1, max=65535)
    ] = 8100,
    ssl_certfile: CertOption = None,
    ssl_keyfile: KeyOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Serve the hub's pages (studies, each node's status, results) until
    Ctrl-C; log in as `hub` with the password printed at start (with --json,
    one line {"url", "user", "password"})."""
    from entrepot.hub import serve_hub as run_hub

    def ready(url: str, password: str) -> None:
        emit(
            {"url": url, "user": "hub", "password": password},
            json,
            lambda: (
                quiet
                or stderr.print(
                    f"entrepot hub serves {url} (user hub, password {password})",
                    soft_wrap=True,
                )
            ),
        )

    run_hub(
        str(state),
        host=host,
        port=port,
        ssl=ssl_options(ssl_certfile, ssl_keyfile),
        ready=ready,
    )


def _print(found: dict) -> None:
    table = Table(
        "node", "status", "answer", title=f"study {found['study_id']}: {found['name']}"
    )
    for n in found["nodes"]:
        rest = {k: v for k, v in n.items() if k not in ("name", "status", "attrition")}
        table.add_row(
            n["name"], n["status"], ", ".join(f"{k}={v}" for k, v in rest.items())
        )
    stdout.print(table)
    stdout.print_json(data=found["combined"])
