"""`entrepot course`: the course's hospital on its fixed seed, one Markdown
exercise per topic, and each checker run through the real CLI with a right
answer (worked out here, independently, in SQL) and a wrong one."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path

import duckdb
import pytest

from entrepot.cli import main
from entrepot.course import EXERCISES, SEED, exercise
from entrepot.privacy import entries
from entrepot.warehouse import Warehouse

NAMES = [
    "omop_sql", "omop_ibis", "cohorts", "negation", "k_anonymity", "small_counts",
    "drug_interactions",
]  # fmt: skip

#: Each exercise's right answer, in SQL over the course's hospital.
SQL = {
    "omop_sql": """
        SELECT count(DISTINCT co.person_id) FROM condition_occurrence co
        JOIN concept c ON co.condition_concept_id = c.concept_id
        WHERE c.vocabulary_id = 'CIM10' AND c.concept_code LIKE 'I50%'""",
    "omop_ibis": """
        SELECT avg(visit_end_date - visit_start_date) FROM visit_occurrence
        WHERE visit_concept_id = 9201""",
    "cohorts": """
        WITH hf AS (
            SELECT co.person_id, min(co.condition_start_date) AS index_date
            FROM condition_occurrence co
            JOIN concept c ON co.condition_concept_id = c.concept_id
            WHERE c.vocabulary_id = 'CIM10' AND c.concept_code LIKE 'I50%'
            GROUP BY co.person_id)
        SELECT DISTINCT hf.person_id FROM hf
        JOIN person p USING (person_id)
        JOIN drug_exposure d USING (person_id)
        JOIN concept c ON d.drug_concept_id = c.concept_id
        WHERE year(hf.index_date) - p.year_of_birth >= 65
          AND c.vocabulary_id = 'ATC' AND c.concept_code = 'C03CA01'
          AND d.drug_exposure_start_date BETWEEN hf.index_date AND hf.index_date + 90""",
    "negation": """
        SELECT DISTINCT n.person_id FROM note n
        WHERE EXISTS (SELECT 1 FROM entrepot.note_annotation a
                      WHERE a.note_id = n.note_id AND a.concept_code = 'CIM10:R06.0'
                        AND NOT a.negation AND NOT a.hypothesis AND NOT a.family)""",
    "k_anonymity": """
        SELECT count(*) FROM (
            SELECT count(*) OVER (PARTITION BY p.year_of_birth, p.gender_concept_id, l.zip) AS k
            FROM person p LEFT JOIN location l USING (location_id)) WHERE k = 1""",
    "small_counts": """
        SELECT count(*) FROM (
            SELECT gender_concept_id, year_of_birth // 10, count(*) AS n
            FROM person GROUP BY ALL) WHERE n < 10""",
    "drug_interactions": """
        WITH x AS (
            SELECT d.person_id, c.concept_code AS atc, d.drug_exposure_start_date AS s,
                   greatest(coalesce(d.drug_exposure_end_date, d.drug_exposure_start_date),
                            d.drug_exposure_start_date) AS e
            FROM drug_exposure d JOIN concept c ON d.drug_concept_id = c.concept_id
            WHERE c.vocabulary_id = 'ATC')
        SELECT count(DISTINCT a.person_id) FROM x a JOIN x b USING (person_id)
        WHERE a.atc = 'C09AA05' AND b.atc = 'C09CA03' AND a.s <= b.e AND b.s <= a.e""",
}
#: A wrong answer of each: a near miss a student could make.
WRONG_SQL = {
    "omop_sql": "SELECT count(*) FROM condition_occurrence co JOIN concept c "
    "ON co.condition_concept_id = c.concept_id WHERE c.concept_code LIKE 'I50%'",
    "negation": "SELECT DISTINCT n.person_id FROM note n JOIN entrepot.note_annotation a "
    "USING (note_id) WHERE a.concept_code = 'CIM10:R06.0'",
}


def cli(*argv: str, code: int = 0):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(["course", *argv]) == code, err.getvalue()
    return json.loads(out.getvalue()) if code in (0, 1) else err.getvalue().strip()


@pytest.fixture(scope="module")
def course(tmp_path_factory) -> tuple[Path, dict]:
    folder = tmp_path_factory.mktemp("course") / "cours"
    return folder, cli("start", str(folder), "--workers", "1", "--json")


def _sql(folder: Path, query: str):
    with duckdb.connect(str(folder / "hospital.duckdb"), read_only=True) as con:
        return con.sql(query).fetchall()


def _right(folder: Path, name: str) -> str:
    rows = _sql(folder, SQL[name])
    if exercise(name).answer == "persons":
        return "person_id\n" + "".join(f"{r[0]}\n" for r in sorted(rows))
    value = rows[0][0]
    return f"{value:.2f}".replace(".", ",") if isinstance(value, float) else f"{value}"


def _wrong(folder: Path, name: str) -> str:
    if name in WRONG_SQL:
        rows = _sql(folder, WRONG_SQL[name])
        if exercise(name).answer == "persons":
            return "".join(f"{r[0]}\n" for r in rows)
        return str(rows[0][0])
    right = _right(folder, name)
    if exercise(name).answer == "persons":  # one left out, one too many
        ids = [int(x) for x in right.split()[1:]]
        return "\n".join(str(i) for i in [*ids[1:], max(ids) + 1])
    return str(float(right.replace(",", ".")) + 1)


def test_the_exercises_cover_the_courses_topics():
    assert [r["exercise"] for r in cli("list", "--json")] == NAMES
    assert [e.name for e in EXERCISES] == NAMES
    assert {e.answer for e in EXERCISES} == {"number", "persons"}


def test_start_writes_one_exercise_each_in_french_and_no_answer(course):
    folder, made = course
    assert (made["seed"], made["patients"]) == (SEED, 300)
    assert json.loads((folder / "course.json").read_text()) == {
        "seed": SEED,
        "patients": 300,
        "exercises": NAMES,
    }
    files = sorted(p.name for p in (folder / "exercises").iterdir())
    assert files == [f"{i:02d}_{n}.md" for i, n in enumerate(NAMES, 1)]
    assert [e["file"] for e in made["exercises"]] == [
        str(folder / "exercises" / f) for f in files
    ]
    for name, file in zip(NAMES, files, strict=True):
        text = (folder / "exercises" / file).read_text()
        assert text.startswith(f"# {exercise(name).topic} : {exercise(name).title}\n")
        assert "**Question.**" in text and "## Répondre" in text
        assert f"entrepot course check {folder} {name} reponse.txt" in text
    # no answer is kept: the hospital (and its audit anchor), course.json
    # (as above) and the exercises
    assert {p.name for p in folder.iterdir()} - {"hospital.duckdb.audit-anchor"} == {
        "course.json",
        "exercises",
        "hospital.duckdb",
    }


@pytest.mark.parametrize("name", NAMES)
def test_each_exercise_is_checked_against_the_hospital(course, tmp_path, name):
    folder, _ = course
    right, wrong = tmp_path / "right.txt", tmp_path / "wrong.txt"
    right.write_text(_right(folder, name))
    wrong.write_text(_wrong(folder, name))
    assert cli("check", str(folder), name, str(right), "--json") == {
        "exercise": name,
        "correct": True,
        "message": "Juste.",
        "hint": None,
    }
    verdict = cli("check", str(folder), name, str(wrong), "--json", code=1)
    assert (verdict["correct"], verdict["hint"]) == (False, exercise(name).hint)
    assert verdict["message"].startswith("Faux : ")
    if exercise(name).answer == "persons" and name not in WRONG_SQL:
        n = len(right.read_text().split()) - 1
        assert verdict["message"] == (
            f"Faux : {n} patients attendus ; votre liste en a {n}, "
            "dont 1 en trop et 1 manquants."
        )


def test_the_answers_are_not_trivial(course):
    """Each right answer is something to find: no exercise's is empty or 0."""
    folder, _ = course
    for name in NAMES:
        assert _right(folder, name).split()[-1] not in ("0", "person_id"), name


def test_a_check_is_audited_and_says_why_in_the_terminal(course, tmp_path):
    folder, _ = course
    wrong = tmp_path / "a.txt"
    wrong.write_text("0\n")
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["course", "check", str(folder), "omop_sql", str(wrong)]) == 1
    assert out.getvalue().splitlines()[0] == ("Faux : 0 n'est pas la réponse attendue.")
    assert out.getvalue().split("Indice : ")[1].startswith("Joignez")
    with Warehouse.open(folder / "hospital.duckdb", read_only=True) as wh:
        last = [e for e in entries(wh) if e["action"] == "course.check"][-1]
    assert json.loads(last["parameters"]).items() >= {
        ("exercise", "omop_sql"),
        ("correct", False),
    }


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("omop_sql", "12\n13\n", "a.txt: the answer is one number, alone"),
        ("omop_sql", "douze\n", "a.txt: the answer is one number, alone"),
        ("cohorts", "person_id\n12\nabc\n", "a.txt, line 3: 'abc' is not a person_id"),
        ("nope", "1\n", "exercise 'nope': no such exercise (" + ", ".join(NAMES) + ")"),
    ],
)  # fmt: skip
def test_a_bad_answer_is_one_line(course, tmp_path, name, text, message):
    folder, _ = course
    (tmp_path / "a.txt").write_text(text)
    err = cli("check", str(folder), name, str(tmp_path / "a.txt"), code=2)
    assert err == f"entrepot: error: {message}"


def test_a_folder_that_is_no_course_is_one_line(tmp_path):
    (tmp_path / "a.txt").write_text("1\n")
    err = cli("check", str(tmp_path), "omop_sql", str(tmp_path / "a.txt"), code=2)
    assert err == f"entrepot: error: {tmp_path}: not a course folder (no course.json)"
