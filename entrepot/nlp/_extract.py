"""JSON lines in, JSON lines out: `{"id", "text"}` -> `{"id", "entities": [...]}`."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Iterator

from entrepot.nlp._pipeline import Pipeline
from entrepot.nlp._text import unreadable


def _read(line: bytes) -> tuple[object, str | None, str | None]:
    """(id, text, why it is skipped) of one input line."""
    try:
        record = json.loads(line.decode("utf-8"))
    except UnicodeDecodeError:
        return None, None, "not-utf8"
    except ValueError:
        return None, None, "not-json"
    if not isinstance(record, dict):
        return None, None, "not-json"
    text = record.get("text")
    return record.get("id"), text, unreadable(text)


def read_lines(
    lines: Iterable[bytes], skipped: Counter | None = None
) -> Iterator[tuple[object, str | None, str | None]]:
    """(id, text, why it is skipped) of each non-blank input line; unreadable
    documents (why not None) are counted in `skipped`."""
    for line in lines:
        if not line.strip():
            continue
        id_, text, why = _read(line)
        if why is not None and skipped is not None:
            skipped[why] += 1
        yield id_, text, why


def extract_lines(
    lines: Iterable[bytes], pipeline: Pipeline, skipped: Counter | None = None
) -> Iterator[dict]:
    """One output per non-blank input line; unreadable documents come back with
    no entities and the reason they were skipped, counted in `skipped`."""
    for id_, text, why in read_lines(lines, skipped):
        if why is not None:
            yield {"id": id_, "entities": [], "skipped": why}
            continue
        doc = pipeline(text)
        yield {
            "id": id_,
            "entities": [e.as_dict() for e in doc.entities],
            "dates": [
                {"start": d.start, "end": d.end, "value": d.value} for d in doc.dates
            ],
        }
