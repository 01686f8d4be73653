"""A table of patients: one row per person of a saved cohort, one column per
feature of a spec, computed by one Ibis expression (the same on every engine).

Events are read as cohort criteria read them (`entrepot.cohort.EventReader`:
concept sets with descendants, note mentions affirmed and about the patient),
inside the release gate's perimeter: a project's persons, period and tables.
Missing values stay missing: a lab never measured is null, not 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq

from entrepot.cohort import EventReader, find_cohort, index_dates
from entrepot.errors import FeatureSpecError, OutputPathError
from entrepot.privacy import Decision
from entrepot.subgroups._spec import Feature, FeatureSpec, Window

#: OMOP answers that read as positive: Positive, Detected, Present, High
POSITIVE_CONCEPTS = (9191, 45884084, 4126681, 45877985, 4181412, 45879438, 4328749)
#: result texts (value_source_value, value_as_string), spaces left out, that
#: read as positive (not `strip`: Ibis's PySpark backend strips "f", "t"...)
POSITIVE_TEXTS = ("positif", "positive", "pos", "+", "présent", "present", "détecté")
SEXES = {8532: "female", 8507: "male"}
DAYS_PER_YEAR = 365.25
TYPES = {"presence": "boolean", "positive": "boolean", "sex": "string"}
ARROW = {"boolean": pa.bool_(), "string": pa.string(), "float64": pa.float64()}
#: the result columns each kind of feature reads, by domain
RESULT_COLUMNS = {
    "measurement": (
        "value",
        "unit",
        "value_concept",
        "value_source_value",
        "range_high",
    ),
    "observation": (
        "value",
        "unit",
        "value_concept",
        "value_source_value",
        "value_text",
    ),
}


@dataclass(frozen=True)
class FeatureTable:
    """The features of a cohort's persons: `table` (person_id, then one
    column per feature) and, per feature, its kind, type, missing share and
    the units of its values."""

    cohort_definition_id: int
    table: pa.Table
    units: dict[str, list[str]]
    spec: FeatureSpec

    def summary(self) -> dict:
        """{"cohort_definition_id", "n", "features": {name: {"kind", "type",
        "missing", "unit"?}}}: missing is the share of persons without a value."""
        n = self.table.num_rows
        features = {}
        for name, feature in self.spec.features.items():
            column = self.table[name]
            found = {
                "kind": feature.kind,
                "type": feature_type(feature),
                "missing": round(column.null_count / n, 4) if n else 0.0,
            }
            if name in self.units:
                found["unit"] = self.units[name]
            features[name] = found
        return {
            "cohort_definition_id": self.cohort_definition_id,
            "spec": self.spec.name,
            "n": n,
            "features": features,
        }

    def write(self, path: str | Path) -> None:
        """The table as a Parquet file (the person_ids are the warehouse's
        pseudonyms)."""
        path = Path(path)
        if path.is_dir():
            raise OutputPathError(f"cannot write {path}: it is a folder")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            pq.write_table(self.table, path)
        except OSError as e:
            raise OutputPathError(f"cannot write {path}: {e.strerror or e}") from None


def feature_type(feature: Feature) -> str:
    """The column's type: boolean, string, or float64 (values and counts)."""
    return TYPES.get(feature.kind, "float64")


def build_features(
    wh,
    cohort: int | str,
    spec: FeatureSpec,
    decision: Decision | None = None,
    *,
    source: str = "spec",
) -> FeatureTable:
    """The features of `spec` for each person of a saved cohort (its id or
    name) that `decision` sees (without one: the whole warehouse)."""
    decision = decision or Decision.unscoped(wh)
    cohort_id = find_cohort(wh, decision, cohort)
    reader = EventReader(wh, spec.concept_sets, source, decision)
    _check_spec(wh, decision, reader, spec)
    index = index_dates(wh, decision, cohort_id)
    result, units = _columns(wh, decision, reader, index, spec)
    table = result.order_by("person_id").to_pyarrow()
    return FeatureTable(cohort_id, _typed(table, spec), _units(reader, units), spec)


def features_at(
    wh, decision: Decision, index: ir.Table, spec: FeatureSpec, source: str = "spec"
) -> pa.Table:
    """The features of `spec` for persons at their index date (`index`:
    person_id int64, index_date), as `build_features` computes them for a
    saved cohort: person_id, then one column per feature."""
    reader = EventReader(wh, spec.concept_sets, source, decision)
    _check_spec(wh, decision, reader, spec)
    result, _ = _columns(wh, decision, reader, index, spec)
    return _typed(result.order_by("person_id").to_pyarrow(), spec)


def _check_spec(wh, decision: Decision, reader: EventReader, spec: FeatureSpec):
    decision.table(wh, "person")  # refuses a project without it
    for name, feature in spec.features.items():
        for event in feature.events:
            _check_tables(wh, decision, reader, name, event)


def _columns(
    wh, decision: Decision, reader: EventReader, index: ir.Table, spec: FeatureSpec
) -> tuple[ir.Table, list[ir.Table]]:
    """One expression: person_id, then each feature; and the units read."""
    joined, units = index, []
    for i, (name, feature) in enumerate(spec.features.items()):
        column, unit = _feature(wh, decision, reader, index, feature)
        column = column.rename({f"_key{i}": "person_id", f"_value{i}": "value"})
        joined = joined.left_join(column, index.person_id == column[f"_key{i}"])
        if unit is not None:
            units.append(unit.mutate(feature=ibis.literal(name)))
    result = joined.select(
        index.person_id,
        **{
            name: _filled(feature, joined[f"_value{i}"])
            for i, (name, feature) in enumerate(spec.features.items())
        },
    )
    return result, units


def _check_tables(wh, decision: Decision, reader: EventReader, name: str, event):
    lacking = reader.lacking(event)
    if lacking:
        raise FeatureSpecError(
            f"features.{name}: the warehouse has no {', '.join(lacking)} table"
        )
    for table in reader.tables(event):
        decision.table(wh, table)  # refuses one outside the perimeter


def _filled(feature: Feature, value: ir.Value) -> ir.Value:
    """The feature's value after the left join: presence false (unless
    `known_by` is missing) and counts 0 for persons without events; every
    other kind stays missing."""
    if feature.kind == "presence" and feature.known_by is None:
        return value.fill_null(False)
    if feature.kind == "count":
        return value.fill_null(0.0)
    return value


def _feature(
    wh, decision: Decision, reader: EventReader, index: ir.Table, feature: Feature
) -> tuple[ir.Table, ir.Table | None]:
    """(person_id, value) of one feature, and (unit_concept_id) of the values
    it read (None when it reads none)."""
    if feature.event is None:
        return _person(wh, decision, index, feature.kind), None
    domain = feature.event.domain
    columns = RESULT_COLUMNS[domain] if domain in RESULT_COLUMNS else ()
    rows = _events(wh, decision, reader, index, feature.event, feature.window, columns)
    kind = feature.kind
    by_person = rows.group_by("person_id")
    if kind == "presence":
        found = by_person.aggregate(value=ibis.literal(True))
        if feature.known_by is None:
            return found, None
        known = _events(wh, decision, reader, index, feature.known_by, feature.window)
        known = known.select("person_id", value=ibis.literal(False))
        both = found.union(known.distinct())
        return both.group_by("person_id").aggregate(value=both.value.any()), None
    if kind == "count":
        return by_person.aggregate(value=rows.count().cast("float64")), None
    if kind == "since_first":
        days = rows.index_date.delta(rows.start_date, unit="day").max()
        return by_person.aggregate(value=days.cast("float64") / DAYS_PER_YEAR), None
    if kind == "positive":
        return _positive(rows, domain), None
    valued = rows.filter(rows.value.notnull())
    return _value(valued, kind), valued.select(
        unit_concept_id=valued.unit.cast("int64")
    )


def _events(
    wh, decision, reader: EventReader, index, event, window, columns=()
) -> ir.Table:
    """The rows of `event` of the cohort's persons inside the perimeter, with
    their index date, dated in the window."""
    rows = reader.rows(event, columns)
    rows = decision.narrow(wh, rows, "person_id", "start_date")
    return _in_window(rows, index, window)


def _in_window(rows: ir.Table, index: ir.Table, window: Window | None) -> ir.Table:
    """The events of the cohort's persons, with their index date, dated in
    the window."""
    rows = rows.join(index, "person_id")
    if window is None:
        return rows
    days = rows.start_date.delta(rows.index_date, unit="day")
    bounds = []
    if window.start is not None:
        bounds.append(days >= window.start)
    if window.end is not None:
        bounds.append(days <= window.end)
    return rows.filter(*bounds)


def _value(rows: ir.Table, kind: str) -> ir.Table:
    """The first, last, smallest, largest or mean value of each person."""
    if kind in ("min", "max", "mean"):
        value = getattr(rows.value, kind)()
        return rows.group_by("person_id").aggregate(value=value.cast("float64"))
    order = [rows.start_date, rows.event_id]
    if kind == "last":
        order = [o.desc() for o in order]
    rank = ibis.row_number().over(group_by="person_id", order_by=order)
    return rows.filter(rank == 0).select("person_id", "value")


def _positive(rows: ir.Table, domain: str) -> ir.Table:
    """Whether each tested person had a positive or raised result (persons
    whose rows hold no result at all, value concept 0 included, were not
    tested)."""
    text = rows.value_source_value
    if domain == "observation":
        text = ibis.coalesce(rows.value_text, text)
    high = rows.range_high if "range_high" in rows.columns else ibis.null("float64")
    positive = (
        rows.value_concept.isin(POSITIVE_CONCEPTS)
        | text.replace(" ", "").lower().isin(POSITIVE_TEXTS)
        | (rows.value > high.cast("float64"))
    ).fill_null(False)
    tested = rows.filter(
        rows.value.notnull() | (rows.value_concept.fill_null(0) != 0) | text.notnull()
    )
    tested = tested.mutate(positive=positive)
    return tested.group_by("person_id").aggregate(value=tested.positive.any())


def _person(wh, decision: Decision, index: ir.Table, kind: str) -> ir.Table:
    """Age at the index date (difference of years, as cohorts count it), or sex."""
    person = decision.table(wh, "person")
    person = person.select(
        person_id=person.person_id.cast("int64"),
        year_of_birth=person.year_of_birth.cast("int64"),
        gender=person.gender_concept_id.cast("int64"),
    )
    people = index.join(person, "person_id")
    if kind == "age":
        age = people.index_date.year().cast("int64") - people.year_of_birth
        return people.select("person_id", value=age.cast("float64"))
    sex = people.gender.cases(*SEXES.items(), else_=ibis.null("string"))
    return people.select("person_id", value=sex)


def _typed(table: pa.Table, spec: FeatureSpec) -> pa.Table:
    """The output's contract: person_id int64, then each feature as float64,
    boolean or string."""
    schema = pa.schema(
        [pa.field("person_id", pa.int64())]
        + [pa.field(name, ARROW[feature_type(f)]) for name, f in spec.features.items()]
    )
    return table.select(schema.names).cast(schema)


def _units(reader: EventReader, units: list[ir.Table]) -> dict[str, list[str]]:
    """The units (UCUM codes, else concept ids) of the values each value
    feature read, sorted."""
    if not units:
        return {}
    found = ibis.union(*units, distinct=True)
    concept = reader.table("concept")
    concept = concept.select(
        unit_concept_id=concept.concept_id.cast("int64"), code=concept.concept_code
    )
    named = found.left_join(concept, "unit_concept_id").select(
        "feature",
        unit=ibis.coalesce(concept.code, found.unit_concept_id.cast("string")),
    )
    result: dict[str, list[str]] = {}
    for row in named.to_pyarrow().to_pylist():
        if row["unit"] is not None:
            result.setdefault(row["feature"], []).append(row["unit"])
    return {name: sorted(set(codes)) for name, codes in result.items()}
