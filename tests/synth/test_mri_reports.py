"""Emergency brain MRI reports with gold values, for scoring extraction."""

from __future__ import annotations

import time
from random import Random

import pytest

from entrepot.extraction import load_schema
from entrepot.synth import brain_mri_reports
from entrepot.synth.notes._mri import draw_report

N = 2_000


@pytest.fixture(scope="module")
def reports() -> list[dict]:
    return brain_mri_reports(N, seed=1)


def _share(reports: list[dict], field: str, among=lambda r: True) -> float:
    chosen = [r for r in reports if among(r)]
    return sum(r["fields"][field] is True for r in chosen) / len(chosen)


def test_same_seed_same_reports():
    one = brain_mri_reports(60, seed=3)
    assert one == brain_mri_reports(60, seed=3)
    assert [r["text"] for r in one] != [r["text"] for r in brain_mri_reports(60, 4)]
    assert len({r["id"] for r in one}) == 60


def test_a_thousand_reports_in_well_under_a_second():
    started = time.perf_counter()
    made = brain_mri_reports(1_000, seed=2)
    assert len(made) == 1_000
    assert time.perf_counter() - started < 1.0


def test_shares_are_those_of_an_emergency_department(reports):
    """A quarter with a headache (the paper: 595 of 2,398), about half injected,
    about half abnormal; among headaches with an abnormality, both answers."""
    assert 0.22 <= _share(reports, "headache") <= 0.28
    assert 0.40 <= _share(reports, "contrast") <= 0.60
    assert 0.45 <= _share(reports, "abnormal") <= 0.65

    def applies(r):
        return r["fields"]["headache"] and r["fields"]["abnormal"]

    assert sum(map(applies, reports)) > 200
    assert 0.45 <= _share(reports, "explains_headache", applies) <= 0.75


def test_gold_values_are_valid_and_resolved_by_the_schema(reports):
    schema = load_schema("brain_mri")
    for r in reports:
        assert schema.problems(r["fields"]) == []
        assert schema.resolve(r["fields"]) == r["fields"]
    assert {r["fields"]["explains_headache"] for r in reports} == {True, False, None}


@pytest.mark.parametrize(
    ("said", "field", "value"),
    [
        ("Pas de céphalée.", "headache", False),
        ("Absence de céphalées.", "headache", False),
        ("Mère migraineuse.", "headache", False),
        ("ATCD de migraine ophtalmique.", "headache", False),
        ("migraine avec aura atypique", "headache", True),
        ("mal de tête inhabituel", "headache", True),
        ("T1 gado", "contrast", True),
        ("après injection de gadolinium", "contrast", True),
        ("sans injection de gadolinium", "contrast", False),
        ("sans injection", "contrast", False),
        ("injection non réalisée", "contrast", False),
        ("dans les limites de la normale", "abnormal", False),
        ("Pas d'anomalie encéphalique décelable", "abnormal", False),
        ("banals pour l'âge", "abnormal", False),
        ("Kyste pinéal de 9 mm", "abnormal", True),
        ("Pas de cause secondaire aux céphalées", "explains_headache", False),
        ("signe du delta vide", "explains_headache", True),
    ],
)
def test_wordings_and_their_gold_value(reports, said, field, value):
    """Each wording is in some reports, and they all have the gold value it
    implies (where the field applies). Not every wording would do: "injection de
    gadolinium" is also in "sans injection de gadolinium", and "thrombose
    veineuse cérébrale" in "pas de signe de thrombose veineuse cérébrale"."""
    found = [r for r in reports if said.lower() in r["text"].lower()]
    assert len(found) >= 5
    values = {r["fields"][field] for r in found} - (
        {None} if field.startswith("ex") else set()
    )
    assert values == {value}


def test_styles_with_and_without_headings(reports):
    texts = [r["text"] for r in reports]
    headed = sum("INDICATION" in t or "Indication" in t for t in texts)
    verbose = sum("Examen réalisé chez" in t for t in texts)
    telegraphic = sum("\n=> " in t or "\nConcl : " in t for t in texts)
    conclusion_first = sum(
        t.find("onclusion") < t.find("ndication") for t in texts if "ndication" in t
    )
    for count in (headed, verbose, telegraphic, conclusion_first):
        assert count > N / 20


@pytest.mark.parametrize(
    ("finding", "explains"),
    [
        ("venous_thrombosis", True),
        ("sah", True),
        ("tumour_mass", True),
        ("hydrocephalus", True),
        ("acute_sinusitis", True),
        ("dissection", True),
        ("abscess", True),
        ("pres", True),
        ("pituitary_apoplexy", True),
        ("white_matter", False),
        ("dva", False),
        ("arachnoid_cyst", False),
        ("pineal_cyst", False),
        ("small_meningioma", False),
        ("sinus_thickening", False),
    ],
)
def test_causes_of_a_headache_explain_it_incidental_findings_do_not(finding, explains):
    rng = Random(5)
    for _ in range(20):
        report = draw_report(rng, female=True, age=70, headache=True, finding=finding)
        assert report.finding == finding
        assert report.fields["abnormal"] is True
        assert report.fields["explains_headache"] is explains


def test_every_headache_subtype_has_the_mri_it_implies():
    """The headache module's subtypes, through their codes: a migraine or a
    tension headache has a normal MRI, the others an abnormal one."""
    from entrepot.synth import load_modules
    from entrepot.synth.notes._mri import coded_finding
    from entrepot.synth.notes._mri_words import FINDINGS

    [module] = [m for m in load_modules() if m.name == "headache"]
    rng = Random(1)
    for subtype in module.subtypes:
        shown = {coded_finding(rng, [subtype.code]) for _ in range(30)}
        expected = not subtype.name.startswith("normal")
        assert {FINDINGS[f].abnormal for f in shown} == {expected}, subtype.name
    assert coded_finding(rng, ["C71.9"]) == "tumour_mass"
    assert FINDINGS["tumour_mass"].explains
