"""Spark engine: each table a folder of Parquet files under the warehouse root.

Tables are registered as temporary views in the session, so several warehouses
can share one session. A write is staged in full, then committed by renaming
files into place. Inside an `atomic` block (and each transaction is one), the
files a commit replaces are kept aside, and those it adds listed, until the
block ends: a failure puts every table back as it was. The list is also a
journal on disk (`_staging/<unit>.journal`, each change written before it is
made, the file locked while the block runs), removed when the block commits:
a process killed inside a block leaves it, and the next open rolls the block
back (`recover`) before anything reads.
"""

from __future__ import annotations

import fcntl
import itertools
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.errors import MissingDependencyError, ParameterError
from entrepot.warehouse._store import SCHEMAS, Store, Transaction, pause_point

_instances = itertools.count()
#: Spark's log level in the sessions entrepot starts (WARN, INFO... to debug).
LOG_LEVEL = "ERROR"
LOG_LEVEL_ENV = "ENTREPOT_SPARK_LOG_LEVEL"
LOG_LEVELS = ("OFF", "FATAL", "ERROR", "WARN", "INFO", "DEBUG", "TRACE", "ALL")
SHUFFLE_PARTITIONS = "spark.sql.shuffle.partitions"
LOCAL_SHUFFLE_PARTITIONS = "8"
log = logging.getLogger(__name__)


def _matches(rows: ir.Table, where: dict[str, object]) -> ir.BooleanValue:
    """Rows whose columns (named in any case) equal these values; never null."""
    columns = {c.lower(): c for c in rows.columns}
    return ibis.and_(
        *(rows[columns[c.lower()]] == v for c, v in where.items())
    ).fill_null(False)


def _column(rows: ir.Table, name: str) -> str:
    """A column of `rows` named in any case."""
    return {c.lower(): c for c in rows.columns}[name.lower()]


def spark_session(master: str = "local[*]"):
    """The active Spark session, or a new one set up for a warehouse, logging
    only errors unless $ENTREPOT_SPARK_LOG_LEVEL says otherwise. Spark's own
    configuration (spark-defaults.conf in $SPARK_CONF_DIR) applies; on a local
    master, shuffles have LOCAL_SHUFFLE_PARTITIONS partitions unless it says
    otherwise (a cluster keeps Spark's default, sized for many cores)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as e:
        raise MissingDependencyError(
            "Spark warehouses need PySpark: pip install 'entrepot[spark]'"
        ) from e
    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    level = (os.environ.get(LOG_LEVEL_ENV) or LOG_LEVEL).upper()
    if level not in LOG_LEVELS:
        raise ParameterError(
            f"{LOG_LEVEL_ENV}={level}: use one of {', '.join(LOG_LEVELS)}"
        )
    session = (
        SparkSession.builder.master(master)
        .appName("entrepot")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .getOrCreate()
    )
    configured = session.sparkContext.getConf()  # spark-defaults.conf, --conf
    if master.startswith("local") and not configured.contains(SHUFFLE_PARTITIONS):
        session.conf.set(SHUFFLE_PARTITIONS, LOCAL_SHUFFLE_PARTITIONS)
    session.sparkContext.setLogLevel(level)
    return session


class SparkStore(Store):
    """Tables as `<root>/<schema>/<table>/*.parquet`."""

    def __init__(self, root: Path, session) -> None:
        self.root = root
        self.session = session
        from entrepot.warehouse import _spark_arrow

        self.con = _spark_arrow.connect(session)
        self._prefix = f"entrepot{next(_instances)}_{uuid.uuid4().hex[:6]}"
        self._views: dict[tuple[str, str], ir.Table] = {}
        self._temp = itertools.count()
        self._scratch: list[tuple[str, object]] = []  # (view, frame) to release
        self._kept: dict[str, object] = {}  # temporary tables: name -> frame
        self._undo: list[tuple[Path, Path | None]] | None = None  # `_atomic`'s
        self._aside = root / "_staging"  # where `_atomic` keeps replaced files
        self._journal = None  # the open, locked journal of `_atomic`'s block
        recover(root)

    def _dir(self, schema: str, name: str) -> Path:
        return self.root / schema / name

    def list_tables(self, schema: str) -> list[str]:
        folder = self.root / schema
        if not folder.is_dir():
            return []
        return sorted(p.name for p in folder.iterdir() if p.is_dir())

    def table(self, schema: str, name: str) -> ir.Table:
        key = (schema, name)
        if key not in self._views:
            path = self._dir(schema, name)
            if not path.is_dir():
                raise FileNotFoundError(path)
            view = f"{self._prefix}_{schema}_{name}"
            self.session.read.parquet(str(path)).createOrReplaceTempView(view)
            self._views[key] = self.con.table(view)
        return self._views[key]

    def _create_table(self, schema: str, name: str, columns: ibis.Schema) -> None:
        import pyarrow.parquet as pq

        folder = self._dir(schema, name)
        if folder.exists():
            raise FileExistsError(folder)
        self._undone(folder, None)
        folder.mkdir(parents=True)
        arrow = pa.schema(
            pa.field(f.name, pa.timestamp("us", tz="UTC"))
            if pa.types.is_timestamp(f.type)
            else f
            for f in columns.to_pyarrow()
        )  # Spark's TIMESTAMP is UTC-adjusted
        pq.write_table(arrow.empty_table(), folder / "part-empty.parquet")

    def _drop_table(self, schema: str, name: str) -> None:
        self._forget(schema, name)
        folder = self._dir(schema, name)
        if folder.is_dir():
            self._set_aside(folder)

    @contextmanager
    def _atomic(self) -> Iterator[None]:
        """Keep what each commit replaces or adds; undo it all if the block
        fails, else delete what was kept. A block inside another joins it.
        Its journal is made (and locked) first: what the block stages or
        keeps aside (`<unit>-staged`, `<unit>-aside`) is never left behind.
        Should putting back fail too, the journal and what was kept stay in
        `_staging`, for the next open to put back."""
        if self._undo is not None:
            yield
            return
        unit = uuid.uuid4().hex
        staging = self.root / "_staging"
        staging.mkdir(parents=True, exist_ok=True)
        journal = staging / f"{unit}.journal"
        made = journal.with_suffix(".new")  # locked before `recover` can see it
        self._journal = open(made, "a")  # noqa: SIM115 - held until the block ends
        fcntl.flock(self._journal, fcntl.LOCK_EX)  # a live block is not recovered
        made.rename(journal)
        self._undo, self._aside = [], staging / f"{unit}-aside"
        try:
            yield
        except BaseException:
            undo, self._undo = self._undo, None
            put_back = False
            try:
                _put_back(undo)
                put_back = True
            finally:
                for schema, name in list(self._views):  # read the files put back
                    self._forget(schema, name)
                self._finish(journal, put_back)
            raise
        self._undo = None
        self._finish(journal, True)  # committed once the journal is gone

    def _finish(self, journal: Path, done: bool) -> None:
        """Let the block's journal go: `done` (committed or put back), remove
        it, then what was kept aside; else leave both for `recover`."""
        if done:
            journal.unlink()
        self._journal.close()
        self._journal = None
        if done:
            shutil.rmtree(self._aside, ignore_errors=True)

    def _undone(self, path: Path, kept: Path | None) -> None:
        """Record, before it is done, that `path` will be new (`kept` None) or
        replace what `kept` will hold: in the block's list and its journal."""
        if self._undo is None:
            return
        self._undo.append((path, kept))
        entry = [str(p.relative_to(self.root)) if p else None for p in (path, kept)]
        self._journal.write(json.dumps(entry) + "\n")
        self._journal.flush()
        os.fsync(self._journal.fileno())
        pause_point(len(self._undo), self.root.with_name(f"{self.root.name}.paused"))

    def _set_aside(self, folder: Path) -> None:
        """Move a table's folder out of the way: kept until the block ends,
        removed at once outside one."""
        if self._undo is None:
            shutil.rmtree(folder)
            return
        kept = self._aside / str(len(self._undo))
        self._undone(folder, kept)
        self._aside.mkdir(parents=True, exist_ok=True)
        folder.rename(kept)

    def checkpoint(self) -> None:
        """Nothing to do: each commit renames whole Parquet files into place."""

    def files(self) -> list[Path]:
        return [
            self.root / schema for schema in SCHEMAS if (self.root / schema).is_dir()
        ]

    def _forget(self, schema: str, name: str) -> None:
        if self._views.pop((schema, name), None) is not None:
            self.session.catalog.dropTempView(f"{self._prefix}_{schema}_{name}")

    def frame(self, rows: ir.Table):
        """A Spark DataFrame computing `rows`."""
        self.con._run_pre_execute_hooks(rows)  # registers in-memory tables
        return self.session.sql(self.con.compile(rows))

    def _apply(self, tx: Transaction) -> None:
        with self._atomic():  # a commit failing half-way is undone
            unit = self._aside.name.removesuffix("-aside")
            staging = self._aside.with_name(f"{unit}-staged") / uuid.uuid4().hex
            try:
                staged = []
                for i, (schema, name, rows, replace) in enumerate(self._folded(tx)):
                    out = staging / str(i)
                    self.frame(rows).write.parquet(str(out))
                    staged.append((schema, name, self._dir(schema, name), out, replace))
                for schema, name, target, out, replace in staged:
                    self._forget(schema, name)
                    self._commit(target, out, replace)
            finally:
                shutil.rmtree(staging.parent, ignore_errors=True)

    def _folded(self, tx: Transaction) -> list[tuple[str, str, ir.Table, bool]]:
        """One write per table, (schema, name, rows, replace): a table whose
        rows are deleted or replaced is rewritten whole (Parquet has no
        deletes); rows only appended are added as new files. Every file holds
        every column, with the table's types."""
        tables: dict[tuple[str, str], tuple[ir.Table | None, list[ir.Table]]] = {}
        for write in tx.writes:
            key = (write.schema, write.name)
            whole, added = tables.get(key, (None, []))
            if write.kind == "append":
                tables[key] = (whole, [*added, self._typed(key, write.rows)])
            elif write.kind == "replace":
                tables[key] = (self._typed(key, write.rows), [])
            else:
                current = self._union(
                    [self.table(*key) if whole is None else whole, *added]
                )
                kept = (
                    ~current[_column(current, write.column)].isin(
                        write.rows[write.column]
                    )
                    if write.kind == "delete_in"
                    else ~_matches(current, write.where)
                )
                tables[key] = (current.filter(kept.fill_null(True)), [])
        return [
            (
                *key,
                self._union([whole, *added] if whole is not None else added),
                whole is not None,
            )
            for key, (whole, added) in tables.items()
        ]

    def _typed(self, key: tuple[str, str], rows: ir.Table | pa.Table) -> ir.Table:
        """Rows with the stored table's columns and types (missing ones null)."""
        if isinstance(rows, pa.Table):
            rows = self.from_arrow(rows)
        columns = self.table(*key).schema()
        return rows.select(
            *[
                rows[c].cast(t).name(c) if c in rows.columns else ibis.null(t).name(c)
                for c, t in columns.items()
            ]
        )

    @staticmethod
    def _union(parts: list[ir.Table]) -> ir.Table:
        return parts[0] if len(parts) == 1 else ibis.union(*parts, distinct=False)

    def _commit(self, target: Path, staged: Path, replace: bool) -> None:
        if replace:
            self._set_aside(target)
            staged.rename(target)
            return
        tag = uuid.uuid4().hex[:8]
        for part in staged.glob("*.parquet"):
            added = target / f"{tag}-{part.name}"
            self._undone(added, None)
            part.rename(added)

    def _scratch_view(self, frame, kind: str) -> ir.Table:
        """Register `frame` as a temporary view, released when the store closes."""
        view = f"{self._prefix}_{kind}{next(self._temp)}"
        frame.createOrReplaceTempView(view)
        self._scratch.append((view, frame))
        return self.con.table(view)

    def _keep(self, name: str, rows: ir.Table) -> ir.Table:
        frame = self.frame(rows).cache()
        frame.count()
        frame.createOrReplaceTempView(name)
        self._kept[name] = frame
        return self.con.table(name)

    def _release(self, name: str) -> None:
        self.session.catalog.dropTempView(name)
        self._kept.pop(name).unpersist()

    def materialize(self, rows: ir.Table) -> ir.Table:
        frame = self.frame(rows).cache()
        frame.count()
        return self._scratch_view(frame, "tmp")

    def from_arrow(self, data: pa.Table) -> ir.Table:
        """Through Spark's Arrow path: Ibis's pandas route turns nullable integers
        to null; one chunk per column, as Spark dropped the rows of a table
        concatenated from several with empty ones among them."""
        frame = self.session.createDataFrame(data.combine_chunks())
        return self._scratch_view(frame, "arrow")

    def unique_bounds(self, column: ir.IntegerColumn) -> tuple[int, int] | None:
        """(lowest, highest) value of a column free of nulls and repeats, else
        None: one aggregate the executors compute (streaming every value to
        the driver would make it the bottleneck of a load)."""
        found = (
            column.as_table()
            .aggregate(
                values=column.nunique(),  # distinct non-null values
                every=ibis._.count(),
                low=column.min(),
                high=column.max(),
            )
            .to_pyarrow()
            .to_pylist()[0]
        )
        if not found["every"] or found["values"] != found["every"]:
            return None
        return int(found["low"]), int(found["high"])

    def read_file(
        self, path: Path, *, delimiter: str = ",", quoted: bool = True
    ) -> ir.Table:
        if path.is_dir() or path.suffix == ".parquet":  # a file or a folder of parts
            frame = self.session.read.parquet(str(path))
        else:
            frame = self.session.read.csv(
                str(path),
                header=True,
                mode="FAILFAST",
                sep=delimiter,
                quote='"' if quoted else "\u0000",
                escape='"' if quoted else None,
            )
        return self._scratch_view(frame, "file")

    def write_file(self, rows: ir.Table, path: Path) -> None:
        import pyarrow.csv as pacsv
        import pyarrow.parquet as pq

        batches = rows.to_pyarrow_batches()
        if path.suffix == ".parquet":
            with pq.ParquetWriter(path, batches.schema) as writer:
                for batch in batches:
                    writer.write_batch(batch)
        else:
            with pacsv.CSVWriter(path, batches.schema) as writer:
                for batch in batches:
                    writer.write_batch(batch)

    def close(self) -> None:
        """Drop this store's views and free what it cached, so a shared session does not fill up."""
        for schema, name in list(self._views):
            self._forget(schema, name)
        for view, frame in self._scratch:
            self.session.catalog.dropTempView(view)
            frame.unpersist()
        self._scratch.clear()


def _put_back(undo: list[tuple[Path, Path | None]]) -> None:
    """Undo a block's changes, last first: remove what it added, and put
    back what it kept aside. Changes recorded but not made are skipped, so
    putting back twice is the same as once."""
    for path, kept in reversed(undo):
        if kept is not None and not kept.exists():
            continue  # never moved aside, or already put back
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        if kept is not None:
            kept.rename(path)


def recover(root: Path) -> list[str]:
    """Roll back the atomic blocks a killed process left in `root`'s
    `_staging` (their journals; a block still running holds its journal's
    lock and is left alone), each in one line of the log. Returns their ids."""
    recovered = []
    for journal in sorted((root / "_staging").glob("*.journal")):
        with journal.open("r+") as f:
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # another process's block, running
            undo = []
            for line in f.read().splitlines():
                try:
                    path, kept = json.loads(line)
                except ValueError:
                    break  # a line cut short by the kill: its change was not made
                undo.append((root / path, kept and root / kept))
            _put_back(undo)
            unit = journal.name.removesuffix(".journal")
            journal.unlink()
        log.warning(
            "%s: rolled back atomic unit %s, interrupted after %d of its changes",
            root,
            unit,
            len(undo),
        )
        recovered.append(unit)
    for kept in (root / "_staging").glob("*-*"):  # a block's, ended or put back
        if not kept.with_name(kept.name.split("-")[0] + ".journal").exists():
            shutil.rmtree(kept, ignore_errors=True)
    return recovered
