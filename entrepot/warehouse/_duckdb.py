"""The default engine: one embedded DuckDB file, with real transactions."""

from __future__ import annotations

import itertools
from pathlib import Path

import ibis
import ibis.expr.types as ir

from entrepot.warehouse._connect import connect
from entrepot.warehouse._store import Store, Transaction

_temp_names = itertools.count()


class DuckDBStore(Store):
    """CDM tables in schema `main` (as OMOP tools expect), the rest beside them."""

    def __init__(self, path: Path, *, read_only: bool = False) -> None:
        self.path = path
        self.read_only = read_only
        self.con = connect(path, read_only)
        self._schemas = {"cdm": "main", "results": "results", "entrepot": "entrepot"}
        self._catalog = self.con.current_catalog

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

    def create_table(self, schema: str, name: str, columns: ibis.Schema) -> None:
        catalog, db = self._db(schema)
        if db != "main":
            self.con.raw_sql(f'CREATE SCHEMA IF NOT EXISTS "{catalog}"."{db}"')
        self.con.create_table(name, schema=columns, database=(catalog, db))

    def drop_table(self, schema: str, name: str) -> None:
        self.con.drop_table(name, database=self._db(schema), force=True)

    def _apply(self, tx: Transaction) -> None:
        self.con.raw_sql("BEGIN TRANSACTION")
        try:
            for schema, name, rows, replace in tx.writes:
                self.con.insert(
                    name, rows, database=self._db(schema), overwrite=replace
                )
        except BaseException:
            self.con.raw_sql("ROLLBACK")
            raise
        self.con.raw_sql("COMMIT")

    def materialize(self, rows: ir.Table) -> ir.Table:
        return self.con.create_table(
            f"_entrepot_tmp_{next(_temp_names)}", rows, temp=True
        )

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
