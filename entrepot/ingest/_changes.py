"""What an ingestion changes: the source rows to build (new or changed) and the
rows to remove, found with the keyed fingerprints of the rows ingested before.

Each ingested source row leaves `entrepot.source_row` (its extract, the id of
its OMOP row, its person, a keyed digest of its values). An extract with an
`op` column is a change file (insert / update / delete); an extract without
one holds new and changed rows, or, in a snapshot, every row the source has
now: a known row missing from it is deleted. Unchanged rows are skipped before
anything is built, so a night's delta costs what it changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.privacy import person_tables, pseudonym_id
from entrepot.warehouse import among, phase
from entrepot.warehouse.vocabulary._standard import EHR

#: OMOP tables holding each extract's rows, by the id column `source_ids` gives.
TABLES = {
    "patients": {"person": "person_id", "death": "person_id"},
    "stays": {"visit_occurrence": "visit_occurrence_id"},
    "units": {"visit_detail": "visit_detail_id"},
    "pmsi": {
        "condition_occurrence": "condition_occurrence_id",
        "observation": "observation_id",
    },
    "procedures": {"procedure_occurrence": "procedure_occurrence_id"},
    "lab": {"measurement": "measurement_id"},
    "drugs": {"drug_exposure": "drug_exposure_id"},
    "documents": {"note": "note_id"},
}
#: What is derived from a note, by note_id: removed with it (and redone by
#: `nlp run`, `extract` and the search index when the note only changed).
NOTE_DERIVED = ("note_nlp", "note_nlp_state", "note_extraction", "note_annotation")
SOURCE_ROW = "source_row"
_NONE = pa.array([], pa.int64())

NotesHook = Callable[[object, list[int]], None]
_note_hooks: list[NotesHook] = []


def on_notes_removed(hook: NotesHook) -> NotesHook:
    """Register `hook(wh, note_ids)`, called after an ingestion removed or
    changed notes (a search index forgets them)."""
    if hook not in _note_hooks:
        _note_hooks.append(hook)
    return hook


def notes_removed(wh, note_ids: list[int]) -> None:
    """Tell the registered hooks that these notes went or changed."""
    if note_ids:
        for hook in _note_hooks:
            hook(wh, note_ids)


@dataclass
class Changes:
    """Per extract: rows to build, ids whose stored rows go, and counts."""

    rows: dict[str, pa.Table] = field(default_factory=dict)
    removed: dict[str, pa.Array] = field(default_factory=dict)
    unchanged: dict[str, pa.Array] = field(default_factory=dict)
    counts: dict[str, dict[str, int]] = field(default_factory=dict)
    fingerprints: list[pa.Table] = field(default_factory=list)
    opted_out_rows: int = 0
    #: Patients deleted (not only changed): every row of theirs goes.
    deleted_persons: pa.Array = field(default_factory=lambda: _NONE)


def fingerprints(key, name: str, rows: pa.Table, columns: tuple[str, ...]) -> pa.Array:
    """A keyed digest of each row's values (a plain hash of identified rows
    could be reversed)."""
    values = zip(*(rows[c].to_pylist() for c in columns), strict=True)
    return pa.array(
        [
            pseudonym_id(key, f"row:{name}", "\x1f".join(v or "" for v in row))
            for row in values
        ],
        pa.int64(),
    )


def find_changes(
    wh,
    ctx,
    source: dict[str, pa.Table],
    ids,
    columns,
    *,
    snapshot: bool,
    shard: tuple[int, int] = (0, 1),
) -> Changes:
    """Compare each extract with the fingerprints stored; `ids(ctx, name,
    rows)` gives each row's id, `columns[name]` the columns it is read from.
    `source` holds shard i of n (`shard`): the patients whose person_id is i
    modulo n (rows without a patient in the first), so that a snapshot's
    missing rows are looked for among theirs."""
    stored = wh.table(SOURCE_ROW)
    i, n = shard
    if n > 1:
        mine = stored.person_id % n == i
        stored = stored.filter(mine | stored.person_id.isnull() if i == 0 else mine)
    out = Changes()
    for name, rows in source.items():
        given_rows = len(rows)
        rows = ctx.keep(rows)  # opted-out patients: neither loaded nor remembered
        out.opted_out_rows += given_rows - len(rows)
        ops = rows["op"].combine_chunks() if "op" in rows.column_names else None
        row_ids = ids(ctx, name, rows)
        with phase("keyed digests of the rows"):
            prints = fingerprints(ctx.key, name, rows, columns[name])
        given = pa.table(
            {
                "_i": pa.array(range(len(rows)), pa.int64()),
                "row_id": row_ids,
                "fingerprint": prints,
            }
        )
        known = stored.filter(stored.source == name).select(
            "row_id", old=stored.fingerprint
        )
        joined = (
            wh.store.from_arrow(given)
            .left_join(known, "row_id")
            .select("_i", "old")
            .order_by("_i")
            .to_pyarrow()
        )
        old = joined["old"].combine_chunks()
        is_known = pc.is_valid(old)
        deleting = (
            pc.equal(ops, "delete")
            if ops is not None
            else pa.array([False] * len(rows), pa.bool_())
        )
        same = pc.fill_null(pc.equal(old, prints), False)
        build = pc.and_(pc.invert(deleting), pc.invert(same))
        updated = pc.and_(build, is_known)
        gone = pc.and_(deleting, is_known)
        gone_ids = pc.filter(row_ids, gone)
        if snapshot and ops is None:
            missing = known.anti_join(wh.store.from_arrow(given), "row_id")
            gone_ids = pa.concat_arrays(
                [gone_ids, missing.row_id.to_pyarrow().combine_chunks()]
            )
        if name == "patients":
            out.deleted_persons = gone_ids.cast(pa.int64())
        out.rows[name] = rows.filter(build).drop_columns(
            [c for c in ("op",) if c in rows.column_names]
        )
        out.removed[name] = pa.concat_arrays(
            [pc.filter(row_ids, updated), gone_ids]
        ).cast(pa.int64())
        out.unchanged[name] = pc.filter(row_ids, pc.and_(same, pc.invert(deleting)))
        n_updated = pc.sum(updated).as_py() or 0
        out.counts[name] = {
            "inserted": (pc.sum(build).as_py() or 0) - n_updated,
            "updated": n_updated,
            "deleted": len(gone_ids),
            "unchanged": len(out.unchanged[name]),
        }
        built = out.rows[name]
        out.fingerprints.append(
            pa.table(
                {
                    "source": pa.array([name] * len(built), pa.string()),
                    "row_id": pc.filter(row_ids, build),
                    "person_id": ctx.persons(built["ipp"]),
                    "fingerprint": pc.filter(prints, build),
                }
            )
        )
    return out


Plan = dict[str, list[tuple[str, pa.Array]]]


def removals(wh, changes: Changes) -> tuple[Plan, pa.Array]:
    """Rows to delete before loading, each table → [(column, values)]: old
    versions of changed rows, deleted rows, what derives from deleted or
    changed notes, every row of deleted patients; and the notes concerned."""
    plan: Plan = {}
    for name, ids in changes.removed.items():
        for table, column in TABLES.get(name, {}).items():
            _remove(wh, plan, table, column, ids)
        _remove(wh, plan, SOURCE_ROW, "row_id", ids)
    persons = changes.deleted_persons
    notes = changes.removed.get("documents", _NONE)
    if len(persons):
        for table, column in person_tables(wh, registry=False).items():
            _remove(wh, plan, table, column, persons)  # an objection outlives them
        n = wh.table("note")
        theirs = n.filter(among(wh, n.person_id, persons)).note_id
        notes = pa.concat_arrays([notes, _ids(theirs)])
    for table in NOTE_DERIVED:
        _remove(wh, plan, table, "note_id", notes)
    return plan, notes


def _ids(column) -> pa.Array:
    """An Ibis column of ids as one int64 Arrow array."""
    return column.to_pyarrow().combine_chunks().cast(pa.int64())


def _remove(wh, plan: Plan, table: str, column: str, values: pa.Array) -> None:
    if len(values) and wh.has_table(table):
        plan.setdefault(table, []).append((column, values))


def _kept(wh, plan: Plan, table: str):
    """A table of the warehouse less the rows `plan` removes."""
    t = wh.table(table)
    for column, values in plan.get(table, []):
        t = t.filter(~among(wh, t[column], values))
    return t


def rederive(wh, tables: dict[str, pa.Table], plan: Plan) -> None:
    """Fix what spans several source rows after a change: the observation
    period of each patient whose visits changed (from their visits as they
    will be), the end date of diagnoses (their stay's), and care sites and
    communes (`drop_orphans`, once every shard is built). `tables` (the OMOP
    rows to load) and `plan` are updated in place."""
    visits = tables["visit_occurrence"]
    old = [v for _, v in plan.get("visit_occurrence", [])]
    old = pa.concat_arrays([_NONE, *old])
    kept = _kept(wh, plan, "visit_occurrence")
    v = wh.table("visit_occurrence")
    persons = pa.concat_arrays(
        [
            visits["person_id"].combine_chunks(),
            _ids(v.filter(among(wh, v.visit_occurrence_id, old)).person_id),
        ]
    )
    persons = pc.unique(pc.drop_null(persons))
    deleted = [p for c, p in plan.get("person", []) if c == "person_id"]
    if deleted:
        persons = pc.filter(
            persons, pc.invert(pc.is_in(persons, pc.unique(pa.concat_arrays(deleted))))
        )
    _periods(wh, tables, plan, kept, visits, persons)
    _condition_ends(wh, tables, plan, kept, old)


def _periods(wh, tables, plan: Plan, kept, visits: pa.Table, persons: pa.Array) -> None:
    """Observation periods of `persons` from their visits after the change:
    first admission to last discharge, as a first ingestion makes them."""
    theirs = (
        kept.filter(among(wh, kept.person_id, persons))
        .select("person_id", "visit_start_date", "visit_end_date")
        .to_pyarrow()
    )
    new = visits.select(["person_id", "visit_start_date", "visit_end_date"]).cast(
        theirs.schema
    )
    spans = (
        pa.concat_tables([theirs, new])
        .group_by("person_id")
        .aggregate([("visit_start_date", "min"), ("visit_end_date", "max")])
    )
    spans = spans.filter(pc.is_in(spans["person_id"], persons))
    periods = pa.table(
        {
            "observation_period_id": spans["person_id"],
            "person_id": spans["person_id"],
            "observation_period_start_date": spans["visit_start_date_min"],
            "observation_period_end_date": spans["visit_end_date_max"],
            "period_type_concept_id": pa.array([EHR] * len(spans), pa.int64()),
        }
    )
    o = wh.table("observation_period")
    now = {
        (
            r["person_id"],
            r["observation_period_start_date"],
            r["observation_period_end_date"],
        )
        for r in o.filter(among(wh, o.person_id, persons)).to_pyarrow().to_pylist()
    }
    same = pa.array(
        [
            (
                r["person_id"],
                r["observation_period_start_date"],
                r["observation_period_end_date"],
            )
            in now
            for r in periods.to_pylist()
        ],
        pa.bool_(),
    )
    tables["observation_period"] = periods.filter(pc.invert(same))
    unchanged = pc.filter(periods["person_id"], same).combine_chunks()
    changed = pc.filter(persons, pc.invert(pc.is_in(persons, unchanged)))
    _remove(wh, plan, "observation_period", "person_id", changed)


def _condition_ends(wh, tables, plan: Plan, kept, old_visits: pa.Array) -> None:
    """Each diagnosis ends when its stay ends: new diagnoses, and those of
    changed or deleted stays (rewritten under their id), take the end of
    their stay as it will be (none when it is gone)."""
    new = tables.get("condition_occurrence")
    if new is None:
        return
    rows = _kept(wh, plan, "condition_occurrence")
    moved = (
        rows.filter(among(wh, rows.visit_occurrence_id, old_visits))
        .select(*new.column_names)
        .to_pyarrow()
        .cast(new.schema)
    )
    _remove(
        wh,
        plan,
        "condition_occurrence",
        "condition_occurrence_id",
        moved["condition_occurrence_id"].combine_chunks(),
    )
    rows = pa.concat_tables([new, moved])
    wanted = pc.unique(pc.drop_null(rows["visit_occurrence_id"].combine_chunks()))
    visits = tables["visit_occurrence"]
    ends = dict(
        zip(
            *kept.filter(among(wh, kept.visit_occurrence_id, wanted))
            .select("visit_occurrence_id", "visit_end_date")
            .to_pyarrow()
            .columns,
            strict=True,
        )
    )
    ends = {k.as_py(): e.as_py() for k, e in ends.items()}
    ends |= dict(
        zip(
            visits["visit_occurrence_id"].to_pylist(),
            visits["visit_end_date"].to_pylist(),
            strict=True,
        )
    )
    end = pa.array(
        [ends.get(v) for v in rows["visit_occurrence_id"].to_pylist()], pa.date32()
    )
    i = rows.column_names.index("condition_end_date")
    tables["condition_occurrence"] = rows.set_column(i, "condition_end_date", end)


#: Shared rows that other tables name: (table, id, [(naming table, column)]).
_SHARED = (
    ("care_site", "care_site_id", ("visit_occurrence", "visit_detail")),
    ("location", "location_id", ("person",)),
)


def _distinct(t, column: str) -> pa.Array:
    """The distinct values of a column, nulls left out."""
    return _ids(t.filter(t[column].notnull()).select(column).distinct()[column])


#: Tables whose rows several patients share (built again by every shard).
SHARED_TABLES = tuple(table for table, _, _ in _SHARED)


def named_ids(tables: dict[str, pa.Table]) -> dict[str, pa.Array]:
    """The care sites and communes that rows to load name (or are)."""
    out = {}
    for table, column, naming in _SHARED:
        named = [
            tables[n][column].combine_chunks().cast(pa.int64())
            for n in (*naming, table)
            if n in tables
        ]
        out[column] = pc.unique(pc.drop_null(pa.concat_arrays([_NONE, *named])))
    return out


def drop_orphans(wh, named: dict[str, pa.Array], plan: Plan) -> None:
    """Care sites and communes that no row will name any more (`named`: the
    ids the rows to load name): removed, as a first ingestion of the final
    extracts would not make them."""
    for table, column, naming in _SHARED:
        if not any(n in plan for n in naming) or not wh.has_table(table):
            continue
        kept = [_distinct(_kept(wh, plan, n), column) for n in naming]
        named_ = pc.unique(pa.concat_arrays([*kept, named[column]]))
        t = _kept(wh, plan, table)
        _remove(
            wh,
            plan,
            table,
            column,
            _ids(t.filter(~among(wh, t[column], named_))[column]),
        )


def _counted(rows: dict[str, ir.Table]) -> dict[str, int]:
    """The rows of each table, counted in one query (one query a table cost
    an Ibis compile and a round trip each, whatever the delta)."""
    if not rows:
        return {}
    counts = ibis.union(
        *(
            t.aggregate(n=t.count()).mutate(name=ibis.literal(k))
            for k, t in rows.items()
        ),
        distinct=False,
    ).to_pyarrow()
    return dict(zip(counts["name"].to_pylist(), counts["n"].to_pylist(), strict=True))


def unchanged_counts(wh, changes: Changes) -> dict[str, int]:
    """Rows of each table that unchanged source rows gave (skipped: already there)."""
    rows = {}
    for name, ids in changes.unchanged.items():
        for table, column in TABLES[name].items():
            if len(ids):
                t = wh.table(table)
                rows[table] = t.filter(among(wh, t[column], ids))
    return _counted(rows)


def removed_counts(wh, plan: Plan) -> dict[str, int]:
    """Rows the plan removes from each table (counted before it is applied):
    one pass over each table."""
    rows = {}
    for name, removals in plan.items():
        t = wh.table(name)
        rows[name] = t.filter(ibis.or_(*(among(wh, t[c], v) for c, v in removals)))
    return _counted(rows)


def reloaded(plan: Plan, tables: dict[str, pa.Table]) -> dict[str, int]:
    """Rows to load, per table, under an id that `plan` removes (an update)."""
    out = {}
    for name, removals in plan.items():
        if name in tables and len(tables[name]):
            removed = pa.concat_arrays([v for _, v in removals])
            again = pc.sum(pc.is_in(tables[name].column(0), removed)).as_py() or 0
            out[name] = again
    return out


def table_counts(
    gone: dict[str, int], reloaded: dict[str, int], loaded: dict[str, int]
) -> dict[str, dict[str, int]]:
    """Rows inserted, updated (removed and loaded again under their id:
    `reloaded`) and deleted, per table."""
    out = {}
    for name in sorted(set(gone) | set(loaded)):
        again = reloaded.get(name, 0) if gone.get(name) else 0
        again = min(again, gone.get(name, 0), loaded.get(name, 0))
        counts = {
            "inserted": loaded.get(name, 0) - again,
            "updated": again,
            "deleted": gone.get(name, 0) - again,
        }
        if any(counts.values()):
            out[name] = counts
    return out


def stale_cohorts(wh, changes: Changes, plan: Plan) -> list[int]:
    """Saved cohorts with a member whose rows changed: flagged, not regenerated
    (a cohort is run again by its owner, within their project)."""
    if not wh.has_table("cohort") or not wh.count("cohort"):
        return []
    removed = pa.concat_arrays([_NONE, *changes.removed.values()])
    stored = wh.table(SOURCE_ROW)
    persons = pa.concat_arrays(
        [
            _ids(stored.filter(among(wh, stored.row_id, removed)).person_id),
            *(f["person_id"].combine_chunks() for f in changes.fingerprints),
        ]
    )
    persons = pc.unique(pc.drop_null(persons))
    c = wh.table("cohort")
    members = c.filter(among(wh, c.subject_id, persons))
    return sorted(_distinct(members, "cohort_definition_id").to_pylist())
