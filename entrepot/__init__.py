"""entrepot: an open-source health data warehouse for hospitals."""

from entrepot.errors import EntrepotError

__version__ = "0.1.0"

__all__ = ["EntrepotError", "Warehouse", "__version__"]


def __getattr__(name: str):  # lazy: `import entrepot` stays light
    if name == "Warehouse":
        from entrepot.warehouse import Warehouse

        return Warehouse
    raise AttributeError(f"module 'entrepot' has no attribute {name!r}")
