"""Features of a cohort's persons, worked out by hand on a hand-written
warehouse, the same table on each engine; and the spec's errors."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest

from entrepot.cohort import CohortDefinition, run_cohort
from entrepot.errors import (
    CohortNotFoundError,
    FeatureSpecError,
    ParameterError,
    UnknownCodeError,
)
from entrepot.subgroups import build_features, load_spec, spec_from_data
from entrepot.warehouse import Warehouse

from ..cohort.conftest import OBSERVED, write_tables
from ..cohort.test_note_mentions import flags, note_table

SSC, RAYNAUD, ILD, ILD_CHILD, DRUG = 100, 300, 310, 311, 200
CRP, ACA, SCL70, MG_L = 400, 401, 402, 500
PERSONS = [1, 2, 3, 4, 5]
D = date


def _concepts() -> pa.Table:
    rows = [
        (SSC, "Condition", "CIM10", "M34"),
        (RAYNAUD, "Condition", "CIM10", "I73.0"),
        (ILD, "Condition", "CIM10", "J84"),
        (ILD_CHILD, "Condition", "CIM10", "J84.1"),
        (DRUG, "Drug", "ATC", "X01"),
        (CRP, "Measurement", "LOINC", "1988-5"),
        (ACA, "Measurement", "LOINC", "16570-4"),
        (SCL70, "Observation", "LOINC", "5348-8"),
        (MG_L, "Unit", "UCUM", "mg/L"),
    ]
    ids, domains, vocabularies, codes = (list(c) for c in zip(*rows, strict=True))
    return pa.table(
        {
            "concept_id": ids,
            "concept_name": codes,
            "domain_id": domains,
            "vocabulary_id": vocabularies,
            "concept_class_id": ["Code"] * len(rows),
            "standard_concept": ["S"] * len(rows),
            "concept_code": codes,
            "valid_start_date": [D(1970, 1, 1)] * len(rows),
            "valid_end_date": [D(2099, 12, 31)] * len(rows),
        }
    )


def _rows(columns: tuple[str, ...], rows: list[tuple]) -> pa.Table:
    return pa.table(dict(zip(columns, zip(*rows, strict=True), strict=True)))


#: Persons 1 to 4 enter the cohort (first M34 code: the index date); person
#: 5 has events but no M34 code; person 3 enters twice (index: the first).
CONDITIONS = [  # (id, person, concept, date)
    (1, 1, SSC, D(2015, 1, 1)),
    (2, 1, RAYNAUD, D(2014, 6, 1)),  # day -214
    (3, 1, ILD_CHILD, D(2016, 1, 1)),  # day +365, a descendant of J84
    (4, 2, SSC, D(2016, 6, 1)),
    (5, 3, SSC, D(2017, 1, 1)),
    (6, 3, SSC, D(2018, 1, 1)),
    (7, 3, RAYNAUD, D(2019, 1, 1)),  # after the index date
    (8, 4, SSC, D(2012, 3, 1)),
    (9, 5, RAYNAUD, D(2015, 1, 1)),
]
MEASUREMENTS = [  # (id, person, concept, date, number, unit, high, text)
    (1, 1, CRP, D(2014, 12, 1), 3.0, MG_L, 5.0, None),  # day -31
    (2, 1, CRP, D(2015, 2, 1), 12.0, MG_L, 5.0, None),  # day +31
    (3, 1, CRP, D(2017, 1, 1), 40.0, MG_L, 5.0, None),  # outside +-60 days
    (4, 1, CRP, D(2015, 2, 1), None, MG_L, 5.0, None),  # no value: not read
    (5, 2, CRP, D(2016, 6, 1), 4.0, MG_L, 5.0, None),
    (6, 1, ACA, D(2015, 1, 10), None, None, None, "positif"),
    (7, 2, ACA, D(2016, 7, 1), None, None, None, "négatif"),
    (8, 2, ACA, D(2017, 7, 1), None, None, None, "négatif"),
    (9, 5, ACA, D(2015, 1, 1), None, None, None, "positif"),
]
OBSERVATIONS = [  # (id, person, concept, date, text)
    (1, 3, SCL70, D(2017, 2, 1), " Positive"),
    (2, 4, SCL70, D(2012, 3, 1), "negative"),
]
#: (note, person, date, concept, term_modifiers as `entrepot nlp run` writes them)
MENTIONS = [
    (1, 1, D(2015, 5, 1), RAYNAUD, flags()),
    (2, 2, D(2016, 7, 1), RAYNAUD, flags(negation=True)),
    (3, 3, D(2017, 3, 1), RAYNAUD, flags(family=True)),
    (4, 4, D(2013, 1, 1), RAYNAUD, flags(history=True)),
]


def tables() -> dict[str, pa.Table]:
    notes = list(zip(*MENTIONS, strict=True))
    n = len(MENTIONS)
    return {
        "concept": _concepts(),
        "concept_ancestor": _rows(
            ("ancestor_concept_id", "descendant_concept_id"),
            [(c, c) for c in (SSC, RAYNAUD, ILD, ILD_CHILD, CRP, ACA, SCL70)]
            + [(ILD, ILD_CHILD)],
        ),
        "person": pa.table(
            {
                "person_id": PERSONS,
                "gender_concept_id": [8532, 8507, 8532, 0, 8532],
                "year_of_birth": [1960, 1970, 1980, 1990, 1950],
                "race_concept_id": [0] * 5,
                "ethnicity_concept_id": [0] * 5,
            }
        ),
        "observation_period": pa.table(
            {
                "observation_period_id": PERSONS,
                "person_id": PERSONS,
                "observation_period_start_date": [OBSERVED[0]] * 5,
                "observation_period_end_date": [OBSERVED[1]] * 5,
                "period_type_concept_id": [32817] * 5,
            }
        ),
        "condition_occurrence": _rows(
            (
                "condition_occurrence_id",
                "person_id",
                "condition_concept_id",
                "condition_start_date",
            ),
            CONDITIONS,
        ).append_column("condition_type_concept_id", pa.array([32817] * 9)),
        "measurement": _rows(
            (
                "measurement_id",
                "person_id",
                "measurement_concept_id",
                "measurement_date",
                "value_as_number",
                "unit_concept_id",
                "range_high",
                "value_source_value",
            ),
            MEASUREMENTS,
        ).append_column(
            "measurement_type_concept_id", pa.array([32817] * len(MEASUREMENTS))
        ),
        "observation": _rows(
            (
                "observation_id",
                "person_id",
                "observation_concept_id",
                "observation_date",
                "value_as_string",
            ),
            OBSERVATIONS,
        ).append_column(
            "observation_type_concept_id", pa.array([32817] * len(OBSERVATIONS))
        ),
        "drug_exposure": _rows(
            (
                "drug_exposure_id",
                "person_id",
                "drug_concept_id",
                "drug_exposure_start_date",
                "drug_exposure_end_date",
            ),
            [(1, 1, DRUG, D(2015, 3, 1), D(2015, 3, 31))],
        ).append_column("drug_type_concept_id", pa.array([32817])),
        "note": note_table(*notes[:3], ["Compte rendu"] * n),
        "note_nlp": pa.table(
            {
                "note_nlp_id": [10 * i for i in notes[0]],
                "note_id": notes[0],
                "lexical_variant": ["raynaud"] * n,
                "note_nlp_concept_id": notes[3],
                "nlp_date": [D(2024, 1, 1)] * n,
                "term_modifiers": notes[4],
            }
        ),
    }


def one(vocabulary: str, code: str, descendants: bool = False) -> dict:
    item = {"vocabulary": vocabulary, "code": code, "descendants": descendants}
    return {"items": [item]}


SPEC = {
    "name": "hand-written",
    "concept_sets": {
        "ssc": one("CIM10", "M34"),
        "raynaud": one("CIM10", "I73.0"),
        "ild": one("CIM10", "J84", descendants=True),
        "drug": one("ATC", "X01"),
        "crp": one("LOINC", "1988-5"),
        "aca": one("LOINC", "16570-4"),
        "scl70": one("LOINC", "5348-8"),
    },
    "features": {
        "age": "age",
        "sex": "sex",
        "raynaud": {"presence": {"condition": {"concept_set": "raynaud"}}},
        "raynaud_before": {
            "presence": {"condition": {"concept_set": "raynaud"}},
            "window": {"end": -1},
        },
        "ild_after": {
            "presence": {"condition": {"concept_set": "ild"}},
            "window": {"start": 0},
        },
        "drug": {"presence": {"drug": {"concept_set": "drug"}}},
        "crp_first": {
            "first": {"measurement": {"concept_set": "crp"}},
            "window": {"start": -60, "end": 60},
        },  # fmt: skip
        "crp_last": {
            "last": {"measurement": {"concept_set": "crp"}},
            "window": {"start": -60, "end": 60},
        },  # fmt: skip
        "crp_min": {"min": {"measurement": {"concept_set": "crp"}}},
        "crp_max": {"max": {"measurement": {"concept_set": "crp"}}},
        "crp_count": {"count": {"measurement": {"concept_set": "crp"}}},
        "crp_raised": {"positive": {"measurement": {"concept_set": "crp"}}},
        "aca": {"positive": {"measurement": {"concept_set": "aca"}}},
        "scl70": {"positive": {"observation": {"concept_set": "scl70"}}},
        "raynaud_noted": {"presence": {"note_mention": {"concept_set": "raynaud"}}},
        "raynaud_years": {
            "since_first": {"condition": {"concept_set": "raynaud"}},
            "window": {"end": 0},
        },
    },
}
COLUMNS = ("person_id",) + tuple(SPEC["features"])
#: Worked out by hand from the rows above; None: missing.
EXPECTED = [
    (
        1,
        55.0,
        "female",
        True,
        True,
        True,
        True,
        3.0,
        12.0,
        3.0,
        40.0,
        4.0,
        True,
        True,
        None,
        True,
        214 / 365.25,
    ),  # fmt: skip
    (
        2,
        46.0,
        "male",
        False,
        False,
        False,
        False,
        4.0,
        4.0,
        4.0,
        4.0,
        1.0,
        False,
        False,
        None,
        False,
        None,
    ),  # fmt: skip
    (
        3,
        37.0,
        "female",
        True,
        False,
        False,
        False,
        None,
        None,
        None,
        None,
        0.0,
        None,
        None,
        True,
        False,
        None,
    ),  # fmt: skip
    (
        4,
        22.0,
        None,
        False,
        False,
        False,
        False,
        None,
        None,
        None,
        None,
        0.0,
        None,
        None,
        False,
        True,
        None,
    ),  # fmt: skip
]
COHORT = {
    "name": "Scleroderma",
    "concept_sets": {"ssc": one("CIM10", "M34")},
    "entry": {"events": [{"condition": {"concept_set": "ssc"}}], "limit": "all"},
    "exit": {"offset": {"days": 1}},
}


def written(wh: Warehouse) -> Warehouse:
    """The rows above in `wh`, and the cohort (id 3) of persons 1 to 4."""
    write_tables(wh, tables())
    run_cohort(wh, CohortDefinition.model_validate(COHORT), cohort_id=3)
    return wh


@pytest.fixture
def hand_written(make_warehouse):
    """On each engine."""
    return written(make_warehouse())


@pytest.fixture(scope="module")
def on_duckdb(tmp_path_factory):
    path = tmp_path_factory.mktemp("features") / "eds.duckdb"
    with Warehouse.create(path, vocabulary=False) as wh:
        yield written(wh)


def test_features_worked_out_by_hand_on_each_engine(hand_written):
    """One expression per engine, the same table: person 1's CRP without a
    value counts but is no value, person 2's CRP of the index day is in the
    window, person 3's index is its first entry (its Raynaud comes after),
    person 4's mention of history is about them, person 5 is not in the cohort."""
    found = build_features(hand_written, "Scleroderma", spec_from_data(SPEC, "spec"))
    assert found.table.column_names == list(COLUMNS)
    rows = [tuple(r.values()) for r in found.table.to_pylist()]
    assert rows == [
        tuple(pytest.approx(v) if isinstance(v, float) else v for v in row)
        for row in EXPECTED
    ]
    assert found.table.schema.field("person_id").type == pa.int64()
    summary = found.summary()
    assert (summary["n"], summary["cohort_definition_id"]) == (4, 3)
    assert summary["features"]["crp_first"] == {
        "kind": "first",
        "type": "float64",
        "missing": 0.5,
        "unit": ["mg/L"],
    }
    assert summary["features"]["aca"] == {
        "kind": "positive",
        "type": "boolean",
        "missing": 0.5,
    }
    assert summary["features"]["sex"]["missing"] == 0.25


def test_a_cohort_by_id_and_the_types_of_the_columns(on_duckdb):
    found = build_features(on_duckdb, 3, spec_from_data(SPEC, "spec"))
    types = {f.name: str(f.type) for f in found.table.schema}
    assert (types["raynaud"], types["sex"], types["crp_count"]) == (
        "bool",
        "string",
        "double",
    )
    with pytest.raises(CohortNotFoundError, match="no cohort 4 in warehouse"):
        build_features(on_duckdb, "4", spec_from_data(SPEC, "spec"))
    with pytest.raises(CohortNotFoundError, match="no cohort named 'Lupus'"):
        build_features(on_duckdb, "Lupus", spec_from_data(SPEC, "spec"))


def test_an_unknown_code_is_named(on_duckdb):
    spec = SPEC | {"concept_sets": SPEC["concept_sets"] | {"crp": one("LOINC", "0-0")}}
    with pytest.raises(UnknownCodeError, match=r"^spec: unknown code.*: LOINC 0-0$"):
        build_features(on_duckdb, 3, spec_from_data(spec, "spec"))


def test_a_mean_value_and_a_presence_known_only_by_another_event(hand_written):
    """On each engine: the mean of a person's values (in the window); a
    presence that is missing for a person without the `known_by` event: ILD known by a
    Raynaud phenomenon (person 3's comes after the index, in no window)."""
    ild = {"presence": {"condition": {"concept_set": "ild"}}}
    spec = SPEC | {
        "features": {
            "crp_mean": {"mean": {"measurement": {"concept_set": "crp"}}},
            "crp_mean_near": {
                "mean": {"measurement": {"concept_set": "crp"}},
                "window": {"start": -60, "end": 60},
            },
            "ild": ild | {"known_by": {"condition": {"concept_set": "raynaud"}}},
            "ild_by_index": ild
            | {
                "known_by": {"condition": {"concept_set": "raynaud"}},
                "window": {"end": 0},
            },
        }
    }
    found = build_features(hand_written, 3, spec_from_data(spec, "spec"))
    assert found.table.to_pydict() == {
        "person_id": [1, 2, 3, 4],
        "crp_mean": [pytest.approx(55 / 3), 4.0, None, None],
        "crp_mean_near": [7.5, 4.0, None, None],
        "ild": [True, None, False, None],
        "ild_by_index": [False, None, None, None],
    }
    summary = found.summary()["features"]
    assert summary["crp_mean"] == {
        "kind": "mean",
        "type": "float64",
        "missing": 0.5,
        "unit": ["mg/L"],
    }
    assert summary["ild"] == {"kind": "presence", "type": "boolean", "missing": 0.5}


def feature(**definition) -> dict:
    return SPEC | {"features": {"x": definition}}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            feature(
                presence={"condition": {"concept_set": "ild"}},
                window={"start": 10, "end": -10},
            ),  # fmt: skip
            "f.yaml: features.x.window: impossible window: start 10 is after end -10",
        ),
        (
            feature(presence={"condition": {"concept_set": "nope"}}),
            "f.yaml: unknown concept set(s): nope",
        ),
        (
            feature(max={"condition": {"concept_set": "ild"}}),
            "f.yaml: features.x: max: reads a result, of a measurement or an "
            "observation (not condition)",
        ),
        (
            feature(presence={"condition": {"concept_set": "ild", "colour": "red"}}),
            "f.yaml: features.x.presence.colour: Extra inputs are not permitted",
        ),
        (
            feature(age=True, window={"end": 0}),
            "f.yaml: features.x: window: age is at the index date",
        ),
        (
            feature(window={"end": 0}),
            "f.yaml: features.x: give one kind of feature: presence, count, first, "
            "last, min, max, mean, positive, since_first, age, sex",
        ),
        (
            feature(
                count={"condition": {"concept_set": "ild"}},
                known_by={"condition": {"concept_set": "ssc"}},
            ),
            "f.yaml: features.x: known_by: only for presence (not count)",
        ),
        (
            SPEC | {"features": {}},
            "f.yaml: features: Dictionary should have at least 1 item",
        ),  # fmt: skip
        ([1, 2], "f.yaml: a feature spec is a mapping of fields"),
    ],
)
def test_spec_errors_name_the_field(data, message):
    with pytest.raises(FeatureSpecError) as e:
        spec_from_data(data, "f.yaml")
    assert str(e.value).startswith(message)


#: The shipped spec's features, after Sobanski et al. 2019 (EUSTAR).
SOBANSKI = [
    "age", "sex", "disease_duration", "diffuse_skin", "raynaud", "digital_ulcers",
    "anticentromere", "anti_scl70", "anti_rna_pol3", "lung_fibrosis", "fvc", "dlco",
    "pulmonary_hypertension", "heart_involvement", "lvef", "conduction_blocks",
    "renal_crisis", "creatinine", "proteinuria", "creatine_kinase", "myositis",
    "synovitis", "contractures", "oesophagus", "intestine", "calcinosis", "crp",
    "tendon_friction_rubs", "muscle_atrophy", "stomach", "diastolic_dysfunction",
    "telangiectasia", "pitting_scars",
]  # fmt: skip


def test_spec_files_shipped_or_the_user_s(tmp_path):
    assert list(load_spec("systemic_sclerosis").features) == SOBANSKI
    broken = tmp_path / "broken.yaml"
    broken.write_text("name: x\nfeatures:\n  age: [age\n")
    with pytest.raises(
        FeatureSpecError, match=r"broken.yaml: malformed YAML at line 4"
    ):
        load_spec(broken)
    with pytest.raises(FeatureSpecError, match=r"^lupus: no such file, nor a shipped spec \(shipped: systemic_sclerosis\)$"):  # fmt: skip
        load_spec("lupus")


def test_a_name_that_several_cohorts_share_needs_the_id(on_duckdb):
    run_cohort(on_duckdb, CohortDefinition.model_validate(COHORT), cohort_id=8)
    with pytest.raises(ParameterError) as e:
        build_features(on_duckdb, "Scleroderma", spec_from_data(SPEC, "spec"))
    assert str(e.value) == (
        "several cohorts are named 'Scleroderma' (ids 3, 8): give its id"
    )
    assert (
        build_features(on_duckdb, 8, spec_from_data(SPEC, "spec")).table.num_rows == 4
    )
