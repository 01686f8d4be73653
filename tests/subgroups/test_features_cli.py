"""`entrepot features` on the synthetic hospital, with the shipped systemic
sclerosis spec: the Parquet file's contract, its values against the
warehouse's own rows, the JSON report, the audit entry, one-line errors."""

from __future__ import annotations

import io
import json
import shutil
from contextlib import redirect_stdout
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

from entrepot.cli import main
from entrepot.privacy import entries
from entrepot.warehouse import Warehouse

from .conftest import cli

COHORT = "Systemic sclerosis"
TYPES = {"float64": "double", "boolean": "bool", "string": "string"}


@pytest.fixture(scope="module")
def hospital(ssc_cohort, tmp_path_factory) -> Path:
    """A copy of the session's hospital, with the shipped cohort run (id 1)."""
    copy = tmp_path_factory.mktemp("features-cli") / "ssc.duckdb"
    shutil.copy(ssc_cohort, copy)
    return copy


@pytest.fixture(scope="module")
def written(hospital, tmp_path_factory) -> tuple[dict, Path]:
    """The shipped spec's features of the cohort, by name: (JSON, file)."""
    out = tmp_path_factory.mktemp("features-out") / "features.parquet"
    argv = ["features", COHORT, "--spec", "systemic_sclerosis", "--out", str(out)]
    printed = io.StringIO()
    with redirect_stdout(printed):
        assert main([*argv, "-w", str(hospital), "--json"]) == 0
    return json.loads(printed.getvalue()), out


def _run(capsys, hospital: Path, *args: str, code: int = 0):
    return cli(capsys, "features", *args, "-w", hospital, "--json", code=code)


def _sql(hospital: Path, query: str) -> dict:
    """{person_id: value} from the warehouse's own rows (tests only)."""
    with duckdb.connect(str(hospital), read_only=True) as con:
        return dict(con.sql(query).fetchall())


def test_the_contract_of_the_file_and_the_report(hospital, written):
    report, out = written
    table = pq.read_table(out)
    members = _sql(
        hospital,
        "select subject_id, 1 from results.cohort where cohort_definition_id = 1",
    )
    assert table.column("person_id").to_pylist() == sorted(members)
    assert report["n"] == table.num_rows == len(members) > 40
    assert table.schema.names == ["person_id", *report["features"]]
    assert str(table.schema.field("person_id").type) == "int64"
    for name, feature in report["features"].items():
        assert str(table.schema.field(name).type) == TYPES[feature["type"]], name
        nulls = table.column(name).null_count
        assert feature["missing"] == round(nulls / table.num_rows, 4), name
    features = report["features"]
    assert features["sex"] == {"kind": "sex", "type": "string", "missing": 0.0}
    assert features["creatinine"]["unit"] == ["umol/L"]
    assert 0.1 < features["fvc"]["missing"] < 0.5  # not done in a fifth: missing
    with Warehouse.open(hospital, read_only=True) as wh:
        entry = [e for e in entries(wh) if e["action"] == "features"][-1]
    n = report["n"]
    assert (entry["user"], entry["rows"], entry["persons"]) == ("root", n, n)


def test_values_agree_with_the_warehouse_rows(hospital, written):
    table = pq.read_table(written[1]).to_pylist()
    found = {r["person_id"]: r for r in table}
    by_code = """select person_id, true from condition_occurrence
        join concept on concept_id = condition_concept_id
        where vocabulary_id = 'CIM10' and concept_code = '{}'"""
    diffuse = _sql(hospital, by_code.format("M34.0"))
    assert {p for p, r in found.items() if r["diffuse_skin"]} == set(diffuse) & set(
        found
    )
    recorded = _sql(hospital, by_code.format("M34.1")) | diffuse  # limited or diffuse
    assert {p for p, r in found.items() if r["diffuse_skin"] is None} == set(
        found
    ) - set(recorded)
    lab = """select person_id, {} from measurement
        join concept on concept_id = measurement_concept_id
        where vocabulary_id = 'LOINC' and concept_code = '{}' group by person_id"""
    creatinine = _sql(hospital, lab.format("avg(value_as_number)", "14682-9"))
    assert {p: r["creatinine"] for p, r in found.items()} == {
        p: pytest.approx(creatinine[p]) if p in creatinine else None for p in found
    }
    aca = _sql(hospital, lab.format("bool_or(value_source_value = 'positif')", "16570-4"))  # fmt: skip
    assert {p: r["anticentromere"] for p, r in found.items()} == {
        p: aca.get(p) for p in found
    }
    assert {r["sex"] for r in table} <= {"female", "male"}


def test_bad_input_is_one_line(capsys, hospital, tmp_path):
    out = str(tmp_path / "f.parquet")
    spec = ["--spec", "systemic_sclerosis", "--out", out]
    err = _run(capsys, hospital, "99", *spec, code=2)
    assert err == f"entrepot: error: no cohort 99 in warehouse {hospital}"
    err = _run(capsys, hospital, "Lupus", *spec, code=2)
    assert err == f"entrepot: error: no cohort named 'Lupus' in warehouse {hospital}"
    err = _run(capsys, hospital, "1", "--spec", "lupus", "--out", out, code=2)
    assert err == (
        "entrepot: error: lupus: no such file, nor a shipped spec "
        "(shipped: systemic_sclerosis)"
    )
    own = tmp_path / "own.yaml"
    own.write_text("name: own\nfeatures:\n  age: age\n  sex: [sex\n")
    err = _run(capsys, hospital, "1", "--spec", str(own), "--out", out, code=2)
    assert err == f"entrepot: error: {own}: malformed YAML at line 5: expected ',' or ']', but got '<stream end>'"  # fmt: skip
    own.write_text(
        "name: own\nconcept_sets:\n  crp: {items: [{vocabulary: LOINC, code: 1988-5}]}\n"
        "features:\n  crp: {max: {measurement: {concept_set: crp}}, window: {start: 30, end: 0}}\n"
    )  # fmt: skip
    err = _run(capsys, hospital, "1", "--spec", str(own), "--out", out, code=2)
    assert err == (
        f"entrepot: error: {own}: features.crp.window: impossible window: "
        "start 30 is after end 0"
    )
    own.write_text(
        "name: own\nconcept_sets:\n  crp: {items: [{vocabulary: LOINC, code: 0000-0}]}\n"
        "features:\n  crp: {max: {measurement: {concept_set: crp}}}\n"
    )  # fmt: skip
    err = _run(capsys, hospital, "1", "--spec", str(own), "--out", out, code=2)
    assert err == (
        f"entrepot: error: {own}: unknown code(s) in the warehouse's vocabulary: "
        "LOINC 0000-0"
    )
    err = _run(capsys, hospital, "1", "--spec", "systemic_sclerosis", "--out", str(tmp_path), code=2)  # fmt: skip
    assert err == f"entrepot: error: cannot write {tmp_path}: it is a folder"


def test_the_readme_s_example_spec_runs(capsys, hospital, tmp_path):
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("\n### Features\n", 1)[1]
    example = section.split("```yaml\n", 1)[1].split("```", 1)[0]
    (tmp_path / "mine.yaml").write_text(example)
    argv = ["1", "--spec", str(tmp_path / "mine.yaml"), "--out", str(tmp_path / "f")]
    report = _run(capsys, hospital, *argv)
    kinds = {name: f["kind"] for name, f in report["features"].items()}
    assert kinds == {
        "age": "age",
        "sex": "sex",
        "ild": "presence",
        "ild_before": "presence",
        "creatinine": "last",
        "stays": "count",
        "aca": "positive",
        "raynaud_noted": "presence",
        "raynaud_years": "since_first",
    }
    table = pq.read_table(tmp_path / "f")
    assert (
        table.column("raynaud_noted").to_pylist() == [False] * report["n"]
    )  # no NLP run
    assert table.column("stays").null_count == 0
