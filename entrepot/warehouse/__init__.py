"""Storage: the OMOP CDM v5.4 warehouse on DuckDB or Spark, with its vocabulary."""

from entrepot.warehouse._connect import someone_waits
from entrepot.warehouse._loading import LoadResult, load_tables
from entrepot.warehouse._uri import DEFAULT_WAREHOUSE, resolve
from entrepot.warehouse._warehouse import Warehouse

__all__ = [
    "DEFAULT_WAREHOUSE",
    "LoadResult",
    "Warehouse",
    "load_tables",
    "resolve",
    "someone_waits",
]
