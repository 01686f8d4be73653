"""entrepot: an open-source health data warehouse for hospitals.

The front door: the main entry points of every layer, imported when first
used, so that `import entrepot` and `entrepot --help` stay light.

>>> from entrepot import Warehouse, generate_hospital, run_cohort  # doctest: +SKIP
"""

from importlib import import_module

from entrepot.errors import EntrepotError

__version__ = "0.1.0"

#: Public name -> the package that defines it.
_PUBLIC = {
    "Warehouse": "entrepot.warehouse",
    "load_directory": "entrepot.ingest",
    "ingest_raw": "entrepot.ingest",
    "generate_hospital": "entrepot.synth",
    "run_cohort": "entrepot.cohort",
    "load_definition": "entrepot.cohort",
    "describe_cohort": "entrepot.cohort",
    "Pipeline": "entrepot.nlp",
    "search_notes": "entrepot.search",
    "check": "entrepot.drugs",
    "scan": "entrepot.drugs",
    "run_checks": "entrepot.quality",
    "deidentify": "entrepot.privacy",
    "authorise": "entrepot.privacy",
}

__all__ = ["EntrepotError", "__version__", *_PUBLIC]


def __getattr__(name: str):
    if name in _PUBLIC:
        return getattr(import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'entrepot' has no attribute {name!r}")
