"""Fields read from notes by structured extraction (note_extraction) as
cohort events: hand-written rows of a number and an enum field, worked out
by hand; the fields an extraction event needs, checked."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest

from entrepot.cohort import CohortDefinition, load_definition, run_cohort
from entrepot.errors import CohortDefinitionError

from .conftest import OBSERVED, write_tables
from .test_run import rows

#: note_id -> (person, date, size in mm, side); person 3's is not stated
NOTES = {
    1: (1, date(2015, 3, 1), "12.5", "left"),
    2: (2, date(2016, 1, 1), "8", "right"),
    3: (3, date(2017, 1, 1), None, None),
}


@pytest.fixture(scope="module")
def wh(tmp_path_factory, new_duckdb):
    path = tmp_path_factory.mktemp("extractions") / "eds.duckdb"
    persons = [1, 2, 3]
    who, when, sizes, sides = (list(c) for c in zip(*NOTES.values(), strict=True))
    with new_duckdb(path) as wh:
        write_tables(
            wh,
            {
                "person": pa.table({"person_id": persons,
                                    "gender_concept_id": [8532] * 3,
                                    "year_of_birth": [1970] * 3}),
                "observation_period": pa.table({
                    "observation_period_id": persons, "person_id": persons,
                    "observation_period_start_date": [OBSERVED[0]] * 3,
                    "observation_period_end_date": [OBSERVED[1]] * 3,
                    "period_type_concept_id": [32817] * 3}),
                "note": pa.table({"note_id": list(NOTES), "person_id": who,
                                  "note_date": when, "note_type_concept_id": [32817] * 3,
                                  "note_text": ["(text)"] * 3}),
            },
        )  # fmt: skip
        fields = [("size", "number", sizes), ("side", "enum", sides)]
        extracted = pa.Table.from_pylist(
            [
                {"note_id": note, "person_id": person, "schema_name": "nodule",
                 "schema_version": "1", "field": name, "field_type": kind,
                 "value": value, "backend": "rules"}
                for name, kind, values in fields
                for note, person, value in zip(NOTES, who, values, strict=True)
            ],
            wh.table("note_extraction").schema().to_pyarrow(),
        )  # fmt: skip
        with wh.store.transaction() as tx:
            tx.append("entrepot", "note_extraction", wh.store.from_arrow(extracted))
        yield wh


@pytest.mark.parametrize(
    ("field", "value", "persons"),
    [
        ("size", {"gte": 10}, [(1, date(2015, 3, 1))]),
        ("size", 8, [(2, date(2016, 1, 1))]),
        ("side", "right", [(2, date(2016, 1, 1))]),
        ("size", None, [(1, date(2015, 3, 1)), (2, date(2016, 1, 1))]),
    ],
)
def test_notes_whose_field_has_the_value_on_their_date(wh, field, value, persons):
    wanted = {"schema": "nodule", "field": field}
    definition = CohortDefinition.model_validate(
        {
            "name": "nodules",
            "entry": {"events": [{"extraction": wanted | {"value": value}}]},
            "exit": {"offset": {"days": 0}},
        }
    )
    result = run_cohort(wh, definition, cohort_id=1)
    assert [r[:2] for r in rows(wh, 1)] == persons
    assert result.count == len(persons)


@pytest.mark.parametrize(
    ("event", "message"),
    [
        ({"extraction": {"schema": "brain_mri"}}, "needs a schema and a field"),
        ({"condition": {"field": "abnormal"}}, "field: only for extraction events"),
        ({"measurement": {"value": 5}}, "value: a range such as"),
        (
            {"extraction": {"schema": "x", "field": "y", "concept_set": "s"}},
            "concept_set: not for extraction events",
        ),
    ],
)
def test_extraction_fields_are_checked(tmp_path, event, message):
    path = tmp_path / "cohort.json"
    sets = {"s": {"items": [{"concept_id": 1}]}}
    path.write_text(
        json.dumps({"name": "x", "concept_sets": sets, "entry": {"events": [event]}})
    )
    with pytest.raises(CohortDefinitionError, match=f"{path}.*{message}"):
        load_definition(path)
