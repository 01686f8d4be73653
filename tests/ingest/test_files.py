"""Loading folders of OMOP-named files: typed, validated, atomic, idempotent."""

import json
from pathlib import Path

import pytest

from entrepot.errors import InputFileError, LoadError
from entrepot.ingest import load_directory

PERSONS = """person_id,gender_concept_id,year_of_birth,race_concept_id,ethnicity_concept_id,person_source_value
1,8507,1950,0,0,a
2,8532,1960,0,0,b
3,8532,1970,0,0,"'); DROP TABLE person; --"
"""

MEASUREMENTS = """measurement_id,person_id,measurement_concept_id,measurement_date,measurement_type_concept_id,value_as_number
10,1,3000963,2020-01-15,32856,13.5
11,2,3000963,2020-02-30,32856,12.0
12,9,3000963,2020-03-01,32856,11.0
13,2,3000963,2020-03-01,32856,abc
14,2,,2020-03-01,32856,10.0
15,3,3000963,2021-05-05,32856,9.5
15,3,3000963,2021-05-05,32856,9.5
16,1,3000963,2021-05-05,32856,7.0
16,1,3000963,2021-05-06,32856,7.0
"""


def write(folder: Path, **files: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name.replace("__", ".")).write_text(text)
    return folder


def quarantine(wh) -> dict[int | None, str]:
    rows = (
        wh.table("quarantine")
        .filter(lambda t: t.table_name == "measurement")
        .to_pyarrow()
    )
    return {
        json.loads(r["record"])["measurement_id"]: r["reason"] for r in rows.to_pylist()
    }


def test_load_types_validates_and_quarantines(warehouse, tmp_path):
    folder = write(tmp_path / "in", person__csv=PERSONS, measurement__csv=MEASUREMENTS)
    result = load_directory(warehouse, folder)
    assert result.as_dict() == {
        "loaded": {"person": 3, "measurement": 2},
        "quarantined": {"person": 0, "measurement": 6},
    }
    assert (
        quarantine(warehouse)
        == {
            11: "measurement_date: '2020-02-30' is not a valid date (YYYY-MM-DD)",
            12: "person_id 9 is not in person",
            13: "value_as_number: 'abc' is not a valid number",
            14: "measurement_concept_id: required value missing",
            16: "duplicate measurement_id with different content",
        }
        and result.quarantined["measurement"] == 6
    )  # both versions of 16 are kept aside
    kept = warehouse.table("measurement").order_by("measurement_id").to_pyarrow()
    assert kept["measurement_id"].to_pylist() == [10, 15]
    assert kept["value_as_number"].to_pylist() == [13.5, 9.5]
    hostile = warehouse.table("person").filter(lambda t: t.person_id == 3).to_pyarrow()
    assert hostile["person_source_value"].to_pylist() == ["'); DROP TABLE person; --"]


def test_reloading_adds_nothing_and_conflicts_are_quarantined(warehouse, tmp_path):
    folder = write(tmp_path / "in", person__csv=PERSONS)
    assert load_directory(warehouse, folder).loaded == {"person": 3}
    again = load_directory(warehouse, folder)
    assert (again.loaded, again.skipped, again.quarantined) == (
        {"person": 0},
        {"person": 3},
        {"person": 0},
    )
    changed = write(
        tmp_path / "changed", person__csv=PERSONS.replace("1,8507,1950", "1,8507,1951")
    )
    result = load_directory(warehouse, changed)
    assert (result.loaded, result.skipped, result.quarantined) == (
        {"person": 0},
        {"person": 2},
        {"person": 1},
    )
    assert (
        warehouse.table("person").year_of_birth.sum().to_pyarrow().as_py()
        == 1950 + 1960 + 1970
    )
    log = warehouse.table("load_log").to_pyarrow()
    assert sorted(log["loaded"].to_pylist()) == [0, 0, 3]


def test_parquet_with_typed_columns(warehouse, tmp_path):
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder = tmp_path / "pq"
    folder.mkdir()
    pq.write_table(
        pa.table(
            {
                "person_id": pa.array([1, 2], pa.int32()),
                "gender_concept_id": [8507, 8532],
                "year_of_birth": [1980, 1990],
                "race_concept_id": [0, 0],
                "ethnicity_concept_id": [0, 0],
            }
        ),
        folder / "person.parquet",
    )
    assert load_directory(warehouse, folder).loaded == {"person": 2}
    pq.write_table(
        pa.table(
            {
                "person_id": [3],
                "gender_concept_id": [8507],
                "year_of_birth": [pa.scalar(None, pa.date32()).as_py()],
                "race_concept_id": [0],
                "ethnicity_concept_id": [0],
            }
        ).cast(
            pa.schema(
                [
                    ("person_id", pa.int64()),
                    ("gender_concept_id", pa.int64()),
                    ("year_of_birth", pa.date32()),
                    ("race_concept_id", pa.int64()),
                    ("ethnicity_concept_id", pa.int64()),
                ]
            )
        ),
        folder / "person.parquet",
    )
    with pytest.raises(
        InputFileError, match="column year_of_birth holds date, expected integer"
    ):
        load_directory(warehouse, folder)


def test_a_bad_file_stops_the_whole_load(warehouse, tmp_path):
    folder = write(
        tmp_path / "in",
        person__csv=PERSONS,
        measurement__csv="measurement_id,person_id,unknown_column\n1,1,x\n",
    )
    with pytest.raises(
        InputFileError, match="measurement.csv: unknown column.*unknown_column"
    ):
        load_directory(warehouse, folder)
    assert warehouse.count("person") == 0 and warehouse.count("load_log") == 0


def test_malformed_csv_is_named_and_loads_nothing(warehouse, tmp_path):
    folder = write(
        tmp_path / "in",
        person__csv=PERSONS,
        visit_occurrence__csv='visit_occurrence_id,person_id\n1,"2\n3,4,5,6\n',
    )
    with pytest.raises((InputFileError, LoadError), match="visit_occurrence.csv"):
        load_directory(warehouse, folder)
    assert warehouse.count("person") == 0


@pytest.mark.parametrize(
    "name", ["persons.csv", "person; DROP TABLE person.csv", "..csv"]
)
def test_files_not_named_after_a_table_are_refused(warehouse, tmp_path, name):
    folder = write(tmp_path / "in", person__csv=PERSONS)
    (folder / name).write_text("a\n1\n")
    with pytest.raises(InputFileError, match="is not an OMOP CDM table"):
        load_directory(warehouse, folder)
    assert warehouse.count("person") == 0


def test_links_leaving_the_folder_are_refused(warehouse, tmp_path):
    outside = write(tmp_path / "secret", person__csv=PERSONS) / "person.csv"
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "person.csv").symlink_to(outside)
    with pytest.raises(InputFileError, match="links outside"):
        load_directory(warehouse, folder)


def test_folder_names_with_quotes_are_plain_paths(warehouse, tmp_path):
    folder = write(tmp_path / 'o\'brien "x"', person__csv=PERSONS)
    assert load_directory(warehouse, folder).loaded == {"person": 3}


def test_a_failing_write_leaves_every_table_as_it_was(warehouse):
    """The store's transaction: the first write succeeds, the second fails at run time."""
    import ibis
    import pyarrow as pa

    person = ibis.memtable(
        pa.table(
            {
                "person_id": [1],
                "gender_concept_id": [8507],
                "year_of_birth": [1950],
                "race_concept_id": [0],
                "ethnicity_concept_id": [0],
            }
        )
    )
    failing = ibis.memtable({"x": ["not a number"]}).select(
        measurement_id=ibis._.x.cast("int64")
    )
    with pytest.raises(Exception, match="not a number"):  # noqa: B017 (engine errors differ)
        with warehouse.store.transaction() as tx:
            tx.append(
                "cdm",
                "person",
                person.select(
                    *[
                        ibis.null(t).name(c) if c not in person.columns else person[c]
                        for c, t in warehouse.table("person").schema().items()
                    ]
                ),
            )
            tx.append(
                "cdm",
                "measurement",
                failing.select(
                    *[
                        failing[c] if c in failing.columns else ibis.null(t).name(c)
                        for c, t in warehouse.table("measurement").schema().items()
                    ]
                ),
            )
    assert warehouse.count("person") == 0 and warehouse.count("measurement") == 0
