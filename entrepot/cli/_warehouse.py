"""Commands that create, fill, check and export the warehouse."""

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
    WarehouseOption,
    decide,
    emit,
    number,
    open_warehouse,
    progress,
    stdout,
)
from entrepot.errors import InputFileError, ParameterError


def init(
    warehouse: WarehouseOption = None,
    vocabulary: Annotated[
        bool,
        typer.Option(
            "--vocabulary/--no-vocabulary", help="Load the bundled vocabulary."
        ),
    ] = True,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Create an empty OMOP CDM v5.4 warehouse with the bundled vocabulary (its
    creator is its administrator); complete an existing one (the right to ingest)."""
    from entrepot.warehouse import Warehouse

    with open_warehouse(warehouse, create=True, user=user) as wh:
        decision = decide(wh, user, "ingest", None, "init")
    with Warehouse.create(warehouse, vocabulary=vocabulary) as wh:
        result = {
            "warehouse": str(wh.uri),
            "engine": wh.engine,
            "tables": len(wh.tables()),
            "concepts": wh.count("concept"),
        }
        decision.released(wh, "init", {"vocabulary": vocabulary})
    emit(
        result,
        json,
        lambda: (
            quiet
            or stdout.print(
                f"Created {result['warehouse']} ({result['engine']}): {result['tables']} CDM tables, "
                f"{result['concepts']:,} concepts."
            )
        ),
    )


def load(
    folder: Annotated[
        Path,
        typer.Argument(
            help="Folder of files named after OMOP "
            "tables: person.csv, measurement.parquet..."
        ),
    ],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Load OMOP-shaped CSV/Parquet files: typed, validated, atomic and
    idempotent; the right to ingest."""
    from entrepot.ingest import load_directory, omop_files

    files = omop_files(folder)
    with open_warehouse(warehouse) as wh, progress(quiet, total=len(files)) as step:
        decision = decide(wh, user, "ingest", None, "load")
        result = load_directory(wh, folder, progress=step)
        decision.released(
            wh,
            "load",
            {"folder": str(folder), "load_id": result.load_id},
            rows=sum(result.loaded.values()),
            persons=result.loaded.get("person", 0),
        )
    emit(result.as_dict(), json, lambda: quiet or _print_load(result))


def _print_load(result) -> None:
    table = Table("table", "loaded", "already present", "quarantined")
    for name in result.loaded:
        table.add_row(
            name,
            f"{result.loaded[name]:,}",
            f"{result.skipped[name]:,}",
            f"{result.quarantined[name]:,}",
        )
    stdout.print(table)
    if any(result.quarantined.values()):
        stdout.print(
            f"Rejected rows and their reasons are in table quarantine "
            f"(load_id {result.load_id})."
        )


def validate(
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check the warehouse against the OMOP CDM v5.4; exit status 1 when it
    departs. Counts of faulty rows: for those who may read it, as `quality`."""
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "read", None, "validate")
        result = wh.validate()
        decision.released(wh, "validate", rows=len(result["problems"]))
    emit(result, json, lambda: quiet or _print_problems(result))
    if not result["ok"]:
        raise typer.Exit(1)


def _print_problems(result: dict) -> None:
    if result["ok"]:
        stdout.print("The warehouse conforms to OMOP CDM v5.4.")
        return
    table = Table("check", "table", "field", "rows", "problem")
    for p in result["problems"]:
        table.add_row(
            p["check"],
            p["table"],
            p["field"] or "",
            "" if p["rows"] is None else f"{p['rows']:,}",
            p["message"],
        )
    stdout.print(table)


def eras(
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Rebuild condition_era and drug_era from the clinical tables (after a
    load); the right to ingest."""
    from entrepot.warehouse.eras import build_eras

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "eras")
        rows = build_eras(wh)
        decision.released(wh, "eras", rows=sum(rows.values()))
    emit(
        rows,
        json,
        lambda: (
            quiet
            or stdout.print(
                ", ".join(f"{n:,} rows in {name}" for name, n in rows.items())
            )
        ),
    )


def tables(
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    mask: MaskedOption = False,
) -> None:
    """Rows in each table of the warehouse."""
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "count", None, "tables", masked=mask)
        counts = {
            schema: wh.counts(schema) for schema in ("cdm", "results", "entrepot")
        }
        decision.released(wh, "tables", persons=counts["cdm"].get("person"))
    counts = {s: {t: decision.mask(n) for t, n in c.items()} for s, c in counts.items()}

    def human() -> None:
        table = Table("schema", "table", "rows")
        for schema, rows in counts.items():
            for name, n in rows.items():
                table.add_row(schema, name, number(n))
        stdout.print(table)

    emit(counts, json, human)


def export(
    folder: Annotated[Path, typer.Argument(help="Folder to write the files to.")],
    table: Annotated[
        list[str] | None,
        typer.Option(
            "--table", "-t", help="Table to export (repeat); default: all non-empty."
        ),
    ] = None,
    format: Annotated[str, typer.Option(help="parquet or csv")] = "parquet",
    project: ProjectOption = None,
    everything: Annotated[
        bool,
        typer.Option(
            "--all", help="The whole warehouse (its administrator), audited as such."
        ),
    ] = False,
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write a project's perimeter (--project P), or the whole warehouse (--all),
    to Parquet or CSV files, one file per table; audited."""
    if (project is None) == (not everything):
        raise ParameterError(
            "export: give --project P (its perimeter) or --all (the whole warehouse)"
            if project is None
            else "export: give --project P or --all, not both"
        )
    if format not in ("parquet", "csv"):
        raise InputFileError(f"--format {format!r}: use parquet or csv")
    if folder.exists() and not folder.is_dir():
        raise ParameterError(
            f"{folder} is a file: export writes one file per table in a folder"
        )
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "export", project, "export")
        if table:
            names = [n for n in table if decision.table(wh, n) is not None]
        else:  # the non-empty tables inside the perimeter
            names = [n for n, c in wh.counts("cdm").items() if c]
            names = [n for n in names if _inside(wh, decision, n)]
        folder.mkdir(parents=True, exist_ok=True)
        with progress(quiet, total=len(names)) as step:
            written = decision.export(
                wh,
                names,
                folder,
                format,
                {"all": everything, "format": format},
                progress=step,
            )
    emit(
        {"folder": str(folder), "rows": written},
        json,
        lambda: (
            quiet
            or stdout.print(
                f"Wrote {len(written)} tables ({sum(written.values()):,} rows) to {folder}."
            )
        ),
    )


def _inside(wh, decision, name: str) -> bool:
    from entrepot.errors import AccessDeniedError

    try:
        decision.table(wh, name)
    except AccessDeniedError:
        return False
    return True
