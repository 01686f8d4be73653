"""Research databases: a REDCap export (one row per patient or per visit) and
its data dictionary loaded as OMOP `observation` and `measurement` rows.

Patients are matched by their pseudonym: the export's IPP column goes through
the same keyed pseudonym as `ingest`, and dates move by the same per-patient
shift. Rows of unknown patients are kept aside in `quarantine` under the
IPP's pseudonym (never in clear); rows of opted-out patients are dropped.

Each field becomes a local concept of a vocabulary named after the study
(labels from the dictionary), used as the row's source concept; a field whose
annotation names a standard code (`@OMOP=LOINC:4548-4`) known to the
warehouse is recorded under that standard concept, in its domain's table.
Numbers without a code go to `measurement`, everything else to
`observation`. Identifiers and free text are never loaded.

A load replaces the study's earlier rows (listed in `study_row`) in one
transaction, so loading the same export again changes nothing; the study
and the consent its participants gave are recorded in `study`, and the
release gate shows its rows only to projects granted it (`grant_study`).
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from entrepot.errors import ParameterError
from entrepot.linkage._concepts import (
    LocalConcept,
    check_vocabulary,
    concept_rows,
    replace_vocabulary,
    vocabulary_name,
    vocabulary_row,
)
from entrepot.linkage._redcap import (
    REDCAP_COLUMNS,
    Field,
    field_of,
    infer_dictionary,
    read_date,
    read_dictionary,
)
from entrepot.linkage._tabular import CsvFile, number, read_csv, shown
from entrepot.privacy import (
    SecretKey,
    check_key,
    date_shifting,
    opted_out,
    person_id,
    pseudonym,
    pseudonym_id,
    shift_days,
    shifted,
    studies,
)
from entrepot.warehouse.cdm import cdm_table

REFERENCE = "entrepot link study"  # the vocabulary_reference of its vocabularies
CASE_REPORT_FORM = 32809  # Type Concept: Case Report Form
_LISTED = 50  # unmatched lines listed in a report
#: What tells a patient's rows apart: the visit (event), the repeated form.
_VISIT = ("redcap_event_name", "redcap_repeat_instrument", "redcap_repeat_instance")


@dataclass(frozen=True)
class StudyLink:
    """What `link_study` loaded: rows read, matched, kept aside; facts written."""

    study: str
    consent: str
    rows: int
    matched: int
    unmatched: int
    unmatched_lines: list[int]
    undated: int  # rows of a known patient without a date, kept aside
    opted_out: int
    variables: int
    observations: int
    measurements: int
    standard: dict[str, str]  # field -> VOCABULARY:CODE it was recorded under
    skipped: dict[str, str]  # field -> why it was not loaded
    unknown_codes: dict[str, str]  # field -> a code the warehouse lacks
    ignored_columns: list[str]
    rejected: list[dict]

    def summary(self) -> dict:
        return asdict(self)


@dataclass(frozen=True)
class _Fact:
    table: str  # observation or measurement
    row: dict


def link_study(
    wh,
    path: str | Path,
    *,
    id_column: str,
    study: str,
    key: SecretKey,
    dictionary: str | Path | None = None,
    consent: str | None = None,
    by: str = "entrepot",
) -> StudyLink:
    """Load the REDCap export at `path` as study `study` (see the module)."""
    study = vocabulary_name(study, "--study")
    check_vocabulary(wh, study, REFERENCE, "--study")
    export = read_csv(Path(path))
    id_column = export.column(id_column, "--id-column")
    fields = (
        read_dictionary(read_csv(Path(dictionary)))
        if dictionary
        else infer_dictionary(export, id_column)
    )
    consent = _consent(wh, study, consent)
    check_key(wh, key)
    columns, ignored = _columns(export, id_column, fields)
    loaded = [f for f in fields.values() if f.skipped is None]
    standard, unknown = _standard_concepts(wh, loaded)
    own = {f.name: _concept(f, standard) for f in loaded}
    targets = {name: _target(name, c, standard, study) for name, c in own.items()}
    shifting = bool(date_shifting(wh))
    reader = _Reader(study, key, id_column, fields, columns, targets, shifting)
    persons = _persons(wh, export, id_column, key)
    out = opted_out(wh) if wh.has_table("optout") else set()
    facts, aside, unmatched, dropped = [], [], [], 0
    for line, row in export.rows:
        pid = persons.get(row[id_column].strip())
        if pid in out:
            dropped += 1
            continue
        found = None if pid is None else reader.facts(line, row, pid)
        if found is not None:
            facts += found
            continue
        if pid is None:
            unmatched.append(line)
        reason = "no such patient" if pid is None else "no date"
        aside.append(_aside(study, key, id_column, columns, line, row, reason))
    _write(wh, study, consent, own, facts, aside, len(export.rows), by)
    tables = Counter(f.table for f in facts)
    return StudyLink(
        study=study,
        consent=consent,
        rows=len(export.rows),
        matched=len(export.rows) - len(unmatched) - dropped,
        unmatched=len(unmatched),
        unmatched_lines=unmatched[:_LISTED],
        undated=len(aside) - len(unmatched),
        opted_out=dropped,
        variables=len(loaded),
        observations=tables["observation"],
        measurements=tables["measurement"],
        standard={k: f"{v[0]}:{v[1]}" for k, v in standard.items()},
        skipped={f.name: f.skipped for f in fields.values() if f.skipped},
        unknown_codes=unknown,
        ignored_columns=ignored,
        rejected=reader.rejected,
    )


def _consent(wh, study: str, consent: str | None) -> str:
    """The consent scope given, or the one recorded by an earlier load."""
    if consent is not None and consent.strip():
        return consent.strip()
    known = [s["consent"] for s in studies(wh) if s["name"] == study]
    if not known:
        raise ParameterError(
            f"--consent: study {study} is new; say what its participants "
            "consented to (the scope projects are granted it for)"
        )
    return known[-1]


def _columns(export: CsvFile, id_column: str, fields: dict[str, Field]):
    """{column: (field, checkbox option)} of the fields loaded, and the
    export's columns that are no field of the dictionary."""
    found, ignored = {}, []
    for column in export.header:
        if column == id_column or column.endswith("_complete"):
            continue
        if column.startswith("redcap_"):
            continue
        of = field_of(column, fields)
        if of is None:
            ignored.append(column)
        elif of[0].skipped is None:
            found[column] = of
    return found, ignored


def _standard_concepts(wh, loaded: list[Field]):
    """{field: (vocabulary, code)} of the standard codes the warehouse knows,
    {field: "VOCABULARY:CODE"} of those it does not; with their ids and domains."""
    asked = {f.name: f.standard for f in loaded if f.standard}
    if not asked:
        return {}, {}
    concept = wh.table("concept")
    rows = concept.filter(
        concept.vocabulary_id.isin(sorted({v for v, _ in asked.values()}))
        & concept.concept_code.isin(sorted({c for _, c in asked.values()}))
    ).select("vocabulary_id", "concept_code", "concept_id", "domain_id")
    known = {
        (r["vocabulary_id"], r["concept_code"]): (r["concept_id"], r["domain_id"])
        for r in rows.to_pyarrow().to_pylist()
    }
    standard = {k: (*v, *known[v]) for k, v in asked.items() if v in known}
    unknown = {k: f"{v[0]}:{v[1]}" for k, v in asked.items() if v not in known}
    return standard, unknown


def _concept(f: Field, standard: dict) -> LocalConcept:
    if f.name in standard:
        domain = (
            "Measurement" if standard[f.name][3] == "Measurement" else "Observation"
        )
    else:
        domain = "Measurement" if f.kind == "number" else "Observation"
    return LocalConcept(f.name, f.label, domain, "Study variable")


def _target(name: str, own: LocalConcept, standard: dict, study: str):
    """Where a field's facts go: (table, concept_id, the study's own concept_id)."""
    own_id = own.id(study)
    concept = standard[name][2] if name in standard else own_id
    return own.domain.lower(), concept, own_id


def _persons(wh, export: CsvFile, id_column: str, key: SecretKey) -> dict[str, int]:
    """{IPP: person_id} of the export's IPPs whose patient is in the warehouse
    (or opted out)."""
    asked = {r[id_column].strip() for _, r in export.rows if r[id_column].strip()}
    ids = {ipp: person_id(key, ipp) for ipp in asked}
    person = wh.table("person")
    wanted = wh.store.from_arrow(pa.table({"person_id": sorted(set(ids.values()))}))
    present = person.semi_join(wanted, "person_id").person_id.to_pyarrow()
    known = set(present.to_pylist())
    if wh.has_table("optout"):
        known |= set(ids.values()) & opted_out(wh)
    return {ipp: pid for ipp, pid in ids.items() if pid in known}


class _Reader:
    """A row of the export as facts of its patient."""

    def __init__(self, study, key, id_column, fields, columns, targets, shifting):
        self.study, self.key, self.id_column = study, key, id_column
        self.columns, self.targets, self.shifting = columns, targets, shifting
        self.dates = [f for f in fields.values() if f.kind == "date" and not f.skipped]
        self.seen: set[int] = set()
        self.rejected: list[dict] = []

    def facts(self, line: int, row: dict, pid: int) -> list[_Fact] | None:
        """The row's facts, dated by its first date field filled; None
        without one."""
        ipp = row[self.id_column].strip()
        shift = shift_days(self.key, ipp) if self.shifting else 0
        dated = next((f for f in self.dates if read_date(row.get(f.name, ""))), None)
        if dated is None:
            return None
        when = read_date(row[dated.name])
        visit = (row.get(c, "").strip() for c in _VISIT)
        where = f"{ipp}|{'|'.join(visit)}|{when}"
        facts = []
        for column, (f, option) in self.columns.items():
            text = row[column].strip()
            if not text or f is dated:  # the row's date is no fact of its own
                continue
            value = self._value(line, column, f, option, text)
            if value is None:
                continue
            day = value.pop("date", when)
            fact = self._fact(f, pid, shifted(day, shift), value, f"{where}|{column}")
            if fact.row[f"{fact.table}_id"] in self.seen:
                self._reject(line, column, "given twice for this patient and visit")
                continue
            self.seen.add(fact.row[f"{fact.table}_id"])
            facts.append(fact)
        return facts

    def _value(self, line, column, f: Field, option, text: str) -> dict | None:
        """The value columns of one cell, or None (empty, unchecked, rejected)."""
        if f.kind == "checkbox":
            if text == "0":
                return None
            if text != "1" or option.lower() not in {c.lower() for c in f.choices}:
                return self._reject(
                    line, column, f"not a checked option: {shown(text)}"
                )
            label = {c.lower(): v for c, v in f.choices.items()}[option.lower()]
            return {"value_as_string": label[:60], "value_source_value": option[:50]}
        if f.kind == "choice":
            if text not in f.choices:
                return self._reject(
                    line, column, f"not a choice of {f.name}: {shown(text)}"
                )
            found = {
                "value_as_string": f.choices[text][:60],
                "value_source_value": text,
            }
            if number(text) is not None:
                found["value_as_number"] = number(text)
            return found
        if f.kind == "number":
            value = number(text)
            if value is None:
                return self._reject(line, column, f"not a number: {shown(text)}")
            return {"value_as_number": value, "value_source_value": text[:50]}
        day = read_date(text)  # a date field other than the row's: a dated fact
        if day is None:
            return self._reject(line, column, f"not a date: {shown(text)}")
        return {"date": day}

    def _reject(self, line: int, column: str, reason: str) -> None:
        self.rejected.append({"line": line, "column": column, "reason": reason})
        return None

    def _fact(self, f: Field, pid: int, day: date, value: dict, where: str) -> _Fact:
        table, concept, own = self.targets[f.name]
        row_id = pseudonym_id(self.key, "study", f"{self.study}|{where}")
        source = f"{self.study}:{f.name}"[:50]
        if table == "measurement":
            value.pop("value_as_string", None)
        row = {
            f"{table}_id": row_id,
            "person_id": pid,
            f"{table}_concept_id": concept,
            f"{table}_date": day,
            f"{table}_type_concept_id": CASE_REPORT_FORM,
            f"{table}_source_value": source,
            f"{table}_source_concept_id": own,
            **value,
        }
        return _Fact(table, row)


def _aside(study, key, id_column, columns, line: int, row: dict, reason: str):
    """A quarantine row: the export's row with its IPP replaced by the IPP's
    pseudonym (never in clear), identifiers and free text left out, and why
    it was kept aside."""
    ipp = row[id_column].strip()
    record = {"ipp_pseudonym": pseudonym(key, "ipp", ipp) if ipp else None}
    record |= {c: v for c, v in row.items() if c in columns or c in REDCAP_COLUMNS}
    return {
        "load_id": f"study:{study}",
        "quarantined_at": _now(),
        "source": f"study:{study}",
        "table_name": "study",
        "reason": f"line {line}: {reason}",
        "record": json.dumps(record, ensure_ascii=False),
    }


def _write(wh, study, consent, own, facts, aside, rows: int, by: str) -> None:
    """Replace the study's concepts, rows and quarantine in one transaction."""
    wh.create_schema()  # study tables, in a warehouse made before them
    listed = wh.table("study_row")
    listed = listed.filter(listed.study == study).to_pyarrow()
    concepts = concept_rows(study, list(own.values()))
    vocabulary = vocabulary_row(study, f"research database {study}", REFERENCE)
    with wh.store.transaction() as tx:
        replace_vocabulary(wh, tx, study, concepts, vocabulary)
        for table in ("observation", "measurement"):
            old = listed.filter(pc.equal(listed["table_name"], table))
            gone = pa.table({f"{table}_id": old["row_id"]})
            tx.delete_in("cdm", table, f"{table}_id", wh.store.from_arrow(gone))
            new = [f.row for f in facts if f.table == table]
            schema = cdm_table(table).arrow_schema
            tx.append(
                "cdm",
                table,
                wh.store.from_arrow(pa.Table.from_pylist(new, schema=schema)),
            )
        tx.delete("entrepot", "study_row", {"study": study})
        tx.append("entrepot", "study_row", wh.store.from_arrow(_listed(study, facts)))
        tx.delete("entrepot", "quarantine", {"source": f"study:{study}"})
        schema = wh.table("quarantine").schema().to_pyarrow()
        tx.append(
            "entrepot",
            "quarantine",
            wh.store.from_arrow(pa.Table.from_pylist(aside, schema=schema)),
        )
        tx.delete("entrepot", "study", {"name": study})
        record = {
            "name": study,
            "consent": consent,
            "rows": rows,
            "loaded_at": _now(),
            "loaded_by": by,
        }
        schema = wh.table("study").schema().to_pyarrow()
        tx.append(
            "entrepot",
            "study",
            wh.store.from_arrow(pa.Table.from_pylist([record], schema=schema)),
        )


def _listed(study: str, facts: list[_Fact]) -> pa.Table:
    return pa.table(
        {
            "study": pa.array([study] * len(facts), pa.string()),
            "table_name": pa.array([f.table for f in facts], pa.string()),
            "row_id": pa.array([f.row[f"{f.table}_id"] for f in facts], pa.int64()),
            "person_id": pa.array([f.row["person_id"] for f in facts], pa.int64()),
        }
    )


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
