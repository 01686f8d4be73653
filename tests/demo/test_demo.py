"""`entrepot demo`: built once, toured, and its answers checked by another route."""

import json
import subprocess
import sys

import duckdb
import pytest


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    path = folder / "demo.duckdb"

    def run() -> dict:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "entrepot",
                "demo",
                "--patients",
                "400",
                "--seed",
                "3",
                "-w",
                str(path),
                "--json",
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    first = run()  # the warehouse's threshold: 10
    subprocess.run(
        [
            sys.executable,
            "-m",
            "entrepot",
            "privacy",
            "mask-below",
            "1",
            "-w",
            str(path),
        ],
        check=True,
        capture_output=True,
    )
    return path, first, run()  # every count shown


def test_built_once_then_reused(demo):
    _, first, second = demo
    assert first["built"]["patients"] == 400 and second["built"] is None
    assert first["rows"] == second["rows"] and first["rows"]["person"] == 400
    assert first["valid"] is True


def test_answers_match_the_source_codes(demo):
    """The answers go through concept_ancestor; the check reads the PMSI source codes."""
    path, _, result = demo
    answers = {q["key"]: q["patients"] for q in result["questions"]}
    con = duckdb.connect(str(path), read_only=True)
    sclerosis = con.sql(
        "SELECT count(DISTINCT person_id) FROM condition_occurrence "
        "WHERE condition_source_value LIKE 'M34%'"
    ).fetchone()[0]
    skin = con.sql(
        "SELECT count(DISTINCT person_id) FROM condition_occurrence "
        "WHERE condition_source_value IN ('L270', 'L271', 'L511', 'L512') "
        "AND condition_start_date >= DATE '2015-01-01'"
    ).fetchone()[0]
    assert answers["systemic_sclerosis"] == sclerosis > 0
    assert answers["skin_reactions_since_2015"] == skin
    assert answers["immunosuppressed_2021_08"] <= answers["immunosuppressed"]


def test_answers_are_masked_as_the_web_app_masks_them(demo):
    """One rule: a patient count shown to a person reads <10 below the threshold."""
    _, masked, shown = demo
    pairs = [
        (m["patients"], s["patients"])
        for m, s in zip(masked["questions"], shown["questions"], strict=True)
    ]
    assert any(0 < s < 10 for _, s in pairs)  # the small demo has small answers
    assert all(m == ("<10" if 0 < s < 10 else s) for m, s in pairs)


def test_notes_deidentified(demo):
    """The synthetic notes name their patients ("IPP 3654435761"); the demo's do not."""
    path, result, _ = demo
    deid = result["built"]["notes_deidentified"]
    assert deid["notes"] == result["rows"]["note"] > 0 and deid["changed"] > 0
    con = duckdb.connect(str(path), read_only=True)
    ipps = con.sql(
        "SELECT count(*) FROM note WHERE regexp_matches(note_text, "
        "'(IPP|N° patient)\\s*:?\\s*[0-9]')"
    ).fetchone()[0]
    tagged = con.sql(
        "SELECT count(*) FROM note WHERE contains(note_text, '[IPP]')"
    ).fetchone()[0]
    assert ipps == 0 and tagged > 0
