"""Recognition of prescription lines and checking them two by two."""

import pytest

from entrepot.drugs import check, recognize
from tests.drugs import SEED


@pytest.mark.parametrize(
    ("line", "substances", "atc", "route", "mg"),
    [
        (
            "KARDEGIC 75 mg pdre p sol buv en sachet-dose",
            ["acide acetylsalicylique"],
            ["B01AC06"],
            "oral",
            75,
        ),
        (
            "BACTRIM FORTE 800 mg/160 mg cp",
            ["sulfamethoxazole", "trimethoprime"],
            ["J01EE01"],
            "oral",
            800,
        ),
        ("amlodipine 5mg", ["amlodipine"], ["C08CA01"], None, 5),
        (
            "DAKTARIN 2 % gel buccal",
            ["miconazole"],
            ["A01AB09", "D01AC02"],
            "buccal",
            None,
        ),
        # the codes that fit the route the label states
        ("KETUM 2,5 % gel", ["ketoprofene"], ["M02AA10"], "cutaneous", None),
        ("AZITHROMYCINE 250 mg comprimé", ["azithromycine"], ["J01FA10"], "oral", 250),
        ("azithromycine collyre", ["azithromycine"], ["S01AA26"], "ophthalmic", None),
        # French and English spellings of one name
        ("dapagliflozine 10 mg", ["dapagliflozin"], ["A10BK01"], None, 10),
        ("azitromycine 500 mg", ["azithromycine"], ["J01FA10", "S01AA26"], None, 500),
        (
            "LOVENOX 4000 UI/0,4 mL, solution injectable",
            ["enoxaparine"],
            ["B01AB05"],
            "injectable",
            None,
        ),
    ],
)
def test_recognition(line, substances, atc, route, mg):
    drug = recognize(line)
    assert drug.recognized
    assert list(drug.substances) == substances
    assert list(drug.atc) == atc
    assert drug.route == route
    assert (drug.dose or {}).get("mg") == mg


def test_combination_strengths_and_daily_dose():
    assert recognize("BACTRIM FORTE 800 mg/160 mg cp").dose["strengths"] == [
        [800.0, "mg"],
        [160.0, "mg"],
    ]
    assert recognize("aspirine 1 g x 3/j").dose["mg_per_day"] == 3000
    assert recognize("acide acétylsalicylique 3 g/jour").dose["mg_per_day"] == 3000


def _levels(*lines):
    return [(i.a, i.b, i.level) for i in check(list(lines)).interactions]


def test_known_pairs_and_class_expansion():
    assert _levels("SEROPLEX 10 mg cp", "ATARAX 25 mg cp") == [
        (0, 1, "contre-indication")
    ]
    # a beta-blocker with a dihydropyridine: through two classes
    result = check(["atenolol 50 mg cp", "amlodipine 5 mg gélule"])
    (found,) = result.interactions
    assert found.level == "a-prendre-en-compte"
    assert found.rules == [
        ["BÊTA-BLOQUANTS (SAUF ESMOLOL) (Y COMPRIS COLLYRES)", "DIHYDROPYRIDINES"]
    ]


def test_combination_product_is_split():
    result = check(["BACTRIM FORTE 800 mg/160 mg cp", "méthotrexate 10 mg cp"])
    (found,) = result.interactions
    assert found.level == "contre-indication"
    assert found.rules == [
        ["TRIMETHOPRIME", "METHOTREXATE"],
        ["SULFAMIDES ANTIBACTÉRIENS", "METHOTREXATE"],
    ]


def test_route_buccal_gel_carries_the_interaction_a_cutaneous_one_does_not():
    assert _levels("DAKTARIN 2 % gel buccal", "COUMADINE 5 mg cp") == [
        (0, 1, "contre-indication")
    ]
    assert (
        _levels("DAKTARIN 2 % poudre pour application cutanée", "COUMADINE 5 mg cp")
        == []
    )
    assert _levels("KETUM 2,5 % gel", "COUMADINE 5 mg cp") == []


def test_route_chooses_the_level():
    (iv,) = check(
        ["amiodarone 200 mg cp", "verapamil 5 mg/2 ml solution injectable IV"]
    ).interactions
    (oral,) = check(["amiodarone 200 mg cp", "verapamil 120 mg cp"]).interactions
    assert ["AMIODARONE", "VERAPAMIL"] in iv.rules and [
        "AMIODARONE",
        "VERAPAMIL",
    ] in oral.rules
    assert "verapamil par voie injectable" in iv.why
    assert "verapamil par voie oral" in oral.why


@pytest.mark.parametrize(
    ("aspirin", "level", "why"),
    [
        ("KARDEGIC 75 mg pdre p sol buv", "association-deconseillee", "antiagrégante"),
        ("ASPIRINE 500 mg cp", "contre-indication", "antalgique"),
        ("aspirine 1 g x 3/j", "contre-indication", "anti-inflammatoire"),
        ("aspirine", "contre-indication", "non lue"),
    ],
)
def test_aspirin_dose_chooses_the_level(aspirin, level, why):
    (found,) = check([aspirin, "COUMADINE 5 mg cp"]).interactions
    assert found.level == level
    assert why in found.why


def test_aspirin_at_antiplatelet_dose_shows_the_renal_rule_with_its_unmet_dose():
    # the thesaurus restricts aspirin + ARA II to analgesic and anti-inflammatory
    # doses: below them the rule is shown, its dose condition not met
    (low,) = check(["KARDEGIC 75 mg", "losartan 50 mg cp"]).interactions
    assert low.level == "precaution-emploi"
    assert low.dose_condition["met"] is False
    assert low.dose_condition["text"].startswith(
        "Pour des doses anti-inflammatoires d'acide acétylsalicylique (>= 1g par prise"
    )
    (high,) = check(["aspirine 1 g x 3/j", "losartan 50 mg cp"]).interactions
    assert high.level == "precaution-emploi"
    assert high.dose_condition == {**low.dose_condition, "met": True}
    (unread,) = check(["aspirine", "losartan 50 mg cp"]).interactions
    assert unread.dose_condition["met"] is None


def test_most_severe_first_and_indexes():
    result = check(
        ["atenolol 50 mg", "SEROPLEX 10 mg", "amlodipine 5 mg", "ATARAX 25 mg"]
    )
    # atenolol is bradycardic, escitalopram and hydroxyzine give torsades de pointes
    assert [(i.a, i.b, i.level) for i in result.interactions] == [
        (1, 3, "contre-indication"),
        (0, 1, "precaution-emploi"),
        (0, 3, "precaution-emploi"),
        (0, 2, "a-prendre-en-compte"),
    ]


@pytest.mark.parametrize(
    "line",
    [
        "PRODUIT INCONNU 10 mg",
        "",
        "   ",
        "'; DROP TABLE drug_exposure; --",
        "<script>alert('x')</script>",
        "amlodipine " * 1000,  # a huge line is not read
    ],
)
def test_unknown_and_hostile_lines_are_reported_and_the_rest_checked(line):
    result = check([line, "SEROPLEX 10 mg", "ATARAX 25 mg"])
    assert result.unrecognized == [0]
    assert result.to_dict()["drugs"][0]["input"] == line
    assert [(i.a, i.b) for i in result.interactions] == [(1, 2)]


def test_empty_prescription_and_same_substance_twice():
    assert check([]).to_dict()["interactions"] == []
    assert check(["amlodipine 5 mg", "AMLOR 10 mg gélule"]).interactions == []


def test_level_for_the_substances_its_condition_names():
    # ANTAGONISTES DES CANAUX CALCIQUES + RIFAMPICINE: déconseillée "avec la nimodipine"
    assert _levels("nimodipine 30 mg cp", "rifampicine 300 mg gélule") == [
        (0, 1, "association-deconseillee")
    ]
    assert _levels("amlodipine 5 mg gélule", "rifampicine 300 mg gélule") == [
        (0, 1, "precaution-emploi")
    ]
    # sedatives: contraindicated only "entre l'oxybate de sodium et les opiacés"
    assert _levels("morphine 10 mg", "zopiclone 7,5 mg cp") == [
        (0, 1, "a-prendre-en-compte")
    ]


@pytest.mark.parametrize(
    ("lines", "level", "rule"),
    [
        (
            ["CERTICAN 0,75 mg cp", "MILLEPERTUIS"],
            "contre-indication",
            ["IMMUNOSUPPRESSEURS", "MILLEPERTUIS"],
        ),
        (
            ["everolimus 10 mg cp", "clarithromycine 500 mg cp"],
            "association-deconseillee",
            ["IMMUNOSUPPRESSEURS", "CLARITHROMYCINE"],
        ),
        (
            ["TAZOCILLINE 4 g/500 mg pdre p sol p perf", "méthotrexate 20 mg cp"],
            "association-deconseillee",
            ["PÉNICILLINES", "METHOTREXATE"],
        ),
    ],
)
def test_substances_listed_twice_keep_the_classes_of_both(lines, level, rule):
    (found,) = check(lines).interactions
    assert found.level == level
    assert rule in found.rules


def test_the_seed_prescription_gives_the_two_interactions_vidal_shows():
    result = check(SEED)
    assert [d.route for d in result.drugs] == [
        "oral",
        "oral",
        "oral",
        "oral",
        "cutaneous",
        "oral",
    ]
    aspirin, beta = result.interactions
    assert (aspirin.a, aspirin.b, aspirin.level) == (2, 3, "precaution-emploi")
    assert aspirin.rules == [["ACIDE ACETYLSALICYLIQUE", "DIURÉTIQUES"]]
    assert aspirin.dose_condition == {
        "text": "Pour des doses anti-inflammatoires d'acide acétylsalicylique "
        "(>= 1g par prise et/ou >= 3g par jour) ou pour des doses antalgiques ou "
        "antipyrétiques (>= 500 mg par prise et/ou < 3g par jour)",
        "met": False,
    }
    assert "antiagrégante" in aspirin.why
    assert (beta.a, beta.b, beta.level) == (0, 1, "a-prendre-en-compte")
    assert beta.rules == [
        ["BÊTA-BLOQUANTS (SAUF ESMOLOL) (Y COMPRIS COLLYRES)", "DIHYDROPYRIDINES"]
    ]
    assert beta.dose_condition is None
    assert all(it.route_doubt is None for it in result.interactions)


def test_the_cutaneous_gel_of_the_seed_is_what_keeps_diclofenac_out():
    tablets = check([*SEED[:4], "DICLOFENAC 50 mg cp", *SEED[5:]])
    assert {(it.a, it.b) for it in tablets.interactions if 4 in (it.a, it.b)} == {
        (0, 4),
        (2, 4),
        (3, 4),
    }


def test_a_guessed_route_never_removes_an_interaction():
    # "GEL" without its accent: amlodipine has no cutaneous form, it may be a capsule
    (found,) = check(["ATENOLOL 50 mg cp", "AMLODIPINE 5 mg GEL"]).interactions
    assert found.level == "a-prendre-en-compte"
    assert found.route_doubt == (
        "« AMLODIPINE 5 mg GEL »: « gel » lu voie cutaneous, forme que C08CA01 n'a pas"
    )
    # a sure cutaneous gel still carries no systemic interaction
    assert check(["ATENOLOL 50 mg cp", "DICLOFENAC 1 % gel"]).interactions == []
    # eye drops read from the ATC code only: the beta-blocker's systemic rules stay
    (eye,) = check(["TIMOPTOL 0,25 %", "VERAPAMIL 120 mg cp"]).interactions
    assert "voie ophthalmic déduite de S01ED01" in eye.route_doubt


def test_a_guessed_route_does_not_choose_a_lower_level():
    # a strong CYP3A4 inhibitor + midazolam: déconseillée per os, précaution IV
    sure = ["clarithromycine 500 mg cp", "midazolam 5 mg/ml sol inj"]
    guessed = ["clarithromycine 500 mg cp", "midazolam 5 mg amp"]
    (iv,) = check(sure).interactions
    (guess,) = check(guessed).interactions
    assert iv.level == "precaution-emploi" and iv.route_doubt is None
    assert guess.level == "association-deconseillee"
    assert "Voie de midazolam incertaine: niveau le plus sévère retenu." in guess.why
    assert guess.route_doubt == (
        "« midazolam 5 mg amp »: « amp »: forme de plusieurs voies, "
        "voie injectable supposée"
    )
