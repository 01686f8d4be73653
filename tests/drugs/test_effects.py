"""Possible adverse effects of a prescription, from the curated table of French
SmPCs (RCP, section 4.8) shipped with entrepot."""

from __future__ import annotations

import csv
from importlib.resources import files

import pytest

from entrepot.drugs import FREQUENCIES, SOCS, effects
from entrepot.drugs._mapping import atc_names
from entrepot.errors import DrugInputError
from tests.drugs import SEED


def _rows() -> list[dict]:
    text = (files("entrepot.data.drugs") / "effects-rcp.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_the_curated_table_covers_200_drugs_with_valid_rows():
    rows = _rows()
    codes = {r["atc"] for r in rows}
    assert len(codes) >= 200
    assert {r["soc"] for r in rows} <= SOCS.keys()
    assert {r["frequency"] for r in rows} <= set(FREQUENCIES)
    assert all(r["term"] and r["source"].startswith("RCP ") for r in rows)
    # every drug has a name in the bundled vocabulary: its lines are recognised
    assert codes <= atc_names().keys()
    assert len({(r["atc"], r["soc"], r["term"]) for r in rows}) == len(rows)


def test_the_seed_prescription_by_organ_most_effects_first():
    result = effects(SEED + ["poudre de perlimpinpin"]).to_dict()
    assert list(result) == ["lines", "organs"]
    counts = [o["count"] for o in result["organs"]]
    assert counts == sorted(counts, reverse=True) and len(counts) == 16
    assert [(o["organ"], o["count"]) for o in result["organs"][:7]] == [
        ("système digestif", 29),  # as the README says
        ("dermatologie", 22),
        ("neurologie", 13),
        ("nutrition-métabolisme", 13),
        ("cardio-vasculaire", 12),
        ("hématologie", 12),
        ("anomalies biologiques", 9),
    ]
    by_organ = {o["organ"]: o for o in result["organs"]}
    assert by_organ["système digestif"]["count"] == len(
        by_organ["système digestif"]["effects"]
    )
    assert {o["organ"] for o in result["organs"]} >= {
        "système digestif",
        "anomalies biologiques",
        "dermatologie",
        "cardio-vasculaire",
        "ORL/stomatologie",
        "hématologie",
        "uro-néphrologie",
        "nutrition-métabolisme",
    }
    # the cutaneous diclofenac gel has the effects of its gel, not of tablets
    gel = result["lines"][4]
    assert gel["atc"] == ["M02AA15"] and gel["organs"] == {
        "dermatologie": 8,
        "immuno-allergologie": 2,
        "pneumologie": 1,
    }
    unknown = result["lines"][6]
    assert unknown["recognized"] is False and unknown["effects"] == 0
    assert unknown["sources"] == []
    # one effect of several lines: once, with its lines and most frequent class
    nervous = {e["term"]: e for e in by_organ["neurologie"]["effects"]}
    assert nervous["céphalées"] == {
        "term": "céphalées",
        "frequency": "fréquent",
        "lines": [0, 1, 2, 5],
    }


def test_a_frequency_keeps_its_class_and_the_more_frequent_ones():
    amlodipine = "AMLODIPINE 5 mg gél"
    every = effects([amlodipine]).to_dict()["lines"][0]["effects"]
    kept = effects([amlodipine], frequency="fréquent").to_dict()
    frequencies = {e["frequency"] for o in kept["organs"] for e in o["effects"]}
    assert frequencies == {"très fréquent", "fréquent"}
    assert kept["lines"][0]["effects"] == 16 < every
    assert effects([amlodipine], frequency="frequent").to_dict() == kept
    assert (
        effects([amlodipine], frequency="indéterminée").to_dict()["lines"][0]["effects"]
        == every
    )
    with pytest.raises(DrugInputError, match="frequency 'often' is not one of"):
        effects([amlodipine], frequency="often")


def test_search_ignores_accents_and_case():
    result = effects(SEED, search="OEDEME").to_dict()
    assert [(o["organ"], o["count"]) for o in result["organs"]] == [
        ("troubles généraux", 2),
        ("cardio-vasculaire", 1),
        ("dermatologie", 1),
        ("immuno-allergologie", 1),
    ]
    assert result["organs"][-1]["effects"] == [
        {"term": "œdème de Quincke", "frequency": "très rare", "lines": [2, 4]}
    ]
    assert result["lines"][0]["effects"] == 0  # atenolol: none of its effects
