"""The OMOP Common Data Model v5.4: tables, fields, types and keys."""

from entrepot.warehouse.cdm._schema import (
    CDM_VERSION,
    CLINICAL_TABLES,
    RESULTS_TABLES,
    VOCABULARY_TABLES,
    Field,
    Table,
    cdm_table,
    cdm_tables,
)

__all__ = [
    "CDM_VERSION",
    "CLINICAL_TABLES",
    "RESULTS_TABLES",
    "VOCABULARY_TABLES",
    "Field",
    "Table",
    "cdm_table",
    "cdm_tables",
]
