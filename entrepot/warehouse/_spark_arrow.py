"""Ibis's PySpark backend, reading results through Spark's own Arrow path.

Ibis's `to_pyarrow` on PySpark goes through pandas, which turns a nullable
bigint column into doubles: 18-digit ids (pseudonyms, visit ids) come back
rounded. Spark's `toArrow` keeps every type as it is. Ibis's
`to_pyarrow_batches` collects the whole result first; here the executors'
Arrow batches come to the driver one partition at a time.
"""

from __future__ import annotations

import ibis
import pyarrow as pa
from ibis.backends.pyspark import Backend
from ibis.formats.pyarrow import PyArrowData


class ArrowBackend(Backend):
    def to_pyarrow(self, expr, /, *, params=None, limit=None, **kwargs):
        self._run_pre_execute_hooks(expr)
        table = expr.as_table()
        sql = self.compile(table, params=params, limit=limit, **kwargs)
        with self._safe_raw_sql(sql) as query:
            arrow = query.toArrow()
        return expr.__pyarrow_result__(PyArrowData.convert_table(arrow, table.schema()))

    def to_pyarrow_batches(
        self, expr, /, *, params=None, limit=None, chunk_size=1_000_000, **kwargs
    ):
        from pyspark.sql.pandas.types import to_arrow_schema

        self._run_pre_execute_hooks(expr)
        table = expr.as_table()
        frame = self.raw_sql(self.compile(table, params=params, limit=limit, **kwargs))
        written = to_arrow_schema(
            frame.schema,
            error_on_duplicated_field_names_in_struct=True,
            prefers_large_types=self._session._jconf.arrowUseLargeVarTypes(),
        )
        schema = table.schema()
        shown = PyArrowData.convert_table(written.empty_table(), schema).schema

        def batches():
            parts = frame._jdf.toArrowBatchRdd().toJavaRDD().toLocalIterator()
            while parts.hasNext():
                batch = pa.ipc.read_record_batch(pa.py_buffer(parts.next()), written)
                rows = PyArrowData.convert_table(pa.Table.from_batches([batch]), schema)
                yield from rows.to_batches(max_chunksize=chunk_size)

        return pa.RecordBatchReader.from_batches(shown, batches())


def connect(session) -> ArrowBackend:
    if ibis.options.pyspark is None:  # set when Ibis loads a backend by its name
        ArrowBackend.register_options()
    return ArrowBackend().connect(session)
