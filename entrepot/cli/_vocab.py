"""Commands on the vocabulary."""

from __future__ import annotations

from pathlib import Path
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
    progress,
    stdout,
)

app = typer.Typer(
    help="The vocabulary: concepts, hierarchies and mappings.", no_args_is_help=True
)


@app.command("load-athena")
def load_athena(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Unzipped Athena download (CONCEPT.csv, ... tab-separated)."
        ),
    ],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Replace the bundled vocabulary with your own Athena download, at full
    size; the right to ingest."""
    from entrepot.warehouse.vocabulary._athena import load_athena as load

    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        decision = decide(wh, user, "ingest", None, "vocab load-athena")
        counts = load(wh, folder, progress=step)
        decision.released(
            wh, "vocab.load-athena", {"folder": str(folder)}, rows=sum(counts.values())
        )
    emit(
        {"loaded": counts},
        json,
        lambda: (
            quiet
            or stdout.print(
                "Vocabulary replaced: "
                + ", ".join(f"{t} {n:,}" for t, n in counts.items())
            )
        ),
    )


@app.command("map")
def map_codes(
    source: Annotated[
        Path,
        typer.Argument(
            help="CSV of local codes: source_code,source_label"
            "[,unit][,low][,high][,count]."
        ),
    ],
    target: Annotated[
        str, typer.Option("--target", help="LOINC, ATC or CIM10.")
    ] = "LOINC",
    out: Annotated[
        Path, typer.Option("--out", help="MAPPING.csv to write, for review.")
    ] = Path("mapping.csv"),
    top: Annotated[int, typer.Option("--top", min=1, help="Proposals per code.")] = 5,
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Propose standard concepts for local codes, ranked by the similarity of
    French labels, units and reference ranges (as OHDSI's Usagi does); a
    person sets `status` to `approved` on the right row. The right to read."""
    from entrepot.warehouse.vocabulary import _mapping as mapping

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "read", None, "vocab map")
        sources = mapping.read_sources(source)
        rows = mapping.propose(sources, mapping.candidates(wh, target), top=top)
        mapping.write_mapping(rows, out)
        decision.released(
            wh,
            "vocab.map",
            {"source": str(source), "target": target, "out": str(out)},
            rows=len(rows),
        )
    emit(
        {"codes": len(sources), "proposals": len(rows), "out": str(out)},
        json,
        lambda: (
            quiet
            or stdout.print(
                f"{len(rows):,} proposals for {len(sources):,} codes written to {out}"
            )
        ),
    )


@app.command("approve")
def approve(
    mapping_file: Annotated[
        Path,
        typer.Argument(help="MAPPING.csv with `status` set to `approved` on rows."),
    ],
    vocabulary: Annotated[
        str,
        typer.Option(
            "--source-vocabulary",
            help="source_vocabulary_id of the codes (LOCAL_LAB: ingestion "
            "maps lab.csv's local_code with it).",
        ),
    ] = "LOCAL_LAB",
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write the approved maps as source_to_concept_map rows, replacing earlier
    maps of the same codes; the right to ingest."""
    from entrepot.warehouse.vocabulary import _mapping as mapping

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "vocab approve")
        written = mapping.approve(wh, mapping_file, vocabulary=vocabulary)
        decision.released(
            wh,
            "vocab.approve",
            {"mapping": str(mapping_file), "source_vocabulary": vocabulary},
            rows=written,
        )
    emit(
        {"approved": written},
        json,
        lambda: quiet or stdout.print(f"{written:,} maps approved"),
    )


@app.command("upgrade")
def upgrade(
    folder: Annotated[
        Path | None,
        typer.Argument(
            help="Unzipped Athena download of the new release [default: the "
            "vocabulary bundled with this entrepot].",
            show_default=False,
        ),
    ] = None,
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Load a new vocabulary release in one transaction: rows whose concept is
    no longer standard remapped through 'Maps to', eras rebuilt, and the saved
    cohorts it changes listed with their persons before and after (not
    regenerated); the right to ingest."""
    from entrepot.errors import EntrepotError
    from entrepot.operations import upgrade_vocabulary

    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        decision = decide(wh, user, "ingest", None, "vocab upgrade")
        asked = {"folder": None if folder is None else str(folder)}
        try:
            done = upgrade_vocabulary(wh, folder, progress=step)
        except EntrepotError as e:
            decision.released(wh, "vocab.upgrade.failed", asked | {"error": str(e)})
            raise
        result = done.as_dict()
        decision.released(
            wh,
            "vocab.upgrade",
            asked | {k: result[k] for k in ("from", "to", "remapped", "left")},
            rows=sum(done.remapped.values()),
        )
        sets = {(c.cohort_definition_id, "before"): c.before for c in done.cohorts}
        sets |= {
            (c.cohort_definition_id, "after"): c.after
            for c in done.cohorts
            if c.after is not None
        }
        shown = decision.persons_each(wh, sets, "vocab.upgrade.cohorts") if sets else {}
    result["cohorts"] = [
        {
            "id": c.cohort_definition_id,
            "name": c.name,
            "concepts_added": c.concepts_added,
            "concepts_removed": c.concepts_removed,
            "persons_before": shown[(c.cohort_definition_id, "before")],
            "persons_after": shown.get((c.cohort_definition_id, "after")),
            "error": c.error,
        }
        for c in done.cohorts
    ]
    emit(result, json, lambda: quiet or _print_upgrade(result))


def _print_upgrade(result: dict) -> None:
    from entrepot.cli._common import number

    stdout.print(f"Vocabulary upgraded from {result['from']} to {result['to']}.")
    for table, rows in result["remapped"].items():
        stdout.print(f"  {table}: {rows:,} rows remapped through 'Maps to'")
    for table, rows in result["left"].items():
        stdout.print(f"  {table}: {rows:,} rows keep a concept no longer standard")
    for c in result["cohorts"]:
        after = c["error"] or number(c["persons_after"])
        stdout.print(
            f"  cohort {c['id']} ({c['name']}): {number(c['persons_before'])} "
            f"persons before, {after} now; not regenerated"
        )
