"""`entrepot model validate`: a trained model evaluated on another warehouse,
its covariates recomputed as the model reads them; and the covariate matrix
the same on Spark as on DuckDB."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from entrepot.cli import main
from entrepot.model import covariate_matrix, load_study, study_population
from entrepot.model._study import LoadedStudy, study_from_data
from entrepot.privacy import Decision

from ..cohort.conftest import build_tiny
from ..conftest import warehouse_uri
from .conftest import TINY_STUDY


def test_validating_on_the_same_warehouse_gives_the_same_scores(
    hf_model, hf_copy, tmp_path, capsys
):
    """Every person's risk, recomputed from the model folder alone, is the
    one training predicted: the covariates are the same columns."""
    folder, trained = hf_model
    out = tmp_path / "external"
    argv = ["model", "validate", str(folder), "-w", str(hf_copy), "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    before = pq.read_table(folder / "predictions.parquet").to_pandas()
    after = pq.read_table(out / "predictions.parquet").to_pandas()
    assert set(after.split) == {"external"}
    assert after.person_id.tolist() == before.person_id.tolist()
    np.testing.assert_allclose(after.y_score, before.y_score, rtol=1e-9)
    n = results["n"]["external"]["persons"]
    assert n == trained["n"]["train"]["persons"] + trained["n"]["test"]["persons"]
    assert results["evaluated"] == "external"
    assert results["model"]["covariates_absent"] == 0


def test_validating_on_another_hospital(hf_model, tmp_path, capsys):
    """Another synthetic hospital (another seed): its own persons, the
    model's covariates, those it never records counted as absent."""
    from entrepot.synth import generate_hospital

    folder, _ = hf_model
    other = tmp_path / "other.duckdb"
    generate_hospital(
        str(other), patients=600, seed=11, notes=False, workers=1,
        enrich={"heart_failure": 0.3},
    )  # fmt: skip
    assert main(["model", "validate", str(folder), "-w", str(other), "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    assert set(results["n"]) == {"external"}
    assert 0 <= results["auroc"] <= 1
    assert results["study"]["name"] == "heart_failure_mortality"
    assert results["model"]["covariates_absent"] > 0


def test_a_folder_without_a_model_is_one_line(tmp_path, capsys, hf_copy):
    argv = ["model", "validate", str(tmp_path), "-w", str(hf_copy)]
    assert main(argv) == 2
    assert capsys.readouterr().err.strip() == (
        f"entrepot: error: {tmp_path}: no model.joblib (not a model's folder)"
    )


@pytest.mark.spark
def test_the_covariate_matrix_is_the_same_on_spark(spark_session, tmp_path):
    """The tiny warehouse on both engines: the same persons, labels,
    covariate names and values."""
    import yaml

    data = yaml.safe_load(TINY_STUDY)  # fewer windows: Spark runs each part
    data["covariates"] |= {"conditions": ["all"], "drugs": [30], "visits": [365]}
    study = study_from_data(data, "tiny.yaml")
    loaded = LoadedStudy(study, "tiny.yaml", None)
    found = {}
    for engine in ("duckdb", "spark"):
        with build_tiny(warehouse_uri(engine, tmp_path)) as wh:
            decision = Decision.unscoped(wh)
            population = study_population(wh, decision, loaded)
            matrix = covariate_matrix(
                wh, decision, population.index, population.person_ids,
                study.covariates,
            )  # fmt: skip
            found[engine] = (population, matrix)
    (dp, dm), (sp_, sm) = found["duckdb"], found["spark"]
    assert dp.person_ids.tolist() == sp_.person_ids.tolist() == [1, 2, 3]
    assert dp.y.tolist() == sp_.y.tolist() == [1, 1, 0]
    assert dm.names == sm.names
    assert (dm.matrix != sm.matrix).nnz == 0
    assert dm.column("condition:101:all").tolist() == [1, 0, 1]
    assert "drug:200:30d" in dm.names


def test_the_last_value_of_a_day_with_several_is_the_last_recorded(tmp_path):
    """Two results on the last day before the index: the covariate is the one
    recorded last (highest id), whatever order the engine reads them in (an
    arbitrary pick made two runs of one model disagree)."""
    import yaml

    from ..cohort.conftest import write_tables

    study = study_from_data(yaml.safe_load(TINY_STUDY), "tiny.yaml")
    with build_tiny(str(tmp_path / "eds.duckdb")) as wh:
        on = [date(2015, 1, 5), date(2015, 2, 20), date(2015, 2, 20), date(2015, 2, 20)]
        write_tables(wh, {"measurement": pa.table({
            "measurement_id": [1, 11, 13, 12], "person_id": [1] * 4,
            "measurement_concept_id": [300] * 4, "measurement_date": on,
            "value_as_number": [9.0, 6.0, 4.0, 8.0],
        })})  # fmt: skip
        decision = Decision.unscoped(wh)
        population = study_population(wh, decision, LoadedStudy(study, "t", None))
        for _ in range(3):
            matrix = covariate_matrix(
                wh, decision, population.index, population.person_ids,
                study.covariates,
            )  # fmt: skip
            assert matrix.column("measurement_value:300:all").tolist()[0] == 4.0


def test_the_tiny_study_trains_and_validates(tmp_path, capsys):
    """Too few events to cross-validate: C is the middle of the grid, said
    so (no cross-validated AUROC). The administrator sees exact counts; the
    library's unscoped caller, small counts masked and small subgroups
    without figures."""
    from entrepot.model import train_study
    from entrepot.warehouse import Warehouse

    folder = tmp_path / "tiny"
    (tmp_path / "tiny.yaml").write_text(TINY_STUDY)
    build_tiny(str(tmp_path / "eds.duckdb")).close()
    w = ["-w", str(tmp_path / "eds.duckdb"), "--json"]
    assert main(["model", "train", str(tmp_path / "tiny.yaml"), "--out", str(folder), *w]) == 0  # fmt: skip
    results = json.loads(capsys.readouterr().out)
    assert results["model"]["cv_auroc"] is None
    assert results["model"]["settings"]["C"] == 0.1
    assert results["n"] == {
        "train": {"persons": 2, "events": 1},
        "test": {"persons": 1, "events": 1},
    }
    assert load_study(folder / "study.yaml").study.target["name"] == "GI bleeds"
    with Warehouse.open(tmp_path / "eds.duckdb") as wh:
        loaded = load_study(tmp_path / "tiny.yaml")
        masked = train_study(wh, loaded, Decision.unscoped(wh)).results
    assert str(masked["n"]["train"]["persons"]).startswith("<")
    female = masked["subgroups"]["sex"]["female"]
    assert female["masked"] and female["auroc"] is None
    assert str(female["n"]).startswith("<")
    calibration = masked["calibration"]  # E/O would give the masked events back
    assert str(calibration["observed"]).startswith("<")
    assert calibration["e_o"] == calibration["in_the_large"] == "*"
    assert results["calibration"]["observed"] == 1  # the administrator's
