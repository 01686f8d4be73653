"""Covariates computed in the engine, returned as a sparse matrix.

One Ibis expression per covariate set and window aggregates the events of the
study population before their index date to one row per (person, covariate);
only those rows come back (never an event table), and become a
`scipy.sparse` matrix, the same on DuckDB and Spark. The default OMOP sets
follow OHDSI FeatureExtraction's: demographics (age, 5-year age group, sex),
and per concept in each window (days before the index, index day included;
"all": all time) conditions, drugs, measurements and note mentions present,
the last measurement value, and visits counted. Events are read as cohort
criteria read them (`EventReader`); custom covariates are `entrepot features`'
(`features_at`), so a study adds one as a feature spec declares it.

Covariate names say what they are: `condition:316139:365d`,
`measurement_value:3020564:all`, `age`, `age_group:65-69`, `sex:female`,
`custom:egfr`; `definitions` describe each (analysis, domain, window, concept).
"""

from __future__ import annotations

from dataclasses import dataclass

import ibis
import ibis.expr.types as ir
import numpy as np
import pyarrow as pa
import scipy.sparse as sp

from entrepot.cohort import Event, EventReader
from entrepot.model._study import Covariates
from entrepot.privacy import Decision

#: covariate set -> (event domain, analyses computed from it)
SETS = {
    "conditions": ("condition", ("condition",)),
    "drugs": ("drug", ("drug",)),
    "measurements": ("measurement", ("measurement", "measurement_value")),
    "visits": ("visit", ("visit_count",)),
    "note_mentions": ("note_mention", ("note_mention",)),
}
NOTE_LABELS = ["DISEASE", "DRUG", "LAB"]
SEXES = {8532: "female", 8507: "male"}
LONG = {
    "person_id": "int64",
    "name": "string",
    "analysis": "string",
    "concept_id": "int64",
    "window": "string",
    "value": "float64",
}


@dataclass(frozen=True)
class CovariateMatrix:
    """`matrix[i, j]`: covariate `names[j]` of person `person_ids[i]`."""

    person_ids: np.ndarray
    matrix: sp.csr_matrix
    names: list[str]
    definitions: dict[str, dict]

    def column(self, name: str) -> np.ndarray:
        """One covariate's values, dense."""
        return self.matrix[:, self.names.index(name)].toarray().ravel()


def covariate_matrix(
    wh,
    decision: Decision,
    index: ir.Table,
    person_ids: np.ndarray,
    covariates: Covariates,
    *,
    keep: list[str] | None = None,
    source: str = "study",
) -> CovariateMatrix:
    """The covariates of the persons of `index` (person_id, index_date; the
    matrix's rows are `person_ids`, sorted). Without `keep`, covariates
    recorded for fewer than `covariates.min_persons` persons are left out;
    with it (a fitted model's names), exactly those columns, in that order."""
    long = _long_rows(wh, decision, index, covariates)
    if keep is None:
        counts = long.group_by("analysis", "concept_id", "window").aggregate(
            persons=long.person_id.nunique()
        )
        counts = counts.filter(counts.persons >= covariates.min_persons)
        long = long.semi_join(counts, ["analysis", "concept_id", "window"])
    rows = long.to_pyarrow()
    labels = _labels(wh, rows)
    codes = rows["name"].dictionary_encode().combine_chunks()
    found = codes.dictionary.to_pylist()
    indices = codes.indices.to_numpy()
    order = np.argsort(indices, kind="stable")
    bounds = np.searchsorted(indices[order], np.arange(len(found) + 1))
    pids = rows["person_id"].to_numpy()[order]
    values = rows["value"].to_numpy()[order]
    firsts = pa.table(
        {c: rows[c].take(pa.array(order[bounds[:-1]])) for c in LONG if c != "value"}
    )
    columns: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    definitions: dict[str, dict] = {}
    for k, (name, first) in enumerate(zip(found, firsts.to_pylist(), strict=True)):
        columns[name] = (
            pids[bounds[k] : bounds[k + 1]],
            values[bounds[k] : bounds[k + 1]],
        )
        definitions[name] = _definition(first, labels)
    if covariates.custom:
        _custom(wh, decision, index, covariates, source, columns, definitions)
    names = keep if keep is not None else sorted(columns)
    return CovariateMatrix(
        person_ids,
        _sparse(person_ids, names, columns),
        list(names),
        {n: definitions.get(n, {"analysis": "unseen"}) for n in names},
    )


def _long_rows(
    wh, decision: Decision, index: ir.Table, covariates: Covariates
) -> ir.Table:
    """(person_id, analysis, concept_id, window, value) of every covariate
    set and window: one union of aggregates."""
    reader = EventReader(wh, {}, "covariates")
    parts = []
    if covariates.demographics:
        parts.extend(_demographics(wh, decision, index))
    for name, (domain, analyses) in SETS.items():
        windows = getattr(covariates, name)
        if not windows or not decision_sees(wh, decision, reader, domain):
            continue
        event = {"label": NOTE_LABELS} if domain == "note_mention" else {}
        columns = ("value",) if domain == "measurement" else ()
        events = reader.rows(Event.model_validate({domain: event}), columns)
        events = decision.narrow(wh, events, "person_id", "start_date")
        events = events.join(index, "person_id")
        before = events.index_date.delta(events.start_date, unit="day")
        events = events.filter(before >= 0)
        for window in windows:
            inside = events if window == "all" else events.filter(before <= window)
            for analysis in analyses:
                parts.append(_aggregate(inside, analysis, _window(window)))
    if not parts:
        return ibis.memtable(pa.table({c: pa.array([], t) for c, t in LONG.items()}))
    return ibis.union(*parts)


def decision_sees(wh, decision: Decision, reader: EventReader, domain: str) -> bool:
    """Whether the warehouse has the domain's tables and the perimeter allows them."""
    event = Event.model_validate(
        {domain: {"label": NOTE_LABELS} if domain == "note_mention" else {}}
    )
    if reader.lacking(event):
        return False
    return all(decision.visible(wh, t) is not None for t in reader.tables(event))


def _window(window) -> str:
    return "all" if window == "all" else f"{window}d"


def _aggregate(events: ir.Table, analysis: str, window: str) -> ir.Table:
    by = events.group_by(
        person_id=events.person_id.cast("int64"),
        concept_id=events.concept_id.cast("int64"),
    )
    if analysis == "measurement_value":
        found = _last_values(events)
    else:
        one = ibis.literal(1.0)
        value = events.count().cast("float64") if analysis == "visit_count" else one
        found = by.aggregate(value=value)
    return found.select(
        "person_id",
        name=ibis.literal(f"{analysis}:")
        + found.concept_id.cast("string")
        + ibis.literal(f":{window}"),
        analysis=ibis.literal(analysis),
        concept_id="concept_id",
        window=ibis.literal(window),
        value="value",
    )


def _last_values(events: ir.Table) -> ir.Table:
    """Each person's last value of each concept: the latest date, and on a
    day with several, the last recorded (highest event id), so that two runs
    pick the same one."""
    events = events.filter(events.value.notnull()).mutate(
        person_id=events.person_id.cast("int64"),
        concept_id=events.concept_id.cast("int64"),
        value=events.value.cast("float64"),
    )
    order = ibis.row_number().over(
        group_by=["person_id", "concept_id"],
        order_by=[ibis.desc("start_date"), ibis.desc("event_id")],
    )
    return events.filter(order == 0).select("person_id", "concept_id", "value")


def _demographics(wh, decision: Decision, index: ir.Table) -> list[ir.Table]:
    """Age at the index date (difference of years), its 5-year group, sex."""
    person = decision.table(wh, "person")
    person = person.select(
        person_id=person.person_id.cast("int64"),
        year_of_birth=person.year_of_birth.cast("int64"),
        gender=person.gender_concept_id.cast("int64"),
    )
    people = index.join(person, "person_id")
    age = people.index_date.year().cast("int64") - people.year_of_birth
    group = (age // 5).cast("int64")
    none = ibis.literal("")
    return [
        people.select(
            "person_id",
            name=ibis.literal("age"),
            analysis=ibis.literal("age"),
            concept_id=ibis.literal(0, "int64"),
            window=none,
            value=age.cast("float64"),
        ),
        people.select(
            "person_id",
            name=ibis.literal("age_group:")
            + (group * 5).cast("string")
            + ibis.literal("-")
            + (group * 5 + 4).cast("string"),
            analysis=ibis.literal("age_group"),
            concept_id=group,
            window=none,
            value=ibis.literal(1.0),
        ),
        people.filter(people.gender.isin(list(SEXES))).select(
            "person_id",
            name=ibis.literal("sex:")
            + people.gender.cases(*SEXES.items(), else_=ibis.literal("")),
            analysis=ibis.literal("sex"),
            concept_id=people.gender,
            window=none,
            value=ibis.literal(1.0),
        ),
    ]


def _labels(wh, rows: pa.Table) -> dict[int, str]:
    """The concept names of the concepts the rows name (one small query)."""
    ids = [int(c) for c in np.unique(rows["concept_id"].to_numpy()) if c != 0]
    if not ids or not wh.has_table("concept"):
        return {}
    concept = wh.table("concept")
    found = concept.filter(concept.concept_id.isin(ids)).select(
        "concept_id", "concept_name"
    )
    return {
        int(r["concept_id"]): r["concept_name"] for r in found.to_pyarrow().to_pylist()
    }


def _definition(first: dict, labels: dict) -> dict:
    analysis, concept, window = first["analysis"], first["concept_id"], first["window"]
    if analysis in ("age", "age_group", "sex"):
        return {"analysis": analysis, "domain": "person", "window": "index date"}
    domain = {"visit_count": "visit", "measurement_value": "measurement"}.get(
        analysis, analysis
    )
    return {
        "analysis": analysis,
        "domain": domain,
        "window": "all time before the index"
        if window == "all"
        else f"{window[:-1]} days before the index",
        "concept_id": concept,
        "concept_name": labels.get(concept),
    }


def _custom(wh, decision, index, covariates, source, columns, definitions) -> None:
    """Custom covariates (features): booleans as 1, numbers as they are (a
    missing value leaves the cell empty, with a `:missing` indicator), text
    as one indicator per value."""
    from entrepot.subgroups import features_at

    spec = covariates.custom_spec()
    table = features_at(wh, decision, index, spec, source)
    pids = table["person_id"].to_numpy()
    for name, feature in spec.features.items():
        values = table[name].to_pylist()
        about = {
            "analysis": "custom",
            "kind": feature.kind,
            "description": feature.description,
            "window": feature.window.model_dump() if feature.window else None,
        }
        if pa.types.is_string(table[name].type):
            for level in sorted({v for v in values if v is not None}):
                hit = np.array([v == level for v in values])
                columns[f"custom:{name}={level}"] = (pids[hit], np.ones(hit.sum()))
                definitions[f"custom:{name}={level}"] = about
            continue
        number = np.array(
            [np.nan if v is None else float(v) for v in values], dtype=float
        )
        seen = ~np.isnan(number) & (number != 0)
        columns[f"custom:{name}"] = (pids[seen], number[seen])
        definitions[f"custom:{name}"] = about
        missing = np.isnan(number)
        if missing.any() and feature.kind not in ("presence", "count"):
            columns[f"custom:{name}:missing"] = (pids[missing], np.ones(missing.sum()))
            definitions[f"custom:{name}:missing"] = about | {"missing": True}


def _sparse(person_ids: np.ndarray, names, columns) -> sp.csr_matrix:
    rows, cols, data = [], [], []
    for j, name in enumerate(names):
        if name not in columns:
            continue
        pids, values = columns[name]
        at = np.searchsorted(person_ids, pids)
        inside = (at < len(person_ids)) & (
            person_ids[np.minimum(at, len(person_ids) - 1)] == pids
        )
        rows.append(at[inside])
        cols.append(np.full(inside.sum(), j))
        data.append(np.asarray(values, dtype=float)[inside])
    shape = (len(person_ids), len(names))
    if not rows:
        return sp.csr_matrix(shape)
    return sp.csr_matrix(
        (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
        shape=shape,
    )
