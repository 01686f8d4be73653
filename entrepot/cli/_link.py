"""`entrepot link`: data from outside the hospital linked to its patients:
INSEE deaths (here), open data and research databases (`_link_data`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from entrepot.cli import _link_data
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

app = typer.Typer(
    help="Link the warehouse's patients with outside sources: INSEE deaths, "
    "open data, research databases.",
    no_args_is_help=True,
)
for command in (_link_data.area, _link_data.study, _link_data.grant):
    app.command()(command)


@app.command("deaths")
def deaths(
    files: Annotated[
        list[Path], typer.Argument(help="INSEE death files (fixed-width, monthly).")
    ],
    warehouse: WarehouseOption = None,
    key_file: KeyFileOption = None,
    threshold: Annotated[
        float | None,
        typer.Option(help="Match probability from which a pair is a link [0.95]."),
    ] = None,
    review_from: Annotated[
        float | None,
        typer.Option(help="Match probability from which a pair is reviewed [0.5]."),
    ] = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Link INSEE's death records to the patients through the identity vault:
    new deaths as OMOP `death` rows, grey-zone pairs to the data office's
    review list (incremental: a record linked or reviewed before is skipped)."""
    import pyarrow as pa

    from entrepot.linkage import (
        REVIEW_FROM,
        THRESHOLD,
        link_deaths,
        read_insee_deaths,
    )

    key = _key(key_file)
    with open_warehouse(warehouse) as wh:
        who = decide(wh, user, "ingest", None, "link deaths").user
        read = [read_insee_deaths(f) for f in files]  # all checked before linking
        records = pa.concat_tables([r.rows for r in read])
        found = link_deaths(
            wh,
            key,
            records,
            threshold=THRESHOLD if threshold is None else threshold,
            review_from=REVIEW_FROM if review_from is None else review_from,
            user=who,
        )
    data = found.as_dict() | {"rejected": sum(len(r.rejected) for r in read)}
    emit(data, as_json, lambda: _print(data, quiet))


def _print(data: dict, quiet: bool) -> None:
    if quiet:
        return
    stdout.print(
        f"{data['records']:,} records ({data['already_known']:,} linked or reviewed before, "
        f"{data['rejected']:,} lines rejected): {data['linked']:,} linked at "
        f"probability ≥ {data['threshold']}, {data['deaths_added']:,} new deaths; "
        f"{data['review']:,} pair(s) from {data['review_from']} to review",
        soft_wrap=True,
    )
    stdout.print("match weights (log2 m/u) of each comparison level:")
    for w in data["weights"]:
        weight = "—" if w["weight"] is None else f"{w['weight']:+.2f}"
        stdout.print(
            f"  {w['comparison']:<12} {w['level']:<48} {weight:>8}", soft_wrap=True
        )
