"""`entrepot model explain`: global explanations (SHAP, permutation
importance) and one person's SHAP values, on the model trained on the
synthetic hospital with the planted risk model."""

from __future__ import annotations

import json
import math
import shutil

import pyarrow.parquet as pq
import pytest

from entrepot.cli import main
from entrepot.privacy import entries
from entrepot.warehouse import Warehouse

EGFR = "CKD-EPI"  # in the eGFR concept's name


@pytest.fixture(scope="module")
def hospital(planted_hospital, tmp_path_factory):
    """A copy of the planted hospital: explaining writes the audit."""
    path = tmp_path_factory.mktemp("explain") / "hf.duckdb"
    shutil.copy(planted_hospital, path)
    return path


@pytest.fixture(scope="module")
def explained(planted_model, hospital, tmp_path_factory):
    folder = tmp_path_factory.mktemp("explained") / "model"
    shutil.copytree(planted_model, folder)
    assert main(["model", "explain", str(folder), "-w", str(hospital), "-q"]) == 0
    return folder


def _label(folder, name: str) -> str:
    definition = json.loads((folder / "covariates.json").read_text())[name]
    return definition.get("concept_name") or name


def test_global_explanations_put_the_planted_predictors_first(explained):
    """Age and eGFR, the planted risk's strongest predictors, lead both."""
    found = json.loads((explained / "explanations.json").read_text())
    assert found["explainer"] == "LinearExplainer" and found["persons"] > 300
    for measure in ("shap", "permutation"):
        top = [x["covariate"] for x in found[measure][:3]]
        assert any(EGFR in _label(explained, n) for n in top), (measure, top)
        assert any(n.startswith("age") for n in top), (measure, top)
    assert found["permutation"][0]["value"] > 0.01  # AUROC lost without it


def test_the_report_shows_the_explanations(explained, tmp_path):
    out = tmp_path / "r.html"
    assert main(["model", "report", str(explained), "--html", str(out), "-q"]) == 0
    html = out.read_text()
    assert "SHAP: mean |value| (log-odds)" in html
    assert "Permutation importance (AUROC lost)" in html


def test_one_persons_shap_values_add_up_to_their_prediction(
    planted_model, hospital, capsys
):
    person = pq.read_table(planted_model / "predictions.parquet")["person_id"][0]
    argv = ["model", "explain", str(planted_model), "-w", str(hospital)]
    assert main([*argv, "--person", str(person), "--json"]) == 0
    printed = capsys.readouterr().out
    found = json.loads(printed)
    total = found["base_value"] + found["other_covariates"]
    total += sum(c["shap"] for c in found["contributions"])
    assert total == pytest.approx(
        math.log(found["risk"] / (1 - found["risk"])), abs=0.01
    )
    assert "person_id" not in printed and f"{person}" not in printed.split('"risk"')[0]
    assert all(c["covariate"] for c in found["contributions"])
    with Warehouse.open(str(hospital), read_only=True) as wh:
        entry = [e for e in entries(wh) if e["action"] == "model.explain"][-1]
    assert json.loads(entry["parameters"])["person"] == person.as_py()


def test_a_person_outside_the_study_is_a_one_line_error(
    planted_model, hospital, capsys
):
    argv = ["model", "explain", str(planted_model), "-w", str(hospital)]
    assert main([*argv, "--person", "999999999"]) == 2
    err = capsys.readouterr().err
    assert "not in the study population within your perimeter" in err
    assert err.count("\n") == 1
