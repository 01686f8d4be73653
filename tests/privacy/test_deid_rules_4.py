"""Rules revised after development 4's misses and false positives (the set
written as held-out 3), one sentence of our own per case: none is taken from
the set, whose names and numbers appear nowhere here."""

import pytest

from tests.privacy.test_deid_rules import case, found

LETTERS = [
    case(
        "Mme Aysel Kılıç, née Doğan, revue ce jour.",
        ("Aysel", "PRENOM"),
        ("Kılıç", "NOM"),
        ("Doğan", "NOM"),
    ),
    case("Avis du Dr Ștefan Mărgineanu.", ("Ștefan", "PRENOM"), ("Mărgineanu", "NOM")),
    case("Vue par Mme Trương Ngọc Hà.", ("Trương", "PRENOM"), ("Ngọc Hà", "NOM")),
]

FIELDS = [
    case(
        "IDE de nuit : Bérangère Kerbrat-Huon",
        ("Bérangère", "PRENOM"),
        ("Kerbrat-Huon", "NOM"),
    ),
    case(
        "Interne de garde : Théophane Aydemir",
        ("Théophane", "PRENOM"),
        ("Aydemir", "NOM"),
    ),
    case(
        "Parents : Okan Aydemir et Selin Aydemir, joignables.",
        ("Okan", "PRENOM"),
        ("Aydemir", "NOM"),
        ("Selin", "PRENOM"),
        ("Aydemir", "NOM"),
    ),
    case(
        "De : Gratien Trébaol <g.trebaol@exemple.org>\nObjet : avis",
        ("Gratien", "PRENOM"),
        ("Trébaol", "NOM"),
        ("g.trebaol@exemple.org", "MAIL"),
    ),
    case(
        "Objet : RCP\nCc : Théophane Prigent, Bérangère Le Floc'h\nMerci.",
        ("Théophane", "PRENOM"),
        ("Prigent", "NOM"),
        ("Bérangère", "PRENOM"),
        ("Le Floc'h", "NOM"),
    ),
]

GREETINGS = [
    case("Salut Capucine,\nun avis sur ce bilan ?", ("Capucine", "PRENOM")),
    case("Bonjour Théophane, merci pour l'avis.", ("Théophane", "PRENOM")),
    case(
        "Je te tiens au courant.\nBonne soirée,\nGratien\n\nPS : dossier joint.",
        ("Gratien", "PRENOM"),
    ),
    case("Bonjour à tous, bonjour Docteur, bonjour Madame,"),
]

INITIALS_AND_NUMBERS = [
    case("Relu — DUBOIS K. — page 2/2", ("DUBOIS", "NOM"), ("K.", "PRENOM")),
    case("Page 2/2 — KERVRAOZEC P. — édité", ("KERVRAOZEC", "NOM"), ("P.", "PRENOM")),
    case("IPP : 33 10 457 218", ("33 10 457 218", "IPP")),
    case("N° de venue : 331 0472 18", ("331 0472 18", "NDA")),
    case(
        "Vit au 14 carrer del Mar, 66190 Collioure.",
        ("14 carrer del Mar", "ADRESSE"),
        ("66190", "ZIP"),
        ("Collioure", "VILLE"),
    ),
    case("Secrétariat — poste 45 310, le matin.", ("poste 45 310", "TEL")),
    case("Joignable au Bip 3390 la nuit.", ("Bip 3390", "TEL")),
    case("Urgences — n° de passage 25K007731", ("25K007731", "NDA")),
    case("Venue HDJ HDJ-25-11870 ce jour.", ("HDJ-25-11870", "NDA")),
    case("IPP chez eux : 3C-0051922, à vérifier.", ("3C-0051922", "IPP")),
    case("Réf. : 59K0447120", ("59K0447120", "IPP")),
    case("Ateliers prévus les 14/02 et 28/02.", ("14/02", "DATE"), ("28/02", "DATE")),
]

RELATIVES = [
    case("Ma fille, Bérangère, viendra me chercher.", ("Bérangère", "PRENOM")),
    case("Mon époux Gratien m'accompagnera.", ("Gratien", "PRENOM")),
    case(
        "Contacts : Okan Berrada (frère) et Selin Quéré (sœur).",
        ("Okan", "PRENOM"),
        ("Berrada", "NOM"),
        ("Selin", "PRENOM"),
        ("Quéré", "NOM"),
    ),
    case(
        "Joindre Nolwenn Laval (mère) ou Yves Laval (père).",
        ("Nolwenn", "PRENOM"),
        ("Laval", "NOM"),
        ("Yves", "PRENOM"),
        ("Laval", "NOM"),
    ),
    case(
        "10h — Ainhoa (A. Arrieta), IDE : pansement fait.",
        ("Ainhoa", "PRENOM"),
        ("A.", "PRENOM"),
        ("Arrieta", "NOM"),
    ),
]

FACILITIES = [
    case("Scanner réalisé au CHICAS Gap-Sisteron.", ("CHICAS Gap-Sisteron", "HOPITAL")),
    case(
        "Suivie au Centre Mémoire de Ressources et de Recherche de Nancy depuis 2021.",
        ("Centre Mémoire de Ressources et de Recherche de Nancy", "HOPITAL"),
        ("2021", "DATE"),
    ),
    case(
        "Transfert en SMR gériatrique de l'Hôpital Émile Roux demain.",
        ("SMR gériatrique de l'Hôpital Émile Roux", "HOPITAL"),
    ),
    case(
        "Hôpital Saint-Louis - Claude-Vellefaux, unité 4.",
        ("Hôpital Saint-Louis - Claude-Vellefaux", "HOPITAL"),
    ),
    case(
        "||||| 59001234 ||||| MORV CATH |||||",
        ("59001234", "IPP"),
        ("MORV", "NOM"),
        ("CATH", "PRENOM"),
    ),
]

KEPT = [
    "D : douleur.\nA : Doliprane 1 g.\nR : soulagée.",
    "Équilibre : Berg 32/56 puis Berg 44/56, Tinetti 20/28.",
    "Rééducation selon le protocole de Kleinert, abord par voie de Hardinge.",
    "Test des cinq mots de Dubois 9/10.",
    "SEP selon les critères de McDonald 2017.",
    "Équipe de liaison — ELSA\nAvis demandé.",
    "HTA G. III, BPCO B. stade 2.",
    "Antécédents familiaux : Alzheimer (mère), Parkinson (père).",
]


@pytest.mark.parametrize(
    "text, expected",
    LETTERS + FIELDS + GREETINGS + INITIALS_AND_NUMBERS + RELATIVES + FACILITIES,
)
def test_development_4_rules(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_scores_eponyms_and_unit_acronyms_stay(text):
    assert found(text) == []


@pytest.mark.parametrize(
    "text, expected",
    [
        case(
            "Enfant MARCHETTI Lou, né le 3 mai 2025.",
            ("MARCHETTI", "NOM"),
            ("Lou", "PRENOM"),
            ("3 mai 2025", "DATE_NAISSANCE"),
        ),
        case(
            "Hôpital de Cholet — DEMANDE DE SCANNER",
            ("Hôpital de Cholet", "HOPITAL"),
        ),
        case("Né à Mâcon (Saône-et-Loire).", ("Mâcon", "VILLE")),
    ],
)
def test_headings_and_departements_are_not_names_nor_towns(text, expected):
    assert found(text) == expected
