"""Scores against the hand-written gold set and the synthetic notes' gold."""

from __future__ import annotations

import json

from entrepot.cli import main
from entrepot.nlp import evaluate, parse_marked, read_marked, score, warehouse_gold
from tests.nlp.conftest import HERE


def test_marks_are_parsed_into_text_and_spans():
    gold = parse_marked("Pas de <ent label=DISEASE code=CIM10:M34 negation>ScS</ent>.")
    assert gold.text == "Pas de ScS."
    (e,) = gold.entities
    assert (e.start, e.end, e.label, e.concept_code, e.negation, e.family) == (
        7, 10, "DISEASE", "CIM10:M34", True, False,
    )  # fmt: skip


def test_score_counts_exact_spans_and_qualifiers():
    gold = parse_marked("<ent negation>a</ent> <ent>b</ent> c").entities
    found = parse_marked("<ent>a</ent> b <ent>c</ent>").entities
    result = score([(found, gold)])
    assert result["entities"]["DISEASE"] | {} == {
        "precision": 0.5, "recall": 0.5, "f1": 0.5, "tp": 1, "fp": 1, "fn": 1,
    }  # fmt: skip
    assert result["qualifiers"]["negation"]["fn"] == 1


def test_hand_written_gold_set(nlp):
    result = evaluate(read_marked(HERE / "gold.txt"), nlp)
    assert result["documents"] == 5
    assert result["entities"]["all"]["f1"] == 1.0
    assert result["entities"]["all"]["tp"] == 31
    for qualifier in ("negation", "hypothesis", "family", "history"):
        assert result["qualifiers"][qualifier]["f1"] == 1.0, qualifier
    assert result["concepts"]["exact"] == 1.0


def test_synthetic_notes(hospital_file, nlp):
    from entrepot.warehouse import Warehouse

    with Warehouse.open(hospital_file, read_only=True) as wh:
        result = evaluate(warehouse_gold(wh), nlp)
    assert result["documents"] > 200
    assert result["entities"]["DISEASE"]["recall"] >= 0.98
    assert result["entities"]["DRUG"]["f1"] >= 0.98
    for qualifier in ("negation", "hypothesis", "family", "history"):
        assert result["qualifiers"][qualifier]["f1"] >= 0.98, qualifier


def test_evaluate_command(capsys):
    assert main(["nlp", "evaluate", "--gold", str(HERE / "gold.txt"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["entities"]["LAB"]["tp"] == 2
