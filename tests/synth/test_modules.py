"""Disease module files: the built-ins load; bad files name their file and field."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from entrepot.errors import ModuleFileError
from entrepot.synth import generate_hospital, load_modules

BUILT_IN = Path(str(files("entrepot.data.synth").joinpath("modules")))
MINIMAL = """\
name: gout
title: Goutte
prevalence: 0.02
code: M10.9
care: {unit: Rhumatologie}
"""


def test_built_in_modules_load_through_the_public_route():
    names = {m.name for m in load_modules()}
    assert {
        "systemic_sclerosis",
        "covid19",
        "elderly_polypharmacy",
        "headache",
    } <= names
    assert names == {p.stem for p in BUILT_IN.glob("*.yaml")}


def test_a_user_module_is_added_and_replaces_a_built_in(tmp_path):
    (tmp_path / "gout.yaml").write_text(MINIMAL)
    (tmp_path / "covid.yaml").write_text(
        (BUILT_IN / "covid19.yaml")
        .read_text()
        .replace("prevalence: 0.04", "prevalence: 0.5")
    )
    modules = {m.name: m for m in load_modules(tmp_path)}
    assert modules["gout"].code == "M10.9"
    assert modules["covid19"].prevalence == 0.5


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            MINIMAL.replace("0.02", "2"),
            "field prevalence: Input should be less than or equal to 1",
        ),
        (MINIMAL.replace("name: gout\n", ""), "field name: Field required"),
        (MINIMAL + "colour: blue\n", "field colour: Extra inputs are not permitted"),
        (
            MINIMAL.replace("M10.9", "M10.99X"),
            "field code: 'M10.99X' is not a CIM-10 code",
        ),
        (
            MINIMAL + "labs:\n  - {loinc: 718-7}\n",
            "field labs.0: Value error, give exactly one of",
        ),
        (
            MINIMAL + "drugs:\n  - {atc: L04AX99, product: X, dose: 1}\n",
            "field drugs.0.atc: 'L04AX99' is not an ATC code",
        ),
        (
            MINIMAL + "risk_with: {nothing: 2}\n",
            "field risk_with: no module or tag named 'nothing'",
        ),
        (
            MINIMAL.replace("Rhumatologie", "Cuisine"),
            "field care.unit: 'Cuisine' is not a unit",
        ),
        ("name: [unclosed\n", "not valid YAML"),
        (
            MINIMAL + "labs:\n  - {loinc: 5348-8, positive: 0.5, within_sd: 1}\n",
            "field labs.0: Value error, `within_sd` goes with a `value`",
        ),
        (
            MINIMAL + "subtypes:\n  - {name: a, weight: 1, code_share: {M10.0: 0.5}}\n",
            "field subtypes.0: Value error, the shares of `code_share` add up to 0.5",
        ),
        (
            MINIMAL
            + "subtypes:\n  - {name: a, weight: 1, code: M10.0, code_share: {M10.0: 1}}\n",
            "field subtypes.0: Value error, give `code` or `code_share`, not both",
        ),
        (
            MINIMAL + "subtypes:\n  - {name: a, weight: 1, code_share: {M10.99X: 1}}\n",
            "field subtypes.0.code_share.M10.99X: 'M10.99X' is not a CIM-10 code",
        ),
    ],
)
def test_bad_module_files_name_the_file_and_the_field(tmp_path, text, message):
    (tmp_path / "gout.yaml").write_text(text)
    with pytest.raises(ModuleFileError, match=re.escape(message)) as caught:
        load_modules(tmp_path)
    assert str(caught.value).startswith(str(tmp_path / "gout.yaml"))
    assert "\n" not in str(caught.value)


def test_a_user_module_generates_patients(tmp_path):
    folder = tmp_path / "modules"
    folder.mkdir()
    (folder / "gout.yaml").write_text(MINIMAL.replace("0.02", "0.3"))
    result = generate_hospital(
        str(tmp_path / "h.duckdb"),
        patients=200,
        seed=1,
        notes=False,
        modules=folder,
        workers=1,
    )
    from entrepot.warehouse import Warehouse

    with Warehouse.open(result.warehouse, read_only=True) as wh:
        truth = wh.table("synth_truth")
        gout = truth.filter(truth.module == "gout").count().to_pyarrow().as_py()
        assert 30 < gout < 90
        cond = wh.table("condition_occurrence")
        assert (
            cond.filter(cond.condition_source_value == "M109")
            .count()
            .to_pyarrow()
            .as_py()
            > 0
        )


def test_a_missing_folder_is_an_error(tmp_path):
    with pytest.raises(ModuleFileError, match="not a folder"):
        load_modules(tmp_path / "nowhere")


def test_patients_keep_their_own_level_of_a_lab_test(tmp_path):
    """`within_sd`: each patient's results stay near their own level (in the
    median patient: other diseases move some); a subtype nobody has is no problem."""
    folder = tmp_path / "modules"
    folder.mkdir()
    level = "{loinc: 2157-6, value: {mean: 500, sd: 200, min: 20}, within_sd: 5}"
    (folder / "gout.yaml").write_text(
        MINIMAL.replace("0.02", "0.5").replace(
            "{unit: Rhumatologie}", "{unit: Rhumatologie, day_hospital_per_year: 4}"
        )
        + f"subtypes:\n  - {{name: a, weight: 1, labs: [{level}]}}\n"
        + f"  - {{name: b, weight: 1.0e-9, labs: [{level}]}}\n"
    )
    result = generate_hospital(
        str(tmp_path / "h.duckdb"),
        patients=120,
        seed=2,
        notes=False,
        modules=folder,
        workers=1,
    )
    from entrepot.warehouse import Warehouse

    with Warehouse.open(result.warehouse, read_only=True) as wh:
        [(patients, within, between)] = wh.con.raw_sql(
            """SELECT count(*), median(sd), stddev(mean) FROM (
                 SELECT person_id, stddev(value_as_number) sd, avg(value_as_number) mean
                 FROM measurement m JOIN entrepot.synth_truth t USING (person_id)
                 WHERE t.module = 'gout' AND m.measurement_source_value = '2157-6'
                   AND m.measurement_date >= t.onset_date
                 GROUP BY 1 HAVING count(*) >= 3)"""
        ).fetchall()
    assert patients >= 5
    assert within < 15 and between > 100
