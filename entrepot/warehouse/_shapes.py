"""DuckDB statements compiled once per shape, their values filled in.

Compiling an Ibis expression (its rewrites, then sqlglot) costs more than
running it on DuckDB, and a cohort counted with new concept ids, thresholds
or day offsets has the shape of one counted before. A statement's shape is
its expression with the values it compares with (the literals of
comparisons, ranges and `isin` lists) and the names of its temporary tables
taken out as numbered slots; the shape is compiled once per database
(`_prepared`), and each statement's own values are written into its SQL as
the compiler writes them, so that the SQL is the same text as compiling the
expression itself would give.
"""

from __future__ import annotations

import re
import secrets

import ibis.expr.datashape as ds
import ibis.expr.datatypes as dt
import ibis.expr.operations as ops
import ibis.expr.types as ir
import sqlglot as sg
import sqlglot.expressions as sge
from ibis.backends.sql.compilers.duckdb import DuckDBCompiler

from entrepot.warehouse._prepared import prepared

#: Markers carry a secret of the process, so that no string a user wrote (a
#: search term, a label: literals the shape keeps) can be taken for one.
_MARK = f"__entrepot_slot_{secrets.token_hex(8)}_"
_SLOT = re.compile(re.escape(_MARK) + r"(\d+)__")
_COMPARED = (ops.Comparison, ops.Between)


class Slot(ops.Scalar):
    """A value taken out of a statement's shape, numbered."""

    index: int
    dtype: dt.DataType
    shape = ds.scalar


class _Compiler(DuckDBCompiler):
    """DuckDB's compiler, writing a slot as a marker to fill in."""

    def visit_Slot(self, op, *, index, dtype):  # noqa: ARG002 - Ibis passes args
        return sge.Var(this=f"{_MARK}{index}__")


_compiler = _Compiler()


def shaped_sql(store, rows: ir.Table) -> str:
    """The SQL of `rows` on DuckDB: its shape compiled once per database."""
    shape, fills = _shape(rows.op())
    template = prepared(store, ("shape", shape), lambda: _compile(shape))
    texts = [_text(fill) for fill in fills]
    return _SLOT.sub(lambda m: texts[int(m.group(1))], template)


def _shape(op: ops.Relation) -> tuple[ops.Relation, list]:
    """`op` with its compared literals, `isin` lists and temporary tables'
    names as slots; what each slot stands for (literals, or a table name)."""
    fills: list = []

    def slot(fill) -> int:
        fills.append(fill)
        return len(fills) - 1

    def take(node, kwargs):
        if isinstance(node, ops.DatabaseTable):  # the same on every connection
            name = node.name
            if node.namespace.catalog == "temp":
                name = f"{_MARK}{slot(name)}__"
            return node.copy(name=name, source=None)
        args = kwargs or dict(zip(node.__argnames__, node.__args__, strict=True))
        if isinstance(node, ops.InValues) and _values(args["options"]):
            options = args["options"]
            args = args | {"options": (Slot(slot(options), options[0].dtype),)}
        elif isinstance(node, _COMPARED):
            args = {
                k: Slot(slot((v,)), v.dtype) if _values((v,)) else v
                for k, v in args.items()
            }
        else:
            return node.__recreate__(kwargs) if kwargs else node
        return node.__recreate__(args)

    return op.replace(take), fills


def _values(options) -> bool:
    """Whether these are literal values (not none), one at least."""
    return bool(options) and all(
        isinstance(o, ops.Literal) and o.value is not None for o in options
    )


def _compile(shape: ops.Relation) -> str:
    """The SQL of a shape, its slots as markers."""
    query = _compiler.to_sqlglot(shape.to_expr())
    return query.sql(
        dialect=_compiler.dialect, copy=False, unsupported_level=sg.ErrorLevel.RAISE
    )


def _text(fill) -> str:
    """A slot's SQL: a table's name, or literals as the compiler writes them."""
    if isinstance(fill, str):
        return fill
    dialect = _compiler.dialect
    return ", ".join(
        _compiler.visit_Literal(v, value=v.value, dtype=v.dtype).sql(dialect=dialect)
        for v in fill
    )
