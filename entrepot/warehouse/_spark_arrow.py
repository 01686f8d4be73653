"""Ibis's PySpark backend, reading results through Spark's own Arrow path.

Ibis's `to_pyarrow` on PySpark goes through pandas, which turns a nullable
bigint column into doubles: 18-digit ids (pseudonyms, visit ids) come back
rounded. Spark's `toArrow` keeps every type as it is.
"""

from __future__ import annotations

import ibis
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


def connect(session) -> ArrowBackend:
    if ibis.options.pyspark is None:  # set when Ibis loads a backend by its name
        ArrowBackend.register_options()
    return ArrowBackend().connect(session)
