"""Vital status by linkage with INSEE's death records (`entrepot link deaths`).

The records are compared with the identity vault (`entrepot.privacy`), never
with the warehouse, by a Fellegi–Sunter model (`_model`). A pair at or above
the threshold is a link: its death becomes an OMOP `death` row of type
"Registry", dated with the patient's own date shift, unless the warehouse
already knows that death. A pair in the grey zone (from `review_from` up to
the threshold) goes to the data office's review list. Each record
paired is remembered (`death_link`, by a keyed id of the record), so that
running again on the same or the next month's file adds only what is new;
records paired with no one are examined again (a patient ingested since may
match them).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from entrepot.errors import InputFileError, ParameterError
from entrepot.linkage import _model
from entrepot.privacy import (
    SecretKey,
    audit,
    pseudonym_id,
    read_identities,
    require_key,
)
from entrepot.privacy._tables import ensure_table
from entrepot.warehouse.vocabulary._standard import REGISTRY

THRESHOLD = 0.95  # a pair at or above it is a link
REVIEW_FROM = 0.5  # a pair from here up to the threshold is reviewed
LINKS = "death_link"
LINKED, REVIEW = "linked", "review"
#: The columns of INSEE's records the linkage reads (`read_insee_deaths`).
NEEDED = (
    "file",
    "line",
    "surname",
    "first_names",
    "sex",
    "birth_year",
    "birth_month",
    "birth_day",
    "birthplace_code",
    "death_date",
    "death_place_code",
    "certificate",
)
_SEX = {"1": "M", "2": "F", "M": "M", "F": "F"}


@dataclass
class DeathLinkage:
    """What a run of `link_deaths` found and wrote."""

    records: int
    threshold: float
    review_from: float
    links: list[dict] = field(default_factory=list)  # new accepted links
    review: int = 0  # new grey-zone pairs
    deaths_added: int = 0
    already_known: int = 0  # paired records an earlier run linked or reviewed
    weights: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "records": self.records,
            "linked": len(self.links),
            "review": self.review,
            "threshold": self.threshold,
            "links": [
                {k: link[k] for k in ("file", "line", "person_id", "probability")}
                for link in self.links
            ],
            "review_from": self.review_from,
            "deaths_added": self.deaths_added,
            "already_known": self.already_known,
            "weights": self.weights,
        }


def link_deaths(
    wh,
    key: SecretKey,
    deaths: pa.Table,
    *,
    threshold: float = THRESHOLD,
    review_from: float = REVIEW_FROM,
    user: str = "entrepot",
) -> DeathLinkage:
    """Link INSEE's death records (`read_insee_deaths`' rows) to the
    warehouse's patients; write the new deaths and review pairs atomically."""
    if not 0 < review_from <= threshold < 1:
        raise ParameterError(
            f"need 0 < review-from ({review_from}) <= threshold ({threshold}) < 1"
        )
    missing = [c for c in NEEDED if c not in deaths.column_names]
    if missing:
        raise InputFileError(f"death records: missing column(s) {', '.join(missing)}")
    require_key(wh, key)
    identities = _patients(wh, read_identities(wh, key))
    stored = ensure_table(wh, LINKS)
    found = DeathLinkage(len(deaths), threshold, review_from)
    if not len(deaths) or not len(identities):
        _audit(wh, user, deaths, found)
        return found
    _model.require_splink()
    patients, person_of = _patient_records(identities)
    pairs, found.weights = _model.predict(
        _api(wh), _death_records(deaths), patients, review_from
    )
    chosen = _one_to_one(pairs, person_of)
    record_ids = _record_ids(key, deaths.take([row for row, _, _ in chosen]))
    known = set(stored.record_id.to_pyarrow().to_pylist())  # links and reviews only
    found.already_known = sum(r in known for r in record_ids.to_pylist())
    rows = _links(wh, deaths, record_ids, known, identities, chosen, threshold)
    found.links = [r for r in rows if r["status"] == LINKED]
    found.review = len(rows) - len(found.links)
    dead = set(wh.table("death").person_id.to_pyarrow().to_pylist())
    new_deaths = [r for r in found.links if r["person_id"] not in dead]
    found.deaths_added = len(new_deaths)
    with wh.store.transaction() as tx:
        if rows:
            tx.append(
                "entrepot",
                LINKS,
                wh.store.from_arrow(
                    pa.Table.from_pylist(rows, schema=stored.schema().to_pyarrow())
                ),
            )
        if new_deaths:
            tx.append("cdm", "death", wh.store.from_arrow(death_rows(wh, new_deaths)))
    _audit(wh, user, deaths, found)
    return found


def death_rows(wh, links: list[dict]) -> pa.Table:
    """OMOP `death` rows of accepted links (their dates already shifted)."""
    schema = wh.table("death").schema().to_pyarrow()
    return pa.Table.from_pylist(
        [
            {
                "person_id": r["person_id"],
                "death_date": r["death_date"],
                "death_type_concept_id": REGISTRY,
                "cause_concept_id": 0,
            }
            for r in links
        ],
        schema=schema,
    )


def linked_deaths(wh, persons: list[int]) -> pa.Table:
    """The `death` rows that linkage gave these persons (for a rebuild)."""
    if not wh.has_table(LINKS) or not persons:
        return wh.table("death").schema().to_pyarrow().empty_table()
    t = wh.table(LINKS)
    rows = t.filter((t.status == LINKED) & t.person_id.isin(persons))
    return death_rows(wh, rows.to_pyarrow().to_pylist())


def _audit(wh, user: str, deaths: pa.Table, found: DeathLinkage) -> None:
    files = sorted(set(deaths["file"].to_pylist())) if len(deaths) else []
    audit(
        wh,
        user,
        "link.deaths",
        {
            "files": [Path(f).name for f in files],
            "records": found.records,
            "threshold": found.threshold,
            "review_from": found.review_from,
            "linked": len(found.links),
            "review": found.review,
        },
        rows=found.deaths_added,
        persons=len(found.links),
    )


def _api(wh):
    """splink's engine: the warehouse's Spark session, or a private in-memory
    DuckDB (identities never reach the warehouse's file)."""
    session = getattr(wh.store, "session", None)
    if session is not None:
        from splink import SparkAPI

        return SparkAPI(
            spark_session=session,
            break_lineage_method="persist",  # in memory: no identity on disk
            register_udfs_automatically=False,
        )
    import duckdb
    from splink import DuckDBAPI

    return DuckDBAPI(duckdb.connect(":memory:"))


def _patients(wh, identities: pa.Table) -> pa.Table:
    """The vault's identities of the warehouse's patients."""
    persons = wh.table("person").person_id.to_pyarrow()
    return identities.filter(pc.is_in(identities["person_id"], persons))


def _record_ids(key: SecretKey, deaths: pa.Table) -> pa.Array:
    """A keyed id of each record, from its identity and death: the same
    person's record in the next month's file has the same id."""
    columns = ("surname", "first_names", "sex", "birth_year", "birth_month")
    columns += ("birth_day", "birthplace_code", "death_date", "death_place_code")
    columns += ("certificate",)
    values = zip(*(deaths[c].to_pylist() for c in columns), strict=True)
    return pa.array(
        [
            pseudonym_id(
                key, "insee", "\x1f".join("" if v is None else str(v) for v in row)
            )
            for row in values
        ],
        pa.int64(),
    )


def _patient_records(identities: pa.Table) -> tuple[pa.Table, pa.Array]:
    """The patients' side: one row per name (in use, and birth name when
    another); and the person_id of each row."""
    other = pc.and_(
        pc.is_valid(identities["birth_name"]),
        pc.invert(
            pc.fill_null(
                pc.equal(
                    _model.fold(identities["birth_name"]),
                    _model.fold(identities["surname"]),
                ),
                False,
            )
        ),
    )
    births = identities.filter(other)
    births = births.set_column(1, "surname", births["birth_name"])
    rows = pa.concat_tables([identities, births])
    birth = rows["birth_date"]
    table = _model.records(
        pa.array(range(len(rows)), pa.int64()),
        rows["surname"],
        rows["first_names"],
        rows["sex"],
        pc.year(birth),
        pc.month(birth),
        pc.day(birth),
        rows["birthplace_code"],
    )
    return table, rows["person_id"].combine_chunks()


def _death_records(deaths: pa.Table) -> pa.Table:
    sex = pa.array([_SEX.get(str(s).strip()) for s in deaths["sex"].to_pylist()])
    return _model.records(
        pa.array(range(len(deaths)), pa.int64()),
        deaths["surname"],
        deaths["first_names"],
        sex,
        deaths["birth_year"],
        deaths["birth_month"],
        deaths["birth_day"],
        deaths["birthplace_code"],
    )


def _one_to_one(pairs: pa.Table, person_of: pa.Array) -> list[tuple[int, int, float]]:
    """(record row, person_id, probability): each record and each person in
    one pair at most, the most probable first."""
    rows = pairs["unique_id_l"].to_pylist()
    persons = pc.take(person_of, pairs["unique_id_r"]).to_pylist()
    probabilities = pairs["match_probability"].to_pylist()
    best: dict[tuple[int, int], float] = {}
    for row, person, p in zip(rows, persons, probabilities, strict=True):
        best[row, person] = max(p, best.get((row, person), 0.0))
    chosen, seen_rows, seen_persons = [], set(), set()
    for (row, person), p in sorted(best.items(), key=lambda kv: (-kv[1], kv[0])):
        if row in seen_rows or person in seen_persons:
            continue
        seen_rows.add(row)
        seen_persons.add(person)
        chosen.append((row, person, p))
    return sorted(chosen)


def _links(wh, deaths, record_ids, known, identities, chosen, threshold):
    """The rows of `death_link` to add: the chosen pairs of records not seen
    before (`record_ids`: of each chosen pair), each person's death dated
    with their own shift."""
    shift = dict(
        zip(
            identities["person_id"].to_pylist(),
            identities["shift_days"].to_pylist(),
            strict=True,
        )
    )
    linked_before = _linked_persons(wh)
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    ids = record_ids.to_pylist()
    files = deaths["file"].to_pylist()
    lines = deaths["line"].to_pylist()
    died = deaths["death_date"].to_pylist()
    out = []
    for (row, person, p), record in zip(chosen, ids, strict=True):
        if record in known or person in linked_before:
            continue
        day = _death_day(died[row])
        out.append(
            {
                "record_id": record,
                "person_id": person,
                "file": Path(files[row]).name,
                "line": int(lines[row]),
                "probability": round(float(p), 6),
                "status": LINKED if p >= threshold else REVIEW,
                "death_date": None
                if day is None
                else day + timedelta(days=shift.get(person) or 0),
                "linked_at": now,
            }
        )
    return out


def _linked_persons(wh) -> set[int]:
    t = wh.table(LINKS)
    return set(t.filter(t.status == LINKED).person_id.to_pyarrow().to_pylist())


def _death_day(value) -> date | None:
    """A death date, from a date or INSEE's AAAAMMJJ (00: unknown, read as 01)."""
    if value is None or isinstance(value, date):
        return value
    text = str(value).strip()
    if len(text) != 8 or not text.isdigit() or text[:4] == "0000":
        return None
    month, day = int(text[4:6]) or 1, int(text[6:8]) or 1
    try:
        return date(int(text[:4]), month, day)
    except ValueError:
        return None


def review_list(wh) -> list[dict]:
    """The grey-zone pairs waiting for the data office: the record's file
    and line, the patient's pseudonym, the probability; never an identity."""
    if not wh.has_table(LINKS):
        return []
    t = wh.table(LINKS)
    rows = t.filter(t.status == REVIEW).select(
        "file", "line", "person_id", "probability", "linked_at"
    )
    return rows.order_by([rows.file, rows.line]).to_pyarrow().to_pylist()
