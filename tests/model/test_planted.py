"""The risk model planted in the synthetic hospital (prediction models' ground
truth, `entrepot/data/synth/hf_mortality.yaml`): what the warehouse holds
agrees with `synth_truth`, and the truth is recoverable from the warehouse."""

from __future__ import annotations

import json

import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from entrepot.cli import main as entrepot
from entrepot.errors import ModuleFileError, ParameterError
from entrepot.synth import generate_hospital
from entrepot.synth._prediction import PREDICTORS, planted

SPEC = planted()
EGFR = "62238-1"

#: The cohort and its predictors computed from the warehouse alone, as a
#: study would: first inpatient stay with heart failure, what is recorded on or
#: before its first day, death within a year.
COHORT = f"""
WITH hf AS (
  SELECT c.person_id, v.visit_occurrence_id, v.visit_start_date AS day
  FROM condition_occurrence c
  JOIN visit_occurrence v USING (visit_occurrence_id)
  WHERE c.condition_source_value LIKE 'I50%' AND v.visit_source_value = 'MCO'
), idx AS (  -- of two first stays on the same day, the one with the lower id
  SELECT person_id, visit_occurrence_id AS stay, day FROM hf
  QUALIFY row_number() OVER (PARTITION BY person_id ORDER BY day, visit_occurrence_id) = 1
)
SELECT i.person_id, i.day,
  date_diff('day', p.birth_datetime::DATE, i.day) / 365.25 AS age,
  (SELECT count(*) > 0 FROM condition_occurrence c WHERE c.person_id = i.person_id
     AND c.condition_source_value LIKE 'N18%' AND c.condition_start_date <= i.day)
     ::INT AS ckd,
  (SELECT count(*) > 0 FROM condition_occurrence c WHERE c.person_id = i.person_id
     AND (c.condition_source_value LIKE 'E10%' OR c.condition_source_value LIKE 'E11%')
     AND c.condition_start_date <= i.day)::INT AS diabetes,
  (SELECT arg_min(m.value_as_number, m.measurement_datetime) FROM measurement m
     WHERE m.visit_occurrence_id = i.stay AND m.measurement_source_value = '{EGFR}'
     AND m.measurement_date = i.day) AS egfr,
  (SELECT count(*) FROM visit_occurrence v WHERE v.person_id = i.person_id
     AND v.visit_source_value = 'MCO' AND v.visit_start_date < i.day
     AND v.visit_start_date >= i.day - INTERVAL {SPEC.prior_days} DAY) AS prior_stays,
  d.death_date, o.observation_period_end_date AS seen_until
FROM idx i JOIN person p USING (person_id)
JOIN observation_period o USING (person_id)
LEFT JOIN death d USING (person_id)
ORDER BY i.person_id
"""
TRUTH = """
SELECT person_id, onset_date AS day, subtype, field, value
FROM entrepot.synth_truth WHERE module = 'hf_mortality'
"""


def _read(path) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        seen = con.sql(COHORT).df()
        truth = con.sql(TRUTH).df()
    finally:
        con.close()
    wide = truth.pivot(index="person_id", columns="field", values="value")
    for name in [*PREDICTORS, "log_odds", "risk"]:
        wide[name] = wide[name].astype(float)
    first = truth.drop_duplicates("person_id").set_index("person_id")
    wide["day"], wide["subtype"] = first["day"], first["subtype"]
    horizon = pd.to_timedelta(SPEC.horizon_days, unit="D")
    seen["died"] = (seen["death_date"].notna()) & (
        pd.to_datetime(seen["death_date"]) <= pd.to_datetime(seen["day"]) + horizon
    )
    seen["followed"] = seen["died"] | (
        pd.to_datetime(seen["seen_until"]) >= pd.to_datetime(seen["day"]) + horizon
    )
    return seen.set_index("person_id"), wide.sort_index()


@pytest.fixture(scope="module")
def main(planted_hospital):
    return _read(planted_hospital)


@pytest.fixture(scope="module")
def shifted(planted_shifted_hospital):
    return _read(planted_shifted_hospital)


def test_the_cohort_and_its_predictors_are_what_the_warehouse_holds(main):
    seen, truth = main
    assert len(truth) > 1_000
    assert list(seen.index) == list(truth.index)
    assert (pd.to_datetime(seen["day"]) == pd.to_datetime(truth["day"])).all()
    for name in ("ckd", "diabetes", "prior_stays"):
        assert (seen[name] == truth[name]).all(), name
    assert np.allclose(seen["age"], truth["age"], atol=1 / 365)
    assert np.allclose(seen["egfr"], truth["egfr"])  # measured at every admission
    assert np.allclose(truth["risk"], SPEC.risk(truth))


def test_the_outcome_is_the_planted_death(main, planted_hospital):
    seen, truth = main
    stated = pd.to_datetime(truth["death_date"].replace("", None))
    inside = stated.notna() & (stated <= pd.Timestamp("2025-12-31"))
    assert (pd.to_datetime(seen.loc[inside, "death_date"]) == stated[inside]).all()
    survivors = truth["subtype"] == "survived"
    assert not seen.loc[survivors, "died"].any()
    # a death ends the records: no visit starts after it
    con = duckdb.connect(str(planted_hospital), read_only=True)
    late = con.sql(
        """SELECT count(*) FROM visit_occurrence v JOIN death d USING (person_id)
           WHERE v.visit_start_date > d.death_date"""
    ).fetchone()[0]
    con.close()
    assert late == 0
    # every patient with a year to go is followed for it or dies within it
    room = pd.to_datetime(seen["day"]) <= pd.Timestamp("2024-12-31")
    assert seen.loc[room, "followed"].all()
    # the deaths follow the planted risk: observed and expected agree
    observed, expected = truth["subtype"].eq("died").sum(), truth["risk"].sum()
    assert abs(observed - expected) < 3 * np.sqrt(expected)


def _fit(frame: pd.DataFrame, c: float = 1.0):
    from sklearn.linear_model import LogisticRegression

    x = frame[list(PREDICTORS)].to_numpy(float)
    mean, sd = x.mean(axis=0), x.std(axis=0)
    model = LogisticRegression(l1_ratio=1, solver="liblinear", C=c, max_iter=1000)
    model.fit((x - mean) / sd, frame["died"])
    return model, mean, sd


def _standard_errors(model, z: np.ndarray) -> np.ndarray:
    """Standard errors of the coefficients (Fisher information at the fit)."""
    p = model.predict_proba(z)[:, 1]
    design = np.column_stack([np.ones(len(z)), z])
    information = design.T @ (design * (p * (1 - p))[:, None])
    return np.sqrt(np.diag(np.linalg.inv(information)))[1:]


def test_an_l1_logistic_recovers_the_planted_coefficients(main):
    seen, _ = main
    below = seen[seen["followed"] & (seen["age"] < SPEC.flat.from_age)]
    model, mean, sd = _fit(below, c=10.0)
    z = (below[list(PREDICTORS)].to_numpy(float) - mean) / sd
    recovered = model.coef_[0] / sd
    error = _standard_errors(model, z) / sd
    for k, name in enumerate(PREDICTORS):
        true = getattr(SPEC.coefficients, name)
        assert abs(recovered[k] - true) < 3 * error[k], (name, recovered[k], true)
        if abs(true) > 2 * error[k]:  # the data can tell it from none
            assert np.sign(recovered[k]) == np.sign(true), (name, recovered[k])


def _slope_and_error(risk: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """The calibration slope (y's logistic on the log-odds) and its standard error."""
    from sklearn.linear_model import LogisticRegression

    logit = np.log(risk / (1 - risk))[:, None]
    fit = LogisticRegression(C=1e6).fit(logit, y)
    p = fit.predict_proba(logit)[:, 1]
    design = np.column_stack([np.ones(len(y)), logit])
    information = design.T @ (design * (p * (1 - p))[:, None])
    return float(fit.coef_[0, 0]), float(np.sqrt(np.linalg.inv(information)[1, 1]))


def _slope(risk: np.ndarray, y: np.ndarray) -> float:
    return _slope_and_error(risk, y)[0]


def test_the_flat_age_band_is_miscalibrated_for_a_single_model(main):
    seen, truth = main
    frame = seen[seen["followed"]]
    model, mean, sd = _fit(frame)
    risk = model.predict_proba((frame[list(PREDICTORS)].to_numpy(float) - mean) / sd)[
        :, 1
    ]
    old = (frame["age"] >= SPEC.flat.from_age).to_numpy()
    y = frame["died"].to_numpy()
    assert old.sum() > 100
    assert _slope(risk[old], y[old]) < 0.5  # the truth is flat there
    assert 0.7 < _slope(risk[~old], y[~old]) < 1.5
    true = truth.loc[frame.index, "risk"].to_numpy()
    assert np.allclose(true[old], SPEC.flat.risk)
    assert 0.7 < _slope(true[~old], y[~old]) < 1.3


def test_the_shifted_hospital_has_another_case_mix_and_the_same_model(main, shifted):
    _, truth = main
    _, other = shifted
    assert other["age"].mean() > truth["age"].mean() + 4
    assert other["ckd"].mean() > truth["ckd"].mean() + 0.05
    assert np.allclose(other["risk"], SPEC.risk(other))


def test_a_bad_prediction_option_is_a_one_line_error(tmp_path):
    with pytest.raises(
        ParameterError, match=r"prediction 'other': one of main, shifted"
    ):
        generate_hospital(str(tmp_path / "x.duckdb"), patients=10, prediction="other")


def test_a_bad_planted_file_names_the_field(tmp_path):
    data = yaml.safe_load(SPEC.model_dump_json())
    data["flat"]["risk"] = 1.5
    path = tmp_path / "hf_mortality.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ModuleFileError, match=r"hf_mortality.yaml: field flat.risk"):
        planted(path)


def test_the_model_trained_on_it_is_as_good_as_the_truth(
    planted_model, planted_hospital
):
    """The study's L1 logistic, trained by `entrepot model`, discriminates
    within 0.02 of the true model on the same test persons."""
    from sklearn.metrics import roc_auc_score

    predictions = pd.read_parquet(planted_model / "predictions.parquet")
    _, truth = _read(planted_hospital)
    test = predictions[predictions["split"] == "test"].join(truth, on="person_id")
    assert test["risk"].notna().all()  # the study's cohort is the planted one
    recovered = roc_auc_score(test["y_true"], test["y_score"])
    true = roc_auc_score(test["y_true"], test["risk"])
    assert abs(recovered - true) < 0.02, (recovered, true)


def _results(folder) -> dict:
    return json.loads((folder / "results.json").read_text())


def test_the_flat_band_shows_in_the_subgroup_evaluation(
    planted_model, planted_hospital, main
):
    """`entrepot model`'s subgroups: the 80+ band (age as the model counts it,
    in years of birth) holds the test persons of that age, and its calibration
    slope, theirs, is near 0 as the flat truth gives: within 3 standard errors.
    The band's 50 to 70 test persons leave an error of about 1.2, so its rank
    among the bands is the draw's; the whole cohort's slope is tested above."""
    seen, _ = main
    test = pd.read_parquet(planted_model / "predictions.parquet").query(
        "split == 'test'"
    )
    con = duckdb.connect(str(planted_hospital), read_only=True)
    born = con.sql("SELECT person_id, year_of_birth FROM person").df()
    con.close()
    born = born.set_index("person_id")["year_of_birth"]
    ids = test["person_id"].to_numpy()
    age = pd.to_datetime(seen.loc[ids, "day"]).dt.year.to_numpy() - born[ids]
    band = test[(age >= SPEC.flat.from_age).to_numpy()]
    found = _results(planted_model)["subgroups"]["age_band"]["80+"]
    assert found["n"] == len(band) > 30
    slope, error = _slope_and_error(
        band["y_score"].to_numpy(), band["y_true"].to_numpy()
    )
    assert found["calibration"]["slope"] == pytest.approx(slope, abs=0.01)
    assert abs(slope) < 3 * error, (slope, error)


def test_external_validation_on_the_shifted_hospital_shows_the_shift(
    planted_model, planted_shifted_hospital, tmp_path
):
    out = tmp_path / "external"
    argv = [
        "model",
        "validate",
        str(planted_model),
        "-w",
        str(planted_shifted_hospital),
    ]
    assert entrepot([*argv, "--out", str(out), "-q"]) == 0
    found = {"test": _results(planted_model), "external": _results(out)}
    rate, old = {}, {}
    for split, results in found.items():
        n = results["n"][split]
        rate[split] = n["events"] / n["persons"]
        old[split] = results["subgroups"]["age_band"]["80+"]["n"] / n["persons"]
    assert rate["external"] > rate["test"] + 0.03, rate  # older, more kidney disease
    assert old["external"] > old["test"], old
