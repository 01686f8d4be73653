"""The rules backend: tricky sentences, evidence offsets, the rule file format,
and the development set.

`brain_mri_dev.jsonl` is the **development set (seen)**: 114 hand-written
reports the shipped rules were built on. Its figures say the rules do what
they were written for, not how well they generalise (the held-out and
synthetic sets measure that). `brain_mri_dev_headache.jsonl`, seen too, has 58
reports on the many ways a request words a headache, or denies one.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from entrepot.errors import ExtractionSchemaError
from entrepot.extraction import (
    Extraction,
    GoldRecord,
    RulesBackend,
    evaluate,
    load_schema,
    read_gold,
)
from entrepot.synth import brain_mri_reports

DEV = Path(__file__).with_name("brain_mri_dev.jsonl")
#: Development (seen) too: 58 reports on how a request words a headache, or
#: denies one (first reading of rules 2: sensitivity 28/44, specificity 12/14).
DEV_HEADACHE = Path(__file__).with_name("brain_mri_dev_headache.jsonl")


@pytest.fixture(scope="module")
def rules() -> RulesBackend:
    return RulesBackend(load_schema("brain_mri"))


def read(rules: RulesBackend, text: str) -> Extraction:
    return rules.extract(rules.schema, [text])[0]


def said(text: str, extraction: Extraction, field: str) -> str | None:
    span = extraction.evidence.get(field)
    return None if span is None else text[span[0] : span[1]]


@pytest.mark.parametrize(
    ("text", "field", "value", "evidence"),
    [
        # contrast: negated, affirmed, both, implied by an enhancement
        ("IRM cérébrale sans injection de gadolinium.", "contrast", False, "injection"),
        ("Examen non injecté. Pas d'anomalie.", "contrast", False, "injecté"),
        ("Technique : FLAIR, diffusion, 3D T1 après injection.", "contrast", True,
         "injection"),
        ("Séquences T1 sans puis avec injection de gadolinium.", "contrast", True,
         "sans puis avec injection"),
        ("T1 sans injection, puis 3D T1 gado.", "contrast", True, "gado"),
        ("IRM avec et sans gadolinium.", "contrast", True, "avec et sans gadolinium"),
        ("Pas de prise de contraste anormale.", "contrast", True, "prise de contraste"),
        ("Injection à prévoir en cas de doute.", "contrast", False, None),
        ("FLAIR, diffusion. Injection non réalisée.", "contrast", False,
         "Injection non réalisée"),
        ("FLAIR, diffusion, T2*. Pas d'anomalie.", "contrast", False, None),
        # headache: in the indication, denied, in a relative, asked about
        ("Indication : céphalées brutales.\nRésultats : normal.", "headache", True,
         "céphalées"),
        ("Indication : déficit moteur, pas de céphalée.", "headache", False, "céphalée"),
        ("Indication : vertiges. Mère migraineuse.", "headache", False, None),
        ("Conclusion : pas d'anomalie pouvant expliquer les céphalées.", "headache",
         True, "expliquer les céphalées"),
        # abnormal: normal, negated findings, normal variants, incidental findings
        ("Conclusion : IRM cérébrale normale.", "abnormal", False, "normale"),
        ("Pas d'anomalie. Pas de saignement. Pas de signe de thrombose.", "abnormal",
         False, None),
        ("Espaces de Virchow-Robin élargis, sans signification pathologique.",
         "abnormal", False, None),
        ("Indication : suspicion de thrombose veineuse.\nRésultats : sinus perméables.",
         "abnormal", False, None),
        ("Kyste arachnoïdien temporal gauche de découverte fortuite.", "abnormal",
         True, "Kyste"),
        ("Thrombose du sinus latéral droit non retrouvée.", "abnormal", False, None),
        ("Une thrombose veineuse n'est pas retrouvée.", "abnormal", False, None),
        ("Pas d'anomalie hormis un kyste pinéal.", "abnormal", True, "kyste"),
        # headache: only in the history; asked about in the conclusion
        ("Indication : crise convulsive. Antécédents de céphalées chroniques.",
         "headache", False, None),
        ("Indication : ATCD de migraine, céphalée inhabituelle depuis 48 h.",
         "headache", True, "céphalée"),
        ("Indication : patiente aux antécédents de HTA, céphalées brutales.",
         "headache", True, "céphalées"),
        ("Indication : migraine inhabituelle.\nConclusion : pas de cause secondaire "
         "à ces céphalées.", "headache", True, "cause secondaire à ces céphalées"),
        # untitled indications: "crise ...", "<symptom>, recherche de <finding>"
        ("IRM cérébrale\n\nCrise de migraine prolongée.\nFLAIR, diffusion.\n"
         "Pas d'anomalie.", "headache", True, "migraine"),
        ("IRM cérébrale\n\nTroubles de la marche, recherche d'une hydrocéphalie.\n"
         "FLAIR, diffusion.\nVentricules de taille normale.", "abnormal", False,
         "normale"),
        # abnormal: what is only hedged about in a normal examination; age
        ("Conclusion : examen normal. En cas de doute sur une hémorragie méningée, "
         "ponction lombaire.", "abnormal", False, "normal"),
        ("Conclusion : examen normal. Une thrombose corticale ne peut être exclue.",
         "abnormal", False, "normal"),
        ("Conclusion : aspect évocateur d'une thrombose du sinus latéral.", "abnormal",
         True, "thrombose"),
        ("Conclusion : suspicion de thrombose du sinus latéral droit.", "abnormal",
         True, "thrombose"),
        ("Hématome sous-dural de 4 mm, à contrôler si aggravation clinique.",
         "abnormal", True, "Hématome"),
        ("Rares hypersignaux FLAIR de la substance blanche, habituels pour l'âge.",
         "abnormal", False, None),
        ("Quelques hypersignaux punctiformes de la substance blanche, banals pour "
         "l'âge.", "abnormal", False, None),
        # headache: misspelt, shortened, abbreviated; pains of the head; a
        # meningeal syndrome
        ("Indication : cephallées persistantes.", "headache", True, "cephallées"),
        ("Indication : céphalé intense depuis hier.", "headache", True, "céphalé"),
        ("Indication : céphalgies frontales.", "headache", True, "céphalgies"),
        ("Indication : céph. intenses.", "headache", True, "céph"),
        ("RC : CPH + vomissements.", "headache", True, "CPH"),
        ("Indication : douleur rétro-orbitaire gauche.", "headache", True,
         "douleur rétro-orbitaire"),
        ("Contexte : douleur hémicrânienne droite.", "headache", True,
         "douleur hémicrânienne"),
        ("Indication : hémicrânie gauche.", "headache", True, "hémicrânie"),
        ("Indication : douleurs de tête depuis 3 jours.", "headache", True,
         "douleurs de tête"),
        ("Indication : syndrome méningé fébrile.", "headache", True,
         "syndrome méningé fébrile"),
        ("Indication : Cépahlées.", "headache", True, "Cépahlées"),
        ("Indication : patiente qui a mal à la tête depuis 3 jours.", "headache", True,
         "mal à la tête"),
        ("Indication : CCQ, majoration récente.", "headache", True, "CCQ"),
        ("Indication : AVF, premier épisode.", "headache", True, "AVF"),
        ("Indication : syndrome post-PL persistant.", "headache", True,
         "syndrome post-PL"),
        # what the examination is for, whatever else its sentence denies
        ("IRM cérébrale sans injection pour céphalées.\nPas d'anomalie.", "headache",
         True, "pour céphalées"),
        ("Technique : IRM sans injection réalisée pour céphalées.\nRésultats : "
         "normal.", "headache", True, "pour céphalées"),
        ("Protocole céphalées : FLAIR, diffusion, SWI.\nNormal.", "headache", True,
         "céphalées"),
        ("Indication : patient sans ATCD, consulte pour céphalées.", "headache", True,
         "pour céphalées"),
        # a migraine under other headings, or opening an untitled line
        ("Renseignement clinique : migraine atypique.\nPas d'anomalie.", "headache",
         True, "migraine"),
        ("Histoire de la maladie : migraine inhabituelle.\nRésultats : normal.",
         "headache", True, "migraine"),
        ("Dans un contexte de migraine inhabituelle.\nPas d'anomalie.", "headache",
         True, "migraine"),
        ("Devant une migraine atypique, IRM cérébrale.\nRésultats : normal.",
         "headache", True, "migraine"),
        # a known migraineur who comes for something else; a headache in
        # general, as a differential, is not the patient's
        ("Patient migraineux connu, adressé pour déficit moteur.", "headache", False,
         None),
        ("Indication : crise comitiale.\nConclusion : pas d'argument pour une cause "
         "secondaire de céphalée.", "headache", False, "céphalée"),
        ("Indication : trouble de la marche.\nRésultats : pas d'anomalie susceptible "
         "d'expliquer une céphalée.", "headache", False, "céphalée"),
        ("Antécédents : hospitalisée pour céphalées en 2019.\nIndication : vertiges.",
         "headache", False, None),
    ],
)  # fmt: skip
def test_tricky_sentences(rules, text, field, value, evidence):
    extraction = read(rules, text)
    assert extraction.fields[field] is value
    assert said(text, extraction, field) == evidence


@pytest.mark.parametrize(
    ("findings", "explains", "evidence"),
    [
        ("Thrombose du sinus latéral droit.", True, "Thrombose du sinus latéral"),
        ("Hémorragie sous-arachnoïdienne de la vallée sylvienne droite.", True,
         "Hémorragie sous-arachnoïdienne"),
        ("Processus expansif frontal avec effet de masse.", True,
         "Processus expansif"),
        ("Comblement du sinus maxillaire avec niveau hydro-aérique.", True,
         "Comblement du sinus maxillaire"),
        ("Comblement des cellules mastoïdiennes gauches.", False, None),
        ("Lacunes anciennes. Lésion ischémique récente du bras postérieur.", True,
         "Lésion ischémique récente"),
        ("Anomalie veineuse de développement frontale.", False, None),
        ("Quelques hypersignaux de la substance blanche, Fazekas 1.", False, None),
        ("Méningiome de 8 mm sans effet de masse ni œdème.", False, None),
        ("Kyste pinéal de 9 mm, sans rapport avec les céphalées.", False,
         "rapport avec les céphalées"),
        ("Sinusite aiguë pouvant expliquer les céphalées. Kyste pinéal sans rapport "
         "avec les céphalées.", True, "expliquer les céphalées"),
        ("Kyste arachnoïdien n'expliquant pas la symptomatologie.", False,
         "n'expliquant pas"),
        ("Kyste pinéal de 8 mm. En cas de doute sur une hémorragie méningée, "
         "ponction lombaire.", False, None),
    ],
)  # fmt: skip
def test_incidental_findings_do_not_explain_the_headache(
    rules, findings, explains, evidence
):
    text = f"Indication : céphalées.\nRésultats : {findings}"
    extraction = read(rules, text)
    assert extraction.fields["abnormal"] is True
    assert extraction.fields["explains_headache"] is explains
    assert said(text, extraction, "explains_headache") == evidence


def test_explains_headache_is_null_without_a_headache_or_an_anomaly(rules):
    without_headache = read(rules, "Indication : vertiges.\nThrombose du sinus droit.")
    normal = read(rules, "Indication : céphalées.\nConclusion : IRM normale.")
    assert without_headache.fields["explains_headache"] is None
    assert normal.fields["explains_headache"] is None
    assert "explains_headache" not in without_headache.evidence


def test_evidence_offsets_point_into_the_text_as_given(rules):
    """Offsets count characters of the input (accents, ligatures, CRLF kept)."""
    text = (
        "INDICATION :\r\nCéphalées en coup de tonnerre, œdème papillaire.\r\n"
        "TECHNIQUE :\r\n3D T1 après injection de gadolinium.\r\n"
        "CONCLUSION :\r\nHémorragie sous-arachnoïdienne prépontique."
    )
    extraction = read(rules, text)
    assert extraction.fields == {
        "headache": True,
        "contrast": True,
        "abnormal": True,
        "explains_headache": True,
    }
    assert {k: text[a:b] for k, (a, b) in extraction.evidence.items()} == {
        "headache": "Céphalées",
        "contrast": "injection",
        "abnormal": "Hémorragie",
        "explains_headache": "Hémorragie sous-arachnoïdienne",
    }


def test_untitled_lines_are_placed_by_how_they_start(rules):
    """The indication of an untitled report is not read as a finding."""
    text = "Suspicion de thrombose veineuse cérébrale.\nSinus veineux perméables."
    assert read(rules, text).fields["abnormal"] is False
    assert read(rules, text + "\nHypersignal FLAIR frontal.").fields["abnormal"]


def test_an_indication_covers_its_line_or_its_paragraph(rules):
    """Findings written under a one-line indication, with no title of their
    own, are read as findings."""
    inline = "Indication : paresthésies.\nLésion médullaire C3 en hypersignal T2."
    under = "INDICATION\nDéficit.\nSuspicion de tumeur.\n\nLésion médullaire C3."
    assert read(rules, inline).fields["abnormal"] is True
    one_line = (
        "Indication : céphalées. Technique : FLAIR, T1 gado. Résultats : pas de "
        "saignement. Kyste pinéal de 8 mm."
    )
    assert read(rules, one_line).fields == {
        "headache": True,
        "contrast": True,
        "abnormal": True,
        "explains_headache": False,
    }
    assert read(rules, under).fields["abnormal"] is True
    assert (
        read(rules, under.replace("\n\nLésion", "\n\nPas de lésion.")).fields[
            "abnormal"
        ]
        is False
    )


def test_the_backend_names_its_rule_set(rules):
    assert (rules.name, rules.model, rules.prompt_version) == (
        "rules",
        "brain_mri-rules 3",
        None,
    )


def test_another_schema_is_refused(rules, tmp_path):
    other = tmp_path / "other.yaml"
    other.write_text(
        "name: other\nversion: '1'\ntitle: t\n"
        "fields: [{name: x, type: boolean, definition: d}]\n"
    )
    with pytest.raises(ExtractionSchemaError, match="built for schema 'brain_mri'"):
        rules.extract(load_schema(other), ["texte"])


SCHEMA = """\
name: stay
version: "1"
title: Séjour
fields:
  - {name: fever, type: boolean, definition: Fièvre.}
  - {name: side, type: enum, values: [gauche, droite], definition: Côté.}
  - {name: size, type: number, unit: mm, definition: Taille.}
  - {name: seen, type: date, definition: Date de l'examen.}
  - {name: drug, type: text, definition: Traitement.}
"""
RULES = """\
name: stay-rules
version: "2"
schema: stay
lead: body
parts:
  body: {}
  history: {titles: [antécédents]}
fields:
  fever:
    rules: [{value: true, terms: [fièvre], negated: opposite, parts: [body]}]
    otherwise: false
  side:
    rules:
      - {value: gauche, patterns: ['gauche']}
      - {value: droite, patterns: ['droite?']}
  size:
    rules: [{patterns: ['(?P<value>\\d+(?:,\\d+)?) ?mm']}]
  seen:
    rules: [{patterns: ['examen du (?P<value>\\d\\d/\\d\\d/\\d{4})']}]
  drug:
    rules: [{patterns: ['sous (?P<value>[a-z]+)']}]
"""


def test_the_rule_format_reads_enums_numbers_dates_and_text(tmp_path):
    (tmp_path / "stay.yaml").write_text(SCHEMA)
    (tmp_path / "rules.yaml").write_text(RULES)
    schema = load_schema(tmp_path / "stay.yaml")
    backend = RulesBackend(schema, tmp_path / "rules.yaml")
    text = (
        "Examen du 03/02/2024 sous aspirine.\nPas de fièvre. Lésion droite de 12,5 mm."
    )
    [got] = backend.extract(schema, [text])
    assert got.fields == {
        "fever": False,
        "side": "droite",
        "size": 12.5,
        "seen": "2024-02-03",
        "drug": "aspirine",
    }
    assert {k: text[a:b] for k, (a, b) in got.evidence.items()} == {
        "fever": "fièvre",
        "side": "droite",
        "size": "12,5",
        "seen": "03/02/2024",
        "drug": "aspirine",
    }
    assert backend.model == "stay-rules 2"
    history = "Antécédents :\nfièvre typhoïde"
    assert backend.extract(schema, [history])[0].fields["fever"] is False


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("schema: stay", "schema: brain_mri"), "rules of schema 'brain_mri'"),
        (("parts: [body]", "parts: [nowhere]"), "fever: unknown parts"),
        (("value: gauche", "value: haut"), "side: rule 1: side: 'haut' is not"),
        (("patterns: ['gauche']}", "patterns: ['gauche'], negated: opposite}"),
         "side: rule 1: `opposite` is for booleans"),
        (("'sous (?P<value>", "'sous ((?P<value>"), "drug: rule 1: bad pattern"),
        (("  drug:", "  dose:"), "dose: not a field of the schema"),
        (("lead: body", "lead: elsewhere"), "lead: 'elsewhere' is not a declared"),
    ],
)  # fmt: skip
def test_a_bad_rule_file_is_one_line_naming_it(tmp_path, change, message):
    (tmp_path / "stay.yaml").write_text(SCHEMA)
    path = tmp_path / "rules.yaml"
    path.write_text(RULES.replace(*change))
    with pytest.raises(ExtractionSchemaError, match=re.escape(message)) as error:
        RulesBackend(load_schema(tmp_path / "stay.yaml"), path)
    assert str(path) in str(error.value) and "\n" not in str(error.value)


@pytest.mark.parametrize("path", [DEV, DEV_HEADACHE], ids=lambda p: p.stem)
def test_development_set_is_not_below_the_paper(rules, path):
    """Development, seen: the paper's value lies at or below the upper bound of
    our Wilson 95 % interval, for sensitivity and specificity of every field."""
    gold = read_gold(path, rules.schema)
    assert len(gold) >= 40
    got = rules.extract(rules.schema, [g.text for g in gold])
    result = evaluate(
        rules.schema, gold, {g.id: e for g, e in zip(gold, got, strict=True)}
    )
    below = [
        (f.name, c.measure) for f in result.fields for c in f.published
        if not c.not_significantly_below
    ]  # fmt: skip
    assert result.meets_published, below
    for f in result.fields:
        assert f.binary.tp + f.binary.fn > 0 and f.binary.tn + f.binary.fp > 0


def test_synthetic_reports_reach_the_paper(rules):
    """The issue's target on the synthetic gold: on every field, sensitivity and
    specificity at least the paper's (seed 0, on which the rules' disagreements
    with the generator were examined)."""
    gold = [
        GoldRecord(r["id"], r["text"], r["fields"])
        for r in brain_mri_reports(1_000, seed=0)
    ]
    got = rules.extract(rules.schema, [g.text for g in gold])
    result = evaluate(
        rules.schema, gold, {g.id: e for g, e in zip(gold, got, strict=True)}
    )
    below = [
        (f.name, c.measure, c.ours.successes, c.ours.total)
        for f in result.fields
        for c in f.published
        if 100 * c.ours.value < c.published
    ]
    assert below == []
