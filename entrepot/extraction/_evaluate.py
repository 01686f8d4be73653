"""Extractions scored against gold records, field by field.

A field is scored on the records where it applies: where its gold value is not
null. Where the gold is null (not stated, or a `when` that does not hold) the
answer is not scored; an answer given there is only counted
(`predicted_where_not_applicable`).

Boolean fields get TP/FP/TN/FN, sensitivity, specificity, PPV and NPV with
Wilson 95 % intervals. **A null answer is never right**: where the gold is
true it counts against sensitivity (`null_positive`), where the gold is false
against specificity (`null_negative`); being neither a positive nor a negative
answer, it is left out of PPV and NPV. Enum fields get their accuracy per
gold value; every field gets its exact-match rate (`accuracy`) and its errors.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from entrepot.errors import InputFileError, ParameterError
from entrepot.extraction._result import Extraction
from entrepot.extraction._schema import Figures, Schema, SchemaField, Value

Z95 = 1.959963984540054  # the standard normal's 97.5th percentile


@dataclass(frozen=True)
class Proportion:
    """successes / total with its Wilson 95 % interval (None when total is 0)."""

    successes: int
    total: int
    value: float | None
    low: float | None
    high: float | None


def wilson(successes: int, total: int, z: float = Z95) -> Proportion:
    """The Wilson score interval (Wilson 1927; Newcombe 1998, method 3)."""
    if total == 0:
        return Proportion(successes, 0, None, None, None)
    p = successes / total
    scale = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / scale
    half = z / scale * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total))
    return Proportion(
        successes, total, p, max(0.0, centre - half), min(1.0, centre + half)
    )


@dataclass(frozen=True)
class GoldRecord:
    """One report with the values a person read in it."""

    id: str | int
    text: str
    fields: dict[str, Value]


@dataclass(frozen=True)
class FieldError:
    """One scored record where the answer differs from the gold."""

    id: str | int
    expected: Value
    got: Value
    evidence: tuple[int, int] | None
    quote: str | None  # the evidence's text


@dataclass(frozen=True)
class BinaryCounts:
    """A boolean field's 2 x 2 table, its null answers and its rates."""

    tp: int
    fp: int
    tn: int
    fn: int
    null_positive: int  # null answers where the gold is true
    null_negative: int  # null answers where the gold is false
    sensitivity: Proportion
    specificity: Proportion
    ppv: Proportion
    npv: Proportion


@dataclass(frozen=True)
class Comparison:
    """A published figure (in %) beside ours: not significantly below when the
    published value lies at or below the upper bound of our Wilson interval
    (None when we have no record to compare)."""

    measure: str  # "sensitivity" or "specificity"
    published: float
    ours: Proportion
    not_significantly_below: bool | None


@dataclass(frozen=True)
class FieldEvaluation:
    """One field's scores; `published` sets a paper's figures beside ours."""

    name: str
    type: str
    applies: int  # records whose gold value is not null
    predicted_where_not_applicable: int
    accuracy: Proportion  # exact matches among the records where it applies
    binary: BinaryCounts | None  # boolean fields
    per_value: dict[str, Proportion] | None  # enum fields, by gold value
    confusion: dict[Value, dict[Value, int]] | None  # gold -> answer -> count
    errors: tuple[FieldError, ...]
    published: tuple[Comparison, ...]


@dataclass(frozen=True)
class Evaluation:
    """Every field of a schema scored on the same gold records."""

    schema: str
    schema_version: str
    records: int
    fields: tuple[FieldEvaluation, ...]
    published_source: str | None

    def field(self, name: str) -> FieldEvaluation:
        return next(f for f in self.fields if f.name == name)

    @property
    def meets_published(self) -> bool:
        """No published figure is significantly above ours (nor left unmeasured)."""
        return all(c.not_significantly_below for f in self.fields for c in f.published)


def evaluate(
    schema: Schema,
    gold: Sequence[GoldRecord],
    extractions: Mapping[str | int, Extraction],
) -> Evaluation:
    """Score the extraction of each gold record (found by its id) per field."""
    missing = [r.id for r in gold if r.id not in extractions]
    if missing:
        shown = ", ".join(repr(i) for i in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise ParameterError(f"no extraction for gold record(s) {shown}{more}")
    for r in gold:
        problems = schema.problems(extractions[r.id].fields)
        if problems:
            raise ParameterError(f"extraction of {r.id!r}: {'; '.join(problems)}")
    return Evaluation(
        schema.name,
        schema.version,
        len(gold),
        tuple(_field(schema, f, gold, extractions) for f in schema.fields),
        schema.published.source if schema.published else None,
    )


def _field(
    schema: Schema,
    field: SchemaField,
    gold: Sequence[GoldRecord],
    extractions: Mapping[str | int, Extraction],
) -> FieldEvaluation:
    pairs = [(r, r.fields[field.name], extractions[r.id]) for r in gold]
    scored = [
        (r, want, x, x.fields[field.name]) for r, want, x in pairs if want is not None
    ]
    errors = tuple(
        _error(r, field.name, want, x)
        for r, want, x, got in scored
        if not _same(want, got)
    )
    confusion = None
    if field.type in ("boolean", "enum"):
        values = (True, False) if field.type == "boolean" else field.values or ()
        confusion = {
            want: {
                got: sum(1 for _, w, _, g in scored if w == want and _same(got, g))
                for got in (*values, None)
            }
            for want in values
        }
    binary = _binary(confusion) if field.type == "boolean" else None
    per_value = None
    if field.type == "enum":
        per_value = {
            v: wilson(row[v], sum(row.values())) for v, row in confusion.items()
        }
    figures = schema.published.fields.get(field.name) if schema.published else None
    return FieldEvaluation(
        field.name,
        field.type,
        len(scored),
        sum(
            1
            for _, want, x in pairs
            if want is None and x.fields[field.name] is not None
        ),
        wilson(len(scored) - len(errors), len(scored)),
        binary,
        per_value,
        confusion,
        errors,
        _compare(figures, binary) if figures and binary else (),
    )


def _same(want: Value, got: Value) -> bool:
    """Equal values of the same kind (True is not 1, 12 is 12.0)."""
    return isinstance(want, bool) == isinstance(got, bool) and want == got


def _error(record: GoldRecord, name: str, want: Value, x: Extraction) -> FieldError:
    span = x.evidence.get(name)
    return FieldError(
        record.id,
        want,
        x.fields[name],
        span,
        record.text[span[0] : span[1]] if span else None,
    )


def _binary(confusion: dict[Value, dict[Value, int]]) -> BinaryCounts:
    pos, neg = confusion[True], confusion[False]
    tp, fn, tn, fp = pos[True], pos[False], neg[False], neg[True]
    return BinaryCounts(
        tp,
        fp,
        tn,
        fn,
        pos[None],
        neg[None],
        sensitivity=wilson(tp, sum(pos.values())),
        specificity=wilson(tn, sum(neg.values())),
        ppv=wilson(tp, tp + fp),
        npv=wilson(tn, tn + fn),
    )


def _compare(figures: Figures, binary: BinaryCounts) -> tuple[Comparison, ...]:
    return tuple(
        Comparison(
            measure,
            published,
            ours,
            None if ours.high is None else published / 100 <= ours.high,
        )
        for measure, published, ours in (
            ("sensitivity", figures.sensitivity, binary.sensitivity),
            ("specificity", figures.specificity, binary.specificity),
        )
    )


def read_gold(path: str | Path, schema: Schema) -> list[GoldRecord]:
    """Gold records of a JSON-lines file: `{"id", "text", "fields"}` a line.

    `fields` holds every field of the schema, valid for its type, null where
    a `when` does not hold; other keys (e.g. `style`) are ignored and blank
    lines skipped. A bad line gives one error naming the file and the line.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as e:
        raise InputFileError(f"{path}: cannot read gold records: {e}") from None
    records: list[GoldRecord] = []
    first_line: dict[str | int, int] = {}
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        record = _record(line, schema, first_line)
        if isinstance(record, str):
            raise InputFileError(f"{path}:{number}: {record}")
        first_line[record.id] = number
        records.append(record)
    if not records:
        raise InputFileError(f"{path}: no gold records")
    return records


def _record(
    line: str, schema: Schema, first_line: dict[str | int, int]
) -> GoldRecord | str:
    """The record of one line, or what is wrong with it."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as e:
        return f"malformed JSON: {e.msg} (column {e.colno})"
    if not isinstance(data, dict) or not {"id", "text", "fields"} <= data.keys():
        return "a gold record is an object with id, text and fields"
    doc_id, text, fields = data["id"], data["text"], data["fields"]
    if isinstance(doc_id, bool) or not isinstance(doc_id, str | int):
        return "`id` must be a string or an integer"
    if doc_id in first_line:
        return f"id {doc_id!r} appears twice (first at line {first_line[doc_id]})"
    if not isinstance(text, str):
        return "`text` must be a string"
    if not isinstance(fields, dict):
        return "`fields` must be an object"
    problems = schema.problems(fields)
    if problems:
        return "; ".join(problems)
    resolved = schema.resolve(fields)
    for name, value in fields.items():
        if resolved[name] is None and value is not None:
            return f"{name}: {value!r} where it does not apply (must be null)"
    return GoldRecord(doc_id, text, fields)
