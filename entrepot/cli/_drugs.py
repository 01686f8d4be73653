"""`entrepot drugs`: drug interactions by the ANSM thesaurus, adverse effects."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    MaskedOption,
    QuietOption,
    WarehouseOption,
    decide,
    emit,
    number,
    open_warehouse,
    stderr,
    stdout,
)
from entrepot.errors import DrugInputError

#: The counts of persons and exposures a scan shows, masked when small.
SCAN_COUNTS = {"patients", "exposures", "by_level"}
app = typer.Typer(
    help="Drug interactions by the ANSM thesaurus (one prescription, or the "
    "warehouse) and possible adverse effects.",
    no_args_is_help=True,
)


@app.command("load-thesaurus")
def load_thesaurus(
    file: Annotated[Path, typer.Argument(help="thesaurus.json of an ANSM edition.")],
    edition: Annotated[
        str | None,
        typer.Option(help="Edition date YYYY-MM-DD [default: from the path]."),
    ] = None,
    substances: Annotated[
        Path | None,
        typer.Option(help="Its substances.json [default: beside FILE]."),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Install a newer thesaurus edition (same JSON shape as the bundled one)."""
    from entrepot.drugs import install_thesaurus

    thesaurus = install_thesaurus(file, edition, substances)
    data = {
        "edition": thesaurus.edition,
        "rules": len(thesaurus.rules),
        "substances": len(thesaurus.substances),
        "mapped_to_atc": round(thesaurus.mapped_share, 3),
    }
    emit(
        data,
        as_json,
        lambda: (
            quiet
            or stdout.print(
                f"thesaurus {data['edition']}: {data['rules']} interacting pairs, "
                f"{data['substances']} substances "
                f"({data['mapped_to_atc']:.0%} mapped to ATC)"
            )
        ),
    )


@app.command()
def check(
    lines: Annotated[
        list[str], typer.Argument(help="Prescription lines, one per argument.")
    ],
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check prescription lines two by two against the thesaurus."""
    from entrepot.drugs import check as check_lines

    result = check_lines(lines)
    emit(result.to_dict(), as_json, lambda: _show_check(result))


_MET = {
    True: "condition de dose remplie",
    False: "condition de dose NON remplie",
    None: "condition de dose non vérifiée (dose non lue)",
}


def _show_check(result) -> None:
    from entrepot.drugs import LEVELS

    drugs = Table(title=f"Lignes (thésaurus ANSM {result.thesaurus})")
    for column in ("#", "ligne", "substances", "ATC", "voie"):
        drugs.add_column(column)
    for i, d in enumerate(result.drugs):
        drugs.add_row(
            str(i),
            Text(d.input[:80]),  # Text: a line is never read as rich markup
            Text(", ".join(d.substances) if d.recognized else "non reconnue"),
            ", ".join(d.atc[:3]),
            f"{d.route or ''}{' ?' if d.route_doubt else ''}",
        )
    stdout.print(drugs)
    if not result.interactions:
        stdout.print("Aucune interaction.")
        return
    found = Table(title="Interactions", show_lines=True)
    for column in ("lignes", "niveau", "règles", "risque", "conduite"):
        found.add_column(column)
    notes = []
    for it in result.interactions:
        unmet = it.dose_condition and it.dose_condition["met"] is False
        found.add_row(
            f"{it.a}+{it.b}",
            LEVELS[it.level] + (" (dose non atteinte)" if unmet else ""),
            Text("\n".join(" + ".join(r) for r in it.rules)),
            Text(it.risk),
            Text(" ".join(p for p in (it.condition, it.conduct, it.why or "") if p)),
        )
        if it.dose_condition:
            met = _MET[it.dose_condition["met"]]
            notes.append(f"{it.a}+{it.b}: {met}: {it.dose_condition['text']}")
        if it.route_doubt:
            notes.append(
                f"{it.a}+{it.b}: voie incertaine, interaction affichée: {it.route_doubt}"
            )
    stdout.print(found)
    for note in notes:  # whole lines: a terminal's width never splits them
        stdout.print(Text(f"! {note}"), soft_wrap=True)


def _date(text: str | None, option: str) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise DrugInputError(f"{option} {text!r} is not a date YYYY-MM-DD") from None


@app.command()
def scan(
    at: Annotated[str | None, typer.Option("--at", help="One day, YYYY-MM-DD.")] = None,
    start: Annotated[
        str | None, typer.Option("--from", help="First day, YYYY-MM-DD.")
    ] = None,
    end: Annotated[
        str | None, typer.Option("--to", help="Last day, YYYY-MM-DD.")
    ] = None,
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    mask: MaskedOption = False,
) -> None:
    """Patients exposed at the same time to interacting drugs, by level, pair and
    year; written as cohorts (one per level) in results.cohort. Counts are
    masked unless you hold the right."""
    from entrepot.drugs import LEVELS
    from entrepot.drugs import scan as scan_warehouse

    if at is not None and (start is not None or end is not None):
        raise DrugInputError("give either --at or --from/--to, not both")
    first, last = (
        (_date(at, "--at"),) * 2
        if at
        else (
            _date(start, "--from"),
            _date(end, "--to"),
        )
    )
    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "count", None, "drugs scan", masked=mask)
        if not quiet and not as_json:
            stderr.print(f"scanning drug_exposure of {wh.uri}…")
        result = scan_warehouse(wh, start=first, end=last)
        decision.released(
            wh,
            "drugs.scan",
            {"from": first, "to": last},
            persons=result.patients,
        )
    data = decision.mask_fields(result.to_dict(), SCAN_COUNTS)

    def human() -> None:
        stdout.print(
            f"{number(data['patients'])} patients with interacting drugs at the same "
            f"time ({number(data['exposures'])} exposures, thesaurus {result.thesaurus})"
        )
        table = Table()
        for column in ("niveau", "patients", "cohort_definition_id"):
            table.add_column(column)
        for level, n in data["by_level"].items():
            table.add_row(LEVELS[level], number(n), str(result.cohorts[level]))
        stdout.print(table)
        pairs = Table(title="Paires les plus fréquentes")
        for column in ("paire", "niveau", "patients"):
            pairs.add_column(column)
        for p in data["by_pair"][:20]:
            pairs.add_row(Text(p["pair"]), LEVELS[p["level"]], number(p["patients"]))
        stdout.print(pairs)

    emit(data, as_json, human)


@app.command()
def effects(
    lines: Annotated[
        list[str], typer.Argument(help="Prescription lines, one per argument.")
    ],
    frequency: Annotated[
        str | None,
        typer.Option(
            help="Keep this frequency class and the more frequent ones: très "
            "fréquent, fréquent, peu fréquent, rare, très rare, indéterminée (all)."
        ),
    ] = None,
    search: Annotated[
        str | None,
        typer.Option(
            help="Keep effects whose term holds this text (any accents, case)."
        ),
    ] = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Possible adverse effects of prescription lines, by organ system.

    From the warehouse's data pack if one is loaded (load-effects), else from
    the curated table of French SmPCs shipped with entrepot."""
    from entrepot.drugs import effect_table
    from entrepot.drugs import effects as effects_of

    if warehouse is None:
        result = effects_of(lines, frequency=frequency, search=search)
    else:
        with open_warehouse(warehouse, read_only=True) as wh:
            result = effects_of(
                lines, frequency=frequency, search=search, table=effect_table(wh)
            )
    emit(result.to_dict(), as_json, lambda: _show_effects(result))


def _show_effects(result) -> None:
    drugs = Table(title=f"Lignes (effets indésirables: {result.source})")
    for column in ("#", "ligne", "substances", "ATC", "effets"):
        drugs.add_column(column)
    for d in result.lines:
        drugs.add_row(
            str(d["line"]),
            Text(d["input"][:80]),
            Text(", ".join(d["substances"]) if d["recognized"] else "non reconnue"),
            ", ".join(d["atc"][:3]),
            str(d["effects"]) if d["sources"] else "pas de données",
        )
    stdout.print(drugs)
    if not result.organs:
        stdout.print("Aucun effet indésirable retenu.")
        return
    found = Table(title="Effets indésirables possibles", show_lines=True)
    for column in ("système", "effets", "effet (fréquence, lignes)"):
        found.add_column(column)
    for organ in result.organs:
        found.add_row(
            organ.organ,
            str(organ.count),
            Text(
                "\n".join(
                    f"{e.term} ({e.frequency}; {', '.join(map(str, e.lines))})"
                    for e in organ.effects
                )
            ),
        )
    stdout.print(found)


@app.command("load-effects")
def load_effects(
    folder: Annotated[
        Path,
        typer.Argument(
            help="A data pack in SIDER 4.1's layout (drug_names.tsv, "
            "meddra_all_se.tsv, meddra_freq.tsv; drug_atc.tsv, meddra_soc.tsv)."
        ),
    ],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Load an adverse effect data pack (SIDER 4.1's layout) into the warehouse.

    `drugs effects -w` and the web app then use it; it replaces the pack
    before. The right to ingest."""
    from entrepot.drugs import load_effects as load

    with open_warehouse(warehouse) as wh:
        decision = decide(wh, user, "ingest", None, "drugs load-effects")
        counts = load(wh, folder)
        decision.released(
            wh, "drugs.load-effects", {"folder": str(folder)}, rows=counts["effects"]
        )
    emit(
        counts,
        as_json,
        lambda: (
            quiet
            or stdout.print(
                f"effects loaded: {counts['effects']:,} for {counts['drugs']:,} ATC "
                f"codes ({counts['classified']:,} with an organ system)"
            )
        ),
    )
