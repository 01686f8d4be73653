"""Structured extraction from reports: fields declared in a schema, read by
rules or by a hospital's own language model, with evidence offsets."""

from entrepot.extraction._evaluate import (
    BinaryCounts,
    Comparison,
    Evaluation,
    FieldError,
    FieldEvaluation,
    GoldRecord,
    Proportion,
    evaluate,
    read_gold,
    wilson,
)
from entrepot.extraction._llm import LlmBackend
from entrepot.extraction._result import Backend, Extraction, output_record
from entrepot.extraction._rules import RulesBackend, load_rules
from entrepot.extraction._schema import (
    Schema,
    SchemaField,
    load_schema,
    shipped_schemas,
)
from entrepot.extraction._warehouse import (
    extract_notes,
    nlp_system,
    read_extractions,
)

__all__ = [
    "Backend",
    "BinaryCounts",
    "Comparison",
    "Evaluation",
    "Extraction",
    "FieldError",
    "FieldEvaluation",
    "GoldRecord",
    "LlmBackend",
    "Proportion",
    "RulesBackend",
    "Schema",
    "SchemaField",
    "evaluate",
    "extract_notes",
    "load_rules",
    "load_schema",
    "nlp_system",
    "output_record",
    "read_extractions",
    "read_gold",
    "shipped_schemas",
    "wilson",
]
