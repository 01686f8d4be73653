"""The default engine: one embedded DuckDB file, with real transactions.

Statements other than Ibis expressions (deletes, temporary tables, drops) are
DuckDB's own, with bound values: none is built by sqlglot, whose output for
some of them changed between releases (`DROP TABLE` lost its name in 30.19).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.operations as ops
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.warehouse._connect import connect
from entrepot.warehouse._phases import phase
from entrepot.warehouse._shapes import shaped_sql
from entrepot.warehouse._store import Store, Transaction, Write, pause_point

_temp_names = itertools.count()
_creating = threading.Lock()  # tables are made one at a time in this process
_FEW_ROWS = 100  # Arrow rows inserted as bound values, not scanned


def _quoted(*names: str) -> str:
    """A table or column name, quoted (parts joined by dots)."""
    return ".".join('"' + n.replace('"', '""') + '"' for n in names)


@dataclass(frozen=True, eq=False)
class _Statement:
    """An expression compiled to DuckDB's SQL once, to run again, on any
    connection to the database (the expression is held: its in-memory tables
    stay registered while it lives, and are registered on another connection
    before it runs there)."""

    sql: str
    schema: ibis.Schema
    rows: ir.Table
    memtables: bool = False

    def ready(self, con) -> str:
        """Its SQL, its in-memory tables registered on `con`."""
        if self.memtables:
            con._run_pre_execute_hooks(self.rows)
        return self.sql


class DuckDBStore(Store):
    """CDM tables in schema `main` (as OMOP tools expect), the rest beside them."""

    def __init__(
        self,
        path: Path,
        *,
        read_only: bool = False,
        con: ibis.BaseBackend | None = None,
    ) -> None:
        self.path = path
        self.read_only = read_only
        self.con = con or connect(path, read_only)
        self.database = ("duckdb", str(Path(path).resolve()))
        self._schemas = {"cdm": "main", "results": "results", "entrepot": "entrepot"}
        self._catalog = self.con.current_catalog

    def reader(self) -> DuckDBStore:
        """A connection of its own to the same database (DuckDB runs the
        queries of a process's connections in parallel, each in its own
        transactions); closed with this one."""
        cursor = ibis.duckdb.from_connection(self.con.con.cursor())
        store = DuckDBStore(self.path, read_only=self.read_only, con=cursor)
        store.outdated = self.outdated
        return store

    def _db(self, schema: str) -> tuple[str, str]:
        """Catalog and schema: always both, as a file named entrepot.duckdb
        makes a catalog `entrepot` beside our schema `entrepot`."""
        return self._catalog, self._schemas[schema]

    def list_tables(self, schema: str) -> list[str]:
        catalog, db = self._db(schema)
        rows = self.con.raw_sql(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = ? AND table_catalog = ?",
            parameters=[db, catalog],
        ).fetchall()
        return sorted(r[0] for r in rows)

    def table(self, schema: str, name: str) -> ir.Table:
        return self.con.table(name, database=self._db(schema))

    def _create_table(self, schema: str, name: str, columns: ibis.Schema) -> None:
        """Create the table, unless another connection of this process (a
        `reader`'s) made it since its caller looked."""
        catalog, db = self._db(schema)
        with _creating:
            if name in self.list_tables(schema):
                return
            if db != "main":
                self.con.raw_sql(f'CREATE SCHEMA IF NOT EXISTS "{catalog}"."{db}"')
            self.con.create_table(name, schema=columns, database=(catalog, db))

    def _drop_table(self, schema: str, name: str) -> None:
        self.con.raw_sql(f"DROP TABLE IF EXISTS {_quoted(*self._db(schema), name)}")

    def _apply(self, tx: Transaction) -> None:
        if self._in_transaction:  # inside `migrating`: its transaction
            self._write_all(tx)
            return
        self.con.raw_sql("BEGIN TRANSACTION")
        try:
            self._write_all(tx)
        except BaseException:
            self.con.raw_sql("ROLLBACK")
            raise
        with phase("commit"):
            self.con.raw_sql("COMMIT")

    def _write_all(self, tx: Transaction) -> None:
        for write in tx.writes:
            with phase(f"{write.kind} {write.name}"):
                self._write(write)

    transactional = True
    _in_transaction = False
    _changes = 0  # writes made in the current `_atomic` block (`pause_point`)

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        if self._in_transaction:  # `atomic` inside `migrating`: its transaction
            yield
            return
        self.con.raw_sql("BEGIN TRANSACTION")
        self._in_transaction, self._changes = True, 0
        try:
            yield
        except BaseException:
            self.con.raw_sql("ROLLBACK")
            raise
        finally:
            self._in_transaction = False
        with phase("commit"):
            self.con.raw_sql("COMMIT")

    def checkpoint(self) -> None:
        self.con.raw_sql("CHECKPOINT")

    def files(self) -> list[Path]:
        return [self.path]

    def _write(self, write: Write) -> None:
        """One write; rows go to the table's columns of the same names (as on
        Spark), the others null."""
        if self._in_transaction:
            self._changes += 1
            pause_point(self._changes, Path(f"{self.path}.paused"))
        target = _quoted(*self._db(write.schema), write.name)
        if write.kind == "delete":
            where = " AND ".join(f"{_quoted(c)} = ?" for c in write.where)
            self.con.raw_sql(
                f"DELETE FROM {target} WHERE {where}",
                parameters=list(write.where.values()),
            )
            return
        if write.kind == "delete_in":
            values = self.prepare(write.rows.select(write.column))
            column = _quoted(write.column)
            self.con.raw_sql(
                f"DELETE FROM {target} WHERE {column} IN "
                f"(SELECT {column} FROM ({values.sql}))"
            )
            return
        if write.kind == "replace":
            self.con.raw_sql(f"DELETE FROM {target}")
        if isinstance(write.rows, pa.Table):
            self._insert_arrow(target, write.rows)
            return
        rows = write.rows
        if not isinstance(rows, _Statement):
            rows = self.prepare(rows)
        self.con.raw_sql(f"INSERT INTO {target} BY NAME {rows.ready(self.con)}")

    def _insert_arrow(self, target: str, rows: pa.Table) -> None:
        """A few rows as bound values; more scanned from Arrow by DuckDB."""
        if rows.num_rows > _FEW_ROWS:
            view = f"_entrepot_arrow_{next(_temp_names)}"
            self.con.con.register(view, rows)
            try:
                self.con.raw_sql(
                    f"INSERT INTO {target} BY NAME SELECT * FROM {_quoted(view)}"
                )
            finally:
                self.con.con.unregister(view)
            return
        if rows.num_rows == 0:
            return
        row = "(" + ", ".join("?" * rows.num_columns) + ")"
        self.con.raw_sql(
            f"INSERT INTO {target} ({', '.join(map(_quoted, rows.column_names))})"
            f" VALUES {', '.join([row] * rows.num_rows)}",
            parameters=[v for r in rows.to_pylist() for v in r.values()],
        )

    keeps_prepared = True  # SQL naming tables that stay where they are

    def prepare(self, rows: ir.Table) -> _Statement:
        self.con._run_pre_execute_hooks(rows)  # registers in-memory tables
        memtables = bool(rows.op().find(ops.InMemoryTable))
        # in-memory tables are new each time: no shape to reuse, rows to hold
        sql = self.con.compile(rows) if memtables else shaped_sql(self, rows)
        return _Statement(sql, rows.schema(), rows, memtables)

    def fetch(self, rows: ir.Table | _Statement) -> pa.Table:
        if isinstance(rows, _Statement):
            return self.con.raw_sql(rows.ready(self.con)).to_arrow_table()
        return self.con.to_pyarrow(rows)

    def _keep(self, name: str, rows: ir.Table | _Statement) -> ir.Table:
        if not isinstance(rows, _Statement):
            return self.con.create_table(name, rows, temp=True)
        sql = rows.ready(self.con)
        self.con.raw_sql(f"CREATE TEMPORARY TABLE {_quoted(name)} AS {sql}")
        return ops.DatabaseTable(
            name,
            schema=rows.schema,
            source=self.con,
            namespace=ops.Namespace(catalog="temp", database="main"),
        ).to_expr()  # as `con.table` would give, without asking for the schema

    def _release(self, name: str) -> None:
        self.con.raw_sql(f"DROP TABLE IF EXISTS {_quoted('temp', 'main', name)}")

    def materialize(self, rows: ir.Table) -> ir.Table:
        """Compiled once, its schema known: Ibis's `create_table` would ask
        the engine for its catalog, database and the new table's schema."""
        return self._keep(f"_entrepot_tmp_{next(_temp_names)}", self.prepare(rows))

    def read_file(
        self, path: Path, *, delimiter: str = ",", quoted: bool = True
    ) -> ir.Table:
        if path.is_dir():  # a folder of Parquet parts
            return self.con.read_parquet(str(path / "*.parquet"))
        if path.suffix == ".parquet":
            return self.con.read_parquet(path)
        return self.con.read_csv(
            path,
            all_varchar=True,
            header=True,
            delim=delimiter,
            quote='"' if quoted else "",
        )

    def write_file(self, rows: ir.Table, path: Path) -> None:
        if path.suffix == ".parquet":
            self.con.to_parquet(rows, path)
        else:
            self.con.to_csv(rows, path, header=True)
