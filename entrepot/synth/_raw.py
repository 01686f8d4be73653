"""Raw hospital extracts: the same hospital as its source systems export it,
identified (names, IPP, NDA, real dates), one CSV file per source. See
RAW_FORMAT.md for the columns."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.synth._conditions import STATUS_CODES
from entrepot.synth._reference import (
    EHR_ADMINISTRATION,
    PRIMARY,
    SECONDARY,
    local_lab_codes,
    units,
)

SOURCES = (
    "patients",
    "stays",
    "units",
    "pmsi",
    "procedures",
    "lab",
    "drugs",
    "documents",
)


def raw_tables(chunk) -> dict[str, pa.Table]:
    """One chunk's extracts, from its OMOP tables and its identities."""
    t, who, stays = chunk.tables, chunk.identities, chunk.stays
    first = who["person_id"][0].as_py() if len(who) else 0
    ipp = who["ipp"]
    stay_ids = stays["visit_occurrence_id"].to_numpy()

    def ipp_of(table: pa.Table) -> pa.Array:
        return ipp.take(pa.array(table["person_id"].to_numpy() - first))

    def nda_of(table: pa.Table) -> pa.Array:
        visit = table["visit_occurrence_id"]
        rows = np.searchsorted(stay_ids, visit.fill_null(0).to_numpy())
        return stays["nda"].take(
            pa.array(
                np.minimum(rows, len(stay_ids) - 1),
                mask=visit.is_null().to_numpy(zero_copy_only=False),
            )
        )

    death = t["death"]
    died = pc.index_in(who["person_id"], death["person_id"])
    visits = t["visit_occurrence"]
    conditions = chunk.diagnoses
    lab = t["measurement"]
    drugs = t["drug_exposure"]
    details, acts = t["visit_detail"], t["procedure_occurrence"]
    out = {
        "patients": who.drop_columns(["person_id"]).append_column(
            "death_date", death["death_date"].take(died)
        ),
        "stays": pa.table(
            {
                "nda": stays["nda"],
                "ipp": ipp_of(stays),
                "kind": stays["kind"],
                "hospital": stays["hospital"],
                "unit": stays["unit"],
                "physician": stays["physician"],
                "admission": visits["visit_start_datetime"],
                "discharge": visits["visit_end_datetime"],
                "via_emergency": pc.equal(visits["visit_concept_id"], 262),
            }
        ),
        "units": pa.table(
            {
                "nda": nda_of(details),
                "ipp": ipp_of(details),
                "hospital": _unit_field(details, "hospital"),
                "unit": details["visit_detail_source_value"],
                "kind": _unit_field(details, "kind"),
                "entry": details["visit_detail_start_datetime"],
                "exit": details["visit_detail_end_datetime"],
            }
        ),
        "procedures": pa.table(
            {
                "nda": nda_of(acts),
                "ipp": ipp_of(acts),
                "ccam": acts["procedure_source_value"],
                "done_at": acts["procedure_datetime"],
            }
        ),
        "pmsi": pa.table(
            {
                "nda": nda_of(conditions),
                "ipp": ipp_of(conditions),
                "type": pc.if_else(
                    pc.equal(conditions["condition_status_concept_id"], PRIMARY),
                    STATUS_CODES[PRIMARY],
                    STATUS_CODES[SECONDARY],
                ),
                "cim10": conditions["condition_source_value"],
                "date": conditions["condition_start_date"],
            }
        ),
        "lab": pa.table(
            {
                "nda": nda_of(lab),
                "ipp": ipp_of(lab),
                "loinc": lab["measurement_source_value"],
                "local_code": _local(lab, "local_code"),
                "local_label": _local(lab, "local_label"),
                "value": lab["value_as_number"],
                "text": lab["value_source_value"],
                "unit": lab["unit_source_value"],
                "low": lab["range_low"],
                "high": lab["range_high"],
                "taken_at": lab["measurement_datetime"],
            }
        ),
        "drugs": pa.table(
            {
                "nda": nda_of(drugs),
                "ipp": ipp_of(drugs),
                "kind": pc.if_else(
                    pc.equal(drugs["drug_type_concept_id"], EHR_ADMINISTRATION),
                    "administration",
                    "prescription",
                ),
                "product": drugs["drug_source_value"],
                "dose": drugs["quantity"],
                "dose_unit": drugs["dose_unit_source_value"],
                "route": drugs["route_source_value"],
                "start": drugs["drug_exposure_start_datetime"],
                "end": drugs["drug_exposure_end_datetime"],
            }
        ),
    }
    note = t.get("note")
    out["documents"] = pa.table(
        {
            "nda": nda_of(note) if note is not None else pa.array([], pa.string()),
            "ipp": ipp_of(note) if note is not None else pa.array([], pa.string()),
            "document_id": note["note_id"]
            if note is not None
            else pa.array([], pa.int64()),
            "written_at": note["note_datetime"]
            if note is not None
            else pa.array([], pa.timestamp("us")),
            "title": note["note_title"]
            if note is not None
            else pa.array([], pa.string()),
            "text": note["note_text"]
            if note is not None
            else pa.array([], pa.string()),
        }
    )
    return out


def _local(lab: pa.Table, field: str) -> pa.Array:
    """The lab system's local code or label of each result."""
    catalogue = local_lab_codes()
    where = pc.index_in(lab["measurement_source_value"], pa.array(list(catalogue)))
    return pa.array([r[field] for r in catalogue.values()], pa.string()).take(where)


def _unit_field(details: pa.Table, name: str) -> pa.Array:
    """A field of units.csv (hospital, kind) for each unit movement."""
    by_name = {u.name: getattr(u, name) for u in units()}
    names = details["visit_detail_source_value"].to_pylist()
    return pa.array([by_name[n] for n in names], pa.string())


def write_raw(parts: Path, folder: Path) -> dict[str, int]:
    """Gather the chunks' parts into one CSV file per source; rows per file."""
    import duckdb

    folder.mkdir(parents=True, exist_ok=True)
    rows = {}
    with duckdb.connect() as con:
        for source in SOURCES:
            target = folder / f"{source}.csv"
            files = str(parts / source / "*.parquet")
            con.execute(
                f"COPY (SELECT * FROM read_parquet('{files}')) TO '{target}' "
                "(HEADER, DELIMITER ',', TIMESTAMPFORMAT '%Y-%m-%d %H:%M:%S')"
            )
            rows[source] = con.execute(
                f"SELECT count(*) FROM read_parquet('{files}')"
            ).fetchone()[0]
    return rows
