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
    "load_rules",
    "load_schema",
    "output_record",
    "read_gold",
    "shipped_schemas",
    "wilson",
]
