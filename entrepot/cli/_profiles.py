"""`entrepot profiles`: the profiles and survival of a cohort's clusters."""

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


def profiles(
    clusters: Annotated[
        Path,
        typer.Argument(help="Parquet or CSV file of clusters: person_id, cluster."),
    ],
    cohort: Annotated[
        str,
        typer.Option(
            "--cohort",
            help="The clustered saved cohort's id or name (index date: its start).",
        ),
    ],
    features: Annotated[
        Path | None,
        typer.Option(
            "--features",
            help="Parquet or CSV file of features (person_id, then features): what sets "
            "each cluster apart.",
        ),
    ] = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML report there."),
    ] = None,
    top: Annotated[
        int, typer.Option(help="Concepts per domain in Table 1, features per cluster.")
    ] = 10,
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Per cluster: its size, Table 1, the features that set it apart (SMD),
    Kaplan-Meier survival from the index date and Cox hazard ratios; a
    log-rank test across clusters. Always masked (within a project: its
    persons), audited."""
    from entrepot.subgroups import profile_clusters, read_table, write_report

    members = read_table(clusters, "clusters", ("person_id", "cluster"))
    table = read_table(features, "features", ("person_id",)) if features else None
    parameters = {
        "cohort": cohort,
        "clusters": str(clusters),
        "features": str(features) if features else None,
        "top": top,
    }
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "count", project, "profiles", masked=True)
        result = profile_clusters(
            wh, decision, cohort, members, table, top=top, parameters=parameters
        )
    if html:
        write_report(result, html)
    emit(result, json, lambda: quiet or _print(result))


def _print(result: dict) -> None:
    table = Table(
        "cluster",
        "persons",
        "survival at 1 year",
        "hazard ratio (95 % CI)",
        title=f"{result['cohort']}: profiles and survival",
    )
    for c in result["clusters"]:
        km, ratio = c.get("km"), c.get("cox")
        alive = km["survival"][1] if km and len(km["survival"]) > 1 else None
        table.add_row(
            str(c["cluster"]),
            str(c["size"]),
            "" if alive is None else f"{alive:.1%}",
            _ratio(ratio),
        )
    stdout.print(table)
    if result["logrank"]:
        stdout.print(f"log-rank p = {result['logrank']['p']:.3g}")


def _ratio(ratio: dict | None) -> str:
    if ratio is None:
        return ""
    if ratio["reference"]:
        return "1 (reference)"
    return f"{ratio['hr']:.2f} ({ratio['ci'][0]:.2f}-{ratio['ci'][1]:.2f})"
