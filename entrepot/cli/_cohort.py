"""`entrepot cohort`: generate, list, show, describe, export and delete cohorts."""

from __future__ import annotations

from json import dumps
from typing import Annotated, Literal

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
    stdout,
)

app = typer.Typer(
    help="Cohorts: definitions (YAML, JSON, OHDSI Circe) run on the warehouse.",
    no_args_is_help=True,
)
CohortId = Annotated[int, typer.Argument(help="The cohort_definition_id.")]
DefinitionFile = Annotated[
    str,
    typer.Argument(
        help="Definition file (YAML, JSON or Circe JSON), or a shipped one's name."
    ),
]


@app.command()
def run(
    file: DefinitionFile,
    cohort_id: Annotated[
        int | None,
        typer.Option(
            "--id", help="cohort_definition_id [default: the file's, or by name]."
        ),
    ] = None,
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    mask: MaskedOption = False,
) -> None:
    """Generate a cohort into results.cohort (replacing an earlier run of it);
    within a project, its figures count the project's persons and period."""
    from entrepot.cohort import load_definition, run_cohort
    from entrepot.cohort._perimeter import (
        refuse_domains,
        refuse_perimeter,
        released_run,
    )
    from entrepot.cohort._results import next_cohort_id
    from entrepot.cohort._shipped import definition_path

    path = definition_path(file)
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "count", project, "cohort run", masked=mask)
        definition = load_definition(path)
        cohort_id = cohort_id or definition.id or next_cohort_id(wh, definition.name)
        if project is not None:
            refuse_domains(wh, decision, definition)
            refuse_perimeter(wh, cohort_id)
        found = run_cohort(
            wh, definition, cohort_id=cohort_id, source=str(path), decision=decision
        )
        asked = {"cohort_definition_id": found.cohort_definition_id, "file": file}
        result = released_run(wh, decision, definition, found.as_dict(), asked)
    emit(result, json, lambda: quiet or _print_run(result))


def _print_run(result: dict) -> None:
    days = result["person_days"]
    stdout.print(
        f"Cohort {result['cohort_definition_id']}: {number(result['count'])} persons, "
        f"{number(result['entries'])} entries, "
        f"{'masked' if days is None else number(days)} person-days "
        f"({result['seconds']:.2f} s)."
    )
    _print_attrition(result["attrition"])


def _print_attrition(steps: list[dict]) -> None:
    table = Table("rule", "persons", "entries", title="Attrition")
    for step in steps:
        table.add_row(step["rule"], number(step["persons"]), number(step["entries"]))
    stdout.print(table)


@app.command()
def export(
    file: DefinitionFile,
    format: Annotated[
        Literal["circe"],
        typer.Option("--format", help="circe: OHDSI Circe JSON (ATLAS)."),
    ],
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Write a definition as OHDSI Circe JSON on stdout, its codes as the
    warehouse's concept ids (what Circe cannot express, such as note
    mentions, is refused); reads the vocabulary, no patient data."""
    from entrepot.cohort import load_definition, to_circe
    from entrepot.cohort._shipped import definition_path

    path = definition_path(file)
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "count", project, "cohort export")
        definition = load_definition(path)
        expression = to_circe(wh, definition, str(path))
        asked = {"file": file, "format": format, "name": definition.name}
        decision.released(wh, "cohort.circe", asked)
    emit(
        expression, json, lambda: print(dumps(expression, indent=2, ensure_ascii=False))
    )


@app.command("list")
def list_(
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    mask: MaskedOption = False,
) -> None:
    """Cohorts generated in the warehouse (within a project: its persons)."""
    from entrepot.cohort._perimeter import released_listed

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "count", project, "cohort list", masked=mask)
        rows = released_listed(wh, decision)

    def human() -> None:
        table = Table("id", "name", "persons", "entries", "generated")
        for r in rows:
            table.add_row(
                str(r["id"]),
                r["name"],
                number(r["persons"]),
                number(r["entries"]),
                r["generated"],
            )
        stdout.print(table)

    emit(rows, json, human)


@app.command()
def show(
    cohort_id: CohortId,
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
    mask: MaskedOption = False,
) -> None:
    """A cohort's definition, counts and attrition (within a project: its persons)."""
    from entrepot.cohort._perimeter import released_shown

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "count", project, "cohort show", masked=mask)
        result, persons = released_shown(wh, decision, cohort_id)
        decision.released(
            wh, "cohort.show", {"cohort_definition_id": cohort_id}, persons=persons
        )

    def human() -> None:
        stdout.print(
            f"[bold]{result['id']}. {result['name']}[/bold]: "
            f"{number(result['persons'])} persons, {number(result['entries'])} entries"
        )
        _print_attrition(result["attrition"])

    emit(result, json, human)


@app.command()
def describe(
    cohort_id: CohortId,
    mask_below: Annotated[
        int | None,
        typer.Option(
            help="Mask counts below this as '<N' (at least the privacy setting, 10: it may be raised, never lowered).",
            show_default=False,
        ),
    ] = None,
    top: Annotated[int, typer.Option(help="Concepts listed per domain.")] = 10,
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Table 1 of a cohort: age, sex, top conditions, drugs and labs, always
    masked (within a project: its persons)."""
    from entrepot.cohort import describe_cohort
    from entrepot.cohort._perimeter import figures

    with open_warehouse(warehouse) as wh:
        decision = decide(
            wh,
            user,
            "count",
            project,
            "cohort describe",
            masked=True,
            mask_below=mask_below,
        )
        result = describe_cohort(wh, cohort_id, decision, top=top)
        decision.released(
            wh,
            "cohort.describe",
            {"cohort_definition_id": cohort_id, "top": top},
            persons=figures(wh, decision, cohort_id)["count"],
        )
    emit(result, json, lambda: _print_table_one(result))


def _print_table_one(result: dict) -> None:
    table = Table("", "persons", title=f"{result['name']}: Table 1")
    table.add_row("persons", str(result["persons"]))
    table.add_row("mean age", str(result["age"]["mean"]))
    for band, n in result["age"]["bands"].items():
        table.add_row(f"  age {band}", str(n))
    for sex, n in result["sex"].items():
        table.add_row(f"  {sex}", str(n))
    for topic in ("conditions", "drugs", "labs"):
        for row in result.get(topic, []):
            table.add_row(f"{topic[:-1]}: {row['name']}", str(row["persons"]))
    stdout.print(table)


@app.command()
def delete(
    cohort_id: CohortId,
    user: CallerOption = None,
    project: ProjectOption = None,
    warehouse: WarehouseOption = None,
    json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Remove a cohort's rows, definition and attrition: its owner or an
    administrator (never a project's perimeter), audited."""
    from entrepot.cohort._perimeter import delete_within

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "write", project, "cohort delete")
        delete_within(wh, decision, cohort_id)
    emit(
        {"deleted": cohort_id},
        json,
        lambda: quiet or stdout.print(f"Cohort {cohort_id} deleted."),
    )
