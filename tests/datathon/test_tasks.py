"""The shipped tasks' cohorts and labels on one small hospital holding each
planted disease, and their metrics: perfect predictions score the maximum."""

from __future__ import annotations

from collections import Counter

import pytest

from entrepot.datathon import load_task, score, shipped_tasks, task_cohort
from entrepot.synth import generate_hospital
from entrepot.warehouse import Warehouse

ENRICH = {
    "drug_skin_reaction": 0.2,
    "systemic_sclerosis": 0.2,
    "headache": 0.2,
    "heart_failure": 0.2,
}
FIELDS = ["abnormal", "contrast", "explains_headache", "headache"]


@pytest.fixture(scope="module")
def hospital(tmp_path_factory):
    path = tmp_path_factory.mktemp("tasks") / "h.duckdb"
    generate_hospital(str(path), patients=100, seed=3, enrich=ENRICH, workers=1)
    with Warehouse.open(path, read_only=True) as wh:
        yield wh


def _truth(wh, module: str, **where) -> set[int]:
    t = wh.table("synth_truth")
    t = t.filter(t.module == module, *[t[k] == v for k, v in where.items()])
    return set(t.person_id.to_pyarrow().to_pylist())


def test_skin_reactions_are_the_planted_cases_among_everyone_with_notes(hospital):
    rows = task_cohort(hospital, load_task("drug_skin_reaction")).to_pylist()
    with_notes = set(hospital.table("note").person_id.to_pyarrow().to_pylist())
    assert {r["person_id"] for r in rows} == with_notes
    cases = _truth(hospital, "drug_skin_reaction")
    cases |= _truth(hospital, "drug_events", subtype="induced", event_code="L271")
    assert {r["person_id"] for r in rows if r["label"] == "1"} == cases & with_notes
    assert all(r["index_date"] is None for r in rows)  # the notes are the answer


def test_sclerosis_subtypes_are_the_planted_ones(hospital):
    rows = task_cohort(hospital, load_task("systemic_sclerosis_subtypes")).to_pylist()
    t = hospital.table("synth_truth")
    t = t.filter(t.module == "systemic_sclerosis").to_pyarrow().to_pylist()
    assert {r["person_id"]: r["label"] for r in rows} == {
        r["person_id"]: r["subtype"] for r in t
    }
    assert len(Counter(r["label"] for r in rows)) >= 4


def test_mri_labels_list_the_true_fields_of_the_first_report(hospital):
    rows = task_cohort(hospital, load_task("brain_mri_fields")).to_pylist()
    assert {r["person_id"] for r in rows} == _truth(hospital, "brain_mri")
    t = hospital.table("synth_truth")
    t = t.filter(t.module == "brain_mri").to_pyarrow().to_pylist()
    for row in rows:
        first = min(r["note_id"] for r in t if r["person_id"] == row["person_id"])
        true = sorted(
            r["field"] for r in t if r["note_id"] == first and r["value"] == "true"
        )
        assert row["label"] == ";".join(true)


def test_heart_failure_labels_are_deaths_within_a_year_of_the_first_stay(hospital):
    rows = task_cohort(hospital, load_task("heart_failure_mortality")).to_pylist()
    deaths = {
        r["person_id"]: r["death_date"]
        for r in hospital.table("death").to_pyarrow().to_pylist()
    }
    assert rows and all(r["index_date"] is not None for r in rows)
    for r in rows:
        died = (
            r["person_id"] in deaths
            and (deaths[r["person_id"]] - r["index_date"]).days <= 365
        )
        assert r["label"] == str(int(died))
        assert r["person_id"] not in deaths or deaths[r["person_id"]] > r["index_date"]


@pytest.mark.parametrize("name", shipped_tasks())
def test_perfect_predictions_score_the_metrics_maximum(hospital, name):
    task = load_task(name)
    labels = task_cohort(hospital, task)["label"].to_pylist()
    parsed = {"auroc": float, "f1": int, "ari": str}.get(
        task.metric, lambda x: frozenset(filter(None, x.split(";")))
    )
    assert score(task.metric, labels, [parsed(x) for x in labels], FIELDS) == 1.0


def test_per_field_f1_averages_the_fields():
    labels = ["abnormal;headache", "headache", ""]
    half = [frozenset({"headache"}), frozenset({"headache"}), frozenset()]
    # abnormal: F1 0 (its one case missed); the three others: 1
    assert score("field_f1", labels, half, FIELDS) == 0.75
    assert score("ari", ["a", "a", "b"], ["x", "x", "y"], []) == 1.0
