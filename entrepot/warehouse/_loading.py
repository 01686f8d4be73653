"""Typed, validated, atomic and idempotent loading of rows into CDM tables.

Each source table is checked in the engine (no row leaves it): values are cast
to the CDM types, required fields and lengths are checked, person_id must
exist, and keys must be unique. Rows already present with the same content
are skipped, so a reload adds nothing. Every other failing row goes to the
`quarantine` table with its reason. All tables of one load are committed
together, or not at all.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.errors import InputFileError, LoadError, first_line
from entrepot.warehouse._phases import phase
from entrepot.warehouse.cdm import Table, cdm_table

_VALUE_SHOWN = 60  # characters of a bad value quoted in its reason


@dataclass
class LoadResult:
    """Rows per table: added, already present (skipped) and quarantined."""

    load_id: str
    loaded: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"loaded": self.loaded, "quarantined": self.quarantined}


def load_order(names: list[str]) -> list[str]:
    """Tables in an order where referenced tables come first."""
    first = ["location", "care_site", "provider", "person"]
    return sorted(
        names, key=lambda n: (first.index(n) if n in first else len(first), n)
    )


def load_tables(
    wh,
    sources: dict[str, ir.Table | pa.Table],
    *,
    names: dict[str, str] | None = None,
    progress=None,
    removing: Removals | None = None,
    appending: list[tuple[str, ir.Table]] = (),
) -> LoadResult:
    """Check and append `sources` (CDM table name → rows) to the warehouse.

    `names` gives each source's file name for messages; `progress(table)` is
    called as each table is checked. In the same transaction, rows are first
    deleted as `removing` says (table → [(column, values)]), and the sources
    are checked against what is left; `appending` adds (bookkeeping table,
    rows) of entrepot's own.
    """
    names = names or {}
    removing = removing or {}
    result = LoadResult(load_id=uuid.uuid4().hex)
    now = datetime.now(UTC).replace(tzinfo=None)
    checked: dict[str, _Checked] = {}
    for name in load_order(list(sources)):
        spec = cdm_table(name)
        rows = sources[name]
        rows = wh.store.from_arrow(rows) if isinstance(rows, pa.Table) else rows
        source = names.get(name, name)
        if progress:
            progress(name)
        persons = None
        if name != "person" and "person_id" in spec.columns:
            persons = _known_persons(
                _remaining(wh, "person", removing), checked.get("person")
            )
        typed = _typed_rows(rows, spec, source)
        target = _remaining(wh, name, removing)
        try:
            with phase(f"check {name}"):
                checked[name] = table = _check(
                    wh, typed, spec, persons, rows.columns, target
                )
        except Exception as e:  # the engine could not read or convert the source
            raise LoadError(f"{source}: {first_line(e)}; nothing was loaded") from e
        result.loaded[name] = table.loaded
        result.skipped[name] = table.skipped
        result.quarantined[name] = table.quarantined
    try:
        _commit(wh, checked, result, now, names, removing, appending)
    except Exception as e:
        raise LoadError(f"commit failed, nothing was loaded: {first_line(e)}") from e
    return result


@dataclass
class _Checked:
    """One source, checked: rows free of any problem, and the others resolved."""

    clear: ir.Table  # rows whose key has no problem (lazy: read again at commit)
    resolved: (
        ir.Table
    )  # the rest, materialized: `_reason` null = good, `_present` = skip
    columns: list[str]  # the columns the source gave; the others stay null
    clear_rows: int
    fixed_rows: int  # resolved rows to append
    skipped: int
    quarantined: int

    @property
    def loaded(self) -> int:
        return self.clear_rows + self.fixed_rows

    def good(self, columns: list[str] | None = None) -> ir.Table:
        """Every row to append: the clear ones and the resolved good ones."""
        columns = columns or self.columns
        clear = self.clear.select(*columns)
        if not self.fixed_rows:  # a union would slow the engine's bulk insert down
            return clear
        r = self.resolved
        fixed = r.filter(r._reason.isnull() & ~r._present).select(*columns)
        return clear.union(fixed.cast(clear.schema()))


#: Rows to delete before a load: table → [(column, one-column table of values)].
Removals = dict[str, list[tuple[str, ir.Table]]]


def _remaining(wh, name: str, removing: Removals) -> ir.Table:
    """A table less the rows that `removing` deletes from it."""
    t = wh.table(name)
    for column, values in removing.get(name, []):
        t = t.filter(~t[column].isin(values[column]))
    return t


def _known_persons(person: ir.Table, loading: _Checked | None) -> ir.Table:
    """person_ids already in the warehouse or accepted in this load."""
    existing = person.select("person_id")
    if loading is None:
        return existing
    return existing.union(loading.good(["person_id"]))


def _check(
    wh,
    typed: ir.Table,
    spec: Table,
    persons: ir.Table | None,
    source_columns: list[str],
    target: ir.Table,
) -> _Checked:
    """Find the few rows with a problem; the rest is appended as it is.

    A row has a problem when a check failed, when its key repeats in the
    source, or when its key is already in the warehouse. Only those rows are
    materialized and resolved, so a clean load costs one light extra pass.
    """
    key = list(spec.key)
    bounds = (
        wh.store.unique_bounds(typed[key[0]])
        if len(key) == 1 and typed[key[0]].type().is_integer()
        else None
    )
    rows = typed
    if persons is not None:
        pid = rows.person_id
        rows = rows.mutate(
            _reason=ibis.coalesce(
                rows._reason,
                ibis.ifelse(
                    pid.notnull() & ~pid.isin(persons.person_id),
                    ibis.literal("person_id ").concat(
                        pid.cast("string"), " is not in person"
                    ),
                    None,
                ),
            )
        )
    if bounds is None:  # keys not proven unique: count them to find repeats
        repeated = typed.select(*key).group_by(key).aggregate(_n=ibis._.count())
        repeated = repeated.filter(repeated._n > 1).select(
            *key, _repeated=ibis.literal(True)
        )
        rows = rows.left_join(repeated, key).select(*rows.columns, "_repeated")
    present, may_be_known = _target_rows(target, key, bounds)
    if may_be_known:
        known = (  # only the source's keys: never a whole table's distinct keys
            target.select(*key)
            .semi_join(typed.select(*key), key)
            .distinct()
            .mutate(_known=ibis.literal(True))
        )
        rows = rows.left_join(known, key).select(*rows.columns, "_known")
    flags = [
        rows[c].notnull()
        for c in ("_reason", "_repeated", "_known")
        if c in rows.columns
    ]
    problems = wh.store.materialize(
        rows.filter(ibis.or_(*flags)).select(*typed.columns)
    )
    problem_rows = int(problems.count().to_pyarrow().as_py())
    clear = typed.filter(ibis.and_(*[typed[k].notnull() for k in key]))
    resolved, stats = problems, {}  # a clean source: nothing to resolve
    if problem_rows:
        clear = clear.anti_join(problems.select(*key).distinct(), key)
        resolved = wh.store.materialize(
            _mark_present(target, _dedupe(problems, spec.key), spec, present)
        )
        stats = (
            resolved.aggregate(
                bad=resolved._reason.notnull().sum(),
                skipped=(resolved._reason.isnull() & resolved._present).sum(),
                good=(resolved._reason.isnull() & ~resolved._present).sum(),
            )
            .to_pyarrow()
            .to_pylist()[0]
        )
    given = [c for c in typed.columns if c in {n.lower() for n in source_columns}]
    return _Checked(
        clear=clear.drop("_reason"),
        resolved=resolved,
        columns=given,
        clear_rows=int(typed.count().to_pyarrow().as_py()) - problem_rows,
        fixed_rows=int(stats.get("good") or 0),
        skipped=int(stats.get("skipped") or 0),
        quarantined=int(stats.get("bad") or 0),
    )


def _target_rows(
    target: ir.Table, key: list[str], bounds: tuple[int, int] | None
) -> tuple[int, bool]:
    """The rows of the target table, and whether some keys of the source (its
    `bounds`, when known) may be among them; counted in one pass."""
    if bounds is None:
        present = int(target.count().to_pyarrow().as_py())
        return present, bool(present)
    column = target[key[0]]
    row = (
        target.aggregate(n=target.count(), low=column.min(), high=column.max())
        .to_pyarrow()
        .to_pylist()[0]
    )
    known = bool(row["n"]) and not (bounds[1] < row["low"] or bounds[0] > row["high"])
    return int(row["n"]), known


def _typed_rows(raw: ir.Table, spec: Table, source: str) -> ir.Table:
    """Rows typed as the CDM says, with `_reason`: why a row fails, or null."""
    columns = {c.lower(): raw[c] for c in raw.columns}
    unknown = sorted(set(columns) - set(spec.columns))
    if unknown:
        raise InputFileError(
            f"{source}: unknown column(s) for {spec.name}: {', '.join(unknown)}"
        )
    missing = [f.name for f in spec.fields if f.required and f.name not in columns]
    if missing:
        raise InputFileError(
            f"{source}: missing required column(s): {', '.join(missing)}"
        )

    typed: dict[str, ir.Value] = {}
    reasons: list[ir.StringValue] = []
    for f in spec.fields:
        if f.name not in columns:
            typed[f.name] = ibis.null(f.dtype)
            continue
        value, reason = _typed(columns[f.name], f.name, f.dtype, source)
        typed[f.name] = value
        if reason is not None:
            reasons.append(reason)
        if f.required:
            reasons.append(
                ibis.ifelse(value.isnull(), f"{f.name}: required value missing", None)
            )
        if f.max_length and f.dtype.is_string():
            reasons.append(
                ibis.ifelse(
                    value.length() > f.max_length,
                    f"{f.name}: longer than {f.max_length} characters",
                    None,
                )
            )
    reason = ibis.coalesce(*reasons) if reasons else ibis.null("string")
    return raw.select(**typed, _reason=reason)


def _commit(
    wh,
    checked: dict[str, _Checked],
    result: LoadResult,
    now: datetime,
    names: dict[str, str],
    removing: Removals,
    appending: list[tuple[str, ir.Table]],
) -> None:
    """Delete what `removing` says, then append good rows, quarantined rows,
    the load log and `appending`, in one transaction."""
    from entrepot.warehouse._warehouse import _schema_of

    with wh.store.transaction() as tx:
        for name, removals in removing.items():
            for column, values in removals:
                tx.delete_in(_schema_of(name), name, column, values)
        for name, rows in appending:
            tx.append("entrepot", name, rows)
        for name, table in checked.items():
            spec = cdm_table(name)
            rows = table.good()
            if spec.clustered_by:
                rows = rows.order_by(*spec.clustered_by)
            tx.append("results" if spec.role == "results" else "cdm", name, rows)
            if result.quarantined[name]:
                tx.append(
                    "entrepot",
                    "quarantine",
                    _quarantine_rows(
                        table.resolved, spec, result.load_id, now, names.get(name, name)
                    ),
                )
        log = pa.table(
            {
                "load_id": [result.load_id] * len(checked),
                "loaded_at": pa.array([now] * len(checked), pa.timestamp("us")),
                "source": [names.get(n, n) for n in checked],
                "table_name": list(checked),
                "loaded": [result.loaded[n] for n in checked],
                "skipped": [result.skipped[n] for n in checked],
                "quarantined": [result.quarantined[n] for n in checked],
            }
        )
        if checked:
            tx.append("entrepot", "load_log", wh.store.from_arrow(log))


def _typed(value: ir.Value, name: str, dtype: dt.DataType, source: str):
    """`value` cast to `dtype`, and the reason when a given value cannot be."""
    have = value.type()
    if have == dtype:
        return value, None
    if have.is_string():
        text = value.strip().nullif("")
        cast = text.try_cast(dtype)
        shown = text.substr(0, _VALUE_SHOWN)
        reason = ibis.ifelse(
            text.notnull() & cast.isnull(),
            ibis.literal(f"{name}: '").concat(
                shown, f"' is not a valid {_type_word(dtype)}"
            ),
            None,
        )
        return cast, reason
    compatible = (
        (have.is_numeric() and dtype.is_numeric())
        or (have.is_temporal() and dtype.is_temporal())
        or dtype.is_string()
    )
    if not compatible:
        raise InputFileError(
            f"{source}: column {name} holds {have}, expected {_type_word(dtype)}"
        )
    if have.is_floating() and dtype.is_integer():
        cast = value.try_cast(dtype)
        reason = ibis.ifelse(
            value.notnull() & (value != value.round()),
            ibis.literal(f"{name}: ").concat(
                value.cast("string"), " is not an integer"
            ),
            None,
        )
        return cast, reason
    return value.cast(dtype), None


def _type_word(dtype: dt.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_floating():
        return "number"
    if dtype.is_date():
        return "date (YYYY-MM-DD)"
    if dtype.is_timestamp():
        return "datetime (YYYY-MM-DD HH:MM:SS)"
    return str(dtype)


def _dedupe(rows: ir.Table, key: tuple[str, ...]) -> ir.Table:
    """Collapse identical repeated rows; mark rows sharing a key with different content."""
    rows = rows.distinct()
    versions = rows.group_by(key).aggregate(_v=ibis._.count())
    rows = rows.inner_join(versions, list(key)).select(*rows.columns, "_v")
    return rows.mutate(
        _reason=ibis.coalesce(
            rows._reason,
            ibis.ifelse(
                rows._v > 1, f"duplicate {'/'.join(key)} with different content", None
            ),
        )
    ).drop("_v")


def _mark_present(
    target: ir.Table, rows: ir.Table, spec: Table, present: int
) -> ir.Table:
    """Add `_present` (key already loaded) and fold key conflicts into `_reason`;
    `present` is the number of rows already in the target."""
    if not present:
        return rows.mutate(_present=ibis.literal(False))
    key = list(spec.key)
    data = list(target.columns)
    same = target.select(*data).mutate(_same=ibis.literal(True))
    keys = target.select(*key).distinct().mutate(_key=ibis.literal(True))
    joined = rows.left_join(keys, key).select(*rows.columns, "_key")
    matched = joined.left_join(
        same, [joined[c].identical_to(same[c]) for c in data]
    ).select(*joined.columns, "_same")
    present = matched._key.fill_null(False)
    conflict = present & ~matched._same.fill_null(False)
    return matched.mutate(
        _present=present & matched._same.fill_null(False),
        _reason=ibis.coalesce(
            matched._reason,
            ibis.ifelse(
                conflict, f"{'/'.join(key)} already loaded with different content", None
            ),
        ),
    ).drop("_key", "_same")


def _json_value(value: ir.Value) -> ir.StringValue:
    text = value.cast("string")
    if value.type().is_numeric():
        return text.fill_null("null")
    for char, escaped in (
        ("\\", "\\\\"),
        ('"', '\\"'),
        ("\n", "\\n"),
        ("\r", "\\r"),
        ("\t", "\\t"),
    ):
        text = text.replace(char, escaped)
    return ibis.ifelse(value.isnull(), "null", ibis.literal('"').concat(text, '"'))


def _quarantine_rows(
    table: ir.Table, spec: Table, load_id: str, at: datetime, source: str
):
    """Failing rows as quarantine entries: the reason and the row (JSON).

    A value that could not be read is null in the record; its reason quotes it.
    """
    bad = table.filter(table._reason.notnull())
    parts = [ibis.literal(f'"{c}": ').concat(_json_value(bad[c])) for c in spec.columns]
    record = ibis.literal("{").concat(*_interleave(parts, ", "), "}")
    return bad.select(
        load_id=ibis.literal(load_id),
        quarantined_at=ibis.literal(at, type="timestamp"),
        source=ibis.literal(source),
        table_name=ibis.literal(spec.name),
        reason=bad._reason,
        record=record,
    )


def _interleave(parts: list, sep: str) -> list:
    out: list = []
    for i, p in enumerate(parts):
        if i:
            out.append(sep)
        out.append(p)
    return out
