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
from datetime import datetime, timezone

import ibis
import ibis.expr.datatypes as dt
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.errors import InputFileError, LoadError, first_line
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
    return sorted(names, key=lambda n: (first.index(n) if n in first else len(first), n))


def load_tables(
    wh,
    sources: dict[str, ir.Table | pa.Table],
    *,
    names: dict[str, str] | None = None,
    progress=None,
) -> LoadResult:
    """Check and append `sources` (CDM table name → rows) to the warehouse.

    `names` gives each source's file name for messages; `progress(table)` is
    called as each table is checked.
    """
    names = names or {}
    result = LoadResult(load_id=uuid.uuid4().hex)
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    checked: dict[str, ir.Table] = {}
    person_ids = None
    for name in load_order(list(sources)):
        spec = cdm_table(name)
        rows = sources[name]
        rows = ibis.memtable(rows) if isinstance(rows, pa.Table) else rows
        source = names.get(name, name)
        if progress:
            progress(name)
        if name != "person" and "person_id" in spec.columns and person_ids is None:
            person_ids = _known_persons(wh, checked.get("person"))
        check = _check(wh, rows, spec, source, person_ids if name != "person" else None)
        try:
            table = wh.store.materialize(check)
            stats = table.aggregate(
                bad=table._reason.notnull().sum(),
                skipped=(table._reason.isnull() & table._present).sum(),
                n=table.count(),
            ).to_pyarrow().to_pylist()[0]
        except Exception as e:  # the engine could not read or convert the source
            raise LoadError(f"{source}: {first_line(e)}; nothing was loaded") from e
        checked[name] = table
        bad, skipped = int(stats["bad"] or 0), int(stats["skipped"] or 0)
        result.quarantined[name] = bad
        result.skipped[name] = skipped
        result.loaded[name] = int(stats["n"]) - bad - skipped
    try:
        _commit(wh, checked, result, now, names)
    except Exception as e:
        raise LoadError(f"commit failed, nothing was loaded: {first_line(e)}") from e
    return result



def _commit(wh, checked: dict[str, ir.Table], result: LoadResult, now: datetime,
            names: dict[str, str]) -> None:
    """Append good rows, quarantined rows and the load log in one transaction."""
    with wh.store.transaction() as tx:
        for name, table in checked.items():
            spec = cdm_table(name)
            good = table.filter(table._reason.isnull() & ~table._present)
            tx.append("cdm" if spec.role != "results" else "results", name,
                      good.select(*wh.table(name).columns))
            if result.quarantined[name]:
                tx.append("entrepot", "quarantine", _quarantine_rows(
                    table, spec, result.load_id, now, names.get(name, name)))
        log = pa.table({
            "load_id": [result.load_id] * len(checked),
            "loaded_at": pa.array([now] * len(checked), pa.timestamp("us")),
            "source": [names.get(n, n) for n in checked],
            "table_name": list(checked),
            "loaded": [result.loaded[n] for n in checked],
            "skipped": [result.skipped[n] for n in checked],
            "quarantined": [result.quarantined[n] for n in checked],
        })
        if checked:
            tx.append("entrepot", "load_log", ibis.memtable(log))


def _known_persons(wh, loading: ir.Table | None) -> ir.Table:
    """person_ids already in the warehouse or accepted in this load."""
    existing = wh.table("person").select("person_id")
    if loading is None:
        return existing
    accepted = loading.filter(loading._reason.isnull()).select("person_id")
    return existing.union(accepted)


def _check(wh, raw: ir.Table, spec: Table, source: str, person_ids) -> ir.Table:
    """Rows typed as the CDM says, with `_reason` (null if good) and `_present`."""
    columns = {c.lower(): raw[c] for c in raw.columns}
    unknown = sorted(set(columns) - set(spec.columns))
    if unknown:
        raise InputFileError(f"{source}: unknown column(s) for {spec.name}: {', '.join(unknown)}")
    missing = [f.name for f in spec.fields if f.required and f.name not in columns]
    if missing:
        raise InputFileError(f"{source}: missing required column(s): {', '.join(missing)}")

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
            reasons.append(ibis.ifelse(value.isnull(), f"{f.name}: required value missing", None))
        if f.max_length and f.dtype.is_string():
            reasons.append(ibis.ifelse(
                value.length() > f.max_length,
                f"{f.name}: longer than {f.max_length} characters", None))
    if person_ids is not None and "person_id" in typed:
        pid = typed["person_id"]
        reasons.append(ibis.ifelse(
            pid.notnull() & ~pid.isin(person_ids.person_id),
            ibis.literal("person_id ").concat(pid.cast("string"), " is not in person"),
            None))
    reason = ibis.coalesce(*reasons) if reasons else ibis.null("string")
    rows = raw.select(**typed, _reason=reason)
    rows = _dedupe(rows, spec.key)
    return _mark_present(wh, rows, spec)


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
            ibis.literal(f"{name}: '").concat(shown, f"' is not a valid {_type_word(dtype)}"),
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
            ibis.literal(f"{name}: ").concat(value.cast("string"), " is not an integer"),
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
    data = [c for c in rows.columns if c != "_reason"]
    repeated = rows.group_by(key).aggregate(_n=ibis._.count()).filter(ibis._._n > 1).select(*key)
    single = rows.anti_join(repeated, list(key))
    shared = rows.semi_join(repeated, list(key)).select(*data, "_reason").distinct()
    versions = shared.group_by(key).aggregate(_v=ibis._.count())
    shared = shared.inner_join(versions, list(key)).select(*shared.columns, "_v")
    shared = shared.mutate(_reason=ibis.coalesce(
        shared._reason,
        ibis.ifelse(shared._v > 1, f"duplicate {'/'.join(key)} with different content", None),
    )).drop("_v")
    return single.union(shared.select(*rows.columns))


def _mark_present(wh, rows: ir.Table, spec: Table) -> ir.Table:
    """Add `_present` (key already loaded) and fold key conflicts into `_reason`."""
    target = wh.table(spec.name)
    key = list(spec.key)
    if wh.count(spec.name) == 0:
        return rows.mutate(_present=ibis.literal(False))
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
            ibis.ifelse(conflict, f"{'/'.join(key)} already loaded with different content", None),
        ),
    ).drop("_key", "_same")


def _json_value(value: ir.Value) -> ir.StringValue:
    text = value.cast("string")
    if value.type().is_numeric():
        return text.fill_null("null")
    for char, escaped in (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t")):
        text = text.replace(char, escaped)
    return ibis.ifelse(value.isnull(), "null", ibis.literal('"').concat(text, '"'))


def _quarantine_rows(table: ir.Table, spec: Table, load_id: str, at: datetime, source: str):
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
