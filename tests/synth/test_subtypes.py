"""The planted systemic sclerosis subtypes, read back from the generated OMOP
tables: six of them, none separable on one variable, about 20 % missing values,
survival that differs; and enrichment (`enrich=`), which makes such a study."""

from __future__ import annotations

import itertools
from collections import defaultdict

import numpy as np
import pytest

from entrepot.errors import ParameterError
from entrepot.synth import generate_hospital, load_modules
from entrepot.warehouse import Warehouse

PATIENTS = 2_600
SHARE = 0.77  # ~2,000 patients with systemic sclerosis, as in a EUSTAR-sized study
#: Binary variables: CIM-10 codes (undotted) coded for the patient, ever.
CONDITIONS = {
    "diffuse_skin": "M340",
    "raynaud": "I730",
    "digital_ulcers": "L984",
    "ild": "J841",
    "pulmonary_hypertension": "I272",
    "conduction_block": "I459",
    "renal_crisis": "N085",
    "heart_involvement": "I428",
    "synovitis": "M6590",
    "contractures": "M2454",
    "oesophagus": "K224",
    "intestine": "K598",
    "calcinosis": "L942",
    "myopathy": "M6289",
    "tendon_friction_rubs": "M678",
    "muscle_atrophy": "M625",
    "stomach": "K318",
    "diastolic_dysfunction": "I518",
    "telangiectasia": "I788",
    "pitting_scars": "L905",
}
#: Binary variables: autoantibodies (missing when never tested).
ANTIBODIES = {"aca": "16570-4", "scl70": "5348-8", "rna_pol3": "89513-6"}
#: Continuous variables: the patient's mean result since onset (missing if none).
MEASURES = {
    "fvc": "19872-1",
    "dlco": "98130-8",
    "lvef": "10230-1",
    "proteinuria": "2890-2",
    "creatinine": "14682-9",
    "ck": "2157-6",
    "crp": "1988-5",
    "nt_probnp": "33762-6",
    "troponin": "89579-7",
}
#: Not always recorded: skin extent (M34.9, unspecified) and the tests done only
#: for the disease (the others come with routine panels too).
SPECIFIC = ("diffuse_skin", "aca", "scl70", "rna_pol3", "fvc", "dlco", "lvef")


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    path = str(tmp_path_factory.mktemp("study") / "ssc.duckdb")
    result = generate_hospital(
        path,
        patients=PATIENTS,
        seed=7,
        notes=False,
        workers=1,
        enrich={"systemic_sclerosis": SHARE},
    )
    with Warehouse.open(path, read_only=True) as wh:
        yield result, lambda query: wh.con.raw_sql(query).fetchall()


def variables(sql) -> dict[str, dict[str, np.ndarray]]:
    """Variable -> subtype -> one value per patient of the subtype (NaN: missing)."""
    patients = sql(
        """SELECT person_id, subtype FROM entrepot.synth_truth
           WHERE module = 'systemic_sclerosis' ORDER BY person_id"""
    )
    row = {person: i for i, (person, _) in enumerate(patients)}
    subtype = np.array([s for _, s in patients])
    values: dict[str, np.ndarray] = {}
    codes = ", ".join(f"'{c}'" for c in (*CONDITIONS.values(), "M341"))
    found = defaultdict(set)
    for person, code in sql(
        f"""SELECT DISTINCT person_id, condition_source_value FROM condition_occurrence
            WHERE condition_source_value IN ({codes})"""
    ):
        if person in row:
            found[code].add(row[person])
    for name, code in CONDITIONS.items():
        values[name] = np.zeros(len(row))
        values[name][list(found[code])] = 1.0
    skin = found["M340"] | found["M341"]
    values["diffuse_skin"][[i for i in range(len(row)) if i not in skin]] = np.nan
    tests = {**ANTIBODIES, **MEASURES}
    listed = ", ".join(f"'{c}'" for c in tests.values())
    results = sql(
        f"""SELECT m.person_id, m.measurement_source_value,
                   bool_or(m.value_source_value = 'positif'), avg(m.value_as_number)
            FROM measurement m JOIN entrepot.synth_truth t
              ON t.person_id = m.person_id AND t.module = 'systemic_sclerosis'
            WHERE m.measurement_source_value IN ({listed})
              AND m.measurement_date >= t.onset_date
            GROUP BY 1, 2"""
    )
    by_test = {code: name for name, code in tests.items()}
    for name in tests:
        values[name] = np.full(len(row), np.nan)
    for person, code, positive, mean in results:
        name = by_test[code]
        values[name][row[person]] = float(positive) if name in ANTIBODIES else mean
    return {
        name: {s: v[subtype == s] for s in sorted(set(subtype))}
        for name, v in values.items()
    }


def _standardised(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a[~np.isnan(a)], b[~np.isnan(b)]
    return abs(a.mean() - b.mean()) / np.sqrt((a.var() + b.var()) / 2)


def _prevalence(a: np.ndarray, b: np.ndarray) -> float:
    return abs(np.nanmean(a) - np.nanmean(b))


def summary(table, verbose: bool = False) -> dict[str, float]:
    """Each variable's largest difference between two subtypes (prevalence for
    binary variables, standardised difference for continuous ones)."""
    out = {}
    for name, by_subtype in table.items():
        gap = _standardised if name in MEASURES else _prevalence
        out[name] = max(
            gap(a, b) for a, b in itertools.combinations(by_subtype.values(), 2)
        )
        if verbose:
            cells = " ".join(
                f"{s[:10]:>10}:{np.nanmean(v):7.2f}/{np.isnan(v).mean():.2f}"
                for s, v in by_subtype.items()
            )
            print(f"{name:24} max {out[name]:.2f} | {cells}")
    return out


def test_six_subtypes_are_planted(study):
    _, sql = study
    counts = dict(
        sql(
            """SELECT subtype, count(*) FROM entrepot.synth_truth
               WHERE module = 'systemic_sclerosis' GROUP BY 1"""
        )
    )
    module = next(m for m in load_modules() if m.name == "systemic_sclerosis")
    assert set(counts) == {s.name for s in module.subtypes} and len(counts) == 6
    total = sum(counts.values())
    weights = sum(s.weight for s in module.subtypes)
    for s in module.subtypes:
        assert counts[s.name] / total == pytest.approx(s.weight / weights, abs=0.03)


def test_the_declared_model_bounds_every_variable():
    """The module's own parameters: between any two subtypes, at most 0.5 in
    probability or 1.5 between-patient SDs in mean, and each of the 30
    variables differs between some two of them."""
    from bench.cluster import generating_model

    weights, model = generating_model()
    assert len(model) == 30 and len(weights) == 6
    gaps = {}
    for name, (kind, parameters, _) in model.items():
        pairs = itertools.combinations(parameters, 2)
        if kind == "flag":
            gap = max(abs(a[0] - b[0]) for a, b in pairs)
        else:
            gap = max(abs(a[0] - b[0]) / max(a[1], b[1]) for a, b in pairs)
        gaps[name] = round(gap, 6)
    flags = [g for name, g in gaps.items() if model[name][0] == "flag"]
    numbers = [g for name, g in gaps.items() if model[name][0] == "number"]
    assert (len(flags), max(flags), min(flags)) == (23, 0.42, 0.4)
    assert (len(numbers), max(numbers), min(numbers)) == (7, 1.2, 1.2)


def test_no_single_variable_separates_two_subtypes(study):
    """At most 0.5 in prevalence or 1.5 SD between any two subtypes, measured
    on the OMOP tables; and every variable moves (the subtypes are planted)."""
    gaps = summary(variables(study[1]))
    assert set(gaps) == {*CONDITIONS, *ANTIBODIES, *MEASURES}
    for name, gap in gaps.items():
        bound = 1.5 if name in MEASURES else 0.5
        assert gap <= bound, name
    assert min(gaps[name] for name in CONDITIONS.keys() | ANTIBODIES.keys()) > 0.1
    assert min(gaps[name] for name in MEASURES.keys() - {"nt_probnp", "troponin"}) > 0.5


def test_about_a_fifth_of_the_disease_specific_values_are_missing(study):
    table = variables(study[1])
    missing = {
        name: np.mean([np.isnan(v).mean() for v in table[name].values()])
        for name in SPECIFIC
    }
    for name, share in missing.items():
        assert 0.15 <= share <= 0.35, (name, share)


def test_survival_differs_by_subtype(study):
    """From the first diagnosis to death (`death`) or the end of observation."""
    from lifelines.statistics import multivariate_logrank_test

    _, sql = study
    rows = sql(
        """SELECT t.subtype,
                  date_diff('day', min(c.condition_start_date),
                            coalesce(any_value(d.death_date),
                                     any_value(o.observation_period_end_date))),
                  any_value(d.death_date) IS NOT NULL
           FROM entrepot.synth_truth t
           JOIN condition_occurrence c ON c.person_id = t.person_id
            AND c.condition_source_value LIKE 'M34%'
           JOIN observation_period o ON o.person_id = t.person_id
           LEFT JOIN death d ON d.person_id = t.person_id
           WHERE t.module = 'systemic_sclerosis'
           GROUP BY t.person_id, t.subtype"""
    )
    subtype, days, died = zip(*rows, strict=True)
    assert len(rows) > 1_500
    test = multivariate_logrank_test(np.array(days), np.array(subtype), np.array(died))
    assert test.p_value < 0.01


def test_enrichment_gives_the_disease_to_its_share(study):
    result, sql = study
    assert result.enrich == {"systemic_sclerosis": SHARE}
    [(sick,)] = sql(
        """SELECT count(DISTINCT person_id) FROM entrepot.synth_truth
           WHERE module = 'systemic_sclerosis'"""
    )
    assert sick / PATIENTS == pytest.approx(SHARE, abs=0.005)
    [(coded,)] = sql(
        """SELECT count(DISTINCT person_id) FROM condition_occurrence
           WHERE condition_source_value LIKE 'M34%'"""
    )
    assert coded > 0.9 * sick


def test_the_rest_of_an_enriched_hospital_is_the_usual_one(study):
    """The patients not enriched: French sex ratio and ages, usual diseases."""
    _, sql = study
    others = """person_id NOT IN (SELECT person_id FROM entrepot.synth_truth
                                  WHERE module = 'systemic_sclerosis')"""
    [(n, female, children)] = sql(
        f"""SELECT count(*), avg((gender_concept_id = 8532)::int),
                   avg((date_diff('day', p.birth_datetime::date,
                        o.observation_period_start_date) / 365.25 < 15)::int)
            FROM person p JOIN observation_period o USING (person_id)
            WHERE {others}"""
    )
    assert n == pytest.approx(PATIENTS * (1 - SHARE), abs=10)
    assert female == pytest.approx(0.516, abs=0.06)
    assert children == pytest.approx(0.172, abs=0.05)
    counts = dict(
        sql(
            f"SELECT module, count(*) FROM entrepot.synth_truth WHERE {others} GROUP BY 1"
        )
    )
    for module in ("diabetes", "heart_failure", "headache"):
        expected = next(m.prevalence for m in load_modules() if m.name == module)
        assert counts.get(module, 0) / n == pytest.approx(
            expected, abs=4 * (expected / n) ** 0.5 + 0.01
        ), module


@pytest.mark.parametrize(
    ("enrich", "message"),
    [
        ({"gout": 0.5}, "enrich gout: no disease module of that name"),
        ({"systemic_sclerosis": 0}, "enrich systemic_sclerosis=0: the share must"),
        ({"systemic_sclerosis": 1.5}, "enrich systemic_sclerosis=1.5: the share must"),
        ({"lupus": 0.6, "psoriasis": 0.6}, "enrich: the shares add up to 1.2"),
    ],
)
def test_bad_enrichment_is_a_one_line_error(tmp_path, enrich, message):
    with pytest.raises(ParameterError, match=message.replace("(", r"\(")):
        generate_hospital(str(tmp_path / "x.duckdb"), patients=10, enrich=enrich)
    assert not (tmp_path / "x.duckdb").exists()
