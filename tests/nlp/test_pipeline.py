"""The pipeline on sentences written as a clinician would, marks inline."""

from __future__ import annotations

import pytest

from entrepot.nlp import Pipeline, parse_marked

QUALIFIERS = ("negation", "hypothesis", "family", "history")


def found(nlp: Pipeline, marked: str) -> tuple[list, list]:
    """(what the pipeline finds, what the marks say): spans, labels, qualifiers."""
    gold = parse_marked(marked)
    doc = nlp(gold.text)

    def key(e):
        return (gold.text[e.start : e.end], e.label, e.concept_code) + tuple(
            q for q in QUALIFIERS if getattr(e, q)
        )

    return [key(e) for e in doc.entities], [key(e) for e in gold.entities]


#: Negation and hypothesis over lists: a comma or "et" ends them when a new
#: clause follows, not when the list goes on ("de", "ni", "ou").
OVER_LISTS = [
    # a comma ends a negation when a new clause follows it...
    "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent>, <ent code=CIM10:R05>"
    "toux</ent> productive.",
    "Patient sans <ent code=CIM10:R50.9 negation>fièvre</ent>, <ent "
    "code=CIM10:R05>toux</ent> productive depuis 3 jours, <ent code=CIM10:R06.0>"
    "dyspnée</ent> d'effort.",
    "Absence de <ent code=CIM10:R50.9 negation>fièvre</ent>, une <ent "
    "code=CIM10:R05>toux</ent>.",
    "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent>, des <ent code=CIM10:R51>"
    "céphalées</ent>.",
    "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent> et <ent code=CIM10:R05>"
    "toux</ent> productive.",
    # ... not when a list under the negation goes on ("de", "ni", "ou")
    "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent>, ni de <ent "
    "code=CIM10:R05 negation>toux</ent>.",
    "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent>, de <ent code=CIM10:R05 "
    "negation>toux</ent> ni de <ent code=CIM10:R06.0 negation>dyspnée</ent>.",
    "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent>, <ent code=CIM10:R05 "
    "negation>toux</ent>, <ent code=CIM10:R06.0 negation>dyspnée</ent> ou <ent "
    "code=CIM10:R11 negation>nausées</ent>.",
    "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent> et de <ent "
    "code=CIM10:R05 negation>toux</ent>.",
    "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent> > 38,5 °C ni de <ent "
    "code=CIM10:R05 negation>toux</ent>.",
    "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent>, pas de <ent "
    "code=CIM10:R05 negation>toux</ent>, <ent code=CIM10:R06.0>dyspnée</ent> "
    "stade 2.",
    # hypothesis shares the scope
    "Suspicion de <ent code=CIM10:M32 hypothesis>lupus</ent> ou de <ent "
    "code=CIM10:M34 hypothesis>sclérodermie</ent>, <ent code=CIM10:R05>toux</ent> "
    "depuis 3 jours.",
]
#: Adjectives name their disease; qualifiers still apply to them.
ADJECTIVES = [
    "Patient <ent code=CIM10:E11>diabétique de type 2</ent>, <ent code=CIM10:I10>"
    "hypertendu</ent> et <ent code=CIM10:J45.9>asthmatique</ent>.",
    "Patiente <ent code=CIM10:I10>hypertendue</ent>, <ent code=CIM10:E66>obèse"
    "</ent>, <ent code=CIM10:K74.6>cirrhotique</ent> et <ent code=CIM10:G40.9>"
    "épileptique</ent>.",
    "Patient <ent code=CIM10:N18>insuffisant rénal chronique</ent>, <ent "
    "code=CIM10:I50>insuffisant cardiaque</ent>.",
    "<ent code=CIM10:N19>Insuffisante rénale</ent> connue.",
    "Mère <ent code=CIM10:E14 family>diabétique</ent>.",
    "Son père est <ent code=CIM10:I10 family>hypertendu</ent>.",
    "Patient non <ent code=CIM10:E14 negation>diabétique</ent>, <ent "
    "code=CIM10:I10>hypertendu</ent>.",
    "Patiente ni <ent code=CIM10:E14 negation>diabétique</ent> ni <ent "
    "code=CIM10:I10 negation>hypertendue</ent>.",
    "Antécédents :\n- <ent code=CIM10:E10 history>diabétique de type 1</ent> "
    "depuis 1998.",
    "<ent code=CIM10:E11>DNID</ent> depuis 2010.",
]


@pytest.mark.parametrize(
    "marked",
    [
        "Patiente suivie pour une <ent code=CIM10:M34>sclérodermie systémique</ent>.",
        "Pas de <ent code=CIM10:M34 negation>sclérodermie</ent>.",
        "Sa sœur a une <ent code=CIM10:M34 family>sclérodermie</ent>.",
        "Suspicion de <ent code=CIM10:M34 hypothesis>sclérodermie</ent>.",
        "<ent code=CIM10:I26.9 negation>Embolie pulmonaire</ent> non retrouvée.",
        "Il n'y a pas de <ent code=CIM10:R50.9 negation>fièvre</ent> ni de "
        "<ent code=CIM10:R05 negation>toux</ent>.",
        "Pas de <ent code=CIM10:R50.9 negation>fièvre</ent> mais une "
        "<ent code=CIM10:R06.0>dyspnée</ent>.",
        "Une <ent code=CIM10:I26.9 hypothesis>embolie pulmonaire</ent> ne peut "
        "être exclue.",
        "<ent code=CIM10:I48>FA</ent> sans doute ancienne.",
        "Antécédent de <ent code=CIM10:G43 history>migraine</ent> en 2010.",
        "Antécédents familiaux :\nMère : <ent code=CIM10:C50.9 family>cancer du "
        "sein</ent>.\nHDM :\n<ent code=CIM10:R07.4>Douleur thoracique</ent>.",
        "Hypothèses diagnostiques :\n- <ent code=CIM10:I30.9 hypothesis>"
        "péricardite</ent>\nConclusion :\n<ent code=CIM10:I21>infarctus du "
        "myocarde</ent>.",
        "<ent code=CIM10:I10>HTA</ent> ; vu par le Pr Martin, hta et pr ignorées.",
        "Pas d'amélioration de la <ent code=CIM10:R06.0>dyspnée</ent>.",
        "Angioscanner pour éliminer une <ent code=CIM10:I26.9 hypothesis>embolie "
        "pulmonaire</ent>.",
        "<ent code=CIM10:I26.9 negation>Embolie pulmonaire</ent> éliminée.",
        "Bilan négatif pour une <ent code=CIM10:K50 negation>maladie de Crohn</ent>.",
        "Mme Cousin, 23 ans, suivie pour une <ent code=CIM10:D64.9>anémie</ent>.",
        "Son cousin a une <ent code=CIM10:D64.9 family>anémie</ent>.",
    ]
    + OVER_LISTS
    + ADJECTIVES,
)
def test_diseases_and_qualifiers(nlp, marked):
    got, want = found(nlp, marked)
    assert got == want


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Traité par DOLIPRANE 1 g.", ("DOLIPRANE", "DRUG", "ATC:N02BE01")),
        ("Sous méthotrexate.", ("méthotrexate", "DRUG", "ATC:L01BA01")),
        ("Arrêt du Kardégic.", ("Kardégic", "DRUG", "ATC:B01AC06")),
        ("CRP 45 mg/L.", ("CRP", "LAB", "LOINC:1988-5")),
        ("DFG (CKD-EPI) 61 mL/min.", ("DFG (CKD-EPI)", "LAB", "LOINC:62238-1")),
        ("Maladie de Basedow.", ("Maladie de Basedow", "DISEASE", "CIM10:E05")),
    ],
)
def test_drugs_labs_and_codes(nlp, text, expected):
    e = nlp(text).entities[0]
    assert (e.text, e.label, e.concept_code) == expected


def test_measurement_is_attached_to_its_lab_test(nlp):
    doc = nlp("Hémoglobine 10,2 g/dL ; Plaquettes 150 G/L, TA 125/79 mmHg.")
    labs = {e.text: (e.measurement.value, e.measurement.unit) for e in doc.entities}
    assert labs == {"Hémoglobine": (10.2, "g/dL"), "Plaquettes": (150.0, "G/L")}
    assert [(m.value, m.unit) for m in doc.measurements][-1] == (125.0, "mmHg")


def test_dates(nlp):
    doc = nlp("Hospitalisé du 29/04/2013 au 3 mai 2013, opéré en 2001.")
    assert [(d.text, d.value) for d in doc.dates] == [
        ("29/04/2013", "2013-04-29"),
        ("3 mai 2013", "2013-05-03"),
        ("2001", "2001"),
    ]


def test_reported_speech_and_sections(nlp):
    doc = nlp("Biologie :\nSelon la patiente, une toux depuis 3 jours.")
    (toux,) = doc.entities
    assert (toux.text, toux.reported, toux.section) == ("toux", True, "biologie")


def test_offsets_point_into_the_original_text(nlp):
    text = "ŒDÈME. Pas d’ANÉMIE, pas de Sclérodermie."
    for e in nlp(text).entities:
        assert text[e.start : e.end] == e.text
    assert [(e.text, e.negation) for e in nlp(text).entities] == [
        ("ŒDÈME", False),
        ("ANÉMIE", True),
        ("Sclérodermie", True),
    ]


def test_user_terms_win_and_are_labelled(tmp_path):
    terms = tmp_path / "terms.yaml"
    terms.write_text("TOXIDERMIE: [DRESS, toxidermie]\nSCORE: [score de Rodnan]\n")
    doc = Pipeline(terms)("Pas de DRESS. Score de Rodnan modifié à 12.")
    assert [(e.text, e.label, e.concept_code, e.negation) for e in doc.entities] == [
        ("DRESS", "TOXIDERMIE", None, True),
        ("Score de Rodnan", "SCORE", None, False),
    ]
