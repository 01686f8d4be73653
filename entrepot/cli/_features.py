"""`entrepot features`: a table of patients (one row per person of a cohort)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

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


def features(
    cohort: Annotated[str, typer.Argument(help="A saved cohort's id or name.")],
    spec: Annotated[
        str,
        typer.Option(
            "--spec",
            help="Feature spec: a YAML file, or a shipped spec's name "
            "(systemic_sclerosis).",
        ),
    ],
    out: Annotated[
        Path,
        typer.Option(
            "--out", help="Parquet file: person_id, then one column per feature."
        ),
    ],
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Features of each person of a saved cohort, declared in a spec, written
    to Parquet (rows leave the warehouse: the right to export, audited);
    prints each feature's type and missing share."""
    from entrepot.subgroups import build_features, load_spec

    loaded = load_spec(spec)
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "export", project, "features")
        found = build_features(wh, cohort, loaded, decision, source=spec)
        found.write(out)
        n = found.table.num_rows
        decision.released(
            wh,
            "features",
            {"cohort": cohort, "spec": loaded.name, "out": str(out)},
            rows=n,
            persons=n,
        )
    result = found.summary() | {"out": str(out)}
    emit(result, json, lambda: quiet or _print(result))


def _print(result: dict) -> None:
    table = Table(
        "feature",
        "kind",
        "type",
        "missing",
        "unit",
        title=f"{result['n']:,} persons -> {result['out']}",
    )
    for name, f in result["features"].items():
        table.add_row(
            name,
            f["kind"],
            f["type"],
            f"{f['missing']:.1%}",
            ", ".join(f.get("unit", [])),
        )
    stdout.print(table)
