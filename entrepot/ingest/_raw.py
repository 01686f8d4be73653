"""Pseudonymised ingestion of identified hospital extracts (the format of
`entrepot/synth/RAW_FORMAT.md`) into OMOP rows, through the checked loader.

IPP and NDA become keyed pseudonyms (`entrepot.privacy`); names, addresses,
phones, e-mails and the NIR are read only to de-identify the notes and to
keep the encrypted identity vault beside the warehouse, and never reach a
table. Row ids are keyed digests of each extract's key columns, so a
reload of the same extracts adds nothing and an updated row keeps its id;
only new and changed rows are built (`_changes`); opted-out patients are left
out.
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from entrepot.errors import InputFileError
from entrepot.ingest import _changes as change
from entrepot.ingest._merges import read_merges
from entrepot.ingest._night import Night
from entrepot.ingest._shards import (
    BLOCK_BYTES,
    PATIENTS_PER_SHARD,
    Shards,
    check_columns,
    check_ops,
    read_csv,
)
from entrepot.privacy import (
    SecretKey,
    apply_optout_requests,
    audit,
    check_date_shifting,
    check_key,
    check_merges,
    consenting,
    deidentify,
    merge_log,
    merge_patients,
    nir_birthplace,
    person_id,
    pseudonym_id,
    publish_optout_key,
    shift_days,
    update_identities,
    visit_id,
)
from entrepot.privacy.deid import DeidConfig, Identity
from entrepot.warehouse import phase, phased
from entrepot.warehouse.vocabulary._mapping import source_maps
from entrepot.warehouse.vocabulary._standard import (
    DEATH_CERTIFICATE,
    EHR,
    EHR_ADMINISTRATION,
    EHR_PRESCRIPTION,
    EMERGENCY,
    ER_INPATIENT,
    FEMALE,
    FRENCH,
    ICU,
    INPATIENT,
    LAB,
    MALE,
    OUTPATIENT,
    PRIMARY,
    ROUTES,
    SECONDARY,
    UTF8,
)

#: Each extract of RAW_FORMAT.md and the columns ingestion reads from it.
SOURCES = {
    "patients": (
        "ipp",
        "sex",
        "birth_date",
        "postcode",
        "city",
        "death_date",
        # read for the identity vault only (`entrepot.privacy`), never loaded
        "first_name",
        "last_name",
        "nir",
    ),
    "stays": (
        "nda",
        "ipp",
        "kind",
        "hospital",
        "unit",
        "admission",
        "discharge",
        "via_emergency",
    ),
    "units": ("nda", "ipp", "hospital", "unit", "kind", "entry", "exit"),
    "pmsi": ("nda", "ipp", "type", "cim10", "date"),
    "procedures": ("nda", "ipp", "ccam", "done_at"),
    "lab": ("nda", "ipp", "loinc", "value", "text", "unit", "low", "high", "taken_at"),
    "drugs": (
        "nda",
        "ipp",
        "kind",
        "product",
        "dose",
        "dose_unit",
        "route",
        "start",
        "end",
    ),
    "documents": ("nda", "ipp", "document_id", "written_at", "title", "text"),
}
REQUIRED = ("patients", "stays")
#: The columns that identify a row of each extract: its keyed id is their
#: digest (and its rank among rows with the same values), so an update of the
#: other columns keeps the id; changing one of these is a deletion and an insert.
KEYS = {
    "patients": ("ipp",),
    "stays": ("nda",),
    "units": ("nda", "ipp", "hospital", "unit", "entry", "exit"),
    "pmsi": ("nda", "ipp", "type", "cim10", "date"),
    "procedures": ("nda", "ipp", "ccam", "done_at"),
    "lab": ("nda", "ipp", "loinc", "taken_at", "value", "text"),
    "drugs": ("nda", "ipp", "kind", "product", "start", "end"),
    "documents": ("document_id",),
}
_ID_KINDS = {
    "units": "unit",
    "pmsi": "pmsi",
    "procedures": "procedure",
    "lab": "lab",
    "drugs": "drug",
    "documents": "document",
}
VISIT_CONCEPTS = {
    "MCO": INPATIENT,
    "HDJ": OUTPATIENT,
    "CONSULT": OUTPATIENT,
    "URG": EMERGENCY,
}
#: The visit_detail concept of a unit, by its kind in units.csv.
UNIT_CONCEPTS = {"ward": INPATIENT, "icu": ICU, "emergency": EMERGENCY}


@dataclass
class IngestResult:
    """What an ingestion did, per OMOP table, with what it left out."""

    load_id: str
    loaded: dict[str, int] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)
    quarantined: dict[str, int] = field(default_factory=dict)
    opted_out_rows: int = 0
    optout_requests: int = 0
    notes_deidentified: int = 0
    identifiers_removed: int = 0
    date_shifting: bool = False
    sources: dict[str, dict[str, int]] = field(default_factory=dict)
    tables: dict[str, dict[str, int]] = field(default_factory=dict)
    stale_cohorts: list[int] = field(default_factory=list)
    merges: int = 0

    def as_dict(self) -> dict:
        return {
            "load_id": self.load_id,
            "loaded": self.loaded,
            "skipped": self.skipped,
            "quarantined": self.quarantined,
            "opted_out_rows": self.opted_out_rows,
            "optout_requests": self.optout_requests,
            "notes_deidentified": self.notes_deidentified,
            "identifiers_removed": self.identifiers_removed,
            "date_shifting": self.date_shifting,
            "sources": self.sources,
            "tables": self.tables,
            "stale_cohorts": self.stale_cohorts,
            "merges": self.merges,
        }


def raw_files(folder: str | os.PathLike) -> dict[str, Path]:
    """The extracts of a folder, by source; patients and stays are required."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder")
    found = {s: folder / f"{s}.csv" for s in SOURCES if (folder / f"{s}.csv").is_file()}
    missing = [s for s in REQUIRED if s not in found]
    if missing:
        raise InputFileError(
            f"{folder}: missing {', '.join(m + '.csv' for m in missing)} "
            "(see entrepot/synth/RAW_FORMAT.md)"
        )
    return found


def read_extract(path: Path) -> pa.Table:
    """One whole CSV extract with every column as text (identifiers keep their
    zeros): for small files; ingestion reads the extracts in shards."""
    return read_csv(path)


def read_extracts(files: dict[str, Path]) -> dict[str, pa.Table]:
    """Every extract, whole, each with the columns RAW_FORMAT.md gives it (and
    its `op` column, checked, in a change file)."""
    out = {}
    for name, path in files.items():
        table = read_extract(path)
        check_columns(path, table.column_names, SOURCES[name])
        if "op" in table.column_names:
            check_ops(path, table["op"].combine_chunks(), 2)
        out[name] = table
    return out


def ingest_raw(
    wh,
    folder: str | os.PathLike,
    *,
    key: SecretKey,
    shift_dates: bool | None = None,
    deid: DeidConfig | None = None,
    user: str = "entrepot",
    progress=None,
    snapshot: bool = False,
    patients_per_shard: int = PATIENTS_PER_SHARD,
    block_bytes: int = BLOCK_BYTES,
) -> IngestResult:
    """Pseudonymise, de-identify and load the extracts of `folder`, atomically.

    Only new and changed source rows are built and loaded (keyed fingerprints
    of the rows ingested before tell them apart); a changed row keeps its id.
    A file with an `op` column also deletes rows; with `snapshot`, a file
    without one holds every row the source has, and rows ingested before and
    missing from it are deleted. Dates are shifted (`shift_dates`) as the
    warehouse's earlier ingestions were, and in a new warehouse unless
    `shift_dates` is False. Pending opt-out requests (sealed by a server
    without the key) are applied first, and the IPP merges of `merges.csv`
    (checked before the load) last. All of it is one `atomic`
    unit with the identity vault: a failure anywhere leaves both as they
    were. Search indexes forget removed notes once it is committed.

    The extracts are read `block_bytes` at a time and split by patient into
    shards of about `patients_per_shard` patients, built one after the other;
    their rows are staged on disk and loaded together by the engine.
    """
    files = raw_files(folder)
    merges = read_merges(folder)
    with tempfile.TemporaryDirectory(prefix="entrepot-ingest-") as scratch:
        split = Path(scratch, "split")
        split.mkdir()
        shards = Shards(
            files,
            SOURCES,
            key,
            split,
            patients_per_shard=patients_per_shard,
            block_bytes=block_bytes,
            watched=frozenset(
                person_id(key, i) for m in merges for i in (m.old_ipp, m.new_ipp)
            ),
        )
        with wh.store.atomic():  # all of it, the identity vault too, or nothing
            with phase("checks, pending opt-outs"):
                check_key(wh, key)
                check_merges(  # before the load: a wrong merge changes nothing
                    wh,
                    key,
                    merges,
                    arriving=shards.arriving,
                    source=str(Path(folder) / "merges.csv"),
                )
                shift_dates = check_date_shifting(wh, shift_dates)
                publish_optout_key(wh, key)
                requests = apply_optout_requests(wh, key, user=user)["requests"]
            night = _build(wh, key, shards, Path(scratch), shift_dates, deid, snapshot)
            result, gone = _load(wh, night, folder, progress)
            with phase("IPP merges"):
                merged = merge_patients(wh, key, _to_merge(wh, key, merges), user=user)
            with phase("identity vault"):
                update_identities(
                    wh,
                    key,
                    pa.concat_tables(night.vault),
                    keep=wh.table("person").person_id.to_pyarrow().combine_chunks(),
                )
    with phase("removed notes left out of the search index"):
        change.notes_removed(wh, sorted(set(night.gone_notes)))
    tables = list(night.tables)
    out = IngestResult(
        load_id=result.load_id,
        loaded={t: result.loaded.get(t, 0) for t in tables},
        skipped={
            t: result.skipped.get(t, 0) + night.unchanged.get(t, 0) for t in tables
        },
        quarantined={t: result.quarantined.get(t, 0) for t in tables},
        opted_out_rows=night.opted_out_rows,
        optout_requests=requests,
        notes_deidentified=night.notes,
        identifiers_removed=night.identifiers_removed,
        date_shifting=shift_dates,
        sources={name: dict(counts) for name, counts in night.sources.items()},
        tables=change.table_counts(gone, night.reloaded, result.loaded),
        stale_cohorts=sorted(night.stale),
        merges=merged["merges"],
    )
    with phase("audit"):
        audit(
            wh,
            user,
            "ingest",
            {
                "source": str(folder),
                "date_shifting": shift_dates,
                "snapshot": snapshot,
                "sources": out.sources,
                "tables": out.tables,
                "stale_cohorts": out.stale_cohorts,
            },
            rows=sum(result.loaded.values()),
            persons=result.loaded.get("person", 0),
        )
    return out


def _build(
    wh, key: SecretKey, shards: Shards, scratch: Path, shift: bool, deid, snapshot: bool
) -> Night:
    """Each shard's changes found, built, de-identified and staged, in turn."""
    if not wh.has_table(change.SOURCE_ROW):  # a warehouse made before it
        wh.create_schema()
    night = Night(scratch / "staged")
    night.folder.mkdir()
    keep = consenting(wh)
    lab_maps = source_maps(wh) if "lab" in shards.schemas else {}
    config = (deid or DeidConfig()).with_shift(None)
    for shard, source in phased(shards, "reading and splitting the extracts"):
        ctx = _Context(key, shift, keep, source["patients"])
        ctx.lab_maps = lab_maps
        with phase("diff against the stored fingerprints"):
            found = change.find_changes(
                wh,
                ctx,
                source,
                source_ids,
                SOURCES,
                snapshot=snapshot,
                shard=(shard, shards.count),
            )
        with phase("building OMOP rows"):
            tables, _ = _omop_tables(ctx, found.rows)
            tables["death"] = _with_linked_deaths(wh, tables["death"], tables["person"])
        with phase("rows to remove"):
            plan, gone_notes = change.removals(wh, found)
        with phase("observation periods, diagnoses' ends"):
            change.rederive(wh, tables, plan)
        with phase("de-identifying changed notes"):
            notes, removed = _deidentified_notes(ctx, tables.get("note"), config)
        if notes is not None:
            tables["note"] = notes
            night.notes += len(notes)
        night.identifiers_removed += removed
        night.gone_notes.extend(gone_notes.to_pylist())
        with phase("stale cohorts, unchanged rows counted"):
            night.stale.update(change.stale_cohorts(wh, found, plan))
            night.unchanged.update(change.unchanged_counts(wh, found))
        with phase("staging the rows to load"):
            night.vault.append(_vault_rows(ctx, found.rows["patients"]))
            night.add(tables, plan, found)
    return night


def _load(wh, night: Night, folder, progress) -> tuple:
    """The staged rows loaded in one checked load, after the removals; and
    the rows removed from each table."""
    with phase("care sites and communes"):
        change.drop_orphans(wh, night.named_ids(), night.plan)
    with phase("removed rows counted"):
        gone = change.removed_counts(wh, night.plan)
    sources = {t: night.rows(wh, t) for t in night.tables}
    fingerprints = night.rows(wh, change.SOURCE_ROW)
    with phase("load"):
        result = wh.load(
            {t: rows for t, rows in sources.items() if rows is not None},  # others: 0
            names={t: f"{folder}:{t}" for t in night.tables},
            progress=progress,
            removing={
                t: [(c, wh.store.from_arrow(pa.table({c: v}))) for c, v in removals]
                for t, removals in night.plan.items()
            },
            appending=[]
            if fingerprints is None
            else [(change.SOURCE_ROW, fingerprints)],
        )
    return result, gone


def _to_merge(wh, key: SecretKey, merges: list) -> list:
    """The merges to apply: a merge already applied is applied again only when
    its old patient came back (unchanged rows are not loaded again)."""
    logged = {(m["old_person_id"], m["new_person_id"]) for m in merge_log(wh)}
    person = wh.table("person")
    olds = [person_id(key, m.old_ipp) for m in merges]
    back = set(
        person.filter(person.person_id.isin(olds)).person_id.to_pyarrow().to_pylist()
    )
    return [
        m
        for m, old in zip(merges, olds, strict=True)
        if (old, person_id(key, m.new_ipp)) not in logged or old in back
    ]


class _Context:
    """The key, the patients' pseudonyms and shifts, and who opted out."""

    def __init__(
        self,
        key: SecretKey,
        shift: bool,
        consenting: Callable[[pa.Table, pa.Array], pa.Table],
        patients: pa.Table,
    ) -> None:
        self.key = key
        self.shift = shift
        self.consenting = consenting
        self._ids: dict[str, int] = {}
        self.patients = patients
        self.lab_maps: dict[str, int] = {}  # local lab code → approved concept

    def person(self, ipp: str | None) -> int | None:
        if ipp is None:
            return None
        if ipp not in self._ids:
            self._ids[ipp] = person_id(self.key, ipp)
        return self._ids[ipp]

    def persons(self, ipps: pa.Array) -> pa.Array:
        return pa.array([self.person(i) for i in ipps.to_pylist()], pa.int64())

    def shifts(self, ipps: pa.Array) -> pa.Array:
        """Each row's shift as a duration (zero when shifting is off)."""
        days = [
            shift_days(self.key, i) if self.shift and i else 0 for i in ipps.to_pylist()
        ]
        return pa.array([d * 86_400_000_000 for d in days], pa.duration("us"))

    def keep(self, table: pa.Table) -> pa.Table:
        """Rows of patients who did not opt out."""
        return self.consenting(table, self.persons(table["ipp"]))


def _omop_tables(ctx: _Context, source: dict[str, pa.Table]) -> tuple[dict, int]:
    """OMOP rows of every extract, opted-out patients removed; and rows removed."""
    kept = {name: ctx.keep(t) for name, t in source.items()}
    dropped = sum(len(source[n]) - len(kept[n]) for n in source)
    patients, stays = kept["patients"], kept["stays"]
    tables = {
        "location": _locations(ctx, patients),
        "person": _persons(ctx, patients),
        "death": _deaths(ctx, patients),
        "care_site": _care_sites(ctx, stays, kept.get("units")),
        "visit_occurrence": _visits(ctx, stays),
        "observation_period": _periods(ctx, stays, patients),
    }
    builders = {
        "units": _visit_details,
        "pmsi": _diagnoses,
        "procedures": _procedures,
        "lab": _measurements,
        "drugs": _drugs,
        "documents": _notes,
    }
    for name, build in builders.items():
        if name in kept:
            tables |= build(ctx, kept[name], stays)
    return tables, dropped


#: The keyed id columns of ingested tables, re-keyed on key rotation.
ID_COLUMNS = (
    "person_id",
    "visit_occurrence_id",
    "location_id",
    "care_site_id",
    "observation_period_id",
    "visit_detail_id",
    "condition_occurrence_id",
    "observation_id",
    "procedure_occurrence_id",
    "measurement_id",
    "drug_exposure_id",
    "note_id",
)


def rekey_maps(
    folder: str | os.PathLike, old: SecretKey, new: SecretKey
) -> dict[str, pa.Table]:
    """Each keyed id of the extracts under `old` and `new` (`rotate_key`'s input).

    Opted-out patients are included, so that the registry is re-keyed too.
    """
    source = read_extracts(raw_files(folder))
    before, _ = _omop_tables(
        _Context(old, False, _everyone, source["patients"]), source
    )
    after, _ = _omop_tables(_Context(new, False, _everyone, source["patients"]), source)
    pairs: dict[str, dict[int, int]] = {}
    for table, rows in before.items():
        for column in ID_COLUMNS:
            if column in rows.column_names:
                olds = rows[column].to_pylist()
                news = after[table][column].to_pylist()
                pairs.setdefault(column, {}).update(
                    (o, n) for o, n in zip(olds, news, strict=True) if o is not None
                )
    return {
        column: pa.table(
            {
                "old": pa.array(list(p), pa.int64()),
                "new": pa.array(list(p.values()), pa.int64()),
            }
        )
        for column, p in pairs.items()
    }


# -- helpers ---------------------------------------------------------------
def _everyone(rows: pa.Table, person_ids: pa.Array) -> pa.Table:
    """No filter: re-keying maps opted-out patients' ids too."""
    return rows


def _ts(column: pa.Array) -> pa.Array:
    return pc.cast(column, pa.timestamp("us"))


def _shifted(ctx: _Context, rows: pa.Table, column: str) -> pa.Array:
    """A date-time column, shifted by each row's patient's secret shift."""
    value = _ts(pc.if_else(pc.equal(rows[column], ""), None, rows[column]))
    return pc.add(value, ctx.shifts(rows["ipp"])) if ctx.shift else value


def _day(ts: pa.Array) -> pa.Array:
    return pc.cast(ts, pa.date32())


def _number(column: pa.Array) -> pa.Array:
    return pc.cast(column, pa.float64())


def source_ids(ctx: _Context, name: str, rows: pa.Table) -> pa.Array:
    """The keyed id of each row of extract `name`: of its OMOP row (the
    person, the visit, the measurement...), from the columns of `KEYS`."""
    if name == "patients":
        return ctx.persons(rows["ipp"])
    if name == "stays":
        return _visit_ids(ctx, rows["nda"])
    return _row_ids(ctx, _ID_KINDS[name], rows, list(KEYS[name]))


def _row_ids(ctx: _Context, kind: str, rows: pa.Table, columns: list[str]) -> pa.Array:
    """Stable keyed ids: a digest of the row's source values and its rank among equals."""
    seen: Counter = Counter()
    values = zip(*(rows[c].to_pylist() for c in columns), strict=True)
    out = []
    for row in values:
        text = "\x1f".join("" if v is None else v for v in row)
        seen[text] += 1
        out.append(pseudonym_id(ctx.key, kind, f"{text}\x1e{seen[text]}"))
    return pa.array(out, pa.int64())


def _lookup(mapping: dict, column: pa.Array, default=0) -> pa.Array:
    return pa.array([mapping.get(v, default) for v in column.to_pylist()], pa.int64())


def _visit_ids(ctx: _Context, ndas: pa.Array) -> pa.Array:
    cache: dict[str, int] = {}
    return pa.array(
        [
            None if n is None else cache.setdefault(n, visit_id(ctx.key, n))
            for n in ndas.to_pylist()
        ],
        pa.int64(),
    )


# -- tables ----------------------------------------------------------------
def _commune_id(ctx: _Context, postcode: str | None, city: str | None) -> int | None:
    if not postcode and not city:
        return None
    return pseudonym_id(ctx.key, "commune", f"{postcode}|{city}")


def _locations(ctx: _Context, patients: pa.Table) -> pa.Table:
    """Communes only (postcode and city): street addresses never enter."""
    places = sorted(
        {
            (p, c)
            for p, c in zip(
                patients["postcode"].to_pylist(),
                patients["city"].to_pylist(),
                strict=True,
            )
            if p or c
        },
        key=lambda pc_: (pc_[0] or "", pc_[1] or ""),
    )
    return pa.table(
        {
            "location_id": pa.array(
                [_commune_id(ctx, p, c) for p, c in places], pa.int64()
            ),
            "city": [c for _, c in places],
            "zip": [p for p, _ in places],
            "country_source_value": ["FR"] * len(places),
        }
    )


def _persons(ctx: _Context, patients: pa.Table) -> pa.Table:
    birth = _shifted(ctx, patients, "birth_date")
    return pa.table(
        {
            "person_id": ctx.persons(patients["ipp"]),
            "gender_concept_id": _lookup(
                {"M": MALE, "F": FEMALE}, patients["sex"], default=0
            ),
            "year_of_birth": pc.year(birth),
            "month_of_birth": pc.month(birth),
            "day_of_birth": pc.day(birth),
            "birth_datetime": birth,
            "race_concept_id": pa.array([0] * len(patients), pa.int64()),
            "ethnicity_concept_id": pa.array([0] * len(patients), pa.int64()),
            "location_id": pa.array(
                [
                    _commune_id(ctx, p, c)
                    for p, c in zip(
                        patients["postcode"].to_pylist(),
                        patients["city"].to_pylist(),
                        strict=True,
                    )
                ],
                pa.int64(),
            ),
            "gender_source_value": patients["sex"],
        }
    )


def _deaths(ctx: _Context, patients: pa.Table) -> pa.Table:
    dead = patients.filter(pc.invert(pc.is_null(patients["death_date"])))
    dead = dead.filter(pc.not_equal(dead["death_date"], ""))
    return pa.table(
        {
            "person_id": ctx.persons(dead["ipp"]),
            "death_date": _day(_shifted(ctx, dead, "death_date")),
            "death_type_concept_id": pa.array(
                [DEATH_CERTIFICATE] * len(dead), pa.int64()
            ),
        }
    )


def _with_linked_deaths(wh, deaths: pa.Table, persons: pa.Table) -> pa.Table:
    """The rebuilt patients' deaths, and those linkage found (`entrepot.linkage`)
    for the others: rebuilding a patient's rows removes their death rows."""
    from entrepot.linkage import linked_deaths

    others = pc.filter(
        persons["person_id"],
        pc.invert(pc.is_in(persons["person_id"], deaths["person_id"])),
    )
    linked = linked_deaths(wh, others.to_pylist()).select(deaths.column_names)
    return pa.concat_tables([deaths, linked.cast(deaths.schema)])


def _vault_rows(ctx: _Context, patients: pa.Table) -> pa.Table:
    """The identity vault's rows of these patients: their names (every first
    name when the extract gives `first_names`, the birth name when it gives
    `birth_name`), birth date, sex and birthplace (the extract's
    `birthplace_code`, else the NIR's)."""
    n = len(patients)

    def given(column: str) -> list:
        if column in patients.column_names:
            return patients[column].to_pylist()
        return [None] * n

    places = [
        code or nir_birthplace(nir)
        for code, nir in zip(given("birthplace_code"), given("nir"), strict=True)
    ]
    ipps = patients["ipp"].to_pylist()
    return pa.table(
        {
            "person_id": ctx.persons(patients["ipp"]),
            "surname": patients["last_name"],
            "birth_name": pa.array(given("birth_name"), pa.string()),
            "first_names": pa.array(
                [
                    every or usual
                    for every, usual in zip(
                        given("first_names"), given("first_name"), strict=True
                    )
                ],
                pa.string(),
            ),
            "birth_date": _day(_ts(patients["birth_date"])),
            "sex": patients["sex"],
            "birthplace_code": pa.array(places, pa.string()),
            "shift_days": pa.array(
                [shift_days(ctx.key, i) if ctx.shift else 0 for i in ipps], pa.int64()
            ),
        }
    )


def _care_site_key(hospital: str | None, unit: str | None) -> str:
    return f"{unit or ''} - {hospital or ''}"


def _care_sites(ctx: _Context, stays: pa.Table, units: pa.Table | None) -> pa.Table:
    """The units that stays and unit movements name, on their sites."""
    sites = set(
        zip(stays["hospital"].to_pylist(), stays["unit"].to_pylist(), strict=True)
    )
    if units is not None:
        sites |= set(
            zip(units["hospital"].to_pylist(), units["unit"].to_pylist(), strict=True)
        )
    sites = sorted(sites, key=lambda s: (s[0] or "", s[1] or ""))
    return pa.table(
        {
            "care_site_id": _care_site_ids(
                ctx, pa.array([h for h, _ in sites]), pa.array([u for _, u in sites])
            ),
            "care_site_name": [_care_site_key(h, u) for h, u in sites],
            "care_site_source_value": [u for _, u in sites],
        }
    )


def _care_site_ids(ctx: _Context, hospitals: pa.Array, units: pa.Array) -> pa.Array:
    return pa.array(
        [
            pseudonym_id(ctx.key, "care_site", _care_site_key(h, u))
            for h, u in zip(hospitals.to_pylist(), units.to_pylist(), strict=True)
        ],
        pa.int64(),
    )


def _visits(ctx: _Context, stays: pa.Table) -> pa.Table:
    start, end = _shifted(ctx, stays, "admission"), _shifted(ctx, stays, "discharge")
    concept = _lookup(VISIT_CONCEPTS, stays["kind"])
    concept = pc.if_else(
        pc.and_(
            pc.equal(stays["kind"], "MCO"), pc.equal(stays["via_emergency"], "true")
        ),
        ER_INPATIENT,
        concept,
    )
    return pa.table(
        {
            "visit_occurrence_id": _visit_ids(ctx, stays["nda"]),
            "person_id": ctx.persons(stays["ipp"]),
            "visit_concept_id": concept,
            "visit_start_date": _day(start),
            "visit_start_datetime": start,
            "visit_end_date": _day(end),
            "visit_end_datetime": end,
            "visit_type_concept_id": pa.array([EHR] * len(stays), pa.int64()),
            "care_site_id": _care_site_ids(ctx, stays["hospital"], stays["unit"]),
            "visit_source_value": stays["kind"],
        }
    )


def _periods(ctx: _Context, stays: pa.Table, patients: pa.Table) -> pa.Table:
    """One observation period per patient: first admission to last discharge or death."""
    start, end = _shifted(ctx, stays, "admission"), _shifted(ctx, stays, "discharge")
    spans = (
        pa.table({"ipp": stays["ipp"], "s": start, "e": end})
        .group_by("ipp")
        .aggregate([("s", "min"), ("e", "max")])
    )
    ids = ctx.persons(spans["ipp"])
    return pa.table(
        {
            "observation_period_id": ids,
            "person_id": ids,
            "observation_period_start_date": _day(spans["s_min"]),
            "observation_period_end_date": _day(spans["e_max"]),
            "period_type_concept_id": pa.array([EHR] * len(spans), pa.int64()),
        }
    )


def _visit_end(ctx: _Context, rows: pa.Table, stays: pa.Table) -> pa.Array:
    """The discharge date of each row's stay (null when it has none)."""
    ends = dict(
        zip(
            stays["nda"].to_pylist(),
            _day(_shifted(ctx, stays, "discharge")).to_pylist(),
            strict=True,
        )
    )
    return pa.array([ends.get(n) for n in rows["nda"].to_pylist()], pa.date32())


def _visit_details(ctx: _Context, rows: pa.Table, stays: pa.Table) -> dict:
    """Unit movements: the emergency room, intensive care and wards a stay went through."""
    entry, exit_ = _shifted(ctx, rows, "entry"), _shifted(ctx, rows, "exit")
    return {
        "visit_detail": pa.table(
            {
                "visit_detail_id": source_ids(ctx, "units", rows),
                "person_id": ctx.persons(rows["ipp"]),
                "visit_detail_concept_id": _lookup(UNIT_CONCEPTS, rows["kind"]),
                "visit_detail_start_date": _day(entry),
                "visit_detail_start_datetime": entry,
                "visit_detail_end_date": _day(exit_),
                "visit_detail_end_datetime": exit_,
                "visit_detail_type_concept_id": pa.array([EHR] * len(rows), pa.int64()),
                "care_site_id": _care_site_ids(ctx, rows["hospital"], rows["unit"]),
                "visit_detail_source_value": rows["unit"],
                "visit_occurrence_id": _visit_ids(ctx, rows["nda"]),
            }
        )
    }


def _diagnoses(ctx: _Context, rows: pa.Table, stays: pa.Table) -> dict:
    """PMSI codes, each in the table of its concept's domain (OMOP's rule):
    `condition_occurrence`, or `observation` for chapters XX-XXI (V01-Z99)."""
    from entrepot.warehouse.vocabulary import cim10_domain, local_concept_id

    codes = rows["cim10"].to_pylist()
    concept = pa.array(
        [local_concept_id("CIM10", _dotted(c)) if c else 0 for c in codes], pa.int64()
    )
    ids = source_ids(ctx, "pmsi", rows)
    status = _lookup({"DP": PRIMARY, "DAS": SECONDARY}, rows["type"])
    start = _day(_shifted(ctx, rows, "date"))
    observed = pa.array(
        [bool(c) and cim10_domain(c) == "Observation" for c in codes], pa.bool_()
    )
    kept = pc.invert(observed)
    persons, visits = ctx.persons(rows["ipp"]), _visit_ids(ctx, rows["nda"])
    ehr = pa.array([EHR] * len(rows), pa.int64())
    conditions = pa.table(
        {
            "condition_occurrence_id": ids,
            "person_id": persons,
            "condition_concept_id": concept,
            "condition_start_date": start,
            "condition_end_date": _visit_end(ctx, rows, stays),
            "condition_type_concept_id": ehr,
            "condition_status_concept_id": status,
            "visit_occurrence_id": visits,
            "condition_source_value": rows["cim10"],
            "condition_source_concept_id": concept,
        }
    )
    observations = pa.table(
        {
            "observation_id": ids,
            "person_id": persons,
            "observation_concept_id": concept,
            "observation_date": start,
            "observation_type_concept_id": ehr,
            "qualifier_concept_id": status,
            "visit_occurrence_id": visits,
            "observation_source_value": rows["cim10"],
            "observation_source_concept_id": concept,
            "qualifier_source_value": rows["type"],
        }
    )
    return {
        "condition_occurrence": conditions.filter(kept),
        "observation": observations.filter(observed),
    }


def _procedures(ctx: _Context, rows: pa.Table, stays: pa.Table) -> dict:
    """CCAM acts, kept as source codes (concept 0 unless the vocabulary has CCAM)."""
    done = _shifted(ctx, rows, "done_at")
    return {
        "procedure_occurrence": pa.table(
            {
                "procedure_occurrence_id": source_ids(ctx, "procedures", rows),
                "person_id": ctx.persons(rows["ipp"]),
                "procedure_concept_id": pa.array([0] * len(rows), pa.int64()),
                "procedure_date": _day(done),
                "procedure_datetime": done,
                "procedure_type_concept_id": pa.array([EHR] * len(rows), pa.int64()),
                "visit_occurrence_id": _visit_ids(ctx, rows["nda"]),
                "procedure_source_value": rows["ccam"],
            }
        )
    }


def _dotted(code: str) -> str:
    """CIM-10 as the vocabulary writes it: `M340` → `M34.0`."""
    code = code.strip().upper()
    return code if len(code) <= 3 or "." in code else f"{code[:3]}.{code[3:]}"


def _lab_codes(ctx: _Context, rows: pa.Table) -> tuple[pa.Table, pa.Array]:
    """`rows` with `loinc` falling back to the local code, and each row's
    concept: its LOINC's, else the local code's approved map, else 0."""
    from entrepot.warehouse.vocabulary import local_concept_id

    loinc = rows["loinc"].to_pylist()
    local = (
        rows["local_code"].to_pylist()
        if "local_code" in rows.column_names
        else [None] * len(rows)
    )
    concepts = [
        local_concept_id("LOINC", c) if c else ctx.lab_maps.get(lc or "", 0)
        for c, lc in zip(loinc, local, strict=True)
    ]
    codes = pa.array([c or lc for c, lc in zip(loinc, local, strict=True)], pa.string())
    rows = rows.set_column(rows.column_names.index("loinc"), "loinc", codes)
    return rows, pa.array(concepts, pa.int64())


def _measurements(ctx: _Context, rows: pa.Table, stays: pa.Table) -> dict:
    from entrepot.warehouse.vocabulary import local_concept_id

    rows, concepts = _lab_codes(ctx, rows)
    taken = _shifted(ctx, rows, "taken_at")
    units = rows["unit"].to_pylist()
    return {
        "measurement": pa.table(
            {
                "measurement_id": source_ids(ctx, "lab", rows),
                "person_id": ctx.persons(rows["ipp"]),
                "measurement_concept_id": concepts,
                "measurement_date": _day(taken),
                "measurement_datetime": taken,
                "measurement_type_concept_id": pa.array([LAB] * len(rows), pa.int64()),
                "value_as_number": _number(rows["value"]),
                "unit_concept_id": pa.array(
                    [local_concept_id("UCUM", u) if u else None for u in units],
                    pa.int64(),
                ),
                "range_low": _number(rows["low"]),
                "range_high": _number(rows["high"]),
                "visit_occurrence_id": _visit_ids(ctx, rows["nda"]),
                "measurement_source_value": rows["loinc"],
                "unit_source_value": rows["unit"],
                "value_source_value": rows["text"],
            }
        )
    }


def _atc_concepts(products: pa.Array) -> pa.Array:
    """The ATC concept of each product label (0 when no substance is recognised)."""
    from entrepot.drugs import recognize
    from entrepot.warehouse.vocabulary import local_concept_id

    cache: dict[str | None, int] = {}
    for product in products.to_pylist():
        if product not in cache:
            atc = recognize(product).atc if product else ()
            cache[product] = local_concept_id("ATC", atc[0]) if atc else 0
    return _lookup(cache, products)


def _drugs(ctx: _Context, rows: pa.Table, stays: pa.Table) -> dict:
    """Drug lines mapped to ATC by their product label (kept as source value)."""
    start, end = _shifted(ctx, rows, "start"), _shifted(ctx, rows, "end")
    kind = pc.if_else(
        pc.equal(rows["kind"], "administration"), EHR_ADMINISTRATION, EHR_PRESCRIPTION
    )
    return {
        "drug_exposure": pa.table(
            {
                "drug_exposure_id": source_ids(ctx, "drugs", rows),
                "person_id": ctx.persons(rows["ipp"]),
                "drug_concept_id": _atc_concepts(rows["product"]),
                "drug_exposure_start_date": _day(start),
                "drug_exposure_start_datetime": start,
                "drug_exposure_end_date": _day(end),
                "drug_exposure_end_datetime": end,
                "drug_type_concept_id": pc.cast(kind, pa.int64()),
                "quantity": _number(rows["dose"]),
                "route_concept_id": _lookup(ROUTES, rows["route"], default=None),
                "visit_occurrence_id": _visit_ids(ctx, rows["nda"]),
                "drug_source_value": rows["product"],
                "route_source_value": rows["route"],
                "dose_unit_source_value": rows["dose_unit"],
            }
        )
    }


def _notes(ctx: _Context, rows: pa.Table, stays: pa.Table) -> dict:
    """Notes as written (de-identified afterwards); ipp kept aside for that step."""
    written = _shifted(ctx, rows, "written_at")
    return {
        "note": pa.table(
            {
                "note_id": source_ids(ctx, "documents", rows),
                "person_id": ctx.persons(rows["ipp"]),
                "note_date": _day(written),
                "note_datetime": written,
                "note_type_concept_id": pa.array([EHR] * len(rows), pa.int64()),
                "note_class_concept_id": pa.array([0] * len(rows), pa.int64()),
                "note_title": rows["title"],
                "note_text": rows["text"],
                "encoding_concept_id": pa.array([UTF8] * len(rows), pa.int64()),
                "language_concept_id": pa.array([FRENCH] * len(rows), pa.int64()),
                "visit_occurrence_id": _visit_ids(ctx, rows["nda"]),
                "_ipp": rows["ipp"],
            }
        )
    }


def _deidentified_notes(
    ctx: _Context, notes: pa.Table | None, config: DeidConfig
) -> tuple[pa.Table | None, int]:
    """Every note's text de-identified with its patient's identity; spans removed."""
    if notes is None:
        return None, 0
    identities = _identities(ctx.patients)
    texts, removed = [], 0
    for text, ipp in zip(
        notes["note_text"].to_pylist(), notes["_ipp"].to_pylist(), strict=True
    ):
        who = identities.get(ipp)
        days = shift_days(ctx.key, ipp) if ctx.shift and ipp else None
        result = deidentify(text or "", who, config.with_shift(days))
        texts.append(result.text)
        removed += len(result.spans)
    notes = notes.drop_columns(["_ipp"])
    index = notes.column_names.index("note_text")
    return notes.set_column(index, "note_text", pa.array(texts, pa.string())), removed


def _identities(patients: pa.Table) -> dict[str, Identity]:
    """Each patient's identity from the identity server, to find it in notes."""
    return {row["ipp"]: Identity.from_record(row) for row in patients.to_pylist()}
