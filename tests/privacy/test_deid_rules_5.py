"""Rules revised after development 5's misses and false positives (the set
written as held-out 4), one sentence of our own per cause: none is taken from
the set, whose names and numbers appear nowhere here."""

import pytest

from tests.privacy.test_deid_rules import case, found

NAMES = [
    # a title in lower case, as dictated, before a capitalised name or a birth
    case("revu ce jour monsieur Lestrade-Vidal", ("Lestrade-Vidal", "NOM")),
    case(
        "au sujet de madame quéméner solenn née le 3 mai 1950",
        ("quéméner", "NOM"),
        ("solenn", "PRENOM"),
        ("3 mai 1950", "DATE_NAISSANCE"),
    ),
    # a staff field of the emergency desk or of a nursing home
    case("IOA : Gwladys T.", ("Gwladys", "PRENOM"), ("T.", "NOM")),
    case("IDEC : Maïwenn Traoré", ("Maïwenn", "PRENOM"), ("Traoré", "NOM")),
    # a surname that is a month, where no day nor year follows it
    case("Aide-soignant : Loïc Février", ("Loïc", "PRENOM"), ("Février", "NOM")),
    case("Vu par le Dr Avril.", ("Avril", "NOM")),
    case("Dr Ferrand Mars 2025", ("Ferrand", "NOM"), ("Mars 2025", "DATE")),
    # an abbreviated first name, an initial before a surname with particles
    case("Validé par Ch. Oberlé, biologiste.", ("Ch.", "PRENOM"), ("Oberlé", "NOM")),
    case("Bien à vous. G. Le Bihan", ("G.", "PRENOM"), ("Le Bihan", "NOM")),
    case(
        "saisi le 02/02/2026 par J.-P. Ribot",
        ("02/02/2026", "DATE"),
        ("J.-P.", "PRENOM"),
        ("Ribot", "NOM"),
    ),
    case(
        "dictée le 02/02/2026, transcrite le 03/02/2026 par Élodie Sarrazin",
        ("02/02/2026", "DATE"),
        ("03/02/2026", "DATE"),
        ("Élodie", "PRENOM"),
        ("Sarrazin", "NOM"),
    ),
    # a full name before a role in brackets; a name in brackets after a role or a relative
    case(
        "Équipe : Nolwenn Kerhervé (IDE coordinatrice), Dr X.",
        ("Nolwenn", "PRENOM"),
        ("Kerhervé", "NOM"),
    ),
    case(
        "prévenu par l'interne (Anatole Bréhier).",
        ("Anatole", "PRENOM"),
        ("Bréhier", "NOM"),
    ),
    case("Sa fille (Ombeline) passe ce soir.", ("Ombeline", "PRENOM")),
    # relatives named in brackets, in fields after a relative's word
    case(
        "Ses parents (Gaël et Rozenn Pennec, Brest) sont présents.",
        ("Gaël", "PRENOM"),
        ("Rozenn", "PRENOM"),
        ("Pennec", "NOM"),
        ("Brest", "VILLE"),
    ),
    case(
        "joignable (sœur : Zahia Meddour, 06 12 34 56 78)",
        ("Zahia", "PRENOM"),
        ("Meddour", "NOM"),
        ("06 12 34 56 78", "TEL"),
    ),
    case(
        "- père de M. Ozdemir : Yusuf Ozdemir ; mère de M. Ozdemir : Elif Ozdemir",
        ("Ozdemir", "NOM"),
        ("Yusuf", "PRENOM"),
        ("Ozdemir", "NOM"),
        ("Ozdemir", "NOM"),
        ("Elif", "PRENOM"),
        ("Ozdemir", "NOM"),
    ),
    case(
        "vu avec la conseillère en génétique, Ysaline Le Quellec.",
        ("Ysaline", "PRENOM"),
        ("Le Quellec", "NOM"),
    ),
    # a nickname in quotes after the name it shortens
    case(
        "M. Benhamou (Mohamed-Amine, « Momo »)",
        ("Benhamou", "NOM"),
        ("Mohamed-Amine", "PRENOM"),
        ("Momo", "PRENOM"),
    ),
    # a name spaced out by a scan, a login in a print footer, a label's line
    case("Destinataire : Mme K O E H L", ("K O E H L", "NOM")),
    case(
        "imprimé le 01/03/2026 par mgoasdoue",
        ("01/03/2026", "DATE"),
        ("mgoasdoue", "NOM"),
    ),
    case(
        "*58812345*   TREGUIER YVONNE   F   02031941",
        ("58812345", "IPP"),
        ("TREGUIER", "NOM"),
        ("YVONNE", "PRENOM"),
        ("02031941", "IPP"),
    ),
]

NUMBERS = [
    # letters before an identifier's digits, `passage` and `pré-admission` as labels
    case("Passage n° P2604471 aux urgences", ("P2604471", "NDA")),
    case("Pré-admission n° ADM-25-40711 validée", ("ADM-25-40711", "NDA")),
    case("Réf. dossier (CHD-20118845) à rappeler", ("CHD-20118845", "NDA")),
    case("7700123456/S2500117 – édition", ("7700123456", "IPP"), ("S2500117", "IPP")),
    case("IPP 44 120 553 7 – séjour 2", ("44 120 553 7", "IPP")),
    # a NIR grouped oddly, kept by its key; a pager in two pairs; a phone in words
    case("NIR 1850 72A0 0412 388 –", ("1850 72A0 0412 388", "NSS")),
    case("Bip 31 07 pour l'interne.", ("Bip 31 07", "TEL")),
    case(
        "rappeler au zéro deux quatre-vingt-dix-huit zéro sept onze trente-deux merci",
        ("zéro deux quatre-vingt-dix-huit zéro sept onze trente-deux", "TEL"),
    ),
    # a date and its time is no phone number
    case("validé le 09/10/2026 21:40", ("09/10/2026", "DATE")),
]

DATES = [
    case("Sortie : 14/09 18:30 vers le SSR", ("14/09", "DATE")),
    case("Séjour (03/02 – 11/02) : pneumopathie", ("03/02", "DATE"), ("11/02", "DATE")),
    case("rendez-vous le 8 ou le 9 janvier.", ("8", "DATE"), ("9 janvier", "DATE")),
    case("Lorient le 4 3 2026", ("Lorient", "VILLE"), ("4 3 2026", "DATE")),
    # a scanner's l read as a one among digits
    case("hospitalisée du 1l/O2 au 2l/O2 pour", ("1l/O2", "DATE"), ("2l/O2", "DATE")),
]

PLACES = [
    case(
        "Sainte-Rose (97115), chez sa mère", ("Sainte-Rose", "VILLE"), ("97115", "ZIP")
    ),
    case(
        "20167 Mezzavia, 20290 Lucciana",
        ("20167", "ZIP"),
        ("Mezzavia", "VILLE"),
        ("20290", "ZIP"),
        ("Lucciana", "VILLE"),
    ),
    case(
        "20230 Santa-Maria-di-Lota", ("20230", "ZIP"), ("Santa-Maria-di-Lota", "VILLE")
    ),
    case(
        "Domicile : 4 rue des Forges, 2e étage, 21000 Dijon",
        ("4 rue des Forges, 2e étage", "ADRESSE"),
        ("21000", "ZIP"),
        ("Dijon", "VILLE"),
    ),
    case("Elle vit au lieu-dit Kerhuel, seule.", ("lieu-dit Kerhuel", "ADRESSE")),
    case(
        "3 straed ar Vilin, Plouzané",
        ("3 straed ar Vilin", "ADRESSE"),
        ("Plouzané", "VILLE"),
    ),
    case(
        "Dr Loïg Quéré\nCabinet médical\nRennes\n\nObjet : suivi",
        ("Loïg", "PRENOM"),
        ("Quéré", "NOM"),
        ("Rennes", "VILLE"),
    ),
]

FACILITIES = [
    case(
        "CHBS – Centre Hospitalier de Bretagne Sud\nTransfert au CHBS demain.",
        ("CHBS", "HOPITAL"),
        ("Centre Hospitalier de Bretagne Sud", "HOPITAL"),
        ("CHBS", "HOPITAL"),
    ),
    case(
        "ICO-Gauducheau – Institut de Cancérologie de l'Ouest",
        ("ICO-Gauducheau", "HOPITAL"),
        ("Institut de Cancérologie de l'Ouest", "HOPITAL"),
    ),
    case("suivie au CRCM de Roscoff", ("CRCM de Roscoff", "HOPITAL")),
    case("Hopitaux Civils de Besançon", ("Hopitaux Civils de Besançon", "HOPITAL")),
    case(
        "née à la Maternité Paule de Viguier", ("Maternité Paule de Viguier", "HOPITAL")
    ),
]

KEPT = [
    # a field's label opening a line, a town in capitals before its grade, an eponym's score
    "Bio : Hb 11 g/dL, plaquettes 210 G/L.",
    "Polype classé NICE 1, Paris 0-IIa.",
    "TEP : Deauville 2, Lugano : réponse complète.",
    # a brand with hyphens after `au`, a year inside a code or after an acronym
    "Lavage au Bio-gel puis pansement.",
    "Demande n° TE-2025-001234 selon ESC 2021.",
    # a unit's acronym after a role, a heading before a role in brackets
    "Intervenants : IDE ELSA, psychologue.",
    "Nuit (IDE de garde) : calme.",
]


@pytest.mark.parametrize(
    "text, expected", NAMES + NUMBERS + DATES + PLACES + FACILITIES
)
def test_development_5_rules(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text", KEPT)
def test_labels_scores_brands_and_codes_stay(text):
    assert found(text) == []
