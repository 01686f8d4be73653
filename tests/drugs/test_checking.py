"""Recognition of prescription lines and checking them two by two."""

import pytest

from entrepot.drugs import check, recognize


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
        ("KETUM 2,5 % gel", ["ketoprofene"], ["M01AE03", "M02AA10"], "cutaneous", None),
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


def test_aspirin_at_antiplatelet_dose_has_no_renal_interaction():
    # the thesaurus restricts aspirin + ARA II to analgesic and anti-inflammatory doses
    assert _levels("KARDEGIC 75 mg", "losartan 50 mg cp") == []
    assert _levels("aspirine 1 g x 3/j", "losartan 50 mg cp") == [
        (0, 1, "precaution-emploi")
    ]


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
