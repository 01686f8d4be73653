"""Commands of clinical text: `nlp extract|run|evaluate`, `index`, `search`."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    ProjectOption,
    QuietOption,
    WarehouseOption,
    caller,
    decide,
    emit,
    open_warehouse,
    progress,
    stderr,
    stdout,
)

app = typer.Typer(
    help="Clinical text: mentions in French reports, into note_nlp.",
    no_args_is_help=True,
)
TermsOption = Annotated[
    Path | None,
    typer.Option("--terms", help="Your own terms, YAML {label: [terms...]}."),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers",
        min=1,
        help="Processes [default: every core; on Spark, its executors].",
    ),
]


@app.command()
def extract(
    as_json: JsonOption = False,
    terms: TermsOption = None,
    quiet: QuietOption = False,
) -> None:
    """Read JSON lines {"id", "text"} on stdin, write one line of mentions per input."""
    from entrepot.nlp import Pipeline, extract_lines

    pipeline = Pipeline(terms)
    skipped: Counter = Counter()
    for result in extract_lines(sys.stdin.buffer, pipeline, skipped):
        if as_json:
            sys.stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        else:
            for e in result["entities"]:
                flags = [
                    q for q in ("negation", "hypothesis", "family", "history") if e[q]
                ]
                stdout.print(
                    f"{result['id']}\t{e['start']}-{e['end']}\t{e['label']}\t"
                    f"{e['concept_code'] or ''}\t{e['text']}\t{','.join(flags)}",
                    markup=False,
                    highlight=False,
                )
    if skipped and not quiet:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items()))
        stderr.print(f"skipped {sum(skipped.values())} documents ({reasons})")


@app.command()
def run(
    warehouse: WarehouseOption = None,
    terms: TermsOption = None,
    workers: WorkersOption = None,
    batch_size: Annotated[
        int, typer.Option("--batch-size", min=1, help="Notes per transaction.")
    ] = 5_000,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Process new and changed notes into note_nlp (in parallel, resumable)."""
    from entrepot.nlp import run_nlp

    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        decision = decide(wh, user, "ingest", None, "nlp run")
        result = run_nlp(
            wh, terms=terms, workers=workers, batch_size=batch_size, progress=step
        )
        decision.released(wh, "nlp.run", rows=result["processed"])

    def human() -> None:
        stdout.print(
            f"{result['processed']} notes processed, {result['mentions']} mentions, "
            f"{result['skipped']} skipped {result['skipped_by_reason'] or ''}"
        )

    emit(result, as_json, lambda: quiet or human())


@app.command()
def evaluate(
    warehouse: WarehouseOption = None,
    gold: Annotated[
        Path | None,
        typer.Option(
            "--gold", help="Gold documents with <ent ...> marks, not the notes."
        ),
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Score the first N notes.")
    ] = None,
    terms: TermsOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Precision, recall and F1 per label and per qualifier against gold
    mentions (of a file, or of the warehouse's synthetic notes)."""
    from entrepot.nlp import Pipeline, evaluate, read_marked, warehouse_gold

    if gold is not None:
        golds = read_marked(gold)
    else:
        with open_warehouse(warehouse) as wh:
            decision = decide(wh, user, "read", None, "nlp evaluate")
            golds = warehouse_gold(wh, limit)
            decision.released(wh, "nlp.evaluate", {"limit": limit}, rows=len(golds))
    result = evaluate(golds, Pipeline(terms))
    emit(result, as_json, lambda: _show_scores(result))


def _show_scores(result: dict) -> None:
    from rich.table import Table

    table = Table(title=f"{result['documents']} documents")
    for column in ("", "precision", "recall", "F1", "support"):
        table.add_column(column, justify="right" if column else "left")
    for group in ("entities", "qualifiers"):
        for name, s in result[group].items():
            support = s["tp"] + s["fn"]
            table.add_row(
                f"{'entity' if group == 'entities' else 'qualifier'} {name}",
                f"{s['precision']:.3f}",
                f"{s['recall']:.3f}",
                f"{s['f1']:.3f}",
                str(support),
            )
    stdout.print(table)
    c = result["concepts"]
    stdout.print(f"concepts: {c['exact']:.3f} exact, {c['category']:.3f} same category")


def index(
    warehouse: WarehouseOption = None,
    workers: WorkersOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Build or update the full-text index of notes (only new and changed ones)."""
    from entrepot.search import update_index

    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        decision = decide(wh, user, "ingest", None, "index")
        result = update_index(wh, workers=workers, progress=step)
        decision.released(wh, "index", rows=result["indexed"])

    def human() -> None:
        stdout.print(
            f"{result['indexed']} notes indexed, {result['removed']} removed, "
            f"{result['skipped']} skipped; {result['notes']} in {result['index']}"
        )

    emit(result, as_json, lambda: quiet or human())


def _day(value: str | None, option: str) -> date | None:
    from entrepot.errors import SearchQueryError

    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SearchQueryError(
            f"{option}: {value!r} is not a date (YYYY-MM-DD)"
        ) from None


def search(
    query: Annotated[
        str, typer.Argument(help='Words, "phrases", AND, OR, NOT, (...).')
    ],
    warehouse: WarehouseOption = None,
    exclude: Annotated[
        str | None,
        typer.Option(
            "--exclude",
            help="Contexts left out: negated, hypothesis, family, history, or none "
            "[default: negated,hypothesis,family].",
            show_default=False,
        ),
    ] = None,
    note_type: Annotated[
        str | None, typer.Option("--note-type", help="Notes of this title only.")
    ] = None,
    start: Annotated[str | None, typer.Option("--from", help="From this date.")] = None,
    end: Annotated[str | None, typer.Option("--to", help="Up to this date.")] = None,
    limit: Annotated[int, typer.Option("--limit", min=0, help="Hits shown.")] = 20,
    offset: Annotated[
        int, typer.Option("--offset", min=0, help="Hits skipped (the next page).")
    ] = 0,
    save_cohort: Annotated[
        str | None,
        typer.Option("--save-cohort", help="Save the persons found as a cohort."),
    ] = None,
    user: CallerOption = None,
    project: ProjectOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
    mask: Annotated[
        bool,
        typer.Option(
            "--masked",
            help='Counts only, those below the privacy threshold shown as "<N" '
            "(no hits: they are rows).",
        ),
    ] = False,
) -> None:
    """Search the notes; by default negated, hypothetical and family text is
    left out. Counts are masked unless you hold the right; hits are rows, for
    those who may read (within a project: its persons and period)."""
    from entrepot.cohort._perimeter import refuse_perimeter
    from entrepot.cohort._results import next_cohort_id
    from entrepot.search import (
        SearchFilters,
        parse_exclude,
        save_search_cohort,
        search_notes,
    )

    filters = SearchFilters(
        parse_exclude(exclude), note_type, _day(start, "--from"), _day(end, "--to")
    )
    with open_warehouse(warehouse) as wh:
        who = caller(wh, user)
        decision = who.decide(wh, "count", project, target="search", masked=mask)
        if not mask:  # hits are rows
            who.decide(wh, "read", project, target="search")
        narrowed = _within(wh, decision, filters)
        result = (
            {"notes": 0, "persons": 0, "person_ids": [], "offset": offset, "hits": []}
            if narrowed is None
            else search_notes(wh, query, narrowed, limit=limit, offset=offset)
        )
        persons = result.pop("person_ids")
        if mask:
            result["hits"] = []
        if save_cohort:
            if project is not None:
                refuse_perimeter(wh, next_cohort_id(wh, save_cohort))
            empty = replace(filters, persons=frozenset())
            result["cohort"] = save_search_cohort(
                wh, query, narrowed or empty, save_cohort
            )
        asked = {"query": query, "exclude": filters.exclude, "note_type": note_type}
        decision.released(
            wh, "search", asked, rows=len(result["hits"]), persons=result["persons"]
        )
        result |= decision.persons_with(
            wh, persons, {"notes": result["notes"]}, "search", asked, seen=not mask
        )
        if save_cohort:  # the same persons, released once
            result["cohort"]["persons"] = result["persons"]

    def human() -> None:
        hits = result["hits"]
        shown = f"hits {offset + 1}–{offset + len(hits)} of " if hits else ""
        stdout.print(f"{shown}{result['notes']} notes, {result['persons']} persons")
        for hit in hits:
            snippet = hit["snippet"].replace("<b>", "[bold]").replace("</b>", "[/bold]")
            stdout.print(
                f"[dim]{hit['note_date']} {escape(hit['note_title'] or '')} · note "
                f"{hit['note_id']} person {hit['person_id']}[/dim]  {snippet}"
            )
        if "cohort" in result:
            c = result["cohort"]
            stdout.print(f"saved as cohort {c['cohort_definition_id']} ({c['name']})")

    emit(result, as_json, human)


def _within(wh, decision, filters):
    """The search's filters where the release gate lets it look: the
    perimeter's persons and period, never opted-out persons (None when the
    periods do not meet; a perimeter without notes refuses)."""
    return filters.within(decision.scope(wh, filters.start, filters.end))


def register(root: typer.Typer) -> None:
    """Add `nlp`, `index` and `search` to the `entrepot` command."""
    root.add_typer(app, name="nlp")
    root.command("index")(index)
    root.command("search")(search)
