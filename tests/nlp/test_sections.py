"""Sections of notes: found by their titles, each with its LOINC document-section
concept in note_nlp.section_concept_id."""

from __future__ import annotations

import json
import re
import shutil

from entrepot.cli import main
from entrepot.nlp._context import sections
from entrepot.nlp._patterns import SECTION_LOINC
from entrepot.nlp._text import fold
from entrepot.warehouse import Warehouse
from entrepot.warehouse.vocabulary import local_concept_id
from tests.nlp.test_run import add_notes, mentions

NOTE = (
    "Motif : douleur thoracique.\n"
    "Antécédents :\nHTA.\n"
    "Antécédents familiaux :\nMère diabétique.\n"
    "Mode de vie : tabagisme actif.\n"
    "Allergies : amoxicilline.\n"
    "Examen clinique :\nPas de fièvre.\n"
    "Biologie :\nCRP 45 mg/L.\n"
    "Évolution dans le service :\nApparition d'une FA.\n"
    "Conduite à tenir :\nSuivi du diabète.\n"
)


def test_titles_name_the_sections():
    found = [(s.name, NOTE[s.start : s.title_end]) for s in sections(fold(NOTE))]
    assert found == [
        ("motif", "Motif :"),
        ("antecedents", "Antécédents :"),
        ("antecedents_familiaux", "Antécédents familiaux :"),
        ("mode_de_vie", "Mode de vie :"),
        ("allergies", "Allergies :"),
        ("examen_clinique", "Examen clinique :"),
        ("biologie", "Biologie :"),
        ("evolution", "Évolution dans le service :"),
        ("conduite_a_tenir", "Conduite à tenir :"),
    ]


def test_every_section_concept_is_in_the_bundled_vocabulary(hospital_file):
    with Warehouse.open(hospital_file, read_only=True) as wh:
        c = wh.table("concept")
        rows = c.filter(c.vocabulary_id == "LOINC", c.domain_id == "Observation")
        found = {r["concept_code"]: r for r in rows.to_pyarrow().to_pylist()}
    assert set(SECTION_LOINC.values()) <= set(found)
    for code in SECTION_LOINC.values():
        assert found[code]["concept_id"] == local_concept_id("LOINC", code)
        assert found[code]["standard_concept"] == "S"
    assert found["10164-2"]["concept_name"] == "History of Present illness Narrative"
    assert found["10157-6"]["concept_name"] == (
        "History of family member diseases Narrative"
    )


def test_nlp_run_gives_each_mention_its_section_concept(
    hospital_file, tmp_path, capsys
):
    path = tmp_path / "eds.duckdb"
    shutil.copy(hospital_file, path)
    with Warehouse.open(path) as wh:
        add_notes(wh, {900_100: NOTE, 900_101: "HTA sans section."})
    assert main(["nlp", "run", "-w", str(path), "--json", "--workers", "2"]) == 0
    assert json.loads(capsys.readouterr().out)["processed"] > 200
    with Warehouse.open(path, read_only=True) as wh:
        got = [
            (m["lexical_variant"], m["section_concept_id"])
            for m in mentions(wh, 900_100)
        ]
        outside = mentions(wh, 900_101)
        every = mentions(wh)

    def loinc(code: str) -> int:
        return local_concept_id("LOINC", code)

    assert got == [
        ("douleur thoracique", loinc("29299-5")),
        ("HTA", loinc("11348-0")),
        ("diabétique", loinc("10157-6")),
        ("amoxicilline", loinc("48765-2")),
        ("fièvre", loinc("29545-1")),
        ("CRP", loinc("30954-2")),
        ("FA", loinc("8648-8")),
        ("diabète", loinc("18776-5")),
    ]
    assert [m["section_concept_id"] for m in outside] == [0]
    # on the synthetic notes too, each mention's concept is its section's
    section = re.compile(r"section=(\w+)")
    for m in every:
        name = section.search(m["term_modifiers"] or "")
        code = SECTION_LOINC.get(name.group(1)) if name else None
        assert m["section_concept_id"] == (loinc(code) if code else 0), m
    assert sum(m["section_concept_id"] != 0 for m in every) > len(every) // 2
