"""Names found from their context: after a title or a field label, beside a
relative's word, in a signature or an address block, after a salutation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import NamedTuple

from entrepot.privacy.deid import _patterns as p
from entrepot.privacy.deid._lexicons import (
    cities,
    first_names,
    medical_words,
    sure_names,
    surnames,
    unknown_word,
)
from entrepot.privacy.deid._text import fold

Span = tuple[int, int, str]

#: Particles of surnames (`Le Goff`, `Da Silva`, `Van den Berghe`, `Ben Salah`,
#: `Aït Ahmed`, `Ould Brahim`).
PARTICLES = frozenset(
    "le la de da das do dos du des del della di ben bin ibn el al van von den der ter "
    "ten mac mc ait ould".split()
)
#: Upper-case words of notes that are never names.
NOT_NAMES = frozenset(
    "ta fc fr spo2 crp irm ecg tdm atcd ttt ide hdj sau samu smur chu ch nda ipp ddn dn nir "
    "dr pr mme mr le la les de du des un une et ou en au aux pas avec sans sur "
    "hta avc ait bpco ic irc ira ald ssr ehpad usld had vih vhc vhb covid nfs bnp "
    "tsh inr tp ggt pal asat alat vs tep rcp ett eto fevg ok rdv cr crh cro as ash "
    "aes oap ivg img sa pa ecbu pl dfg hba1c".split()
)
#: Capitalised words that start sentences of notes and are not surnames.
COMMON = frozenset(
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
        "Né Née Date Nom Prénom Famille Son Sa Ses Aide Enfant Bébé Nourrisson Nouveau-né"
    ).split()
)
#: Words that end a name found from its context (`Dr Dubois du Service de …`).
_STOP = COMMON | frozenset(
    fold(w)
    for w in (
        "Praticien Chef Externe Fax Clinique CHU Unité Pôle Département Secrétariat "
        "Assistant Assistante Cadre Médecin Professeur Mademoiselle Prénoms Épouse Veuve "
        "Cedex Compte Rendu Objet Courrier Lundi Mardi Mercredi Jeudi Vendredi Samedi "
        "Dimanche Dr Drs Pr Prs Mme Mmes Mlle Melle Mr Me Maître"
    ).split()
)
#: Words written alone on a letter's last lines that are nobody's name.
_SIGN_OFF = frozenset("merci bonjour bonsoir salut encore signe pj ps".split())
#: Words of a sentence between a name in lower case and `né le` (`… est né le`).
_SENTENCE_WORDS = frozenset("est etait sera qui que dont avec pour sans".split())
_TITLED = re.compile(rf"(?:(?:le|la|les) )?(?:{p.TITLE}[ \t]+)?({p.NAME_SEQ})")
#: The name right after a title: `M.` there is an initial (`Dr M. Kientz`).
_AFTER_TITLE = re.compile(rf"({p.NAME_SEQ})")
_LIST_SEPARATOR = re.compile(r"\s*(?:,|;|/| et )\s*")
_BLANK_LINES = re.compile(r"\n(?:[ \t]*\n)*")
_INITIAL = re.compile(p.INITIAL)
_SPACED = re.compile(r"\b[A-Z] [A-Z] [A-Z]\b")


class _Unit(NamedTuple):
    """One name: its particles and its word (`de La Fontaine`), or an initial."""

    start: int
    end: int
    word: str
    particle: bool
    initial: bool


def context_names(text: str, firsts: frozenset[str]) -> list[Span]:
    """Name spans found from their context (NOM or PRENOM)."""
    spans: list[Span] = []
    for m in p.TITLE_NAME.finditer(text):
        many = text.startswith(("Drs", "Prs"), m.start())  # `les Drs Hoarau et Nguyen`
        spans += _listed(text, m.start(1), "title", firsts, many)
    for m in p.FIELD.finditer(text):
        kind = "nom" if m.group("nom") else "prenom" if m.group("prenom") else "given"
        spans += _listed(text, m.end(), kind, firsts, kind in ("given", "prenom"))
    for m in p.MAIL_HEADER.finditer(text) if p.MAIL_MARK.search(text) else ():
        spans += _listed(text, m.end(), "given", firsts, True)
    for m in p.RELATIVE_BEFORE.finditer(text):
        kind = "title" if m.group("title") else "given"
        spans += _name(m.start("name"), m.group("name"), kind, firsts)
    for m in p.PATIENT.finditer(text):
        spans += _name(m.start("name"), m.group("name"), "title", firsts)
    for pattern, kind in (
        (p.RELATIVE_AFTER, "given"),
        (p.SALUTATION, "given"),
        (p.MAIDEN, "title"),
    ):
        for m in pattern.finditer(text):
            spans += _name(m.start(1), m.group(1), kind, firsts)
    for m, after in _beside_roles(text):
        found = _name(m.start(1), m.group(1), "given", firsts)
        if len(found) >= 2 and not _words(text, found):  # a full name
            spans += found
        elif after and _first_name_alone(text, found, firsts):  # `l'interne Clément`
            spans += found
    for m in p.RELATIVE_FIELD.finditer(text):
        found = _name(m.start(1), m.group(1), "given", firsts)
        if all(_person_word(fold(text[a:b]), firsts) for a, b, _ in found):
            spans += found
    for bracket in p.RELATIVE_BRACKET.finditer(text) if "(" in text else ():
        at = bracket.start()
        if not (m := p.NAME_BEFORE_BRACKET.search(text, max(0, at - 60), at)):
            continue
        found = _name(m.start(1), m.group(1), "given", firsts)
        role = bracket.group("role") is not None  # a full name before a role
        if (len(found) >= 2 or not role) and all(
            _relative_word(fold(text[a:b]), firsts) for a, b, _ in found
        ):
            spans += found
    for m in p.NAME_ALIAS.finditer(text) if "(" in text else ():
        if m.group(1).startswith(m.group(3)):
            spans += [
                (*m.span(1), "PRENOM"),
                (*m.span(2), "PRENOM"),
                (*m.span(4), "NOM"),
            ]
    for m in p.NICKNAME.finditer(text) if "«" in text else ():
        cued = p.NICKNAME_CUE.search(text, max(0, m.start() - 30), m.start())
        named = p.NAME_BEFORE_NICKNAME.search(text, max(0, m.start() - 30), m.start())
        if named and not _person_word(fold(named.group(1)), firsts):
            named = None
        if (cued or named) and _person_word(fold(m.group(1)), firsts):
            spans.append((m.start(1), m.end(1), "PRENOM"))
    for m in p.NAME_LINE.finditer(text):
        if (
            _closes(text, m)
            and fold(m.group(1)) not in _SIGN_OFF
            and _person_word(fold(m.group(1)), firsts)
        ):
            spans.append((m.start(1), m.end(1), "PRENOM"))  # `Amitiés,\nBenoît`
        elif _signs(text, m):
            spans += _name(m.start(1), m.group(1), "line", firsts)
    for m in p.UPPER_THEN_INITIAL.finditer(text):
        words = fold(m.group(1)).replace("-", " ").split()
        if all(w not in NOT_NAMES and _person_word(w, firsts) for w in words):
            spans.append((*m.span(1), "NOM"))
    for m in p.BARCODE_NAME.finditer(text) if "||" in text else ():
        spans += [(*m.span(1), "NOM"), (*m.span(2), "PRENOM")]
    for m in p.LABEL_LINE.finditer(text) if "*" in text else ():
        spans += [(*m.span(1), "NOM"), (*m.span(2), "PRENOM")]
    if _SPACED.search(text):
        spans += [(*m.span(1), "NOM") for m in p.SPACED_NAME.finditer(text)]
    spans += [(*m.span(1), "NOM") for m in p.LOGIN.finditer(text) if " par " in text]
    for bracket in re.finditer(r" \(", text) if " (" in text else ():
        at = bracket.start() + 1
        if not p.RELATIVE_THEN_BRACKET.search(text, max(0, at - 20), at):
            continue
        found = _listed(text, at + 1, "given", firsts, True)
        if all(_relative_word(fold(text[a:b]), firsts) for a, b, _ in found):
            spans += found
    for m in p.BANNER.finditer(text):
        spans += _name(m.start(1), m.group(1), "line", firsts)
    for m in p.ROLE_NAME.finditer(text) if "(" in text else ():
        if _beside_role(text, m, firsts):
            spans += _name(m.start(1), m.group(1), "given", firsts)
    return spans + _lower_case(text)


def _person_word(word: str, firsts: frozenset[str]) -> bool:
    """Whether a folded name that stands for a person alone (a nickname, a
    signature's or a relative's first name) is a first name, or one word that
    is no word of notes nor of medicine."""
    return word in firsts or (
        " " not in word and word not in COMMON and unknown_word(word)
    )


def _relative_word(word: str, firsts: frozenset[str]) -> bool:
    """Whether a folded name before a relative's word in brackets (`X (mère)`)
    is a person's: a name of the lexicons (`Laval`) or no word, never a medical
    word (`Alzheimer (mère)`)."""
    return all(
        w not in medical_words() and (w in surnames() or _person_word(w, firsts))
        for w in word.split()
    )


def _beside_role(text: str, m: re.Match, firsts: frozenset[str]) -> bool:
    """Whether a name in brackets follows a role or a relative's word (`Kiné
    (Romain)`, `Épouse (Annick)`) or holds a role (`(Pascale, IDE)`), and each of
    its words is a name or no word."""
    if m.group("after") and not p.ROLE_BEFORE.search(
        text, max(0, m.start() - 40), m.start()
    ):
        return False
    return all(_relative_word(fold(w), firsts) for w in m.group(1).split())


def _lower_case(text: str) -> list[Span]:
    """Names in lower case after a title in lower case (`vu par mme lefebvre`):
    only names that are no word (the lexicons' `word` flag), or any before a
    birth (`monsieur durand paul né le`)."""
    sure, spans = sure_names(), []
    for m in p.LOWER_TITLED.finditer(text):
        at = m.start(1)
        born = p.BORN_AFTER.match(text, m.end())
        for word in m.group(1).split(" "):
            folded = fold(word)
            label = sure.get(folded) or (
                ("PRENOM" if folded in first_names() else "NOM")
                if born and folded not in _SENTENCE_WORDS
                else None
            )
            if label is None:
                break
            spans.append((at, at + len(word), label))
            at += len(word) + 1
    return spans


def particle_names(text: str, firsts: frozenset[str]) -> list[Span]:
    """A first name or an initial, then a surname with particles: `Jeanne de La
    Fontaine`, `Marie-Claire Van der Meulen`, `S. Le Floch`."""
    spans: list[Span] = []
    for m in p.FIRST_THEN_PARTICLES.finditer(text):
        initial = bool(_INITIAL.fullmatch(m.group(1)))  # `S. Le Floch`
        first = _Unit(m.start(1), m.end(1), m.group(1), False, initial)
        if _is_first(first, firsts):
            spans += [(m.start(1), m.end(1), "PRENOM"), (m.start(2), m.end(2), "NOM")]
    return spans


def _listed(
    text: str, at: int, kind: str, firsts: frozenset[str], many: bool
) -> list[Span]:
    """The name at `at`, and with `many` the names of a list that follows
    (`Praticiens hospitaliers : Sophie Marchand, Dr Karim Benali`)."""
    spans: list[Span] = []
    pattern = _AFTER_TITLE if kind == "title" else _TITLED
    while m := pattern.match(text, at):
        pattern = _TITLED
        found = _name(m.start(1), m.group(1), kind, firsts)
        if spans and kind == "given" and m.start(1) == at and len(found) < 2:
            break  # a list goes on with titles or full names: `Dr X, Béziers` does not
        spans += found
        separator = _LIST_SEPARATOR.match(text, m.end())
        if not (many and found and found[-1][1] == m.end() and separator):
            break
        at = separator.end()
    return spans


def _signs(text: str, m: re.Match) -> bool:
    """Whether a line holding only a name is a signature or an address block: a
    function, a unit, an address or a salutation follows it, or a closing
    formula precedes it."""
    after = _BLANK_LINES.match(text, m.end())
    if after and p.FUNCTION_LINE.match(text, after.end()):
        return True
    last = not text[m.end() :].strip() and text[: m.start()].strip()
    return bool(last) or _closes(text, m)  # the last line, under a body


def _beside_roles(text: str) -> Iterator[tuple[re.Match, bool]]:
    """Names after a role (`IDE Nadège X`), and before a comma and a role
    (`X Y, interne`), read back from the comma within its line; with whether
    the name follows the role."""
    for m in p.ROLE_THEN_NAME.finditer(text):
        yield m, True
    for m in p.COMMA_ROLE.finditer(text):
        line = text.rfind("\n", 0, m.start()) + 1
        if name := p.NAME_BEFORE.search(text, line, m.start()):
            yield name, False


def _first_name_alone(text: str, found: list[Span], firsts: frozenset[str]) -> bool:
    """Whether a name found after a role is one known first name, not in
    capitals, no medical word."""
    if len(found) != 1:
        return False
    word = text[found[0][0] : found[0][1]]
    return (
        " " not in word
        and not word.isupper()  # `IDE ELSA`: a unit's acronym
        and fold(word) in firsts
        and not _words(text, found)
    )


def _words(text: str, spans: list[Span]) -> bool:
    """Whether a name found beside a role holds a medical word (`Maladie`)."""
    medical = medical_words()
    return any(
        fold(w) in medical and fold(w) not in surnames()
        for a, b, _ in spans
        for w in text[a:b].split()
    )


def _closes(text: str, m: re.Match) -> bool:
    """Whether the line before a name's line holds a closing formula."""
    end = m.start()
    while end and text[end - 1].isspace():
        end -= 1
    return bool(p.CLOSING.search(text, text.rfind("\n", 0, end) + 1, end))


def _units(start: int, seq: str) -> list[_Unit]:
    """The names of a sequence, cut at the first word that is not a name, or at
    `de` before a commune that is no surname."""
    units: list[_Unit] = []
    begin = None
    words = list(re.finditer(r"\S+", seq))
    for k, w in enumerate(words):
        word = w.group()
        folded = fold(word)
        if begin is None:
            begin = w.start()
        if units and folded == "de" and k + 1 < len(words):
            town = fold(words[k + 1].group())
            if town in cities() and town not in surnames():
                break  # `Dr Lemaire de Seclin`: where the doctor works
        if folded in PARTICLES or folded.rpartition("-")[2] in PARTICLES:
            continue  # `Le Duff` of `Ollivier-Le Duff` is one name
        if folded in _STOP or (word.isupper() and folded in NOT_NAMES):
            break
        initial = bool(_INITIAL.fullmatch(word))
        particle = begin != w.start()
        units.append(_Unit(start + begin, start + w.end(), word, particle, initial))
        begin = None
    return units


def _is_first(unit: _Unit, firsts: frozenset[str]) -> bool:
    if unit.initial:
        return True
    word = fold(unit.word)
    return not unit.particle and (
        word in firsts or all(part in firsts for part in word.split("-"))
    )


def _name(start: int, seq: str, kind: str, firsts: frozenset[str]) -> list[Span]:
    """Spans of the names of one sequence, labelled by `kind` (`nom`, `prenom`),
    or else by case and the first-name lexicon."""
    units = _units(start, seq)
    if kind == "line" and not _whole_name(units, seq, firsts):
        return []
    spans: list[Span] = []
    for unit, label in zip(units, _unit_labels(units, kind, firsts), strict=True):
        if spans and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], unit.end, label)
        else:
            spans.append((unit.start, unit.end, label))
    return spans


def _whole_name(units: list[_Unit], seq: str, firsts: frozenset[str]) -> bool:
    """Whether a line is one person's name: two to four names, none an ordinary
    word, with a known first name or a surname in capitals beside a first name."""
    words = [w for w in seq.split() if fold(w) not in PARTICLES]
    upper = {u.word.isupper() for u in units}
    return 2 <= len(units) == len(words) <= 4 and (
        any(_is_first(u, firsts) for u in units) or upper == {True, False}
    )


def _unit_labels(units: list[_Unit], kind: str, firsts: frozenset[str]) -> list[str]:
    """`Claire MARCHAND`, `LECLERCQ Chloé`: case tells; else leading first names,
    or a trailing one (`Dubois Marie`); else a first name then the surname."""
    n = len(units)
    if n == 0:
        return []
    if kind in ("nom", "prenom"):
        return [kind.upper()] * n
    upper = [u.word.isupper() and not u.initial for u in units]
    if any(upper) and not all(upper):
        return ["NOM" if up else "PRENOM" for up in upper]
    first = [_is_first(u, firsts) for u in units]
    if n == 1:
        return ["PRENOM" if kind == "given" and first[0] else "NOM"]
    k = 0
    while k < n - 1 and first[k]:
        k += 1
    if not k and first[-1]:
        return ["NOM"] * (n - 1) + ["PRENOM"]
    if not k and (all(upper) or units[0].particle):
        return ["NOM"] * n
    k = _given_words(units, max(k, 1))
    return ["PRENOM"] * k + ["NOM"] * (n - k)


def _given_words(units: list[_Unit], k: int) -> int:
    """How many words a given name has when it opens a name of three words or
    more: the known first names, then the words no surname of the lexicons is,
    up to the last (`Thi Lan Vu`, `Kim Ngan Hoang`), unless the name opens with
    a surname (`Nguyen Thi Hoa`)."""
    lasts = surnames()
    opening = fold(units[0].word)
    if opening in lasts and opening not in first_names():
        return k
    while (
        k < len(units) - 1
        and len(units) >= 3
        and not units[k].particle
        and not units[k].initial
        and fold(units[k].word) not in lasts
    ):
        k += 1
    return k
