"""The warehouse: OMOP CDM v5.4 tables on an engine, read as Ibis expressions."""

from __future__ import annotations

import os
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.errors import UnknownTableError, WarehouseNotFoundError
from entrepot.warehouse._beside import COLUMNS as BESIDE_COLUMNS
from entrepot.warehouse._beside import TABLE as BESIDE_TABLE
from entrepot.warehouse._beside import settle
from entrepot.warehouse._revision import COLUMNS as REVISION_COLUMNS
from entrepot.warehouse._revision import TABLE as REVISION_TABLE
from entrepot.warehouse._revision import check
from entrepot.warehouse._store import Store
from entrepot.warehouse._uri import WarehouseURI, resolve
from entrepot.warehouse.cdm import cdm_table, cdm_tables

#: entrepot's own tables, kept apart from the CDM's (schema `entrepot`).
BOOKKEEPING = {
    "quarantine": ibis.schema(
        {
            "load_id": "string",
            "quarantined_at": "timestamp",
            "source": "string",
            "table_name": "string",
            "reason": "string",
            "record": "string",
        }
    ),
    "note_annotation": ibis.schema(  # gold spans of synthetic notes, for scoring text tools
        {
            "note_id": "int64",
            "start": "int64",
            "end": "int64",
            "kind": "string",  # entity or identifier
            "label": "string",
            "concept_code": "string",
            "text": "string",
            "negation": "boolean",
            "hypothesis": "boolean",
            "family": "boolean",
            "history": "boolean",
        }
    ),
    "synth_truth": ibis.schema(  # ground truth of the synthetic hospital's modules
        {
            "person_id": "int64",
            "module": "string",  # a disease module, or an extraction schema
            "subtype": "string",
            "onset_date": "date",
            "note_id": "int64",  # an extraction schema's: the note, field, value
            "field": "string",
            "value": "string",
            # planted drug events (module drug_events): pairs, controls, cases
            "drug_atc": "string",
            "with_atc": "string",  # drugs taken with it: groups by ';', one of ','
            "event_code": "string",
            "relative_risk": "float64",
            "latency_median": "float64",
            "latency_shape": "float64",
            "latency_min": "int64",
            "latency_max": "int64",
            "exposure_date": "date",  # the culprit's start, for an induced case
        }
    ),
    "note_nlp_state": ibis.schema(  # which notes the text pipeline has read (entrepot.nlp)
        {
            "note_id": "int64",
            "fingerprint": "string",
            "status": "string",  # "ok" or why the note was skipped
            "mentions": "int64",
            "processed_at": "timestamp",
        }
    ),
    "note_extraction": ibis.schema(  # fields read from notes (entrepot.extraction)
        {
            "note_id": "int64",
            "person_id": "int64",
            "schema_name": "string",
            "schema_version": "string",
            "field": "string",
            "field_type": "string",  # boolean, enum, number, date or text
            "value": "string",  # as text, typed back by field_type; null: none
            "evidence_start": "int64",  # offsets into note_text
            "evidence_end": "int64",
            "backend": "string",
            "model": "string",
            "prompt_version": "string",
            "fingerprint": "string",  # of the note's text and what read it
            "extracted_at": "timestamp",
        }
    ),
    "quality_state": ibis.schema(  # incremental data quality runs (entrepot.quality)
        {
            "table_name": "string",
            "rows": "int64",
            "max_id": "int64",
            "fingerprint": "string",
            "checked_at": "timestamp",
            "results": "string",
        }
    ),
    "audit_log": ibis.schema(  # append-only, hash-chained (entrepot.privacy)
        {
            "seq": "int64",
            "at": "timestamp",
            "user": "string",
            "action": "string",
            "parameters": "string",
            "project": "string",
            "rows": "int64",
            "persons": "int64",
            "prev_hash": "string",
            "hash": "string",
        }
    ),
    "optout": ibis.schema(  # patients who object, as pseudonyms (entrepot.privacy)
        {"person_id": "int64", "added_at": "timestamp", "added_by": "string"}
    ),
    "optout_request": ibis.schema(  # objections sealed for the key holder
        {
            "request_id": "string",
            "sealed": "string",
            "requested_at": "timestamp",
            "requested_by": "string",
        }
    ),
    "patient_merge": ibis.schema(  # IPP merges, as pseudonyms (entrepot.privacy)
        {
            "old_person_id": "int64",
            "new_person_id": "int64",
            "merged_on": "date",
            "merged_at": "timestamp",
            "merged_by": "string",
            "shift_days": "int64",  # dates of moved rows moved by this many days
            "optout_added": "int64",  # the person registered by the merge, or null
        }
    ),
    "merge_row": ibis.schema(  # each row a merge moved or removed, as it was
        {
            "old_person_id": "int64",
            "new_person_id": "int64",
            "table_name": "string",
            "record": "string",  # JSON of the row before the merge
            "moved": "boolean",  # re-pointed to the survivor (else removed)
        }
    ),
    "privacy_settings": ibis.schema(  # key fingerprint, audit retention
        {"name": "string", "value": "string"}
    ),
    "access_user": ibis.schema(  # users, argon2 password hashes (entrepot.privacy)
        {
            "name": "string",
            "role": "string",
            "password_hash": "string",
            "created_at": "timestamp",
        }
    ),
    "access_project": ibis.schema(  # projects and their authorised perimeter
        {
            "name": "string",
            "cohort_id": "int64",
            "domains": "string",  # comma-separated tables, or null: all
            "start_date": "date",
            "end_date": "date",
            "mask_below": "int64",
            "created_at": "timestamp",
        }
    ),
    "access_member": ibis.schema({"user_name": "string", "project": "string"}),
    "project_request": ibis.schema(  # projects asked of the data office: each step a row
        {
            "request_id": "int64",
            "step": "int64",  # 1 for the request, then each step after it
            "event": "string",  # requested, amended, approved or refused
            "name": "string",  # the project asked for
            "summary": "string",  # the protocol's summary
            "legal_basis": "string",
            "cohort_id": "int64",
            "domains": "string",  # comma-separated tables, or null: all
            "start_date": "date",
            "end_date": "date",
            "members": "string",  # comma-separated users
            "requested_by": "string",
            "by": "string",  # who took this step
            "at": "timestamp",
            "comment": "string",
        }
    ),
    "project_extract": ibis.schema(  # extracts asked by projects: each step a row
        {
            "extract_id": "int64",
            "step": "int64",
            "event": "string",  # requested, approved, refused or produced
            "project": "string",
            "cohort_id": "int64",
            "columns": "string",  # JSON: table -> columns
            "format": "string",  # parquet or csv
            "kanon": "string",  # JSON: the k-anonymity check when asked
            "files": "string",  # JSON: file -> rows, once produced
            "requested_by": "string",
            "by": "string",
            "at": "timestamp",
            "comment": "string",
        }
    ),
    "access_units": ibis.schema(  # the care sites of a project's perimeter
        {
            "project": "string",
            "care_site_id": "int64",  # any node: the stays under it count
            "mode": "string",  # research or care, the same on each project's rows
            "set_at": "timestamp",
        }
    ),
    "care_team": ibis.schema(  # who is on the care team of a care site
        {"user_name": "string", "care_site_id": "int64", "added_at": "timestamp"}
    ),
    "cohort_owner": ibis.schema(  # each cohort's project and user (entrepot.privacy)
        {
            "cohort_definition_id": "int64",
            "project": "string",  # null: no project (the CLI, warehouse-wide)
            "owner": "string",
            "name": "string",  # the name it was claimed under
            "created_at": "timestamp",
        }
    ),
    "released_persons": ibis.schema(  # counts released per project (differencing)
        {"project": "string", "release_id": "int64", "person_id": "int64"}
    ),
    REVISION_TABLE: REVISION_COLUMNS,  # schema revisions (warehouse._revision)
    BESIDE_TABLE: BESIDE_COLUMNS,  # digests of files beside (warehouse._beside)
    "drug_effect": ibis.schema(  # an adverse effect data pack (entrepot.drugs)
        {
            "atc": "string",
            "substance": "string",
            "soc": "string",
            "frequency": "string",
            "term": "string",
            "source": "string",
        }
    ),
    "source_row": ibis.schema(  # keyed fingerprints of ingested source rows
        {
            "source": "string",  # the extract (patients, lab...)
            "row_id": "int64",  # the id of its OMOP row
            "person_id": "int64",  # so that erasing a patient forgets their rows
            "fingerprint": "int64",
        }
    ),
    "study": ibis.schema(  # research databases linked in (entrepot.linkage)
        {
            "name": "string",
            "consent": "string",  # the scope its participants consented to
            "rows": "int64",
            "loaded_at": "timestamp",
            "loaded_by": "string",
        }
    ),
    "study_row": ibis.schema(  # each CDM row a study brought (entrepot.linkage)
        {
            "study": "string",
            "table_name": "string",  # observation or measurement
            "row_id": "int64",
            "person_id": "int64",  # so that erasing a patient forgets their rows
        }
    ),
    "study_access": ibis.schema(  # projects authorised for a study (entrepot.privacy)
        {"project": "string", "study": "string", "granted_at": "timestamp"}
    ),
    # Whole-slide images (entrepot.slides): OHDSI's Medical Imaging CDM
    # extension (MI-CDM) tables, as its DDL names them, with 64-bit ids.
    "image_occurrence": ibis.schema(
        {
            "image_occurrence_id": "int64",
            "person_id": "int64",
            "procedure_occurrence_id": "int64",  # null: no procedure that day
            "visit_occurrence_id": "int64",
            "anatomic_site_concept_id": "int64",
            "wadors_uri": "string",
            "local_path": "string",  # an opaque name in the slide folder
            "image_occurrence_date": "date",
            "image_study_uid": "string",  # generated, never the scanner's
            "image_series_uid": "string",
            "modality_concept_id": "int64",
        }
    ),
    "image_feature": ibis.schema(
        {
            "image_feature_id": "int64",
            "person_id": "int64",
            "image_occurrence_id": "int64",
            "image_feature_event_field_concept_id": "int64",
            "image_feature_event_id": "int64",  # the measurement holding the value
            "image_feature_concept_id": "int64",
            "image_feature_type_concept_id": "int64",
            "image_finding_concept_id": "int64",
            "image_finding_id": "int64",
            "anatomic_site_concept_id": "int64",
            "alg_system": "string",
            "alg_datetime": "timestamp",
        }
    ),
    "slide": ibis.schema(  # what a whole-slide image is, beside image_occurrence
        {
            "image_occurrence_id": "int64",
            "specimen_id": "int64",  # null: registered by person and date
            "format": "string",
            "scanner": "string",
            "objective_power": "float64",
            "mpp": "float64",  # micrometres per pixel at level 0
            "width": "int64",
            "height": "int64",
            "levels": "string",  # JSON: [[width, height, downsample], ...]
            "stain": "string",
            "checksum": "string",  # SHA-256 of the file as registered
            "bytes": "int64",
            "registered_at": "timestamp",
        }
    ),
    "slide_tile": ibis.schema(  # tiles of a slide (entrepot slides tile)
        {
            "image_occurrence_id": "int64",
            "level": "int64",  # the pyramid level it is read from
            "x": "int64",  # level-0 pixels of its top-left corner
            "y": "int64",
            "size": "int64",  # its side read at that level
            "tissue_fraction": "float64",
            "mpp": "float64",  # as tiled: micrometres per pixel,
            "side": "int64",  # side in pixels at that mpp,
            "extent": "int64",  # and side in level-0 pixels
        }
    ),
    "slide_heatmap": ibis.schema(  # a model's tile scores, as a grid
        {
            "image_feature_id": "int64",
            "image_occurrence_id": "int64",
            "cell": "int64",  # level-0 pixels of a cell's side (from its top-left)
            "rows": "int64",
            "columns": "int64",
            "scores": "string",  # JSON: rows of floats, null where no tile
        }
    ),
    "death_link": ibis.schema(  # INSEE death records seen by `link deaths`
        {
            "record_id": "int64",  # keyed id of the record
            "person_id": "int64",
            "file": "string",
            "line": "int64",
            "probability": "float64",
            "status": "string",  # linked, or review (the grey zone)
            "death_date": "date",  # shifted as the patient's dates are
            "linked_at": "timestamp",
        }
    ),
    "network_hub": ibis.schema(  # hubs a node answers: its token's key (entrepot.network)
        {
            "hub": "string",
            "key": "string",
            "issued_at": "timestamp",
            "issued_by": "string",
        }
    ),
    "network_study": ibis.schema(  # studies hubs sent a node, and their status
        {
            "study_id": "string",
            "hub": "string",
            "name": "string",
            "analysis": "string",
            "body": "string",
            "status": "string",  # pending, accepted, refused or done
            "received_at": "timestamp",
            "decided_at": "timestamp",
            "decided_by": "string",
        }
    ),
    "load_log": ibis.schema(
        {
            "load_id": "string",
            "loaded_at": "timestamp",
            "source": "string",
            "table_name": "string",
            "loaded": "int64",
            "skipped": "int64",
            "quarantined": "int64",
        }
    ),
}


def _schema_of(name: str) -> str:
    """The logical schema a table belongs to."""
    if name in BOOKKEEPING:
        return "entrepot"
    if name in cdm_tables() and cdm_table(name).role == "results":
        return "results"
    return "cdm"


class Warehouse:
    """An OMOP CDM v5.4 warehouse on DuckDB (default) or Spark, through Ibis.

    >>> wh = Warehouse.create("eds.duckdb")        # doctest: +SKIP
    >>> wh.table("person").count().execute()       # doctest: +SKIP
    """

    def __init__(self, uri: WarehouseURI, store: Store) -> None:
        self.uri = uri
        self.store = store

    # -- opening ------------------------------------------------------------
    @classmethod
    def open(
        cls,
        uri: str | os.PathLike | None = None,
        *,
        create: bool = False,
        read_only: bool = False,
        spark_session=None,
    ) -> Warehouse:
        """Open an existing warehouse (any OMOP CDM database, 5.3 included), as it is.

        With `create=True` a missing one is created empty; `Warehouse.create`
        also builds the CDM schema and the vocabulary.
        """
        location = resolve(uri)
        if location.engine == "duckdb":
            from entrepot.warehouse._duckdb import DuckDBStore

            if not location.path.exists() and not create:
                raise WarehouseNotFoundError(
                    f"no warehouse at {location.path}: create one with `entrepot init`"
                )
            location.path.parent.mkdir(parents=True, exist_ok=True)
            return cls._checked(
                location, DuckDBStore(location.path, read_only=read_only)
            )
        from entrepot.warehouse._spark import SparkStore
        from entrepot.warehouse._spark import spark_session as new_session

        if not (location.path / "cdm").is_dir() and not create:
            raise WarehouseNotFoundError(
                f"no warehouse at {location}: create one with `entrepot init`"
            )
        location.path.mkdir(parents=True, exist_ok=True)
        session = spark_session or new_session(
            location.options.get("master", "local[*]")
        )
        return cls._checked(location, SparkStore(location.path, session))

    @classmethod
    def _checked(cls, location: WarehouseURI, store: Store) -> Warehouse:
        """The warehouse, if this code knows its schema revision (`_revision`),
        with the files beside it as its last committed unit left them."""
        check(store, str(location))
        wh = cls(location, store)
        settle(wh)  # files beside it that a killed unit left pending
        return wh

    @classmethod
    def create(
        cls,
        uri: str | os.PathLike | None = None,
        *,
        vocabulary: bool = True,
        spark_session=None,
    ) -> Warehouse:
        """Create (or complete) a warehouse: every CDM table, with the bundled vocabulary."""
        wh = cls.open(uri, create=True, spark_session=spark_session)
        wh.create_schema()
        if vocabulary and wh.count("concept") == 0:
            from entrepot.warehouse.vocabulary import bundled_vocabulary

            wh.replace_tables(bundled_vocabulary())
        return wh

    def reader(self) -> Warehouse | None:
        """The warehouse through another connection to the same open database,
        for another thread to read beside this one (`Store.reader`); None
        where the engine has one connection. Closed with this one."""
        store = self.store.reader()
        return None if store is None else Warehouse(self.uri, store)

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Warehouse({str(self.uri)!r})"

    @property
    def engine(self) -> str:
        """'duckdb' or 'spark'."""
        return self.uri.engine

    @property
    def con(self) -> ibis.BaseBackend:
        """The Ibis backend, to run expressions built from `table()`."""
        return self.store.con

    # -- schema -------------------------------------------------------------
    def create_schema(self) -> list[str]:
        """Create every missing CDM table and entrepot's own; return those created."""
        created = []
        for name, spec in cdm_tables().items():
            if not self.has_table(name):
                self.store.create_table(_schema_of(name), name, spec.schema)
                created.append(name)
        for name, columns in BOOKKEEPING.items():
            if not self.has_table(name):
                self.store.create_table("entrepot", name, columns)
                created.append(name)
        return created

    def tables(self, schema: str = "cdm") -> list[str]:
        """Tables present in a logical schema ('cdm', 'results' or 'entrepot')."""
        return self.store.list_tables(schema)

    def has_table(self, name: str) -> bool:
        return name.lower() in self.store.list_tables(_schema_of(name.lower()))

    def table(self, name: str) -> ir.Table:
        """A table as an Ibis expression, with lower-case column names."""
        name = name.lower()
        try:  # no catalog listing on this hot path: ask only when the engine refuses
            t = self.store.table(_schema_of(name), name)
        except Exception:
            if self.has_table(name):
                raise
            raise UnknownTableError(
                f"table {name!r} is not in warehouse {self.uri}"
            ) from None
        if any(c != c.lower() for c in t.columns):
            t = t.rename(str.lower)
        return t

    def count(self, name: str) -> int:
        """Number of rows in a table."""
        return int(self.table(name).count().to_pyarrow().as_py())

    def counts(self, schema: str = "cdm") -> dict[str, int]:
        """Rows per table of a logical schema (each read in that schema: a results
        table such as `cohort_attrition` is no CDM table)."""
        return {
            name: int(self.store.table(schema, name).count().to_pyarrow().as_py())
            for name in self.tables(schema)
        }

    # -- writing ------------------------------------------------------------
    def replace_tables(self, data: dict[str, pa.Table | ir.Table]) -> None:
        """Replace the whole content of tables, atomically (used for vocabularies)."""
        with self.store.transaction() as tx:
            for name, rows in data.items():
                target = self.table(name)
                rows = (
                    self.store.from_arrow(rows) if isinstance(rows, pa.Table) else rows
                )
                tx.replace(_schema_of(name), name, rows.select(*target.columns))

    def load(self, sources: dict[str, ir.Table | pa.Table], **kwargs):
        """Validate and append rows to CDM tables, atomically; see `load_tables`."""
        from entrepot.warehouse._loading import load_tables

        return load_tables(self, sources, **kwargs)

    def export(self, name: str, path: str | os.PathLike) -> int:
        """Write one table to a Parquet file (`.parquet`) or else CSV; return its row count."""
        from entrepot.errors import ParameterError

        path = Path(path)
        if not path.parent.is_dir():
            raise ParameterError(
                f"{path.parent}: no such folder to write {path.name} in"
            )
        rows = self.table(name)
        self.store.write_file(rows, path)
        return self.count(name)

    def validate(self) -> dict:
        """Check the warehouse against the CDM: `{"ok": bool, "problems": [...]}`."""
        from entrepot.warehouse._validation import validate

        return validate(self)
