"""Check families: the built-in ones and those other packages register.

A family is registered with `register`; built-ins take that same route (see
`entrepot.quality.checks`), and packages can add theirs through the entry
point group `entrepot.quality_checks` (each entry point names a `Family`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING

from entrepot.quality._model import Category, Check, Source

if TYPE_CHECKING:
    import ibis.expr.types as ir

    from entrepot.quality._context import Context


@dataclass(frozen=True)
class Family:
    """A kind of check, made for every table and field of the CDM it applies to."""

    name: str
    category: Category
    summary: str
    make: Callable[[Context, Family], Iterable[Check]]

    def check(
        self,
        ctx: Context,
        table: str,
        field: str | None,
        description: str,
        source: Source,
        *,
        violated: Callable[[ir.Table], ir.BooleanValue] | None = None,
        **options,
    ) -> Check:
        """A check of this family, with its threshold from the configuration."""
        return Check(
            name=self.name,
            category=self.category,
            table=table,
            field=field,
            description=description,
            threshold=ctx.config.threshold(self.name, table, field),
            source=source,
            violated=violated,
            **options,
        )


_FAMILIES: dict[str, Family] = {}
_loaded = False


def register(family: Family) -> Family:
    """Make a family of checks part of every quality run."""
    _FAMILIES[family.name] = family
    return family


def families() -> dict[str, Family]:
    """Every registered family, built-ins first."""
    global _loaded
    if not _loaded:
        import entrepot.quality.checks  # noqa: F401  (registers the built-ins)

        for point in entry_points(group="entrepot.quality_checks"):
            register(point.load())
        _loaded = True
    return dict(_FAMILIES)
