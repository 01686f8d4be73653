"""What a backend returns for one report, and the JSON line written for it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from entrepot.extraction._schema import Schema, Value


@dataclass(frozen=True)
class Extraction:
    """The fields read from one text, with where each value was read.

    `fields` holds every field of the schema (null when not stated or when its
    `when` does not hold); `evidence` maps a field to the `(start, end)`
    character offsets in the input text that support its value.
    """

    fields: dict[str, Value]
    evidence: dict[str, tuple[int, int]] = field(default_factory=dict)


class Backend(Protocol):
    """Reads a schema's fields from texts: the rules, or a language model."""

    name: str  # "rules" or "llm"
    model: str | None  # the model (or rule set) and its version
    prompt_version: str | None  # the prompt file's version; None for rules

    def extract(self, schema: Schema, texts: Sequence[str]) -> list[Extraction]:
        """One extraction per text, in order."""
        ...


def output_record(
    doc_id: object, extraction: Extraction, schema: Schema, backend: Backend
) -> dict:
    """The JSON line of one document: `{"id", "fields", "evidence", "backend",
    "model", "schema_version", "prompt_version"}`."""
    return {
        "id": doc_id,
        "fields": extraction.fields,
        "evidence": {k: list(v) for k, v in extraction.evidence.items()},
        "backend": backend.name,
        "model": backend.model,
        "schema_version": schema.version,
        "prompt_version": backend.prompt_version,
    }
