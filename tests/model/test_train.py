"""`entrepot model train` on the synthetic heart-failure hospital, checked
against labels and covariates worked out independently with SQL, and
scikit-learn's own metrics."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import average_precision_score, roc_auc_score

from entrepot.cli import main
from entrepot.model import load_model, load_study, study_data
from entrepot.warehouse import Warehouse

from .conftest import FAST, write_study

#: 1-year death after the first inpatient heart-failure stay, PLP's rules,
#: written as plain SQL over the CDM (independent of the Ibis code)
LABELS = """
with hf as (
  select co.person_id, min(co.condition_start_date) as index_date
  from condition_occurrence co
  join visit_occurrence v on v.visit_occurrence_id = co.visit_occurrence_id
  join concept_ancestor ca on ca.descendant_concept_id = co.condition_concept_id
  join concept c on c.concept_id = ca.ancestor_concept_id
  where c.vocabulary_id = 'CIM10' and c.concept_code = 'I50'
    and v.visit_concept_id in (9201, 262)
  group by 1
), labelled as (
  select hf.person_id, hf.index_date, d.death_date,
    (select max(op.observation_period_end_date) from observation_period op
     where op.person_id = hf.person_id
       and hf.index_date between op.observation_period_start_date
                             and op.observation_period_end_date) as obs_end
  from hf left join death d on d.person_id = hf.person_id
)
select person_id,
  coalesce(death_date - index_date between 1 and 365, false) as y
from labelled
where obs_end is not null
  and not coalesce(death_date - index_date < 1, false)
  and (least(obs_end - index_date, 365) >= 364
       or coalesce(death_date - index_date between 1 and 365, false))
order by person_id
"""


def test_the_labels_are_plps_worked_out_in_sql(hf_model, hf_copy):
    folder, results = hf_model
    predictions = pq.read_table(folder / "predictions.parquet").to_pandas()
    with duckdb.connect(str(hf_copy), read_only=True) as con:
        truth = con.sql(LABELS).df()
    assert predictions.person_id.tolist() == truth.person_id.tolist()
    assert predictions.y_true.astype(bool).tolist() == truth.y.tolist()
    n = results["n"]
    assert n["train"]["persons"] + n["test"]["persons"] == len(truth)
    assert n["test"]["events"] == int(
        predictions[predictions.split == "test"].y_true.sum()
    )
    assert results["attrition"][-1]["persons"] == len(truth)


def test_the_figures_are_scikit_learns_on_the_test_set(hf_model):
    folder, results = hf_model
    p = pq.read_table(folder / "predictions.parquet").to_pandas()
    test = p[p.split == "test"]
    assert set(p.split) == {"train", "test"}
    assert results["auroc"] == pytest.approx(
        roc_auc_score(test.y_true, test.y_score), abs=1e-4
    )
    assert results["auprc"] == pytest.approx(
        average_precision_score(test.y_true, test.y_score), abs=1e-4
    )
    assert results["auroc_ci"][0] < results["auroc"] < results["auroc_ci"][1]
    assert results["brier"] == pytest.approx(
        np.mean((test.y_score - test.y_true) ** 2), abs=1e-4
    )
    expected = test.y_score.sum() / test.y_true.sum()
    assert results["calibration"]["e_o"] == pytest.approx(expected, abs=1e-3)
    assert json.loads((folder / "results.json").read_text()) == results


def test_the_folder_holds_the_model_and_its_covariates(hf_model, hf_copy):
    folder, results = hf_model
    model = load_model(folder)
    covariates = json.loads((folder / "covariates.json").read_text())
    assert list(covariates) == model.names
    assert results["model"]["covariates"] == len(model.names)
    assert covariates["age"]["analysis"] == "age"
    visits = covariates["visit_count:9201:365d"]
    assert visits["window"] == "365 days before the index"
    assert results["model"]["learner"] == "l1_logistic"
    assert 0 < results["model"]["nonzero"] <= len(model.names)
    assert load_study(folder / "study.yaml").study.name == "heart_failure_mortality"
    rule = results["study"]["censoring"]["rule"]
    assert "fewer than 364 days" in rule and "PatientLevelPrediction" in rule


def test_the_covariates_are_the_events_counted_in_sql(hf_copy):
    """Inpatient stays in the year before the index date, and age, as the
    engine computed them, against plain SQL."""
    from entrepot.privacy import Decision

    loaded = load_study("heart_failure_mortality")
    with Warehouse.open(hf_copy, read_only=True) as wh:
        decision = Decision.unscoped(wh)
        population, matrix = study_data(wh, decision, loaded)
        index = population.index.to_pandas()
    with duckdb.connect(str(hf_copy), read_only=True) as con:
        con.register("idx", index)
        stays = con.sql(
            "select i.person_id, count(v.visit_occurrence_id) as n from idx i "
            "left join visit_occurrence v on v.person_id = i.person_id "
            "and v.visit_concept_id = 9201 and v.visit_start_date <= i.index_date::date "
            "and i.index_date::date - v.visit_start_date <= 365 group by 1 order by 1"
        ).df()
        ages = con.sql(
            "select i.person_id, year(i.index_date::date) - p.year_of_birth as age "
            "from idx i join person p using (person_id) order by 1"
        ).df()
    assert stays.person_id.tolist() == matrix.person_ids.tolist()
    assert matrix.column("visit_count:9201:365d").tolist() == stays.n.tolist()
    assert matrix.column("age").tolist() == ages.age.tolist()
    assert matrix.matrix.format == "csr"


def test_a_temporal_split_tests_the_later_period(hf_copy, tmp_path, capsys):
    study = write_study(tmp_path, **FAST, split={"test_fraction": None, "test_from": "2019-01-01"})  # fmt: skip
    out = tmp_path / "temporal"
    argv = ["model", "train", str(study), "-w", str(hf_copy), "--out", str(out)]
    assert main([*argv, "--json"]) == 0
    results = json.loads(capsys.readouterr().out)
    dates = results["study"]["dates"]
    assert dates["train"][1] < "2019-01-01" <= dates["test"][0]
    assert "entries before 2019-01-01 trained on" in results["study"]["split"]["rule"]
    with Warehouse.open(hf_copy, read_only=True) as wh:
        from entrepot.privacy import entries

        entry = [e for e in entries(wh) if e["action"] == "model.train"][-1]
    assert entry["rows"] == pq.read_table(out / "predictions.parquet").num_rows


def test_bad_input_is_one_line(tmp_path, capsys, hf_copy):
    study = write_study(tmp_path, time_at_risk={"start": 30, "end": 1})
    argv = ["model", "train", str(study), "-w", str(hf_copy), "--out", str(tmp_path)]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert err == (f"entrepot: error: {study}: time_at_risk: start 30 is after end 1")


def test_boosting_fits_at_once_give_the_model_fitted_one_after_another():
    """The folds' fits and the final one in threads (`jobs`) give the same
    cross-validated AUROC and risks as scikit-learn's cross_val_score and a
    fit after it, one at a time."""
    import scipy.sparse as sp
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.model_selection import StratifiedKFold, cross_val_score

    from entrepot.model._study import Learner
    from entrepot.model._train import fit_learners

    rng = np.random.default_rng(7)
    dense = (rng.random((300, 12)) < 0.3) * rng.integers(1, 5, (300, 12))
    y = (dense[:, 0] + dense[:, 1] + rng.normal(0, 2, 300) > 3).astype(int)
    x = sp.csr_matrix(dense.astype(float))
    names = [f"c{i}" for i in range(12)]
    settings = {"max_iter": 20, "max_leaf_nodes": 7}
    found = {
        jobs: fit_learners(
            [Learner.model_validate({"gradient_boosting": settings | {"jobs": jobs}})],
            x,
            y,
            names,
            seed=3,
        )
        for jobs in (1, 2)
    }
    reference = HistGradientBoostingClassifier(
        max_iter=20, learning_rate=0.05, max_leaf_nodes=7, random_state=3
    )
    folds = StratifiedKFold(3, shuffle=True, random_state=3)
    cv = cross_val_score(reference, x.toarray().astype(np.float32), y, cv=folds,
                         scoring="roc_auc").mean()  # fmt: skip
    risks = reference.fit(x.toarray().astype(np.float32), y).predict_proba(
        x.toarray().astype(np.float32)
    )[:, 1]
    for model, figures in found.values():
        assert figures[0]["cv_auroc"] == round(cv, 4)
        assert model.cv_auroc == cv
        assert np.array_equal(model.predict(x), risks)


def _l1_case():
    """One informative covariate among 120 of noise: cross-validated AUROC
    rises with C to 0.1, then falls as the noise gets coefficients."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    signal = rng.normal(size=240)
    y = (rng.random(240) < 1 / (1 + np.exp(-1.5 * signal))).astype(int)
    noise = (rng.random((240, 120)) < 0.1).astype(float)
    return sp.csr_matrix(np.column_stack([signal, noise])), y


@pytest.mark.parametrize(
    ("cs", "path", "tried"),
    [
        # the optimum (0.1) inside: the walk stops at 0.3, the largest Cs unfitted
        ([0.003, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0], "stopped at C=0.3 (AUROC fell)",
         ["0.003", "0.01", "0.03", "0.1", "0.3"]),
        # unsorted: walked from the smallest C, each seeded at its place in the grid
        ([1.0, 0.03, 0.3, 0.1, 10.0], "stopped at C=0.3 (AUROC fell)",
         ["0.03", "0.1", "0.3"]),
        # AUROC rising to the largest C: the whole grid
        ([0.01, 0.03, 0.1], "the whole grid (AUROC did not fall)", ["0.01", "0.03", "0.1"]),
    ],
)  # fmt: skip
def test_the_l1_path_stops_when_auroc_falls_with_the_full_grids_model(cs, path, tried):
    """C is walked up from the smallest and the walk stops at the first C
    whose cross-validated AUROC is below the best so far; the C, the AUROC and
    the risks are LogisticRegressionCV's over the whole grid, to the last bit."""
    from sklearn.linear_model import LogisticRegressionCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from entrepot.model._study import Learner
    from entrepot.model._train import _folds, fit_learners

    x, y = _l1_case()
    model, figures = fit_learners(
        [Learner.model_validate({"l1_logistic": {"cs": cs}})], x, y, [], seed=1
    )
    full = LogisticRegressionCV(
        Cs=cs, l1_ratios=(1.0,), solver="liblinear", cv=_folds(3, y, 1),
        scoring="roc_auc", random_state=1, use_legacy_attributes=False,
    )  # fmt: skip
    reference = make_pipeline(StandardScaler(with_mean=False), full).fit(x, y)
    assert model.settings["path"] == path
    assert sorted(model.settings["cv_aurocs"]) == sorted(tried)
    assert model.settings["C"] == full.C_ == 0.1
    means = full.scores_.reshape(3, -1).mean(axis=0)
    assert model.cv_auroc == float(np.nanmax(means))
    assert model.settings["cv_aurocs"] == {
        str(c): round(float(m), 4) for c, m in zip(cs, means, strict=True)
        if str(c) in tried
    }  # fmt: skip
    assert figures[0]["settings"]["path"] == path
    assert np.array_equal(model.predict(x), reference.predict_proba(x)[:, 1])
