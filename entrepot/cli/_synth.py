"""`entrepot synth`: a synthetic French university hospital in one command."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entrepot.cli._common import (
    JsonOption,
    QuietOption,
    WarehouseOption,
    emit,
    progress,
    stdout,
)
from entrepot.errors import ParameterError


def _years(text: str) -> tuple[int, int]:
    first, _, last = text.partition("-")
    try:
        years = int(first), int(last or first)
    except ValueError:
        raise ParameterError(f"--years {text!r}: not a period like 2008-2025") from None
    if years[0] > years[1]:
        raise ParameterError(f"--years {text!r}: the first year comes after the last")
    return years


def _enrichment(items: list[str]) -> dict[str, float]:
    """`MODULE=FRACTION` options as a mapping (the library checks the values)."""
    out = {}
    for item in items:
        name, _, share = item.partition("=")
        try:
            out[name.strip()] = float(share)
        except ValueError:
            raise ParameterError(
                f"--enrich {item!r}: not MODULE=FRACTION, e.g. systemic_sclerosis=0.77"
            ) from None
    return out


def synth(
    patients: Annotated[
        int, typer.Option("--patients", "-n", min=1, help="Number of patients.")
    ] = 1_000,
    seed: Annotated[
        int, typer.Option("--seed", "-s", help="Random seed: same seed, same hospital.")
    ] = 0,
    years: Annotated[
        str, typer.Option("--years", help="Period of the hospital's activity.")
    ] = "2008-2025",
    notes: Annotated[
        bool, typer.Option("--notes/--no-notes", help="Write clinical notes.")
    ] = True,
    raw: Annotated[
        Path | None,
        typer.Option(
            "--raw", help="Also write identified source-system extracts (CSV) here."
        ),
    ] = None,
    modules: Annotated[
        Path | None,
        typer.Option(
            "--modules",
            help="Folder of disease module files adding to or replacing the built-in ones.",
        ),
    ] = None,
    workers: Annotated[
        int, typer.Option("--workers", min=1, help="Parallel processes.")
    ] = 2,
    enrich: Annotated[
        list[str] | None,
        typer.Option(
            "--enrich",
            metavar="MODULE=FRACTION",
            help="Give a disease module to this share of the patients (repeatable).",
        ),
    ] = None,
    slides: Annotated[
        int,
        typer.Option(
            "--slides",
            min=0,
            help="Give this many pathology reports a specimen and a scanned "
            "slide (pyramidal TIFF), written to --slides-dir.",
        ),
    ] = 0,
    slides_dir: Annotated[
        Path | None,
        typer.Option(
            "--slides-dir",
            help="The scanner's folder: slides, manifest.csv, truth/ masks.",
        ),
    ] = None,
    slide_size: Annotated[
        int, typer.Option("--slide-size", min=256, help="Slide side, pixels.")
    ] = 4096,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Fill an empty warehouse with a synthetic French university hospital."""
    from entrepot.synth import generate_hospital, steps

    if slides and slides_dir is None:
        raise ParameterError("--slides needs --slides-dir, the scanner's folder")

    with progress(quiet or json, total=steps(patients)) as step:
        result = generate_hospital(
            warehouse,
            patients=patients,
            seed=seed,
            years=_years(years),
            notes=notes,
            raw=raw,
            modules=modules,
            workers=workers,
            progress=step,
            enrich=_enrichment(enrich or []),
        )
    found = result.as_dict()
    if slides:
        found["slides"] = _slides(
            result.warehouse, slides_dir, slides, seed, slide_size
        )
    emit(found, json, lambda: quiet or _print(result, found.get("slides")))


def _slides(uri: str, folder: Path, count: int, seed: int, size: int) -> dict:
    from entrepot.synth import write_pathology_slides
    from entrepot.warehouse import Warehouse

    with Warehouse.open(uri) as wh:
        return write_pathology_slides(wh, folder, count, seed=seed, size=size)


def _print(result, slides: dict | None = None) -> None:
    table = Table("table", "rows")
    for name, rows in result.rows.items():
        table.add_row(name, f"{rows:,}")
    stdout.print(table)
    stdout.print(
        f"{result.patients:,} patients in {result.warehouse} in {result.seconds:.1f} s "
        f"({result.patients_per_minute:,.0f} patients/min)."
    )
    if slides:
        stdout.print(
            f"{slides['slides']} slides in {slides['folder']} "
            f"(register them with `entrepot slides scan {slides['folder']}`)."
        )
