"""`entrepot link area|study|grant`: open data and research databases linked
to the warehouse's patients."""

from __future__ import annotations

from datetime import date
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
    stdout,
)
from entrepot.cli._privacy import KeyFileOption, _key


def area(
    file: Annotated[Path, typer.Argument(help="Area table (CSV): one row per area.")],
    level: Annotated[
        str,
        typer.Option("--level", help="What the codes are: commune or postcode."),
    ],
    key: Annotated[
        str, typer.Option("--key", help="The column holding each area's code.")
    ],
    value: Annotated[
        list[str] | None,
        typer.Option(
            "--value",
            help="A column of figures to load (repeat it) [default: every "
            "column of numbers beside the key].",
            show_default=False,
        ),
    ] = None,
    source: Annotated[
        str | None,
        typer.Option(
            "--source",
            help="Name of the figures' vocabulary [default: the file's name].",
            show_default=False,
        ),
    ] = None,
    on: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="The figures' reference date (YYYY-MM-DD) [default: today].",
            show_default=False,
        ),
    ] = None,
    min_persons: Annotated[
        int | None,
        typer.Option(
            "--min-persons",
            help="Withhold areas with fewer patients [default and floor: the "
            "warehouse's privacy threshold].",
            show_default=False,
        ),
    ] = None,
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Give each patient the figures of their commune or postcode (a
    deprivation index, air quality...) as observations, usable in cohorts and
    feature specs; areas with too few patients are withheld."""
    from entrepot.linkage import link_area

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "link area")
        found = link_area(
            wh,
            file,
            level,
            key,
            source=source,
            on=_day(on),
            min_persons=min_persons,
            columns=value,
        )
        decision.released(
            wh,
            "link.area",
            {"file": str(file), "level": level, "vocabulary": found.vocabulary},
            rows=found.observations,
            persons=found.persons,
        )
    data = found.summary()
    emit(data, as_json, lambda: quiet or _print_area(data))


def study(
    export: Annotated[Path, typer.Argument(help="REDCap export (CSV, raw values).")],
    id_column: Annotated[
        str, typer.Option("--id-column", help="The column holding the patient's IPP.")
    ],
    name: Annotated[
        str, typer.Option("--study", help="The study's name (its vocabulary).")
    ],
    dictionary: Annotated[
        Path | None,
        typer.Option("--dictionary", help="REDCap data dictionary (CSV)."),
    ] = None,
    consent: Annotated[
        str | None,
        typer.Option(
            "--consent",
            help="What the participants consented to (needed on a first load).",
            show_default=False,
        ),
    ] = None,
    key_file: KeyFileOption = None,
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Load a research database's export (one row per patient or per visit)
    as observations and measurements of its patients, matched by pseudonym;
    seen only by projects granted the study (`entrepot link grant`)."""
    from entrepot.linkage import link_study

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "link study")
        found = link_study(
            wh,
            export,
            id_column=id_column,
            study=name,
            key=_key(key_file),
            dictionary=dictionary,
            consent=consent,
            by=decision.user,
        )
        decision.released(
            wh,
            "link.study",
            {"file": str(export), "study": found.study},
            rows=found.observations + found.measurements,
        )
    data = found.summary()
    emit(data, as_json, lambda: quiet or _print_study(data))


def grant(
    name: Annotated[str, typer.Argument(help="A loaded study.")],
    project: Annotated[str, typer.Option("--project", help="The project authorised.")],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Let a project see a study's rows (governance: the right to manage)."""
    from entrepot.privacy import grant_study

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "manage", None, "link grant")
        grant_study(wh, project, name, by=decision.user)
    data = {"study": name, "project": project}
    emit(data, as_json, lambda: quiet or stdout.print(f"{project} may see {name}"))


def _day(text: str | None) -> date | None:
    from entrepot.errors import ParameterError

    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ParameterError(f"--date: {text!r} is not a date (YYYY-MM-DD)") from None


def _print_area(data: dict) -> None:
    stdout.print(
        f"{data['persons']:,} patients of {data['matched'] - data['withheld']:,} "
        f"{data['level']}s given {len(data['variables'])} figure(s): "
        f"{data['observations']:,} observations ({data['vocabulary']})"
    )
    stdout.print(
        f"{data['unmatched']:,} code(s) match no location; {data['withheld']:,} "
        f"withheld (under {data['threshold']} patients); "
        f"{len(data['rejected']):,} cell(s) kept aside"
    )
    for r in data["rejected"][:10]:
        stdout.print(f"  line {r['line']}, {r['column']}: {r['reason']}", markup=False)


def _print_study(data: dict) -> None:
    stdout.print(
        f"{data['study']}: {data['rows']:,} rows, {data['matched']:,} matched, "
        f"{data['unmatched']:,} unmatched (kept aside); {data['variables']} "
        f"variables: {data['observations']:,} observations, "
        f"{data['measurements']:,} measurements"
    )
    if data["unmatched_lines"]:
        lines = ", ".join(map(str, data["unmatched_lines"]))
        stdout.print(f"unmatched lines: {lines}")
    for r in data["rejected"][:10]:
        stdout.print(f"  line {r['line']}, {r['column']}: {r['reason']}", markup=False)
