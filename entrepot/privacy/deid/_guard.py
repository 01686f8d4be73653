"""Medical words that look like names and must stay: eponyms (`maladie de
Crohn`, `signe de Babinski`), after a medical head word or from a guard list."""

from __future__ import annotations

import re
from functools import cache, lru_cache

from entrepot.privacy.deid import _patterns as p
from entrepot.privacy.deid._lexicons import _lines, first_names, surnames
from entrepot.privacy.deid._text import fold

_HEADS = (
    "maladies?|syndromes?|signes?|scores?|stades?|niveaux?|grades?|classifications?|échelles?|critères|"
    "manœuvres?|manoeuvres?|tests?|épreuves?|triades?|lois?|réflexes?|index|indices?|"
    "méthodes?|techniques?|interventions?|opérations?|procédures?|points?|sondes?|drains?|"
    "canal|canaux|cul-de-sac|polygone|lymphomes?|thyroïdites?|angines?|démences?|"
    "phénomènes?|ulcères?|fractures?|hernies?|diverticules?|kystes?|tumeurs?|sarcomes?|"
    "paralysies?|chorées?|ataxies?|dystrophies?|myopathies?|anomalies?|tétralogies?|"
    "bacilles?|blocs?|cellules?|formules?|positions?|incisions?|nodules?|nodosités?|"
    "purpura|œdèmes?|oedèmes?|érythèmes?|encéphalopathies?|neuropathies?|"
    "cardiomyopathies?|leucémies?|myélomes?|macroglobulinémies?|anastomoses?|"
    "polyarthrites?|vascularites?|artérites?|granulomatoses?|montages?|prothèses?|"
    "voies?|protocoles?|mots|doigts?"
)
_NOT_EPONYM = r"(?!(?:Dr|Pr|Mme|Mlle|Me|Mr|Docteur|Professeur|Monsieur|Madame)\b)"
_EPONYM = rf"{_NOT_EPONYM}{p.NAME_WORD}"
#: A head word, `de` (or `type`), then the eponym: `syndrome de Gilles de la Tourette`.
_AFTER_HEAD = re.compile(
    rf"\b(?=[abcdefhiklmnoprstuœéABCDEFHIKLMNOPRSTUŒÉ])(?i:{_HEADS})(?: [IVX]+| \d| [A-D])?"
    r" (?:(?i:de type|de la|de|du|des|type) |[dD]['’] ?)"
    rf"({_EPONYM}(?:(?:[- ]| et | de la | de ){_EPONYM}){{0,3}})"
)


@cache
def eponym_words() -> frozenset[str]:
    """Every eponym of the guard list, folded, names included (`Redon`,
    `Bourneville`): never a town without a preposition."""
    lines = _lines("entrepot.data.privacy", "eponyms.txt")
    return frozenset(fold(e) for e in lines if not e.startswith("#"))


@cache
def _listed() -> re.Pattern:
    """The guard list's eponyms that are nobody's name in the lexicons."""
    names = first_names() | surnames()
    kept = [
        e
        for e in _lines("entrepot.data.privacy", "eponyms.txt")
        if not e.startswith("#")
        and not all(fold(w) in names for w in re.split(r"[ -]", e))
    ]
    kept.sort(key=len, reverse=True)
    alternatives = "|".join(re.escape(e) for e in kept)
    return re.compile(rf"(?<![\w-])(?=[{p.UPPER}])(?:{alternatives})(?![\w-])")


#: A capitalised word before a value: a score when an eponym (`Barthel 35/100`,
#: `Karnofsky 70 %`, `Glasgow à 14`).
_BEFORE_VALUE = re.compile(
    rf"(?<![\w-])(?=[{p.UPPER}])[{p.UPPER}][\w'’-]+(?= ?(?:à |= ?|: ?)?\d)"
)


#: A capitalised word before a score out of more than 12 (not a day and month):
#: a score named after someone (`Berg 41/56`).
_BEFORE_SCORE = re.compile(
    rf"(?<![\w-])(?=[{p.UPPER}])[{p.UPPER}][\w'’-]+(?= \d{{1,3}}/(?:1[3-9]|[2-9]\d|\d{{3}})(?![\d/]))"
)


@lru_cache(maxsize=4)  # asked for by each finder of one text
def eponyms(text: str) -> tuple[tuple[int, int, bool], ...]:
    """Ranges of eponyms: (start, end, whether a medical head word precedes,
    or a score's value follows)."""
    out = [(m.start(1), m.end(1), True) for m in _AFTER_HEAD.finditer(text)]
    out += [(m.start(), m.end(), False) for m in _listed().finditer(text)]
    out += [
        (m.start(), m.end(), True)
        for m in _BEFORE_VALUE.finditer(text)
        if fold(m.group()) in eponym_words()
    ]
    if "/" in text:
        out += [(m.start(), m.end(), True) for m in _BEFORE_SCORE.finditer(text)]
    return tuple(out)
