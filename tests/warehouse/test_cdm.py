import csv
from pathlib import Path

import pytest

from entrepot.errors import UnknownTableError
from entrepot.warehouse.cdm import (
    CLINICAL_TABLES,
    RESULTS_TABLES,
    VOCABULARY_TABLES,
    cdm_table,
    cdm_tables,
)

SPEC = (
    Path(__file__).parents[3]
    / "shared"
    / "data"
    / "omop-cdm-5.4"
    / "OMOP_CDMv5.4_Field_Level.csv"
)


def test_all_39_tables_in_three_groups():
    assert len(cdm_tables()) == 39
    assert (
        len(CLINICAL_TABLES) == 27
        and len(VOCABULARY_TABLES) == 10
        and len(RESULTS_TABLES) == 2
    )


@pytest.mark.skipif(
    not SPEC.exists(), reason="the shared specification is beside the checkout"
)
def test_fields_match_the_official_specification():
    rows = list(csv.DictReader(SPEC.open(encoding="latin1")))
    ours = [
        (t.name, f.name, f.required, f.primary_key)
        for t in cdm_tables().values()
        for f in t.fields
    ]
    theirs = [
        (
            r["cdmTableName"].lower(),
            r["cdmFieldName"].lower().strip('"'),  # '"offset"': quoted for its DDL
            r["isRequired"] == "Yes",
            r["isPrimaryKey"] == "Yes",
        )
        for r in rows
    ]
    assert ours == theirs


@pytest.mark.parametrize(
    ("table", "field", "dtype"),
    [
        ("person", "person_id", "int64"),
        ("measurement", "measurement_id", "int64"),
        ("measurement", "value_as_number", "float64"),
        ("measurement", "measurement_date", "date"),
        ("measurement", "measurement_datetime", "timestamp"),
        ("note", "note_text", "string"),
    ],
)
def test_types_are_64_bit_ids_and_cdm_types(table, field, dtype):
    assert str(cdm_table(table).field(field).dtype) == dtype


def test_keys_primary_or_natural():
    assert cdm_table("person").key == ("person_id",)
    assert cdm_table("death").key == ("person_id",)
    assert cdm_table("concept_ancestor").key == (
        "ancestor_concept_id",
        "descendant_concept_id",
    )
    assert cdm_table("concept").field("concept_code").max_length == 50


def test_unknown_table_named_in_the_error():
    with pytest.raises(
        UnknownTableError, match="'persons' is not an OMOP CDM v5.4 table"
    ):
        cdm_table("persons")


def test_note_nlp_offset_is_named_as_omop_files_name_it(warehouse, tmp_path):
    """The specification quotes the reserved word for its DDL; the field is `offset`."""
    assert "offset" in warehouse.table("note_nlp").columns
    note = tmp_path / "note_nlp.csv"
    note.write_text(
        "note_nlp_id,note_id,section_concept_id,snippet,offset,lexical_variant,"
        "note_nlp_concept_id,note_nlp_source_concept_id,nlp_system,nlp_date,"
        "nlp_datetime,term_exists,term_temporal,term_modifiers\n"
        "1,10,0,fièvre,4-10,fièvre,0,0,test,2024-01-02,,Y,,\n"
    )
    from entrepot.warehouse import load_tables

    result = load_tables(warehouse, {"note_nlp": warehouse.store.read_file(note)})
    assert result.loaded == {"note_nlp": 1}
    rows = warehouse.table("note_nlp").to_pyarrow().to_pylist()
    assert rows[0]["offset"] == "4-10"
    assert warehouse.validate()["ok"]
