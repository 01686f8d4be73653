"""`entrepot extract`: a schema's fields read from reports, with evidence."""

from __future__ import annotations

import json
import sys
from collections import Counter
from enum import StrEnum
from typing import Annotated

import typer

from entrepot.cli._common import JsonOption, QuietOption, stderr, stdout


def _rules(schema):
    from entrepot.extraction import RulesBackend

    return RulesBackend(schema)


#: `--backend` NAME -> how it is built for a schema (imported when used).
BACKENDS = {"rules": _rules}
BackendName = StrEnum("BackendName", list(BACKENDS))
DEFAULT_BACKEND = BackendName("rules")
BATCH = 64  # reports handed to a backend at once


def extract(
    schema: Annotated[
        str,
        typer.Option(
            "--schema", help="A schema file, or a shipped schema's name (brain_mri)."
        ),
    ],
    backend: Annotated[
        BackendName, typer.Option("--backend", help="Who reads the reports.")
    ] = DEFAULT_BACKEND,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Read JSON lines {"id", "text"} on stdin, write each report's fields with
    the offsets of the words that decided them."""
    from entrepot.extraction import load_schema, output_record
    from entrepot.nlp import read_lines

    declared = load_schema(schema)
    reader = BACKENDS[backend](declared)
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
