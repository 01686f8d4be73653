"""`entrepot quality` and `entrepot describe`: data quality and characterization."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    QuietOption,
    WarehouseOption,
    decide,
    emit,
    open_warehouse,
    progress,
    stderr,
    stdout,
)

#: Concepts and tests listed per domain by `describe` and in the HTML report.
TOP = 20


def quality(
    warehouse: WarehouseOption = None,
    html: Annotated[
        Path | None,
        typer.Option("--html", help="Also write a self-contained HTML report."),
    ] = None,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config", help="YAML file of thresholds, rules and extra checks."
        ),
    ] = None,
    only: Annotated[
        list[str] | None,
        typer.Option("--only", help="Run only this check family (repeatable)."),
    ] = None,
    full: Annotated[
        bool, typer.Option("--full", help="Recompute every table, even unchanged ones.")
    ] = False,
    strict: Annotated[
        bool, typer.Option("--strict", help="Exit with status 1 when a check fails.")
    ] = False,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check data quality: conformance, completeness and plausibility of every
    CDM table (examples are rows: for those who may read the warehouse)."""
    from entrepot.quality import load_config, run_checks

    settings = load_config(config)
    if html is not None:
        from entrepot.quality.report import check_target

        check_target(html)  # before the checks run, not after
    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        decision = decide(wh, user, "read", None, "quality")
        report = run_checks(
            wh, config=settings, only=only, incremental=not full, progress=step
        )
        if html is not None:
            from entrepot.quality.report import write_report

            write_report(report, _described(wh, user, html, step), html)
        decision.released(
            wh,
            "quality",
            {"only": only, "html": str(html) if html else None},
            rows=sum(len(c.examples) for c in report.checks),
        )
    emit(report.as_dict(), json, lambda: quiet or _print_quality(report, html))
    if strict and report.summary["fail"]:
        raise typer.Exit(1)


_METHODS = {"content_hash": "content hash of every row"}


def _print_quality(report, html: Path | None) -> None:
    s = report.summary
    stdout.print(
        f"{s['checks']} checks in {s['seconds']:.1f} s: {s['pass']} passed, "
        f"[red]{s['fail']} failed[/red], {s['error']} errors, "
        f"{s['not_applicable']} not applicable."
    )
    if reused := s["incremental"]["reused_tables"]:
        stdout.print(
            f"The results of {len(reused)} unchanged tables were reused (proven "
            f"unchanged by a {_METHODS[s['incremental']['method']]}; --full recomputes)."
        )
    if report.failing:
        table = Table("status", "check", "violating", "rows", "%", "examples")
        for c in report.failing:
            table.add_row(
                c.status,
                c.id,
                f"{c.violating_rows:,}" if c.violating_rows is not None else "",
                f"{c.rows:,}" if c.rows is not None else "",
                f"{c.violating_percent:.2f}" if c.violating_percent is not None else "",
                ", ".join(map(str, c.examples)) or (c.reason or ""),
            )
        stdout.print(table)
    if html is not None:
        stderr.print(f"Report written to {html}")


def _described(wh, user: str | None, html: Path, step) -> dict:
    """The report's characterization, released as `entrepot describe`'s:
    the caller's masked counts, audited."""
    from entrepot.quality.characterization import describe as describe_warehouse

    decision = decide(wh, user, "count", None, "describe", masked=True)
    result = describe_warehouse(wh, decision, top=TOP, progress=step)
    asked = {"top": TOP, "html": str(html)}
    decision.released(wh, "describe", asked, persons=wh.count("person"))
    return result


def describe(
    warehouse: WarehouseOption = None,
    mask_below: Annotated[
        int | None,
        typer.Option(
            "--mask-below",
            envvar="ENTREPOT_MASK_BELOW",
            help="Mask counts under this as '<N' (at least the privacy setting, 10: it may be raised, never lowered).",
            show_default=False,
        ),
    ] = None,
    top: Annotated[
        int, typer.Option("--top", help="Concepts and tests listed per domain.")
    ] = TOP,
    user: CallerOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Characterize the warehouse: persons, follow-up, records per year, top
    concepts, labs; always masked."""
    from entrepot.quality.characterization import describe as describe_warehouse

    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        decision = decide(
            wh, user, "count", None, "describe", masked=True, mask_below=mask_below
        )
        result = describe_warehouse(wh, decision, top=top, progress=step)
        decision.released(wh, "describe", {"top": top}, persons=wh.count("person"))
    emit(result, json, lambda: quiet or _print_describe(result))


def _print_describe(result: dict) -> None:
    for analysis in result["analyses"]:
        table = Table(*analysis["columns"], title=analysis["title"])
        for row in analysis["rows"][:30]:
            table.add_row(*[str(row.get(c, "")) for c in analysis["columns"]])
        stdout.print(table)
