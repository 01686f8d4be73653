"""What the warehouse needs from an engine: tables, atomic writes, files.

Queries are Ibis expressions, the same on every engine; only storage differs
(a DuckDB file with transactions, or folders of Parquet for Spark).
"""

from __future__ import annotations

import os
import time
import warnings
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from entrepot.errors import WarehouseRevisionError
from entrepot.warehouse._prepared import forget as forget_prepared

#: Logical schemas: the CDM's own tables, analysis results, entrepot's bookkeeping.
SCHEMAS = ("cdm", "results", "entrepot")
#: An expression as `Store.prepare` compiled it for the engine.
Prepared = object
#: Test hook: the Nth change of an atomic block (or a named step of it,
#: `_beside.STAGED`) waits there to be killed.
PAUSE_AFTER = "ENTREPOT_PAUSE_AFTER"


def pause_point(changes: int | str, marker: Path) -> None:
    """With $ENTREPOT_PAUSE_AFTER=N, a block's Nth change (a table's write
    on DuckDB, a file or folder replaced or added on Spark), or the step
    named N, writes `marker` and waits, so that a test kills the process
    there; else nothing."""
    if os.environ.get(PAUSE_AFTER) == str(changes):
        marker.write_text(str(os.getpid()))
        time.sleep(3600)


@dataclass(frozen=True)
class Write:
    """One write of a transaction: rows appended or replacing a table's (to
    its columns of the same names, the others null), or the rows whose
    columns equal `where` deleted, or those whose `column` is among the
    values of `rows`' column of that name ("delete_in")."""

    schema: str
    name: str
    kind: str  # "append", "replace", "delete" or "delete_in"
    rows: ir.Table | pa.Table | Prepared | None = None
    where: Mapping[str, object] | None = None
    column: str | None = None


@dataclass
class Transaction:
    """Writes collected inside `Store.transaction()`, applied all or nothing, in order."""

    writes: list[Write] = field(default_factory=list)

    def append(
        self, schema: str, name: str, rows: ir.Table | pa.Table | Prepared
    ) -> None:
        self.writes.append(Write(schema, name, "append", rows))

    def replace(self, schema: str, name: str, rows: ir.Table | pa.Table) -> None:
        self.writes.append(Write(schema, name, "replace", rows))

    def delete(self, schema: str, name: str, where: Mapping[str, object]) -> None:
        """Delete the rows whose columns equal these values (names in any case)."""
        if not where:
            raise ValueError("a delete names at least one column")
        self.writes.append(Write(schema, name, "delete", where=dict(where)))

    def delete_in(self, schema: str, name: str, column: str, values: ir.Table) -> None:
        """Delete the rows whose `column` is one of `values`' column of that name."""
        self.writes.append(Write(schema, name, "delete_in", values, column=column))


class Temporary:
    """Tables computed once for a block (`Store.temporary()`), then dropped."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self.names: list[str] = []

    def keep(self, name: str, rows: ir.Table | Prepared) -> ir.Table:
        """Compute `rows` into the temporary table `name` (expressions may
        name it with `ibis.table(schema, name)`); the table."""
        self.names.append(name)
        return self._store._keep(name, rows)


class Store(ABC):
    """One engine's storage under the warehouse."""

    con: ibis.BaseBackend
    read_only: bool = False
    #: Why this warehouse may be read but not written (an older schema
    #: revision, `_revision`), or None. Audit entries are still appended.
    outdated: str | None = None
    #: Called once, when entrepot creates its first table in a database that
    #: had none of them (records the schema revision), or None.
    stamp: Callable[[], None] | None = None
    #: Whether what `prepare` gives stays valid while the tables it reads
    #: keep their columns (worth keeping for the next run, `_prepared`).
    keeps_prepared: bool = False
    #: The database its statements run on (where `keeps_prepared`): stores
    #: with the same one share what they prepared.
    database: object = None

    def reader(self) -> Store | None:
        """Another store on the same open database, whose queries run beside
        this one's (in another thread), or None where the engine has only
        this one (Spark: one session, which runs each query in parallel)."""
        return None

    @abstractmethod
    def list_tables(self, schema: str) -> list[str]:
        """Names of the tables in a logical schema, as stored."""

    @abstractmethod
    def table(self, schema: str, name: str) -> ir.Table:
        """An existing table, as stored (column names untouched)."""

    def create_table(self, schema: str, name: str, columns: ibis.Schema) -> None:
        """Create an empty table."""
        self._writable()
        self._create_table(schema, name, columns)
        if schema == "entrepot" and self.stamp is not None:
            stamp, self.stamp = self.stamp, None
            stamp()

    def drop_table(self, schema: str, name: str) -> None:
        """Remove a table and its rows."""
        self._writable()
        self._drop_table(schema, name)
        forget_prepared(self)

    def _writable(self, writes: list[Write] | None = None) -> None:
        """Refuse writes to an outdated warehouse, but audit entries."""
        audit = writes and all(
            (w.schema, w.name, w.kind) == ("entrepot", "audit_log", "append")
            for w in writes
        )
        if self.outdated is not None and not audit:
            raise WarehouseRevisionError(self.outdated)

    @abstractmethod
    def _create_table(self, schema: str, name: str, columns: ibis.Schema) -> None:
        """Create an empty table."""

    @abstractmethod
    def _drop_table(self, schema: str, name: str) -> None:
        """Remove a table and its rows."""

    @abstractmethod
    def _apply(self, tx: Transaction) -> None:
        """Apply every write of `tx`, or none of them."""

    @abstractmethod
    def _keep(self, name: str, rows: ir.Table | Prepared) -> ir.Table:
        """Compute rows into a temporary table of that name."""

    @abstractmethod
    def _release(self, name: str) -> None:
        """Drop a temporary table made by `_keep`."""

    def prepare(self, rows: ir.Table) -> ir.Table | Prepared:
        """`rows` compiled for this engine, to run with `fetch` or `Temporary.keep`."""
        return rows

    def fetch(self, rows: ir.Table | Prepared) -> pa.Table:
        """The rows of an expression, or of what `prepare` gave."""
        return self.con.to_pyarrow(rows)

    @contextmanager
    def temporary(self) -> Iterator[Temporary]:
        """Temporary tables for the block, dropped when it ends. A table that
        cannot be dropped is a warning: what the block committed stands, and
        its outcome is reported as it is."""
        scratch = Temporary(self)
        try:
            yield scratch
        finally:
            for name in scratch.names:
                try:
                    self._release(name)
                except Exception as e:  # noqa: BLE001 - scratch space only
                    warnings.warn(
                        f"temporary table {name} not dropped: {e}", stacklevel=3
                    )

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

    def unique_bounds(self, column: ir.IntegerColumn) -> tuple[int, int] | None:
        """(lowest, highest) value of an integer column proven free of nulls
        and repeats, else None (repeats or nulls, or not proven).

        An engine in this process streams the column once and proves it when
        the values strictly increase (distinct whatever order they come in),
        in bounded memory and without counting every value.
        """
        first = last = None
        for batch in column.as_table().to_pyarrow_batches(chunk_size=1 << 20):
            values = batch.column(0)
            if values.null_count:
                return None
            values = values.to_numpy()
            if not len(values):
                continue
            if last is not None and values[0] <= last or (np.diff(values) <= 0).any():
                return None
            first = int(values[0]) if first is None else first
            last = int(values[-1])
        return None if first is None else (first, last)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """Collect writes; apply them together when the block ends without error."""
        tx = Transaction()
        yield tx
        if tx.writes:
            self._writable(tx.writes)
            self._apply(tx)
            if any(w.kind == "replace" for w in tx.writes):
                forget_prepared(self)  # a table rewritten whole

    @contextmanager
    def migrating(self) -> Iterator[None]:
        """Writes allowed to an outdated warehouse, in one transaction where
        the engine has them (`transactional`); elsewhere the caller restores
        a snapshot if the block fails."""
        outdated, self.outdated = self.outdated, None
        try:
            with self._atomic():
                yield
        except BaseException:
            self.outdated = outdated
            raise

    #: Whether `migrating` makes its block one transaction.
    transactional: bool = False
    #: What runs once the current `atomic` block commits (None: no block).
    _committed: list[tuple[Callable, Callable | None]] | None = None

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Every write of the block (its transactions, the tables it makes or
        drops) committed together, or none of them: on DuckDB one
        transaction, on Spark each table's previous files kept and put back
        if the block fails. A block inside another is part of it."""
        if self._committed is not None:
            yield
            return
        self._committed = []
        try:
            with self._atomic():
                yield
        except BaseException:
            ended, self._committed = self._committed, None
            for _, otherwise in ended:
                if otherwise is not None:
                    otherwise()
            raise
        done, self._committed = self._committed, None
        for step, _ in done:
            step()

    def after_commit(
        self,
        step: Callable[[], None],
        *,
        otherwise: Callable[[], None] | None = None,
    ) -> None:
        """Run `step` once the writes made so far are committed: at once, or
        when the `atomic` block around them ends without error (a record
        kept outside the warehouse, such as the audit anchor); `otherwise`
        when the block fails instead."""
        if self._committed is None:
            step()
        else:
            self._committed.append((step, otherwise))

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        yield

    @abstractmethod
    def checkpoint(self) -> None:
        """Make the stored files hold every committed write (a DuckDB file
        keeps recent ones in its write-ahead log)."""

    @abstractmethod
    def files(self) -> list[Path]:
        """The files and folders that hold the tables, to copy for a backup
        while this store holds the warehouse."""

    def close(self) -> None:
        self.con.disconnect()
