"""The whole generator with notes: documents written from the record, gold spans exact."""

import re
from pathlib import Path

import duckdb
import pytest

from entrepot.extraction import load_schema
from entrepot.synth import generate_hospital, gold_reports
from entrepot.synth.notes._lexicon import SYMPTOMS
from entrepot.warehouse import Warehouse


@pytest.fixture(scope="module")
def path(tmp_path_factory):
    path = tmp_path_factory.mktemp("notes") / "chu.duckdb"
    generate_hospital(str(path), patients=200, seed=5, notes=True, workers=1)
    return path


@pytest.fixture(scope="module")
def con(path):
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


def test_every_mri_report_has_its_gold_values(con):
    """Four synth_truth rows per brain MRI report (module brain_mri: the schema),
    keyed by note_id, with the note's patient and date; none for other notes."""
    rows = con.sql(
        """
        SELECT n.note_id, list(t.field ORDER BY t.field), count(DISTINCT t.module),
               bool_and(t.module = 'brain_mri' AND t.person_id = n.person_id
                        AND t.onset_date = n.note_date)
        FROM note n LEFT JOIN entrepot.synth_truth t USING (note_id)
        WHERE n.note_source_value = 'CR-IRM' GROUP BY 1"""
    ).fetchall()
    assert len(rows) >= 3
    fields = ["abnormal", "contrast", "explains_headache", "headache"]
    assert all(r[1:] == (fields, 1, True) for r in rows), rows
    assert one(
        con,
        """SELECT count(*) FROM entrepot.synth_truth t JOIN note n USING (note_id)
           WHERE n.note_source_value <> 'CR-IRM'""",
    ) == (0,)


def test_mri_reports_follow_the_headache_subtype(con):
    """The MRI of a migraine or tension headache is normal; of the other
    subtypes, abnormal. Each MRI procedure has its report, on its day."""
    rows = con.sql(
        """
        SELECT h.subtype, t.value FROM entrepot.synth_truth t
        JOIN entrepot.synth_truth h ON h.person_id = t.person_id
         AND h.module = 'headache'
        JOIN entrepot.synth_truth c ON c.note_id = t.note_id
         AND c.field = 'headache' AND c.value = 'true'
        WHERE t.module = 'brain_mri' AND t.field = 'abnormal'"""
    ).fetchall()
    assert rows
    assert all(v == ("false" if s.startswith("normal") else "true") for s, v in rows)
    procedures, reported = one(
        con,
        """SELECT count(*), count(n.note_id) FROM procedure_occurrence p
           LEFT JOIN note n ON n.visit_occurrence_id = p.visit_occurrence_id
            AND n.note_source_value = 'CR-IRM' AND n.note_date = p.procedure_date
           WHERE p.procedure_source_value = 'ACQN001'""",
    )
    assert procedures > 0 and reported == procedures


def test_gold_reports_reads_the_reports_back(path, con):
    with Warehouse.open(path, read_only=True) as wh:
        reports = gold_reports(wh)
    texts = dict(
        con.sql(
            "SELECT note_id, note_text FROM note WHERE note_source_value = 'CR-IRM'"
        ).fetchall()
    )
    assert [r["id"] for r in reports] == sorted(texts)
    schema = load_schema("brain_mri")
    for r in reports:
        assert r["text"] == texts[r["id"]]
        assert schema.resolve(r["fields"]) == r["fields"]


def test_a_stroke_mri_is_not_for_a_headache(con):
    """The MRIs of stroke patients' stroke stays: no headache in their context,
    an acute infarct or a haematoma where the stroke is coded so."""
    rows = con.sql(
        """
        SELECT h.value, a.subtype, c.condition_source_value
        FROM note n
        JOIN entrepot.synth_truth h ON h.note_id = n.note_id AND h.field = 'headache'
        JOIN entrepot.synth_truth a ON a.note_id = n.note_id AND a.field = 'abnormal'
        JOIN condition_occurrence c ON c.visit_occurrence_id = n.visit_occurrence_id
        WHERE c.condition_source_value IN ('I639', 'I619')"""
    ).fetchall()
    assert rows
    finding = {"I639": "acute_infarct", "I619": "haematoma"}
    assert all(h == "false" and f == finding[c] for h, f, c in rows), rows
