"""`entrepot demo`: the main job, on a synthetic hospital."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from entrepot.cli._common import (
    JsonOption,
    QuietOption,
    decide,
    emit,
    progress,
    stdout,
)
from entrepot.demo import DEMO_WAREHOUSE


def demo(
    patients: Annotated[
        int, typer.Option(help="Patients of the hospital, built once.")
    ] = 10_000,
    seed: Annotated[int, typer.Option(help="Seed of the synthetic hospital.")] = 42,
    warehouse: Annotated[
        str, typer.Option("--warehouse", "-w", help="Where to build it.")
    ] = DEMO_WAREHOUSE,
    serve: Annotated[
        bool,
        typer.Option(help="End by serving the web app (never with --json)."),
    ] = True,
    port: Annotated[
        int, typer.Option(help="Port of the web app.", min=1, max=65535)
    ] = 8000,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Build a synthetic French hospital (once), tour it, answer research questions,
    then serve the web app on it with a demo login."""
    from entrepot.demo import build_demo, tour
    from entrepot.demo._web import demo_login, index_notes
    from entrepot.synth import steps
    from entrepot.warehouse import Warehouse

    with progress(quiet, total=steps(patients)) as step:
        built = build_demo(warehouse, patients=patients, seed=seed, progress=step)
    with Warehouse.open(warehouse) as wh:
        with progress(quiet) as step:
            indexed = index_notes(wh, progress=step)
        web = demo_login(wh, warehouse) | {
            "address": f"http://127.0.0.1:{port}/",
            "notes_indexed": indexed,
        }
        decision = decide(wh, None, "count", None, "demo", masked=True)
        result = tour(wh, decision) | {"built": built, "web": web}
    emit(result, json, lambda: quiet or _print(result))
    if serve and not json:
        from entrepot.web import serve as run_server

        run_server(warehouse, port=port, ready=lambda url: _print_login(web))


def _print(result: dict) -> None:
    built = result["built"]
    if built:
        stdout.print(
            f"Built {result['warehouse']}: {built['patients']:,} patients in "
            f"{built['seconds']:.0f} s ({built['patients_per_minute']:,} patients/min)."
        )
    stdout.print(
        f"[bold]{result['warehouse']}[/bold] — care from {result['period'][0]} "
        f"to {result['period'][1]}; conforms to OMOP CDM v5.4: {result['valid']}"
    )
    rows = Table("table", "rows", title="What the warehouse holds")
    for name, n in result["rows"].items():
        rows.add_row(name, f"{n:,}")
    stdout.print(rows)
    answers = Table(
        "question", "patients", title="Research questions (small counts masked)"
    )
    for q in result["questions"]:
        patients = q["patients"]  # "<10" when masked
        answers.add_row(
            q["question"], f"{patients:,}" if patients != str(patients) else patients
        )
    stdout.print(answers)
    stdout.print(
        f"Explore it: `entrepot tables -w {result['warehouse']}`, or from Python "
        f"with entrepot.Warehouse.open({result['warehouse']!r})."
    )
    if result["web"]["notes_indexed"] is None:
        stdout.print("Search in reports needs the nlp extra: pip install -e '.[nlp]'.")


def _print_login(web: dict) -> None:
    stdout.print(
        f"[bold]The web app: {web['address']}[/bold] — log in as {web['user']}, "
        f"password {web['password']} (this synthetic warehouse only). Ctrl-C stops."
    )
