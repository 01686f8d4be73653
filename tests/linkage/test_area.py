"""`entrepot link area`: open data by commune or postcode given to the
patients living there, as observations that cohorts and feature specs read,
withheld where too few patients live."""

from __future__ import annotations

import json
from datetime import date

import pytest

from entrepot.cli import main
from entrepot.cohort import run_cohort
from entrepot.linkage import link_area, link_study
from entrepot.privacy import read_key_file, set_mask_threshold
from entrepot.subgroups import build_features, spec_from_data
from entrepot.warehouse import Warehouse

from .linked_hospital import AREAS, DICTIONARY, EXPORT, fill, key_file

FIGURES = ["area_km2", "population"]


def _values(wh, vocabulary: str = "paris_areas") -> dict[int, dict]:
    """{person_id: {figure: value}} of the area observations."""
    concept, obs = wh.table("concept"), wh.table("observation")
    rows = obs.join(concept, obs.observation_concept_id == concept.concept_id)
    rows = rows.filter(concept.vocabulary_id == vocabulary)
    found: dict[int, dict] = {}
    for r in (
        rows.select("person_id", "concept_code", "value_as_number")
        .to_pyarrow()
        .to_pylist()
    ):
        found.setdefault(r["person_id"], {})[r["concept_code"]] = r["value_as_number"]
    return found  # fmt: skip


def test_figures_reach_the_patients_of_their_commune(warehouse, tmp_path):
    """Three of the file's communes have patients; the one with 3 patients
    (under the threshold of 10) is withheld; loading again changes nothing."""
    ids = fill(warehouse, key_file(tmp_path))
    for _ in range(2):
        found = link_area(
            warehouse, AREAS, "commune", "commune", columns=FIGURES,
            on=date(2021, 1, 1),
        )  # fmt: skip
    summary = found.summary()
    assert {k: summary[k] for k in ("rows", "areas", "matched", "unmatched")} == {
        "rows": 20, "areas": 20, "matched": 3, "unmatched": 17,
    }  # fmt: skip
    assert (summary["withheld"], summary["threshold"]) == (1, 10)
    assert (summary["persons"], summary["observations"]) == (22, 44)
    assert summary["rejected"] == [] and summary["ignored_columns"] == [
        "postcode",
        "name",
    ]
    assert summary["unmatched_codes"][:2] == ["75102", "75103"]
    values = _values(warehouse)
    assert len(values) == 22 and warehouse.count("observation") == 44
    first = ids["3654435761"]  # lives in the 11th arrondissement
    assert values[first] == {"area_km2": 3.67, "population": 142583.0}
    obs = warehouse.table("observation").to_pyarrow().to_pylist()
    assert {(r["observation_date"], r["observation_type_concept_id"]) for r in obs} == {
        (date(2021, 1, 1), 32879)
    }


def _cli(capsys, *argv: str, code: int = 0):
    done = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out) if code == 0 else err.strip()


@pytest.fixture
def hospital(tmp_path, new_duckdb):
    """A DuckDB file of the small hospital (closed), and its key file."""
    path = tmp_path / "eds.duckdb"
    key = key_file(tmp_path)
    with new_duckdb(path) as wh:
        fill(wh, key)
    return path


def test_postcodes_link_the_same_patients(capsys, hospital):
    found = _cli(
        capsys, "link", "area", str(AREAS), "--level", "postcode", "--key",
        "postcode", "--value", "population", "-w", str(hospital),
    )  # fmt: skip
    assert (found["matched"], found["withheld"], found["persons"]) == (3, 1, 22)
    assert found["observations"] == 22 and found["variables"] == ["population"]


def test_an_area_figure_is_a_cohort_criterion_and_a_feature(capsys, hospital, tmp_path):
    """Patients of communes of more than 140,000 inhabitants: the 12 of the
    11th arrondissement; their population read back as a feature."""
    _cli(capsys, "link", "area", str(AREAS), "--level", "commune", "--key",
         "commune", "--value", "population", "--date", "2021-01-01",
         "-w", str(hospital))  # fmt: skip
    definition = tmp_path / "dense.yaml"
    definition.write_text(
        "name: dense\nconcept_sets:\n  pop: {items: [{vocabulary: "
        "paris_areas, code: population}]}\nentry:\n  events: "
        "[{observation: {concept_set: pop, value: {gte: 140000}}}]\n"
    )
    spec = spec_from_data(
        {"name": "areas", "concept_sets": {"pop": {"items": [
            {"vocabulary": "paris_areas", "code": "population"}]}},
         "features": {"population": {"max": {"observation": {"concept_set": "pop"}}}}},
        "test",
    )  # fmt: skip
    with Warehouse.open(hospital) as wh:
        assert run_cohort(wh, definition, cohort_id=5).count == 12
        table = build_features(wh, 5, spec).table
    assert table.num_rows == 12
    assert set(table["population"].to_pylist()) == {142583.0}


def test_the_threshold_decides_which_communes_are_withheld(capsys, hospital):
    """An area under the privacy threshold gets no figures; --min-persons may
    raise the threshold, never lower it."""
    link = ["link", "area", str(AREAS), "--level", "commune", "--key", "commune",
            "--value", "population", "-w", str(hospital)]  # fmt: skip
    lower = _cli(capsys, *link, "--min-persons", "2")
    assert (lower["threshold"], lower["withheld"], lower["persons"]) == (10, 1, 22)
    higher = _cli(capsys, *link, "--min-persons", "11")  # 12, 10 and 3 patients
    assert (higher["withheld"], higher["persons"]) == (2, 12)
    with Warehouse.open(hospital) as wh:
        set_mask_threshold(wh, 3)
    every = _cli(capsys, *link)
    assert (every["threshold"], every["withheld"], every["persons"]) == (3, 0, 25)


HOSTILE = (
    "code;score;label\n"
    "75111;1,5;ok\n"
    "75112;pas de données;\n"
    "=cmd|' /C calc'!A0;2;formula\n"
    "\x1b[31m75101;3;escape\n"
    "75111;4;twice\n"
    "75101;inf;\n"
    "93066;1_000;\n"
    f"{'9' * 500};5;long\n"
    "1004;6;Excel dropped the zero\n"
)


def test_bad_cells_are_kept_aside_with_their_reason(capsys, hospital, tmp_path):
    path = tmp_path / "hostile.csv"
    path.write_text(HOSTILE)
    found = _cli(
        capsys, "link", "area", str(path), "--level", "commune", "--key", "code",
        "-w", str(hospital), "--min-persons", "1",
    )  # fmt: skip
    assert found["variables"] == ["score"] and found["ignored_columns"] == ["label"]
    reasons = {(r["line"], r["column"]): r["reason"] for r in found["rejected"]}
    assert reasons == {
        (3, "score"): "not a number: 'pas de données'",
        (4, "code"): "not a commune code: \"=cmd|' /C calc'!A0\"",
        (5, "code"): "not a commune code: '\\x1b[31m75101'",
        (6, "code"): "code 75111 already given on line 2",
        (7, "score"): "not a number: 'inf'",
        (8, "score"): "not a number: '1_000'",
        (9, "code"): f"not a commune code: '{'9' * 40}…'",
    }
    assert found["areas"] == 5 and found["unmatched_codes"] == ["01004"]
    # 75112, 75101 and 93066 have patients but no figure left
    assert (found["matched"], found["persons"], found["observations"]) == (4, 12, 12)
    assert "\x1b" not in json.dumps(found, ensure_ascii=False)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--key", "insee"], "--key 'insee' is not a column (columns: 'commune',"),
        (["--key", "commune", "--level", "iris"], "--level: 'iris' is not one of"),
        (["--key", "commune", "--value", "name", "--date", "2021"],
         "--date: '2021' is not a date"),
        (["--key", "commune", "--value", "commune"], "the key column holds codes"),
        (["--key", "commune", "--source", "INTEGRA"], "INTEGRA is a vocabulary of"),
    ],
)  # fmt: skip
def test_bad_options_get_one_line(capsys, hospital, args, message):
    if "--source" in args:  # a study's vocabulary is not replaced by figures
        with Warehouse.open(hospital) as wh:
            key = read_key_file(hospital.parent / "key")
            link_study(wh, EXPORT, id_column="ipp", study="INTEGRA", key=key,
                       dictionary=DICTIONARY, consent="any")  # fmt: skip
    argv = ["link", "area", str(AREAS), "-w", str(hospital)]
    if "--level" not in args:
        argv += ["--level", "commune"]
    error = _cli(capsys, *argv, *args, code=2)
    assert error.startswith("entrepot: error: ") and "\n" not in error
    assert message in error


def test_a_file_that_is_no_text_is_refused(capsys, hospital, tmp_path):
    path = tmp_path / "areas.csv"
    path.write_bytes(b"code,score\n75111,\xff\xfe\n")
    error = _cli(capsys, "link", "area", str(path), "--level", "commune",
                 "--key", "code", "-w", str(hospital), code=2)  # fmt: skip
    assert error == f"entrepot: error: {path}: not UTF-8 text"
