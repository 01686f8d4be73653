"""The whole generator with notes: documents written from the record, gold spans exact."""

import re
from pathlib import Path

import duckdb
import pytest

from entrepot.synth import generate_hospital
from entrepot.synth.notes._lexicon import SYMPTOMS


@pytest.fixture(scope="module")
def con(tmp_path_factory):
    path = tmp_path_factory.mktemp("notes") / "chu.duckdb"
    generate_hospital(str(path), patients=200, seed=5, notes=True, workers=1)
    con = duckdb.connect(str(path), read_only=True)
    yield con
    con.close()


def one(con, query: str):
    return con.sql(query).fetchone()


def test_every_gold_span_is_the_text_at_its_offsets(con):
    total, wrong = one(
        con,
        """
        SELECT count(*), count(*) FILTER (WHERE substr(n.note_text, a.start + 1, a."end" - a.start)
                                          <> a.text)
        FROM entrepot.note_annotation a JOIN note n USING (note_id)""",
    )
    assert total > 10_000 and wrong == 0


def test_notes_belong_to_their_stays_and_dates(con):
    orphans, outside = one(
        con,
        """
        SELECT count(*) FILTER (WHERE v.visit_occurrence_id IS NULL),
               count(*) FILTER (WHERE n.note_date < v.visit_start_date
                                   OR n.note_date > v.visit_end_date + 1)
        FROM note n LEFT JOIN visit_occurrence v USING (visit_occurrence_id)""",
    )
    assert orphans == 0 and outside == 0


def test_documents_per_hospital_stay_are_the_readme_figure(con):
    """The README's "≈ N documents" per hospital stay is what is generated."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    stated = float(re.search(r"≈ (\d+(?:\.\d+)?) documents", readme).group(1))
    per_stay = one(
        con,
        """
        SELECT count(n.note_id) / count(DISTINCT v.visit_occurrence_id)
        FROM visit_occurrence v JOIN note n USING (visit_occurrence_id)
        WHERE v.visit_concept_id IN (9201, 262)""",
    )[0]
    assert abs(per_stay - stated) <= 0.4, (per_stay, stated)


def test_affirmed_diseases_are_coded_in_the_stay(con):
    """An affirmed, non-historical disease mention is one of the stay's
    diagnoses, or a finding the patient presented with (not coded)."""
    felt = ", ".join(
        f"'CIM10:{c}'" for codes in SYMPTOMS.values() for c in sorted(codes)
    )
    mentions, coded, presented = one(
        con,
        f"""
        SELECT count(*), count(c.condition_occurrence_id),
               count(*) FILTER (WHERE c.condition_occurrence_id IS NULL
                                  AND a.concept_code IN ({felt}))
        FROM entrepot.note_annotation a JOIN note n USING (note_id)
        LEFT JOIN condition_occurrence c
          ON c.visit_occurrence_id = n.visit_occurrence_id
         AND 'CIM10:' || substr(c.condition_source_value, 1, 3)
             || CASE WHEN length(c.condition_source_value) > 3
                     THEN '.' || substr(c.condition_source_value, 4) ELSE '' END
             = a.concept_code
        WHERE a.label = 'DISEASE' AND n.note_source_value = 'CRH'
          AND NOT (a.negation OR a.hypothesis OR a.family OR a.history)""",
    )
    assert mentions > 0 and presented > 0 and coded + presented >= mentions
