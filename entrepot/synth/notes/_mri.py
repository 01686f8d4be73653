"""Emergency brain MRI reports with the gold values of the `brain_mri` schema.

A report is drawn in three steps: the clinical context (a headache in a
quarter of the reports, as in Le Guellec et al. 2024: 595 of 2,398), what the
examination finds (normal, incidental, or a cause of a headache), and whether
gadolinium is injected; then it is written in one of several radiologists'
styles. The labelling rules are in `entrepot/synth/MRI_REPORTS.md`.
"""

from __future__ import annotations

from dataclasses import dataclass
from random import Random

from entrepot.synth.notes._mri_words import (
    CAUSES,
    CODED,
    FINDINGS,
    HEADACHE_CONTEXTS,
    HEADACHE_HISTORY,
    HEADACHE_KINDS,
    HEDGES,
    INCIDENTAL,
    INJECTED,
    NEGATIVES,
    NEGATIVES_ENHANCED,
    NO_CAUSE,
    NORMAL_CONCLUSIONS,
    NOT_HEADACHE,
    NOT_INJECTED,
    OTHER_INDICATIONS,
    SEQUENCES,
)
from entrepot.synth.notes._text import pick

#: Share of the reports whose clinical context is a headache (595 / 2,398).
HEADACHE_SHARE = 0.25
#: Chance of an injection when neither the finding nor the indication decides.
HEADACHE_CONTRAST = 0.55
#: The schema whose fields the gold values fill (entrepot/data/extraction/).
SCHEMA = "brain_mri"
STYLES = ("headed", "inline", "conclusion_first", "telegraphic", "verbose")
HEADINGS = {
    "indication": ("INDICATION", "Indication", "Renseignements cliniques", "Motif",
                   "Contexte clinique"),
    "technique": ("TECHNIQUE", "Technique", "Protocole"),
    "results": ("RÉSULTATS", "Résultats", "Description", "Compte rendu", "Analyse"),
    "conclusion": ("CONCLUSION", "Conclusion", "Synthèse"),
}  # fmt: skip
ELDERLY = ("white_matter", "old_lacunes")  # findings of the elderly


@dataclass(frozen=True)
class MriReport:
    """One report: its title and body, gold values, and what it shows."""

    title: str
    body: str
    fields: dict[str, bool | None]
    finding: str  # a key of FINDINGS: the report's "subtype"

    @property
    def text(self) -> str:
        return f"{self.title}\n\n{self.body}"


def brain_mri_reports(n: int, seed: int = 0) -> list[dict]:
    """`n` emergency brain MRI reports with their gold values, the same for a seed:
    ``{"id", "text", "fields": {headache, contrast, abnormal, explains_headache}}``."""
    rng = Random(seed)
    reports = []
    for i in range(n):
        female = rng.random() < 0.5
        age = 18 + int(rng.random() * 72)
        report = draw_report(rng, female=female, age=age)
        reports.append(
            {"id": f"irm-{seed}-{i:05d}", "text": report.text, "fields": report.fields}
        )
    return reports


def draw_report(
    rng: Random,
    *,
    female: bool,
    age: int,
    headache: bool | None = None,
    finding: str | None = None,
    indication: str | None = None,
) -> MriReport:
    """A report of a patient; the context (`headache`, else another `indication`,
    a key of OTHER_INDICATIONS) and the `finding` are drawn unless given."""
    if headache is None:
        headache = indication is None and rng.random() < HEADACHE_SHARE
    extra = ""
    if headache:
        finding = finding or _headache_finding(rng)
        context = pick(rng, CAUSES.get(finding) or tuple(HEADACHE_CONTEXTS))
        indication = pick(rng, HEADACHE_CONTEXTS[context])
        chance = HEADACHE_CONTRAST
    else:
        chance, phrases, findings = OTHER_INDICATIONS[
            indication or pick(rng, tuple(OTHER_INDICATIONS))
        ]
        finding = finding or _weighted(rng, findings)
        indication = pick(rng, phrases)
        said = rng.random()
        if said < 0.12:
            extra = pick(rng, NOT_HEADACHE)
        elif said < 0.2:
            extra = pick(rng, HEADACHE_HISTORY)
    if finding in ELDERLY and age < 45:
        finding = "dva"
    main = FINDINGS[finding]
    second = _second(rng, finding)
    contrast = rng.random() < (main.contrast if main.contrast is not None else chance)
    abnormal = main.abnormal
    fields = {
        "headache": headache,
        "contrast": contrast,
        "abnormal": abnormal,
        "explains_headache": main.explains if headache and abnormal else None,
    }
    side = pick(rng, ("droit", "gauche"))
    parts = {
        "indication": _capital(_fill(indication, rng, side)) + ".",
        "extra": extra,
        "technique": _technique(rng, contrast),
        "results": [
            _fill(s, rng, side) for s in _description(rng, finding, second, contrast)
        ],
        "conclusion": _fill(_conclusion(rng, finding, second, headache), rng, side),
    }
    title = _title(rng, contrast)
    body = _write(rng, pick(rng, STYLES), parts, female, age)
    return MriReport(title, body, fields, finding)


def coded_finding(rng: Random, codes: list[str]) -> str:
    """What the MRI of a patient coded so shows: the first coded finding, else normal."""
    for code in codes:
        for prefix in (code, code[:3]):
            if prefix in CODED:
                return pick(rng, CODED[prefix])
    return "normal" if rng.random() < 0.8 else "normal_variant"


def _headache_finding(rng: Random) -> str:
    kind = _weighted(rng, HEADACHE_KINDS)
    if kind == "normal":
        return "normal" if rng.random() < 0.75 else "normal_variant"
    return pick(rng, INCIDENTAL if kind == "incidental" else tuple(CAUSES))


def _weighted(rng: Random, weights: dict[str, float]) -> str:
    x = rng.random() * sum(weights.values())
    for key, weight in weights.items():
        x -= weight
        if x < 0:
            return key
    return key


def _second(rng: Random, finding: str) -> str | None:
    """An incidental finding beside an abnormal one, sometimes (the second
    never explains a headache: the first decides)."""
    main = FINDINGS[finding]
    if not main.abnormal or rng.random() >= 0.15:
        return None
    other = pick(rng, INCIDENTAL)
    if other == finding or FINDINGS[other].tags & main.tags:
        return None
    return other


def _fill(text: str, rng: Random, side: str) -> str:
    """The slots of a sentence: {side}, {sidef} (feminine) and {n}."""
    female = side if side.endswith("e") else side + "e"
    text = text.replace("{sidef}", female).replace("{side}", side)
    return text.replace("{n}", str(2 + int(rng.random() * 9)))


def _title(rng: Random, contrast: bool) -> str:
    titles = ["IRM CÉRÉBRALE", "IRM encéphalique", "IRM cérébrale en urgence"]
    titles.append(
        "IRM CÉRÉBRALE SANS ET AVEC INJECTION"
        if contrast
        else "IRM cérébrale sans injection"
    )
    return pick(rng, titles)


def _technique(rng: Random, contrast: bool) -> str:
    sequences = [s for s in SEQUENCES if rng.random() < 0.6] or ["diffusion", "FLAIR"]
    said = pick(rng, INJECTED if contrast else NOT_INJECTED)
    if said:
        sequences.append(said)
    lead = pick(rng, ("Séquences ", "IRM 3T : ", "IRM 1,5T, ", ""))
    return _capital(lead + ", ".join(sequences)) + "."


def _description(
    rng: Random, finding: str, second: str | None, contrast: bool
) -> list[str]:
    """What the report describes: the findings, then what it rules out."""
    said: list[str] = []
    tags: frozenset[str] = frozenset()
    for key in (finding, second):
        if key is None:
            continue
        f = FINDINGS[key]
        tags |= f.tags
        if f.text:
            said.append(pick(rng, f.text))
        if contrast and f.enhanced:
            said.append(pick(rng, f.enhanced))
    negatives = NEGATIVES + (NEGATIVES_ENHANCED if contrast else ())
    topics: dict[str, list[str]] = {}
    for sentence, against in negatives:
        if not tags & set(against.split()):
            topics.setdefault(against, []).append(sentence)
    pool = [pick(rng, sentences) for sentences in topics.values()]
    k = min(len(pool), 1 + int(rng.random() * (4 if FINDINGS[finding].abnormal else 5)))
    ruled_out = rng.sample(pool, k)
    return ruled_out + said if rng.random() < 0.3 else said + ruled_out


def _conclusion(rng: Random, finding: str, second: str | None, headache: bool) -> str:
    main = FINDINGS[finding]
    if not main.abnormal:
        said = [pick(rng, NORMAL_CONCLUSIONS)]
        if headache and rng.random() < 0.3:
            said.append(pick(rng, NO_CAUSE))
        if rng.random() < 0.2:
            said.append(pick(rng, HEDGES))
        return " ".join(said)
    said = [pick(rng, main.conclusion)]
    if second is not None and rng.random() < 0.6:
        said.append(pick(rng, FINDINGS[second].conclusion))
    if headache and not main.explains and rng.random() < 0.3:
        said.append(pick(rng, (*NO_CAUSE, "Sans lien avec les céphalées.")))
    return " ".join(said)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _lower_first(text: str) -> str:
    """ "Thrombose veineuse" -> "thrombose veineuse"; "IRM normale" stays."""
    return text[0].lower() + text[1:] if text[1:2].islower() else text


def _write(rng: Random, style: str, p: dict, female: bool, age: int) -> str:
    """The report in one radiologist's style."""
    indication = " ".join(s for s in (p["indication"], p["extra"]) if s)
    results = p["results"]
    if style == "telegraphic":
        lead = pick(rng, ("Concl : ", "=> ", "CONCLUSION : ", ""))
        lines = [indication, p["technique"], " ".join(results)]
        return "\n".join([*lines, lead + p["conclusion"]]) + "\n"
    if style == "verbose":
        who = f"{'une patiente' if female else 'un patient'} de {age} ans"
        ask = f"Examen réalisé chez {who} pour {_lower_first(indication)}"
        blocks = [ask, p["technique"], " ".join(results)]
        blocks.append("En conclusion, " + _lower_first(p["conclusion"]))
        return "\n\n".join(blocks) + "\n"
    inline = style == "inline" or rng.random() < 0.3
    sep = " : " if inline else " :\n"
    names = {k: pick(rng, v) for k, v in HEADINGS.items()}
    body = {
        "indication": indication,
        "technique": p["technique"],
        "results": " ".join(results) if inline else "\n".join(results),
        "conclusion": p["conclusion"],
    }
    order = ["indication", "technique", "results", "conclusion"]
    if style == "conclusion_first":
        order = ["conclusion", "indication", "results", "technique"]
    blocks = [names[k] + sep + body[k] for k in order]
    return "\n\n".join(blocks) + "\n"
