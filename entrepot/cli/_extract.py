"""`entrepot extract`: a schema's fields read from reports, with evidence; and
`entrepot extract evaluate`, the scores against gold records."""

from __future__ import annotations

import json
import sys
from collections import Counter
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    QuietOption,
    decide,
    emit,
    open_warehouse,
    progress,
    stderr,
    stdout,
)
from entrepot.errors import ParameterError


def _rules(schema, model):
    from entrepot.extraction import RulesBackend

    return RulesBackend(schema)


def _llm(schema, model):
    from entrepot.extraction import LlmBackend

    if model is None:
        raise ParameterError("--backend llm needs --model URL (the server's API base)")
    return LlmBackend(model)


#: `--backend` NAME -> how it is built for a schema and `--model` (imported when used).
BACKENDS = {"rules": _rules, "llm": _llm}
BackendName = StrEnum("BackendName", list(BACKENDS))
DEFAULT_BACKEND = BackendName("rules")
BATCH = 64  # reports handed to a backend at once

SchemaOption = Annotated[
    str | None,
    typer.Option(
        "--schema", help="A schema file, or a shipped schema's name (brain_mri)."
    ),
]
BackendOption = Annotated[
    BackendName, typer.Option("--backend", help="Who reads the reports.")
]
ModelOption = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="With --backend llm: an OpenAI-compatible API base (http://host:8080/v1).",
    ),
]

app = typer.Typer(
    help="Read a schema's fields from reports (stdin, or the warehouse's notes with -w).",
    invoke_without_command=True,
)


@app.callback()
def extract(
    ctx: typer.Context,
    schema: SchemaOption = None,
    backend: BackendOption = DEFAULT_BACKEND,
    model: ModelOption = None,
    warehouse: Annotated[
        str | None,
        typer.Option(
            "--warehouse",
            "-w",
            help="Read the warehouse's notes and store the fields there "
            "(without it: JSON lines on stdin).",
        ),
    ] = None,
    cohort: Annotated[
        str | None,
        typer.Option(
            "--cohort", help="With -w: only the notes of a saved cohort's persons."
        ),
    ] = None,
    note_title: Annotated[
        list[str] | None,
        typer.Option(
            "--note-title", help="With -w: only notes of this title (repeatable)."
        ),
    ] = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Read JSON lines {"id", "text"} on stdin and write each report's fields with
    the offsets of the words that decided them; with -w, the warehouse's notes."""
    if ctx.invoked_subcommand is not None:
        return
    from entrepot.extraction import load_schema

    if schema is None:
        raise ParameterError("--schema is required")
    declared = load_schema(schema)
    reader = BACKENDS[backend](declared, model)
    if warehouse is None:
        if cohort is not None or note_title:
            raise ParameterError("--cohort and --note-title need -w WAREHOUSE")
        _from_stdin(declared, reader, as_json, quiet)
    else:
        _into_warehouse(
            declared, reader, warehouse, cohort, note_title, user, as_json, quiet
        )


def _from_stdin(declared, reader, as_json: bool, quiet: bool) -> None:
    from entrepot.extraction import output_record
    from entrepot.nlp import read_lines

    skipped: Counter = Counter()
    batch: list[tuple[object, str]] = []

    def flush() -> None:
        results = reader.extract(declared, [text for _, text in batch])
        for (doc_id, _), extraction in zip(batch, results, strict=True):
            _write(output_record(doc_id, extraction, declared, reader), as_json)
        batch.clear()

    for doc_id, text, why in read_lines(sys.stdin.buffer, skipped):
        if why is not None:
            flush()
            _write({"id": doc_id, "fields": None, "skipped": why}, as_json)
            continue
        batch.append((doc_id, text))
        if len(batch) == BATCH:
            flush()
    flush()
    if skipped and not quiet:
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(skipped.items()))
        stderr.print(f"skipped {sum(skipped.values())} documents ({reasons})")


def _into_warehouse(declared, reader, warehouse, cohort, titles, user, as_json, quiet):
    from entrepot.extraction import extract_notes

    chosen = int(cohort) if cohort is not None and cohort.isdigit() else cohort
    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        decision = decide(wh, user, "ingest", None, "extract")
        result = extract_notes(
            wh,
            declared,
            reader,
            decision=decision,
            cohort=chosen,
            note_titles=titles or None,
            batch_size=BATCH,
            progress=step,
        )
        parameters = {"schema": declared.name, "cohort": cohort, "note_titles": titles}
        decision.released(wh, "extract", parameters, rows=result["rows"])

    def human() -> None:
        stdout.print(
            f"{result['extracted']} notes read with {declared.name} "
            f"({result['backend']} {result['model']}), {result['skipped']} unchanged "
            f"skipped, {result['rows']} rows written"
        )

    emit(result, as_json, lambda: quiet or human())


def _write(record: dict, as_json: bool) -> None:
    if as_json:
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
        return
    fields = record["fields"] or {}
    shown = " ".join(f"{k}={json.dumps(v)}" for k, v in fields.items())
    stdout.print(
        f"{record['id']}\t{shown or 'skipped: ' + record['skipped']}",
        markup=False,
        highlight=False,
    )


@app.command()
def evaluate(
    gold: Annotated[
        Path,
        typer.Option(
            "--gold", help='Gold records: JSON lines {"id", "text", "fields"}.'
        ),
    ],
    schema: SchemaOption = None,
    backend: BackendOption = DEFAULT_BACKEND,
    model: ModelOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Sensitivity, specificity, PPV and NPV per field with Wilson 95 % intervals,
    the confusion matrix and the errors, beside the schema's published figures."""
    from entrepot.extraction import evaluate as score
    from entrepot.extraction import load_schema, read_gold

    if schema is None:
        raise ParameterError("--schema is required")
    declared = load_schema(schema)
    records = read_gold(gold, declared)
    reader = BACKENDS[backend](declared, model)
    got = reader.extract(declared, [r.text for r in records])
    result = score(
        declared, records, {r.id: x for r, x in zip(records, got, strict=True)}
    )
    data = {"backend": reader.name, "model": reader.model, **asdict(result)}
    emit(data, as_json, lambda: _show_evaluation(result))


def _show_evaluation(result) -> None:
    from rich.table import Table

    def shown(p) -> str:
        if p.value is None:
            return "–"
        return f"{100 * p.value:.1f} ({100 * p.low:.1f}–{100 * p.high:.1f})"

    table = Table(
        title=f"{result.schema} v{result.schema_version}: {result.records} records"
    )
    for column in (
        "field",
        "n",
        "sensitivity",
        "specificity",
        "PPV",
        "NPV",
        "published",
    ):
        table.add_column(column)
    for f in result.fields:
        b = f.binary
        paper = " / ".join(
            f"{c.measure[:4]}. {c.published:g}"
            + ("" if c.not_significantly_below else " (ours below)")
            for c in f.published
        )
        rates = (b.sensitivity, b.specificity, b.ppv, b.npv) if b else ()
        table.add_row(
            f.name, str(f.applies), *(shown(p) for p in rates), *[""] * (4 - len(rates)),
            paper,
        )  # fmt: skip
    stdout.print(table)
