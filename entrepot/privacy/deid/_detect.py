"""Finding identifiers in French clinical text: patterns, lexicons, and the
patient's own identity (exact and fuzzy). Each finder returns spans."""

from __future__ import annotations

import re
from datetime import date

from entrepot.privacy.deid import _patterns as p
from entrepot.privacy.deid._identity import Identity, OwnNames
from entrepot.privacy.deid._lexicons import (
    cities,
    first_names,
    hospitals,
    sure_names,
    surnames,
    unknown_word,
)
from entrepot.privacy.deid._text import fold

Span = tuple[int, int, str]

_TOKEN = re.compile(
    rf"[{p.UPPER}][{p.LOWER}{p.UPPER}'’]*(?:-[{p.UPPER}][{p.LOWER}{p.UPPER}'’]*)*"
)
_GAP = re.compile(r"[ \t]{1,2}$")
_TITLES = frozenset(
    "dr pr m mr mme mlle docteur professeur monsieur madame mademoiselle me".split()
)
_PARTICLES = frozenset(
    "le la de da das do dos du des del della di ben ibn el al van von ter".split()
)
#: Upper-case words of notes that are never names.
_NOT_NAMES = frozenset(
    "ta fc fr spo2 crp irm ecg tdm atcd ttt ide hdj sau samu smur chu ch nda ipp "
    "dr pr mme mr le la les de du des un une et ou en au aux pas avec sans sur".split()
)


def patterns(text: str) -> list[Span]:
    """Identifiers with a recognisable shape: e-mail, phone, NIR, numbers, dates,
    addresses, postcodes and cities, hospitals."""
    spans: list[Span] = [(m.start(), m.end(), "MAIL") for m in p.MAIL.finditer(text)]
    spans += [(m.start(), m.end(), "TEL") for m in p.PHONE.finditer(text)]
    for m in p.NIR.finditer(text):
        if p.nir_key_ok(m.group()) or p.NIR_CUE.search(text, 0, m.start()):
            spans.append((m.start(), m.end(), "NSS"))
    for m in p.DIGITS.finditer(text):
        spans.append((m.start(), m.end(), _number_label(text, m)))
    for m in p.DATE.finditer(text):
        spans.append((m.start(), m.end(), _date_label(text, m.start())))
    spans += [(m.start(), m.end(), "DATE") for m in p.YEAR.finditer(text)]
    for m in p.ADDRESS.finditer(text):
        end = m.start() + len(m.group().rstrip(" -'"))
        if any(c.isupper() for c in text[m.start() : end]):
            spans.append((m.start(), end, "ADRESSE"))
    for m in p.ZIP_CITY.finditer(text):
        city = m.group(2)
        if fold(city) in cities() or any(c.islower() for c in city.split()[0]):
            spans.append((m.start(1), m.end(1), "ZIP"))
            spans.append((m.start(2), m.end(2), "VILLE"))
    spans += [(m.start(), m.end(), "HOPITAL") for m in p.HOSPITAL.finditer(text)]
    for name in hospitals():
        start = text.find(name)
        while start >= 0:
            spans.append((start, start + len(name), "HOPITAL"))
            start = text.find(name, start + 1)
    return spans


def _before(text: str, start: int, width: int = 30) -> str:
    return text[max(0, start - width) : start]


def _number_label(text: str, m: re.Match) -> str:
    before = _before(text, m.start())
    if p.NDA_CUE.search(before):
        return "NDA"
    if p.IPP_CUE.search(before):
        return "IPP"
    if p.NIR_CUE.search(before):
        return "NSS"
    return "NDA" if len(m.group()) >= 11 else "IPP"


def _date_label(text: str, start: int) -> str:
    return "DATE_NAISSANCE" if p.BIRTH_CUE.search(_before(text, start)) else "DATE"


def names(text: str, identity: Identity | None) -> list[Span]:
    """Names: after titles and field labels, first name + surname pairs, upper-case
    surnames beside a first name, and the patient's own names (fuzzy)."""
    tokens = [
        (m.start(), m.end(), m.group())
        for m in _TOKEN.finditer(text)
        if m.group().lower().rstrip(".") not in _TITLES
    ]
    own = identity.names() if identity else OwnNames({})
    firsts, lasts = first_names(), surnames()
    spans: list[Span] = []
    cued = _cued(text)
    i = 0
    while i < len(tokens):
        group = _group(text, tokens, i, cued)
        words = [fold(t[2]) for t in group]
        labels = _labels(group, words, cued.get(group[0][0]), own, firsts, lasts)
        spans += _runs(group, labels)
        i += len(group)
    return spans


def _runs(group: list, labels: list[str | None]) -> list[Span]:
    """Consecutive words of one label as one span (`Da Silva`), particles
    (`Le`, `Da`, `Ben`) joining the surname that follows them."""
    labels = list(labels)
    for k in range(len(labels) - 2, -1, -1):
        if labels[k] is None and fold(group[k][2]) in _PARTICLES:
            labels[k] = "NOM" if labels[k + 1] == "NOM" else None
    spans: list[Span] = []
    for token, label in zip(group, labels, strict=True):
        if label and spans and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], token[1], label)
        elif label:
            spans.append((token[0], token[1], label))
    return spans


def _cued(text: str) -> dict[int, str]:
    """Positions where a name must start: after a title or a field label."""
    out = {m.end(): "title" for m in p.TITLE.finditer(text)}
    for m in p.FIELD.finditer(text):
        word = m.group().lower()
        out[m.end()] = (
            "nom"
            if word.startswith("nom")
            else ("prenom" if word.startswith("prénom") else "title")
        )
    return out


def _group(text: str, tokens: list, i: int, cued: dict) -> list:
    """Capitalised words that follow each other on a line (at most four), a cue
    (title, field label) starting a new group."""
    group = [tokens[i]]
    while (
        len(group) < 4
        and i + len(group) < len(tokens)
        and _GAP.match(text[group[-1][1] : tokens[i + len(group)][0]])
        and tokens[i + len(group)][0] not in cued
    ):
        group.append(tokens[i + len(group)])
    return group


def _labels(group, words, cue, own, firsts, lasts) -> list[str | None]:
    """The label of each word of a group, or None for an ordinary word."""
    n = len(words)
    labels: list[str | None] = [own.label(w) for w in words]
    if cue == "nom":
        return ["NOM"] * n
    if cue == "prenom":
        return ["PRENOM"] * n
    if cue == "title":
        return _after_title(group, words, firsts)
    for k in range(n - 1):
        a, b = group[k][2], group[k + 1][2]
        if (
            a.isupper()
            and len(a) > 1
            and words[k] not in _NOT_NAMES
            and _first_name(words[k], words[k + 1], b, firsts)
        ):
            labels[k], labels[k + 1] = "NOM", "PRENOM"
            j = k - 1
            while j >= 0 and group[j][2].isupper() and words[j] not in _NOT_NAMES:
                labels[j], j = "NOM", j - 1
        elif (
            words[k] in firsts
            and not b.isupper()
            and _namelike(words[k + 1], lasts, own)
        ):
            labels[k], labels[k + 1] = labels[k] or "PRENOM", labels[k + 1] or "NOM"
        elif words[k + 1] in lasts and labels[k] == "PRENOM":
            labels[k + 1] = "NOM"
    return _sure(group, words, labels)


def _first_name(upper: str, word: str, token: str, firsts: frozenset[str]) -> bool:
    """After an upper-case surname: a first name of the lexicon, or a capitalised
    word where neither word is a known word (`PINA Djamel`, not `AVC Ischémique`,
    `DOLIPRANE Comprimé`)."""
    return word in firsts or (
        not token.isupper()
        and len(word) >= 3
        and word not in _COMMON
        and unknown_word(word)
        and unknown_word(upper)
    )


def _sure(group, words, labels: list[str | None]) -> list[str | None]:
    """Words left unlabelled that are names and nothing else (`Leclercq`, not
    `Blanc`): names without context. Acronyms (upper case, 3 letters) are not."""
    sure = sure_names()
    return [
        label
        or (
            sure.get(word)
            if word not in _COMMON
            and word not in _NOT_NAMES
            and len(word) >= (4 if token[2].isupper() else 3)
            else None
        )
        for token, word, label in zip(group, words, labels, strict=True)
    ]


def _namelike(word: str, lasts: frozenset[str], own: OwnNames) -> bool:
    return word in lasts or word in own or word not in _COMMON


def _after_title(group, words, firsts) -> list[str | None]:
    """`Dr Gilles VINCENT`, `M. Thomas`, `Dr MARTIN Claire`: first names, then surname."""
    n = len(words)
    if n == 1:
        return ["NOM"]
    if group[0][2].isupper() and words[-1] in firsts:
        return ["NOM"] * (n - 1) + ["PRENOM"]
    if words[0] in firsts:
        return ["PRENOM"] + ["NOM"] * (n - 1)
    return ["NOM"] * n


#: Capitalised words that start sentences of notes and are not surnames.
_COMMON = frozenset(
    fold(w)
    for w in (
        "Le La Les Un Une Des Au Aux Pas Absence Sous Sur Pour Avec Sans Dans Par "
        "Patient Patiente Poursuite Suivi Suivie Consultation Hospitalisation Examen "
        "Conclusion Traitement Antécédents Évolution Biologie Motif Cible Constantes "
        "Notion Hôpital Service Urgences Médecine Chirurgie Cardiologie Néphrologie "
        "Neurologie Rhumatologie Dermatologie Pneumologie Gastro-entérologie Réanimation "
        "Gériatrie Diabétologie Endocrinologie Maladies Infectieuses Interne Imagerie "
        "Arrivée Admission Orientation Sortie Diagnostic Renseignements Technique "
        "Résultats Prélèvement Microscopie Macroscopie Ordonnance Mise Aspect Lésion "
        "Indication Rendez-vous Prochaine Venue Nous Je Il Elle Bien Chère Cher Madame "
        "Monsieur Docteur Tél Téléphone Courriel Mail E-mail Adresse Domicile Copie "
        "Né Née Date Nom Prénom Famille Son Sa Ses"
    ).split()
)


def identity_values(text: str, identity: Identity | None) -> list[Span]:
    """The patient's own phone, e-mail, IPP, NDA, NIR, street, city and birth date,
    wherever they appear (spacing ignored for numbers)."""
    if identity is None:
        return []
    spans: list[Span] = []
    for value, label in (
        (identity.phone, "TEL"),
        (identity.nir, "NSS"),
        (identity.ipp, "IPP"),
        *((nda, "NDA") for nda in identity.ndas),
    ):
        if value:
            digits = re.sub(r"\D", "", value)
            pattern = r"[ .-]?".join(re.escape(c) for c in digits)
            spans += [(m.start(), m.end(), label) for m in re.finditer(pattern, text)]
    for value, label in (
        (identity.email, "MAIL"),
        (identity.street, "ADRESSE"),
        (identity.city, "VILLE"),
        (identity.postcode, "ZIP"),
    ):
        if value and len(value) > 2:
            pattern = rf"(?<!\w){re.escape(value)}(?!\w)"
            spans += [
                (m.start(), m.end(), label)
                for m in re.finditer(pattern, text, re.IGNORECASE)
            ]
    if identity.birth_date:
        spans += _birth_dates(text, identity.birth_date)
    return spans


def _birth_dates(text: str, born: date) -> list[Span]:
    forms = {
        f"{born.day:02d}/{born.month:02d}/{born.year}",
        f"{born.day}/{born.month}/{born.year}",
        f"{born.day:02d}/{born.month:02d}/{born.year % 100:02d}",
        f"{born.day:02d}-{born.month:02d}-{born.year}",
        f"{born.day:02d}.{born.month:02d}.{born.year}",
    }
    return [
        (m.start(), m.end(), "DATE_NAISSANCE")
        for form in forms
        for m in re.finditer(rf"(?<!\d){re.escape(form)}(?!\d)", text)
    ]
