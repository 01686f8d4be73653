"""Data quality and characterization of the warehouse.

Checks in the three Kahn categories (conformance, completeness, plausibility),
parameterised over the CDM specification and run as Ibis expressions, the
same on DuckDB and Spark; a characterization (what the warehouse holds) as
tables ready to plot; and one self-contained HTML report for both.

>>> report = run_checks(wh)                 # doctest: +SKIP
>>> report.summary["fail"]                  # doctest: +SKIP
"""

from entrepot.quality._config import ExtraCheck, QualityConfig, SexRule, load_config
from entrepot.quality._model import CATEGORIES, STATUSES, Check, CheckResult, Source
from entrepot.quality._registry import Family, families, register
from entrepot.quality._runner import QualityReport, collect_checks, run_checks
from entrepot.quality._state import last_run

__all__ = [
    "CATEGORIES",
    "STATUSES",
    "Check",
    "CheckResult",
    "ExtraCheck",
    "Family",
    "QualityConfig",
    "QualityReport",
    "SexRule",
    "Source",
    "collect_checks",
    "families",
    "last_run",
    "load_config",
    "register",
    "run_checks",
]
