"""Names in the de-identifier: its lexicons (France-wide, apart from the synthetic
hospital's names), names that are also words, and the patient's and relatives'
identity from the source record, matched exactly and misspelt."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from entrepot.privacy.deid import Identity, deidentify, find_identifiers
from entrepot.privacy.deid._identity import _PARTICLES
from entrepot.privacy.deid._lexicons import cities, first_names, surnames
from entrepot.privacy.deid._text import fold
from entrepot.synth._reference import communes, names


def tagged(text: str, identity: Identity | None = None) -> str:
    return deidentify(text, identity).text


def words(name: str) -> set[str]:
    """A folded name and its words, less particles."""
    return {fold(name), *(fold(w) for w in re.split(r"[ -]", name))} - _PARTICLES


def test_the_generator_draws_names_the_deidentifier_has_never_seen():
    generated = {kind: list(names(kind)[0]) for kind in ("F", "M", "last")}
    assert len(generated["last"]) > 2000 and min(map(len, generated.values())) > 50
    lexicons = first_names() | surnames()
    seen = {n for kind in generated.values() for n in kind if words(n) & lexicons}
    assert seen == set()


def test_the_lexicons_are_france_wide_and_not_the_generators():
    assert len(first_names()) > 2000 and len(surnames()) > 8000
    assert len(cities()) > 30_000  # every commune, not the generator's 277
    assert {"dubois", "leclercq", "marchand", "vandenberghe"} <= surnames()
    older = {"karine", "annick", "sylvie", "thierry", "josiane", "huguette"}
    assert older <= first_names()  # births of every year since 1920, not 2018's only
    assert {"hilda", "gontran", "florimond"}.isdisjoint(
        first_names()
    )  # the generator's
    assert {"plougastel-daoulas", "saint-pierre-des-corps"} <= cities()
    assert "plougastel-daoulas" not in {fold(n) for n in communes().name}


def test_the_lexicons_are_read_on_first_use_only():
    code = (
        "from entrepot.privacy.deid import deidentify, _lexicons as L\n"
        "print(L._names.cache_info().currsize, L.cities.cache_info().currsize)\n"
        "deidentify('Vu le 12/03/2021, revu en 2022.')\n"
        "print(L._names.cache_info().currsize, L.cities.cache_info().currsize)\n"
        "deidentify('Vue par Leclercq, 33000 BORDEAUX.')\n"
        "print(L._names.cache_info().currsize, L.cities.cache_info().currsize)\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.stdout.split("\n")[:3] == ["0 0", "2 0", "2 1"]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Vu par Leclercq ce jour.", "Vu par [NOM] ce jour."),
        ("Dubois a rappelé le service.", "[NOM] a rappelé le service."),
        ("Appel de Nathalie, sa fille.", "Appel de [PRENOM], sa fille."),
        ("Transmis à VANDENBERGHE.", "Transmis à [NOM]."),
    ],
)
def test_names_that_are_only_names_need_no_context(text, expected):
    assert tagged(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Petit épanchement pleural. Rose et Blanc sont des couleurs.",
        "Marin pêcheur retraité. Santé publique France.",
        "Maladie de Raynaud, angine de Vincent, artérite de Horton.",
        "Syndrome de Guillain-Barré. Signe de Babinski. Manoeuvre de Lasègue.",
        "ECG : RAS. IRM : pas de lésion. NFS normale.",
    ],
)
def test_names_that_are_also_words_need_context(text):
    assert tagged(text) == text


@pytest.mark.parametrize(
    "text, expected",
    [
        ("Mme Rose Blanc, 71 ans", "Mme [PRENOM] [NOM], 71 ans"),
        ("Dr PETIT", "Dr [NOM]"),
        ("Nom : Marin - Prénom : Rose", "Nom : [NOM] - Prénom : [PRENOM]"),
    ],
)
def test_names_that_are_also_words_are_names_in_context(text, expected):
    assert tagged(text) == expected


PATIENT = Identity.from_record(
    {
        "first_name": "Hilda",
        "last_name": "Jauneau",
        "birth_name": "Couffignal",
        "relatives": "Gontran JAUNEAU (époux); Mme Magda Savalle (fille)",
        "trusted_person": "DRANCOURT Florimond",
        "gp_name": "Dr Silvio Wernert",
    }
)


def test_relatives_names_come_from_the_record():
    assert set(PATIENT.first_names) == {
        "Hilda",
        "Gontran",
        "Magda",
        "Florimond",
        "Silvio",
    }
    assert set(PATIENT.last_names) >= {"Jauneau", "Couffignal", "JAUNEAU", "Savalle"}
    text = "Magda et Gontran sont passés ; Florimond prévenu."
    assert (
        tagged(text, PATIENT) == "[PRENOM] et [PRENOM] sont passés ; [PRENOM] prévenu."
    )
    assert tagged(text) == text  # names the lexicons do not hold, without a cue


@pytest.mark.parametrize(
    "written",
    ["Jaunot", "JAUNOT", "Jeauneau", "Coufignal", "Couffignale", "Savale", "Wernerd"],
)
def test_misspelt_names_of_the_record_are_found(written):
    text = f"Revu ce jour avec {written} pour la sortie."
    assert tagged(text, PATIENT) == "Revu ce jour avec [NOM] pour la sortie."


def test_first_names_sound_alike():
    who = Identity.from_record({"first_name": "Guislaine", "last_name": "Stefane"})
    spans = find_identifiers("Ghislaine Stéphane", who)
    assert [s["label"] for s in spans] == ["PRENOM", "NOM"]


def test_sound_alike_does_not_reach_other_names():
    who = Identity.from_record({"first_name": "Odile", "last_name": "Renaud"})
    text = "Avis de Rendu et de Renoir, puis Odette et Odilon, pour Renaut."
    assert tagged(text, who) == tagged(text).replace("Renaut", "[NOM]")


@pytest.mark.parametrize(
    "text, expected",
    [
        ("PINA Djamel - IPP 3654435761", "[NOM] [PRENOM] - IPP [IPP]"),
        (
            "Transmissions : ARDOIN Claudette, ch. 12",
            "Transmissions : [NOM] [PRENOM], ch. 12",
        ),
        ("AVC Ischémique. HTA Essentielle. BPCO Stade 3.", None),
        ("TDM Thoracique : pas d'embolie. DOLIPRANE Comprimé.", None),
    ],
)
def test_a_first_name_after_a_surname_in_capitals_is_any_word_not_a_known_word(
    text, expected
):
    assert tagged(text) == (expected or text)
