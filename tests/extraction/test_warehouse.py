"""Extraction results in the warehouse: one row per note and field in
note_extraction, true booleans in note_nlp, incremental and atomic writes,
and cohorts on them; with a small keyword backend defined here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import pyarrow as pa
import pytest

from entrepot.cohort import CohortDefinition, run_cohort, show_cohort
from entrepot.errors import CohortNotFoundError, ExtractionError
from entrepot.extraction import (
    Extraction,
    Schema,
    extract_notes,
    load_schema,
    nlp_system,
    read_extractions,
)
from entrepot.privacy import Decision
from entrepot.warehouse import Warehouse

from ..cohort.conftest import OBSERVED, write_tables
from ..conftest import ENGINES, warehouse_uri

INGEST = Decision("tester", "admin", "ingest", None, None, None)
MRI, CONSULT = "IRM cérébrale", "Compte rendu de consultation"
#: note_id -> (person, date, title, text)
NOTES = {
    1: (1, date(2020, 1, 10), MRI,
        "Céphalée brutale. Gadolinium injecté. Anomalie : thrombose du sinus."),
    2: (2, date(2020, 2, 1), MRI,
        "Céphalée. Sans injection. Anomalie : kyste arachnoïdien fortuit."),
    3: (3, date(2020, 3, 1), f"  {MRI.upper()} ",
        "Vertiges. Examen normal."),
    4: (1, date(2020, 1, 12), CONSULT,
        "Céphalée persistante ; thrombose du sinus connue."),
    5: (4, date(2020, 5, 2), MRI,
        "Céphalée. Anomalie : thrombose veineuse cérébrale."),
}  # fmt: skip
WORDS = {
    "headache": "céphalée",
    "contrast": "gadolinium",
    "abnormal": "anomalie",
    "explains_headache": "thrombose",
}


class Keywords:
    """A deterministic backend: a field is true where its word is in the
    text (its evidence), false elsewhere; `fail_on` a word: the model's
    server goes down at the note that holds it."""

    name = "keywords"
    prompt_version = None

    def __init__(self, model: str = "kw 1", fail_on: str | None = None) -> None:
        self.model, self.fail_on, self.read = model, fail_on, 0

    def extract(self, schema: Schema, texts: Sequence[str]) -> list[Extraction]:
        found = []
        for text in texts:
            if self.fail_on and self.fail_on in text:
                raise ExtractionError("the model server at http://127.0.0.1:9 is down")
            at = {name: text.lower().find(word) for name, word in WORDS.items()}
            values = schema.resolve({name: i >= 0 for name, i in at.items()})
            evidence = {
                name: (i, i + len(WORDS[name]))
                for name, i in at.items()
                if values[name] is not None and i >= 0
            }
            found.append(Extraction(values, evidence))
        self.read += len(texts)
        return found


def note_tables() -> dict[str, pa.Table]:
    persons = sorted({p for p, *_ in NOTES.values()})
    n, (who, when, titles, texts) = len(NOTES), zip(*NOTES.values(), strict=True)
    return {
        "person": pa.table(
            {
                "person_id": persons,
                "gender_concept_id": [8532] * len(persons),
                "year_of_birth": [1970] * len(persons),
                "race_concept_id": [0] * len(persons),
                "ethnicity_concept_id": [0] * len(persons),
            }
        ),
        "observation_period": pa.table(
            {
                "observation_period_id": persons,
                "person_id": persons,
                "observation_period_start_date": [OBSERVED[0]] * len(persons),
                "observation_period_end_date": [OBSERVED[1]] * len(persons),
                "period_type_concept_id": [32817] * len(persons),
            }
        ),
        "note": pa.table(
            {
                "note_id": list(NOTES),
                "person_id": list(who),
                "note_date": list(when),
                "note_title": list(titles),
                "note_type_concept_id": [32817] * n,
                "note_class_concept_id": [0] * n,
                "note_text": list(texts),
                "encoding_concept_id": [0] * n,
                "language_concept_id": [0] * n,
            }
        ),
    }


def with_notes(wh: Warehouse) -> Warehouse:
    write_tables(wh, note_tables())
    return wh


@pytest.fixture(scope="module", params=ENGINES)
def extracted(request, tmp_path_factory, new_duckdb):
    """The notes on each engine, brain MRI reports read once: (warehouse,
    the run's summary)."""
    folder = tmp_path_factory.mktemp("extracted")
    if request.param == "spark":
        request.getfixturevalue("spark_session")
        made = Warehouse.create(warehouse_uri("spark", folder), vocabulary=False)
    else:
        made = new_duckdb(folder / "eds.duckdb")
    with with_notes(made) as wh:
        summary = extract_notes(
            wh, load_schema("brain_mri"), Keywords(), decision=INGEST,
            note_titles=["irm cérébrale"], batch_size=2,
        )  # fmt: skip
        yield wh, summary


@pytest.fixture
def wh(tmp_path, new_duckdb):
    """The notes in a new DuckDB warehouse."""
    with with_notes(new_duckdb(tmp_path / "eds.duckdb")) as wh:
        yield wh


def values(wh, schema_name: str = "brain_mri") -> dict[int, dict]:
    """note_id -> {field: value} as read back."""
    found: dict[int, dict] = {}
    for row in read_extractions(wh, schema_name):
        found.setdefault(row["note_id"], {})[row["field"]] = row["value"]
    return found


def content(wh) -> tuple[list, list]:
    """Both tables' rows, in order: what a failed run must leave as it was."""
    ext = wh.table("note_extraction").order_by(["note_id", "field"])
    nlp = wh.table("note_nlp").order_by("note_nlp_id")
    return ext.to_pyarrow().to_pylist(), nlp.to_pyarrow().to_pylist()


def test_each_note_and_field_is_a_row_typed_back_with_its_evidence(extracted):
    wh, summary = extracted
    assert summary == {
        "schema": "brain_mri", "schema_version": "1", "backend": "keywords",
        "model": "kw 1", "notes": 4, "extracted": 4, "skipped": 0, "rows": 16,
        "note_nlp_rows": 9,
    }  # fmt: skip
    assert values(wh) == {
        1: {"headache": True, "contrast": True, "abnormal": True,
            "explains_headache": True},
        2: {"headache": True, "contrast": False, "abnormal": True,
            "explains_headache": False},
        3: {"headache": False, "contrast": False, "abnormal": False,
            "explains_headache": None},
        5: {"headache": True, "contrast": False, "abnormal": True,
            "explains_headache": True},
    }  # fmt: skip
    row = next(
        r
        for r in read_extractions(wh, "brain_mri")
        if (r["note_id"], r["field"]) == (1, "explains_headache")
    )
    text = NOTES[1][3]
    assert text[row["evidence_start"] : row["evidence_end"]] == "thrombose"
    assert (row["person_id"], row["schema_version"], row["field_type"]) == (
        1, "1", "boolean",
    )  # fmt: skip
    assert (row["backend"], row["model"], row["prompt_version"]) == (
        "keywords", "kw 1", None,
    )  # fmt: skip


def test_true_booleans_are_note_nlp_rows_with_their_evidence(extracted):
    wh, _ = extracted
    nlp = wh.table("note_nlp")
    offset = next(c for c in nlp.columns if "offset" in c)
    rows = nlp.filter(nlp.note_id == 1).order_by("note_nlp_id").to_pyarrow()
    system = nlp_system(load_schema("brain_mri"), Keywords())
    assert [
        (r["lexical_variant"], r[offset], r["term_exists"], r["term_modifiers"])
        for r in rows.to_pylist()
    ] == [
        ("Céphalée", "0-8", "Y", "label=headache,schema=brain_mri"),
        ("Gadolinium", "18-28", "Y", "label=contrast,schema=brain_mri"),
        ("Anomalie", "38-46", "Y", "label=abnormal,schema=brain_mri"),
        ("thrombose", "49-58", "Y", "label=explains_headache,schema=brain_mri"),
    ]
    assert set(rows["nlp_system"].to_pylist()) == {system}
    assert system.startswith("entrepot-extract brain_mri · keywords kw 1 · schema 1")


def test_a_cohort_of_mri_whose_abnormality_explains_the_headache(extracted):
    """Persons 1 and 4, on their MRI's date (person 1's consultation note
    was not read: not an MRI report); the definition is saved as written."""
    wh, _ = extracted
    definition = CohortDefinition.model_validate(
        {
            "name": "headache explained",
            "entry": {
                "events": [
                    {"extraction": {"schema": "brain_mri",
                                    "field": "explains_headache", "value": True}}
                ]
            },
            "exit": {"offset": {"days": 0}},
        }
    )  # fmt: skip
    result = run_cohort(wh, definition, cohort_id=1)
    cohort = wh.table("cohort")
    found = cohort.order_by("subject_id").to_pyarrow().to_pylist()
    assert (result.count, result.entries) == (2, 2)
    assert [(r["subject_id"], r["cohort_start_date"]) for r in found] == [
        (1, date(2020, 1, 10)),
        (4, date(2020, 5, 2)),
    ]
    saved = show_cohort(wh, 1)["definition"]["entry"]["events"][0]
    assert (saved["schema"], saved["field"], saved["value"]) == (
        "brain_mri", "explains_headache", True,
    )  # fmt: skip


def test_a_failing_backend_leaves_both_tables_as_they_were(extracted):
    """A new version re-reads every note; the server goes down at the third."""
    wh, _ = extracted
    before = content(wh)
    schema = load_schema("brain_mri").model_copy(update={"version": "2"})
    with pytest.raises(ExtractionError, match="is down"):
        extract_notes(
            wh, schema, Keywords(fail_on="Vertiges"), decision=INGEST,
            note_titles=[MRI], batch_size=2,
        )  # fmt: skip
    assert content(wh) == before


def test_done_notes_are_skipped_and_a_new_version_reads_them_again(wh):
    schema, backend = load_schema("brain_mri"), Keywords()
    first = extract_notes(wh, schema, backend, decision=INGEST)
    again = extract_notes(wh, schema, backend, decision=INGEST)
    assert (first["extracted"], first["rows"], first["note_nlp_rows"]) == (5, 20, 10)
    assert (again["extracted"], again["skipped"], again["rows"]) == (0, 5, 0)
    assert backend.read == 5
    newer = schema.model_copy(update={"version": "2"})
    redone = extract_notes(wh, newer, backend, decision=INGEST)
    assert (redone["extracted"], redone["skipped"]) == (5, 0)
    rows = read_extractions(wh, "brain_mri")
    assert len(rows) == 20  # replaced, not added
    assert {r["schema_version"] for r in rows} == {"2"}
    nlp = wh.table("note_nlp").to_pyarrow()
    assert nlp.num_rows == 10
    assert {s.split("schema ")[-1] for s in nlp["nlp_system"].to_pylist()} == {
        "2, prompt -"
    }
    other = extract_notes(wh, newer, Keywords(model="kw 2"), decision=INGEST)
    assert other["extracted"] == 5  # another model's results stand beside
    assert len(read_extractions(wh, "brain_mri")) == 40


def test_only_the_notes_of_a_saved_cohorts_persons(wh):
    """A cohort of persons 1 and 4 by its name: their notes 1, 4 and 5."""
    schema = load_schema("brain_mri")
    extract_notes(wh, schema, Keywords(), decision=INGEST, note_titles=[MRI])
    run_cohort(
        wh,
        CohortDefinition.model_validate(
            {
                "name": "explained",
                "entry": {"events": [{"extraction": {"schema": "brain_mri",
                          "field": "explains_headache", "value": True}}]},
            }
        ),
    )  # fmt: skip
    other = schema.model_copy(update={"name": "other"})
    found = extract_notes(wh, other, Keywords(), decision=INGEST, cohort="explained")
    assert (found["notes"], found["extracted"]) == (3, 3)
    assert sorted(values(wh, "other")) == [1, 4, 5]
    with pytest.raises(CohortNotFoundError, match="no cohort named 'nobody'"):
        extract_notes(wh, other, Keywords(), decision=INGEST, cohort="nobody")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        ([], "answered 0 extractions for 1 notes"),
        ([Extraction({"headache": "oui"})], "headache: 'oui' is not a valid boolean"),
        (
            [Extraction({n: True for n in WORDS}, {"headache": (0, 999)})],
            "headache: evidence 0-999 is not in the text",
        ),
    ],
)
def test_bad_answers_are_refused_and_nothing_is_written(wh, answer, message):
    class Bad(Keywords):
        def extract(self, schema, texts):
            return answer

    before = content(wh)
    with pytest.raises(ExtractionError, match=message):
        extract_notes(
            wh, load_schema("brain_mri"), Bad(), decision=INGEST, batch_size=1
        )
    assert content(wh) == before


def test_the_text_pipeline_run_again_keeps_the_extractions_rows(
    wh, tmp_path, monkeypatch
):
    """`nlp run` with other terms reads every note again: it replaces its
    own mentions only."""
    from entrepot.nlp import run_nlp

    monkeypatch.setenv("ENTREPOT_CACHE", str(tmp_path / "cache"))
    run_nlp(wh, workers=1)
    extract_notes(wh, load_schema("brain_mri"), Keywords(), decision=INGEST)
    terms = tmp_path / "terms.yaml"
    terms.write_text("SINUS: [sinus]\n")
    assert run_nlp(wh, terms=terms, workers=1)["processed"] == 5
    nlp = wh.table("note_nlp")
    ours = nlp.filter(nlp.nlp_system.startswith("entrepot-extract"))
    assert ours.count().to_pyarrow().as_py() == 10
    sinus = nlp.filter(nlp.term_modifiers.startswith("label=SINUS,"))
    assert sinus.count().to_pyarrow().as_py() == 2


def test_an_opted_out_persons_extractions_are_erased(wh):
    from entrepot.privacy import erase_persons

    extract_notes(wh, load_schema("brain_mri"), Keywords(), decision=INGEST)
    removed = erase_persons(wh, [1])
    assert (removed["note_extraction"], removed["note_nlp"]) == (8, 5)
    assert sorted(values(wh)) == [2, 3, 5]
