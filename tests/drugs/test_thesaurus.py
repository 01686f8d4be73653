"""The bundled thesaurus: pairs once, levels as codes, substances mapped to ATC."""

import json

import pytest

from entrepot.drugs import LEVELS, Thesaurus, install_thesaurus
from entrepot.drugs._mapping import aliases, map_to_atc
from entrepot.drugs._text import fold
from entrepot.errors import ThesaurusError

SOURCE = "/work/shared/data/ansm-thesaurus-2020"


@pytest.fixture(scope="module")
def thesaurus():
    return Thesaurus.bundled()


def _rule(thesaurus, a, b):
    return [r for r in thesaurus.rules if {r.a, r.b} == {a, b}]


def test_edition_pairs_once_and_levels(thesaurus):
    assert thesaurus.edition == "2020-10-20"
    assert (
        len(thesaurus.rules) == 1584
    )  # 3,139 entries: 1,554 mirrored pairs + 31 one-sided
    keys = [frozenset(r.keys) for r in thesaurus.rules]
    assert len(keys) == len(set(keys))  # mirrored entries are not doubled
    levels = {lv.level for r in thesaurus.rules for lv in r.levels}
    assert levels == set(LEVELS)


@pytest.mark.parametrize(
    ("a", "b", "level"),
    [
        ("ANTIVITAMINES K", "MICONAZOLE", "contre-indication"),
        ("ABATACEPT", "ANTI-TNF ALPHA", "association-deconseillee"),
        ("AMIODARONE", "DIGOXINE", "precaution-emploi"),
        (
            "ACIDE ACETYLSALICYLIQUE",
            "HÉPARINES (DOSES PRÉVENTIVES)",
            "a-prendre-en-compte",
        ),
    ],
)
def test_known_pairs_at_each_level(thesaurus, a, b, level):
    (rule,) = _rule(thesaurus, a, b)
    assert [lv.level for lv in rule.levels] == [level]


def test_dose_and_route_restrictions_are_read_from_the_level_texts(thesaurus):
    (aspirin,) = _rule(thesaurus, "ACIDE ACETYLSALICYLIQUE", "ANTICOAGULANTS ORAUX")
    assert [(lv.level, lv.doses) for lv in aspirin.levels] == [
        ("contre-indication", ("anti-inflammatoire", "antalgique")),
        ("association-deconseillee", ("antalgique", "antiagregant")),
        ("a-prendre-en-compte", ("antiagregant",)),
    ]
    (diltiazem,) = _rule(thesaurus, "AMIODARONE", "DILTIAZEM")
    assert diltiazem.route_of == "diltiazem"
    assert [lv.routes for lv in diltiazem.levels] == [("injectable",), ("oral",)]


def test_level_texts_keep_their_spaces(thesaurus):
    (rule,) = _rule(thesaurus, "ACIDE ACETYLSALICYLIQUE", "DIURÉTIQUES")
    assert (
        "en début de traitement" in rule.levels[0].conduct
    )  # "detraitement" in the JSON


def test_substances_mapped_to_atc(thesaurus):
    assert 0.79 < thesaurus.mapped_share < 0.80  # 860 of 1,081 distinct substances
    atc = {k: s.atc for k, s in thesaurus.substances.items()}
    assert "B01AC06" in atc["acide acetylsalicylique"]
    assert atc["warfarine"] == ("B01AA03",)
    assert atc["fluindione"] == ("B01AA12",)
    assert "J01EE01" in atc["trimethoprime"] and "J01EE01" in atc["sulfamethoxazole"]
    assert atc["levothyroxine"] == ("H03AA01",)  # "levothyroxine sodique"


def test_aliases_of_thesaurus_names():
    assert aliases("phénytoïne (et, par extrapolation, fosphénytoïne)") == [
        "phenytoine",
        "fosphenytoine",
    ]
    assert aliases("sodium (bicarbonate de)") == ["bicarbonate de sodium"]
    assert map_to_atc(["nonexistentium"]) == {"nonexistentium": []}


def test_install_a_newer_edition(tmp_path, monkeypatch):
    monkeypatch.setenv("ENTREPOT_DATA_DIR", str(tmp_path / "data"))
    entries = json.loads(open(f"{SOURCE}/thesaurus.json").read())[:40]
    (tmp_path / "thesaurus.json").write_text(json.dumps(entries))
    (tmp_path / "substances.json").write_text(open(f"{SOURCE}/substances.json").read())
    installed = install_thesaurus(tmp_path / "thesaurus.json", "2023-01-01")
    assert installed.edition == "2023-01-01"
    assert Thesaurus.current().edition == "2023-01-01"
    assert 0 < len(installed.rules) <= 40


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ("[]", "no list of interactions"),
        ('[{"main_drug": "A"}]', "missing or wrong field"),
        (
            '[{"main_drug": "A", "plus_drug": "B", "interaction_mechanism": "",'
            ' "severity_levels": [{"level": "Grave", "info": ""}]}]',
            "unknown level 'Grave'",
        ),
    ],
)
def test_bad_thesaurus_files(tmp_path, monkeypatch, content, message):
    monkeypatch.setenv("ENTREPOT_DATA_DIR", str(tmp_path / "data"))
    (tmp_path / "t.json").write_text(content)
    (tmp_path / "substances.json").write_text("[]")
    with pytest.raises(ThesaurusError, match=message):
        install_thesaurus(tmp_path / "t.json", "2024-01-01")


def test_edition_date_is_required(tmp_path):
    with pytest.raises(ThesaurusError, match="--edition"):
        install_thesaurus(tmp_path / "thesaurus.json")


def test_every_source_substance_survives_with_all_its_classes(thesaurus):
    # everolimus, piperacillin and demeclocycline are listed twice, with and without
    # accents and with different classes: both entries' classes are kept
    source = json.loads(open(f"{SOURCE}/substances.json").read())
    assert len(source) == 1084
    for entry in source:
        kept = thesaurus.substances[fold(entry["substance"])]
        assert set(entry["drug_classes"]) <= set(kept.classes), entry["substance"]
    assert len(thesaurus.substances) == 1081
    assert set(thesaurus.substances["everolimus"].classes) == {
        "immunosuppresseurs",
        "substrats à risque du CYP3A4",
        "médicaments, bradykinine et angio-œdème",
        "autres médicaments à risque d'angio-œdème",
    }
    assert thesaurus.substances["everolimus"].name == "évérolimus"
    assert set(thesaurus.substances["piperacilline"].classes) == {
        "pénicillines",
        "pipéracilline/tazobactam",
    }
