"""`entrepot pv`: pharmacovigilance, safety signals found in the warehouse."""

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
    stderr,
    stdout,
)

#: The counts of persons each output shows, masked when small.
COUNTS = {"cases", "cases_exposed"}
#: What is computed from a drug's few exposed cases: hidden with their count.
DERIVED = {"ror", "ror_ci", "irr", "irr_ci", "calibrated_ci", "median_onset_days"}
MinCasesOption = Annotated[
    int, typer.Option("--min-cases", help="Exposed cases a drug or event needs.")
]
app = typer.Typer(
    help="Pharmacovigilance: the drugs associated with an outcome, the events "
    "over-represented after a drug.",
    no_args_is_help=True,
)


def _outcome(text: str):
    """(outcome, name): a cohort file or a shipped definition's name gives its
    entry conditions; anything else is a saved cohort's id or name."""
    from entrepot.cohort import load_definition, shipped_definitions
    from entrepot.drugs import definition_outcome

    path = Path(text)
    if not path.is_file():
        path = shipped_definitions().get(text)
    if path is None:
        return text, None
    definition = load_definition(path)
    return definition_outcome(definition), definition.name


def _interval(ci) -> str:
    if ci is None or isinstance(ci, str):  # none, or hidden
        return ci or ""
    high = "∞" if ci[1] is None else f"{ci[1]:.2f}"  # None: no upper bound
    return f"{ci[0]:.2f}–{high}"


def _shown(value, unit: str = "") -> str:
    """A ratio or a median as printed: blank when none, `*` when hidden."""
    if value is None or isinstance(value, str):
        return value or ""
    return f"{value:.1f}{unit}" if not unit else f"{value:g}{unit}"


@app.command()
def signals(
    outcome: Annotated[
        str,
        typer.Option(
            "--outcome",
            help="A saved cohort's id or name, or a cohort file (or shipped "
            "definition's name) whose entry conditions are the outcome.",
        ),
    ],
    controls: Annotated[
        str | None,
        typer.Option(
            help="Negative-control drugs, ATC codes separated by commas "
            "[default: the shipped list, entrepot.drugs.NEGATIVE_CONTROLS, those in the vocabulary]."
        ),
    ] = None,
    min_cases: MinCasesOption = 3,
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    mask: MaskedOption = False,
) -> None:
    """The drugs associated with an outcome: ROR, self-controlled case series
    IRR, its CI calibrated with negative controls, median time to onset, and
    the verdict. Counts are masked unless you hold the right."""
    from entrepot.drugs import signals as find_signals

    chosen = tuple(c for c in controls.split(",") if c.strip()) if controls else None
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "count", project, "pv signals", masked=mask)
        target, name = _outcome(outcome)
        if not quiet and not as_json:
            stderr.print(f"looking for the drugs associated with {name or target}…")
        result = find_signals(
            wh, target, decision, name=name, controls=chosen, min_cases=min_cases
        )
        decision.released(
            wh,
            "pv.signals",
            {"outcome": outcome, "controls": controls, "min_cases": min_cases},
            rows=len(result.signals),
            persons=result.cases,
        )
    data = decision.mask_fields(result.to_dict(), COUNTS, DERIVED)

    def human() -> None:
        stdout.print(f"{data['outcome']}: {number(data['cases'])} cases")
        table = Table()
        for column in ("drug", "ATC", "exposed", "ROR", "IRR", "calibrated", "onset"):
            table.add_column(column)
        for s in data["signals"]:
            table.add_row(
                ("[bold]" if s["signal"] else "") + s["drug"],
                s["atc"],
                number(s["cases_exposed"]),
                _shown(s["ror"]),
                _shown(s["irr"]),
                _interval(s["calibrated_ci"]),
                _shown(s["median_onset_days"], " d"),
            )
        stdout.print(table)

    emit(data, as_json, human)


@app.command()
def drug(
    atc: Annotated[str, typer.Argument(help="The drug's ATC code.")],
    min_cases: MinCasesOption = 3,
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    mask: MaskedOption = False,
) -> None:
    """The conditions over-represented after starting a drug (ROR; no case
    series). Counts are masked unless you hold the right."""
    from entrepot.drugs import drug_events

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "count", project, "pv drug", masked=mask)
        if not quiet and not as_json:
            stderr.print(f"looking for the conditions after starting {atc}…")
        result = drug_events(wh, atc, decision, min_cases=min_cases)
        decision.released(
            wh,
            "pv.drug",
            {"drug": atc, "min_cases": min_cases},
            rows=len(result.events),
        )
    data = decision.mask_fields(result.to_dict(), COUNTS, DERIVED)

    def human() -> None:
        stdout.print(f"{data['drug']} ({data['atc']})")
        table = Table()
        for column in ("condition", "persons after", "ROR", "95 % CI", "signal"):
            table.add_column(column)
        for e in data["events"]:
            table.add_row(
                e["concept"],
                number(e["cases_exposed"]),
                _shown(e["ror"]),
                _interval(e["ror_ci"]),
                "yes" if e["signal"] else "",
            )
        stdout.print(table)

    emit(data, as_json, human)
