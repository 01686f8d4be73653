"""Galenic forms and routes of French prescription lines and drug labels, on a
hand-written table of real-style labels (`data/galenic_labels.tsv`)."""

from pathlib import Path

import pytest

from entrepot.drugs import recognize
from entrepot.drugs._galenic import read_galenic


def _labels() -> list[tuple[str, str | None, str | None, bool]]:
    rows = []
    table = Path(__file__).with_name("data") / "galenic_labels.tsv"
    for line in table.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, route, form, guess = line.split("\t")
            none = {"-": None}
            rows.append((label, none.get(route, route), none.get(form, form), guess))
    return rows


LABELS = _labels()


def test_the_table_is_large_enough():
    assert len(LABELS) >= 60
    assert len({route for _, route, _, _ in LABELS}) == 13  # every route, and none


@pytest.mark.parametrize(("label", "route", "form", "guess"), LABELS)
def test_route_and_form_of_real_style_labels(label, route, form, guess):
    drug = recognize(label)
    assert drug.recognized, label
    assert (drug.route, drug.form) == (route, form)
    assert (drug.route_doubt is not None) == (guess == "yes"), drug.route_doubt


def test_a_capsule_is_not_a_gel():
    assert read_galenic("AMLODIPINE (bésilate) 5 mg gél").route == "oral"
    assert read_galenic("AMLODIPINE (BÉSILATE) 5 MG GÉL.").form == "gélule"
    assert read_galenic("DICLOFENAC 1 % gel").route == "cutaneous"


@pytest.mark.parametrize(
    ("label", "doubt"),
    [
        # without its accent, "GEL" of a drug with no cutaneous form may be a capsule
        ("AMLODIPINE 5 mg GEL", "« gel » lu voie cutaneous, forme que C08CA01 n'a pas"),
        (
            "MORPHINE 10 mg amp",
            "« amp »: forme de plusieurs voies, voie injectable supposée",
        ),
        ("TIMOPTOL 0,25 %", "voie ophthalmic déduite de S01ED01"),
        (
            "ANDROGEL 50 mg gel en sachet-dose",
            "« gel », « sachet »: formes de voies différentes sur la ligne, "
            "voie cutaneous retenue",
        ),
    ],
)
def test_the_doubt_says_why(label, doubt):
    assert recognize(label).route_doubt == doubt
