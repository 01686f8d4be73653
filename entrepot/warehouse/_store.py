"""What the warehouse needs from an engine: tables, atomic writes, files.

Queries are Ibis expressions, the same on every engine; only storage differs
(a DuckDB file with transactions, or folders of Parquet for Spark).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

#: Logical schemas: the CDM's own tables, analysis results, entrepot's bookkeeping.
SCHEMAS = ("cdm", "results", "entrepot")


@dataclass
class Transaction:
    """Writes collected inside `Store.transaction()`, applied all or nothing."""

    writes: list[tuple[str, str, ir.Table, bool]] = field(default_factory=list)

    def append(self, schema: str, name: str, rows: ir.Table) -> None:
        self.writes.append((schema, name, rows, False))

    def replace(self, schema: str, name: str, rows: ir.Table) -> None:
        self.writes.append((schema, name, rows, True))


class Store(ABC):
    """One engine's storage under the warehouse."""

    con: ibis.BaseBackend
    read_only: bool = False

    @abstractmethod
    def list_tables(self, schema: str) -> list[str]:
        """Names of the tables in a logical schema, as stored."""

    @abstractmethod
    def table(self, schema: str, name: str) -> ir.Table:
        """An existing table, as stored (column names untouched)."""

    @abstractmethod
    def create_table(self, schema: str, name: str, columns: ibis.Schema) -> None:
        """Create an empty table."""

    @abstractmethod
    def drop_table(self, schema: str, name: str) -> None:
        """Remove a table and its rows."""

    @abstractmethod
    def _apply(self, tx: Transaction) -> None:
        """Apply every write of `tx`, or none of them."""

    @abstractmethod
    def materialize(self, rows: ir.Table) -> ir.Table:
        """Compute `rows` once into a temporary table, so that it can be reused."""

    @abstractmethod
    def read_file(
        self, path: Path, *, delimiter: str = ",", quoted: bool = True
    ) -> ir.Table:
        """Read a Parquet file or folder of parts, or a CSV file with a header as text.

        `quoted=False` reads CSV with no quote character (Athena's files).
        """

    @abstractmethod
    def write_file(self, rows: ir.Table, path: Path) -> None:
        """Write rows to one Parquet or CSV file, by the path's suffix."""

    def from_arrow(self, data: pa.Table) -> ir.Table:
        """An Arrow table as an Ibis table on this engine."""
        return ibis.memtable(data)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Collect writes; apply them together when the block ends without error."""
        tx = Transaction()
        yield tx
        if tx.writes:
            self._apply(tx)

    def close(self) -> None:
        self.con.disconnect()
