"""Storage: the OMOP CDM v5.4 warehouse on DuckDB or Spark, with its vocabulary."""

from entrepot.warehouse._among import among
from entrepot.warehouse._care_sites import CareSite, CareSiteTree, care_site_tree
from entrepot.warehouse._connect import someone_waits
from entrepot.warehouse._loading import LoadResult, load_tables
from entrepot.warehouse._phases import phase, phased, timing
from entrepot.warehouse._prepared import forget as forget_prepared
from entrepot.warehouse._prepared import held as prepared_held
from entrepot.warehouse._prepared import prepared
from entrepot.warehouse._revision import (
    MIGRATIONS,
    REVISION,
    Migration,
    pending_migrations,
    revision_history,
    revision_of,
    stamp_revision,
)
from entrepot.warehouse._uri import DEFAULT_WAREHOUSE, resolve
from entrepot.warehouse._warehouse import Warehouse

__all__ = [
    "among",
    "CareSite",
    "CareSiteTree",
    "care_site_tree",
    "DEFAULT_WAREHOUSE",
    "LoadResult",
    "MIGRATIONS",
    "Migration",
    "REVISION",
    "Warehouse",
    "forget_prepared",
    "load_tables",
    "pending_migrations",
    "phase",
    "phased",
    "prepared",
    "prepared_held",
    "revision_history",
    "revision_of",
    "stamp_revision",
    "timing",
    "resolve",
    "someone_waits",
]
