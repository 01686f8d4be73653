"""`entrepot cluster`: patient subgroups from a features file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    MaskedOption,
    ProjectOption,
    QuietOption,
    caller,
    emit,
    number,
    open_warehouse,
    stdout,
)


def cluster(
    features: Annotated[
        Path, typer.Argument(help="Features file (Parquet or CSV), one row per person.")
    ],
    method: Annotated[
        str,
        typer.Option(
            help="lca (latent classes), ward, kprototypes, gmm, hdbscan or mvmc "
            "(multi-view)."
        ),
    ] = "lca",
    k: Annotated[
        str, typer.Option("--k", help="Number of clusters, or auto.")
    ] = "auto",
    views: Annotated[
        Path | None,
        typer.Option(help="mvmc: YAML file of views, each a list of feature columns."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 0,
    resamples: Annotated[
        int, typer.Option(min=2, help="Bootstrap resamples (stability, consensus).")
    ] = 30,
    sample: Annotated[
        int,
        typer.Option(
            min=10, help="Persons fitted; the others join their nearest cluster."
        ),
    ] = 2000,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write person_id, cluster (Parquet, or .csv)."),
    ] = None,
    save_cohorts: Annotated[
        bool,
        typer.Option(
            "--save-cohorts", help="Save each cluster as a cohort (needs -w)."
        ),
    ] = False,
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse",
            "-w",
            envvar="ENTREPOT_WAREHOUSE",
            help="A warehouse: sizes and profiles then pass its release gate.",
            show_default=False,
        ),
    ] = None,
    user: CallerOption = None,
    project: ProjectOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    mask: MaskedOption = False,
) -> None:
    """Cluster persons by their features (numbers, flags, categories; Gower's
    distance), k chosen by validity and bootstrap stability. Without a
    warehouse nothing leaves one: figures are exact; with -w they pass its
    release gate (small clusters masked), audited."""
    from entrepot.errors import ParameterError
    from entrepot.subgroups import (
        cluster_file,
        released_clustering,
        save_clusters,
        write_labels,
    )

    if save_cohorts and warehouse is None:
        raise ParameterError("--save-cohorts: name the warehouse (-w)")
    decision = writing = None
    if warehouse is not None:  # refused before the work, not after
        with open_warehouse(warehouse) as wh:
            who = caller(wh, user)
            decision = who.decide(wh, "count", project, target="cluster", masked=mask)
            if save_cohorts:
                writing = who.decide(wh, "write", project, target="cluster")
    found = cluster_file(
        features, method, k, views, seed=seed, resamples=resamples, sample=sample
    )
    if out is not None:
        write_labels(found, out)
    result = found.as_dict()
    if decision is not None:
        asked = {"features": str(features), "method": method, "k": k, "seed": seed}
        with open_warehouse(warehouse) as wh:
            saved = writing and save_clusters(wh, writing, found, features.stem)
            result = released_clustering(wh, decision, found, asked)
        if saved:
            result["cohorts"] = saved
    emit(result, json, lambda: quiet or _print(result))


def _print(result: dict) -> None:
    stdout.print(
        f"{result['k']} clusters ({result['method']}) of {number(result['n'])} "
        f"persons; silhouette {result['indices']['silhouette']}, mean stability "
        f"{result['stability']['mean']}"
    )
    table = Table("cluster", "persons", "stability (Jaccard)", "95 % of resamples")
    for c, (size, s) in enumerate(
        zip(result["sizes"], result["stability"]["per_cluster_jaccard"], strict=True),
        start=1,
    ):
        interval = s["interval"] and f"{s['interval'][0]}–{s['interval'][1]}"
        table.add_row(str(c), number(size), str(s["mean"]), str(interval))
    stdout.print(table)
