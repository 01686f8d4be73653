"""Features on Eunomia (OHDSI's GiBleed, CDM 5.3, made by other tools): values
stored as text, no observation.value_source_value; checked against its rows."""

from __future__ import annotations

from entrepot.cohort import CohortDefinition, run_cohort
from entrepot.subgroups import build_features, spec_from_data

from ..cohort.conftest import eunomia  # noqa: F401 (a writable copy, this module's)

GI_BLEED, CELECOXIB, MEASURED, OBSERVED = 192671, 1118084, 3006322, 4323208
SETS = {
    "gi": {"items": [{"concept_id": GI_BLEED, "descendants": True}]},
    "celecoxib": {"items": [{"concept_id": CELECOXIB, "descendants": True}]},
    "measured": {"items": [{"concept_id": MEASURED}]},
    "observed": {"items": [{"concept_id": OBSERVED}]},
}
SPEC = {
    "name": "gi bleeds",
    "concept_sets": SETS,
    "features": {
        "age": "age",
        "sex": "sex",
        "celecoxib_before": {
            "presence": {"drug": {"concept_set": "celecoxib"}},
            "window": {"start": -90, "end": 0},
        },
        "measured": {"count": {"measurement": {"concept_set": "measured"}}},
        "measured_max": {"max": {"measurement": {"concept_set": "measured"}}},
        "observed": {"positive": {"observation": {"concept_set": "observed"}}},
    },
}


def _rows(wh, query: str) -> dict:
    return dict(wh.con.raw_sql(query).fetchall())


def test_features_on_eunomia_agree_with_its_rows(eunomia):  # noqa: F811
    cohort = {
        "name": "First GI bleed",
        "concept_sets": {"gi": SETS["gi"]},
        "entry": {"events": [{"condition": {"concept_set": "gi", "first": True}}]},
    }
    run_cohort(eunomia, CohortDefinition.model_validate(cohort), cohort_id=1)
    found = build_features(eunomia, "First GI bleed", spec_from_data(SPEC, "spec"))
    rows = {r["person_id"]: r for r in found.table.to_pylist()}
    index = _rows(eunomia, "select subject_id, cohort_start_date from results.cohort")
    assert sorted(rows) == sorted(index) and len(rows) == 479
    before = _rows(
        eunomia,
        f"""select distinct c.subject_id, true from results.cohort c
        join drug_exposure d on d.person_id = c.subject_id
        join concept_ancestor a on a.descendant_concept_id = d.drug_concept_id
        where a.ancestor_concept_id = {CELECOXIB}
          and d.drug_exposure_start_date between c.cohort_start_date - 90
          and c.cohort_start_date""",
    )
    assert {p for p, r in rows.items() if r["celecoxib_before"]} == set(before) != set()
    measured = _rows(
        eunomia,
        f"""select person_id, count(*) from measurement
        where measurement_concept_id = {MEASURED} group by person_id""",
    )
    assert {p: r["measured"] for p, r in rows.items()} == {
        p: float(measured.get(p, 0)) for p in rows
    }
    summary = found.summary()["features"]
    assert (summary["measured_max"]["missing"], summary["observed"]["missing"]) == (
        1.0,
        1.0,
    )  # Eunomia's results hold no value: missing, never 0 or false
    assert {r["sex"] for r in rows.values()} == {"female", "male"}
    assert summary["age"]["missing"] == summary["sex"]["missing"] == 0.0
