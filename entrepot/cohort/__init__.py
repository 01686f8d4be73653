"""Cohorts: declarative definitions (YAML, JSON, OHDSI Circe), one compiler for
every engine, results and attrition in the results schema."""

from entrepot._declared import describe_errors
from entrepot.cohort._circe_export import to_circe
from entrepot.cohort._compiler import compile_definition
from entrepot.cohort._describe import describe_cohort
from entrepot.cohort._files import (
    definition_from_data,
    definition_yaml,
    load_definition,
    parse_text,
)
from entrepot.cohort._generate import attrition_rows
from entrepot.cohort._model import CohortDefinition, ConceptSet, Event
from entrepot.cohort._reader import (
    EventReader,
    cohort_notes,
    find_cohort,
    index_dates,
)
from entrepot.cohort._results import (
    delete_cohort,
    list_cohorts,
    save_rows,
    show_cohort,
)
from entrepot.cohort._run import CohortResult, count_persons, run_cohort
from entrepot.cohort._shipped import shipped_definitions

__all__ = [
    "CohortDefinition",
    "CohortResult",
    "ConceptSet",
    "Event",
    "EventReader",
    "attrition_rows",
    "cohort_notes",
    "compile_definition",
    "count_persons",
    "definition_from_data",
    "definition_yaml",
    "delete_cohort",
    "describe_cohort",
    "describe_errors",
    "find_cohort",
    "index_dates",
    "list_cohorts",
    "load_definition",
    "parse_text",
    "run_cohort",
    "save_rows",
    "shipped_definitions",
    "show_cohort",
    "to_circe",
]
