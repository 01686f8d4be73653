"""Finding identifiers in French clinical text: patterns, lexicons, and the
patient's own identity (exact and fuzzy). Each finder returns spans."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date

from entrepot.privacy.deid import _patterns as p
from entrepot.privacy.deid._context import (
    COMMON,
    NOT_NAMES,
    PARTICLES,
    Span,
    context_names,
    particle_names,
)
from entrepot.privacy.deid._guard import eponym_words, eponyms
from entrepot.privacy.deid._identity import Identity, OwnNames
from entrepot.privacy.deid._lexicons import (
    cities,
    first_names,
    hospitals,
    medical_words,
    sure_names,
    sure_towns,
    surnames,
    unknown_word,
    word_towns,
)
from entrepot.privacy.deid._text import fold

_TOKEN = re.compile(
    rf"[{p.UPPER}][{p.LOWER}{p.UPPER}'’]*(?:-[{p.UPPER}][{p.LOWER}{p.UPPER}'’]*)*"
)
_GAP = re.compile(r"[ \t]{1,2}$")
_WORD_BEFORE = re.compile(r"(\w+\.?) $")
_SAINT = re.compile(r"\b(ste?)(?=-)")
#: Communes that are words written with a capital in notes (`Hôtel de Ville`).
_PLACE_WORDS = frozenset(
    "ville mars mai bois port vert verte montagne mont bains charme roche nuits "
    "bonnes vignes moulins sauve toussaint".split()
)
_HOSPITAL_TOWN = re.compile(rf"(?:,| [–—-])? (?:à )?({p.TOWN})")
#: Words of French phrases after `à`, written with a capital in typed notes
#: (`à Jeun`, `à Droite`): never a place.
_PHRASES = frozenset(
    "jeun droite gauche distance proximite partir peine moitie nouveau travers terme "
    "part cote domicile jour temps vie volonte defaut raison cause noter revoir".split()
)
#: Acronyms of units and services that follow a facility's name and are not its own.
_UNIT_ACRONYMS = frozenset(
    "sau hdj hds usc usic uhcd ufr uf cs cmp smr ssr usld had dim sos uma umd us ucsa crcm "
    "crmr cmrr ssiad elsa pass emsp emg".split()
)
_CEDEX = re.compile(r" cedex(?: \d+)?$")
_ARTICLE = re.compile(r"(?:les?|la) |l'")
_MASCULINE = re.compile(r"(?<![\w'’])(?:le|du|au) $")
#: What ends a sentence, a heading or a field: a word after it may be capitalised.
_SENTENCE_END = frozenset('.!?:;\n•*-–—>»"')
#: Where a town written in a capitalised sequence may end.
_TOWN_END = re.compile(r"[- ](?=\S)")
_TITLES = frozenset(
    "dr drs pr m mr mme mmes mlle melle docteur professeur monsieur madame mademoiselle "
    "me".split()
)
#: Capitalised words of notes that are communes too (`Melle`, `Mars`).
_NOT_TOWNS = COMMON | NOT_NAMES | _PLACE_WORDS | _TITLES


def patterns(text: str) -> list[Span]:
    """Identifiers with a recognisable shape: e-mail, phone, NIR, numbers, dates,
    addresses, postcodes and cities, hospitals."""
    spans: list[Span] = []
    if "@" in text:
        spans += [(m.start(), m.end(), "MAIL") for m in p.MAIL.finditer(text)]
    spans += [(m.start(), m.end(), "TEL") for m in p.PHONE.finditer(text)]
    spans += [(m.start(), m.end(), "TEL") for m in p.EXTENSION.finditer(text)]
    if "zéro" in text or "Zéro" in text:
        spans += [(m.start(), m.end(), "TEL") for m in p.PHONE_WORDS.finditer(text)]
    for m in p.NIR.finditer(text):
        if p.nir_key_ok(m.group()) or p.NIR_CUE.search(text, 0, m.start()):
            spans.append((m.start(), m.end(), "NSS"))
    spans += [
        (m.start(), m.end(), "NSS")
        for m in p.NIR_LOOSE.finditer(text)
        if p.nir_key_ok(m.group())
    ]
    for m in p.DIGITS.finditer(text):
        if not p.PROFESSIONAL_CUE.search(_before(text, m.start())):
            spans.append((m.start(), m.end(), _number_label(text, m)))
    for m in (*p.CUED_NUMBER.finditer(text), *p.CUED_CODE.finditer(text)):
        before = _before(text, m.start())
        if (p.NDA_CUE.search(before) or p.IPP_CUE.search(before)) and sum(
            c.isdigit() for c in m.group()
        ) >= 5:
            spans.append((m.start(), m.end(), _number_label(text, m)))
    for m in (*p.DATE.finditer(text), *_years(text), *_spaced_dates(text)):
        spans.append((m.start(), m.end(), _date_label(text, m.start())))
    spans += [(m.start(), m.end(), "DATE") for m in p.BARE_DAY.finditer(text)]
    for m in p.ADDRESS.finditer(text):
        end = m.start() + len(m.group().rstrip(" -–—'"))
        if any(c.isupper() for c in text[m.start() : end]):
            spans.append((m.start(), end, "ADRESSE"))
        elif lower := p.LOWER_STREET.match(text, m.start()):
            spans.append((m.start(), lower.end(), "ADRESSE"))
    spans += [(m.start(), m.end(), "ADRESSE") for m in p.STREET.finditer(text)]
    for m in p.ZIP_CITY.finditer(text):
        city = m.group(2)
        spaced = " " in m.group(1)  # `59 000 Lille`: only before a commune
        if _saint(_CEDEX.sub("", fold(city)).replace(" ", "-")) in cities() or (
            not spaced
            and any(c.islower() for c in city.split()[0])
            and fold(city) not in COMMON  # `… 11884   Tél.`
        ):
            spans.append((m.start(1), m.end(1), "ZIP"))
            spans.append((m.start(2), m.end(2), "VILLE"))
    spans += [(*m.span(1), "ZIP") for m in p.ZIP_FIELD.finditer(text)]
    spans += towns(text)
    for m in p.LOCAL_PLACE.finditer(text):
        place = fold(m.group(1))
        if place in cities() or _unknown(place):
            spans.append((m.start(1), m.end(1), "VILLE"))
    if "(" in text:
        for m in p.TOWN_DEPARTMENT.finditer(text):
            if _saint(fold(m.group(1))) in cities():
                spans.append((m.start(1), m.end(1), "VILLE"))
                if len(m.group("zip")) == 5:
                    spans.append((*m.span("zip"), "ZIP"))
    for m in p.LETTER_PLACE.finditer(text):
        if m.group(2) or fold(m.group(1)) in cities():
            spans.append((m.start(1), m.end(1), "VILLE"))
    return _address_lines(text, spans) + facilities(text)


def _address_lines(text: str, spans: list[Span]) -> list[Span]:
    """`spans`, and what joins the parts of one address line (`Résidence X,
    bât. C, 12 rue Y`: the commas too) or names the house before its street."""
    streets = sorted(s for s in spans if s[2] == "ADRESSE")
    joined = [
        (a[0], b[1], "ADRESSE")
        for a, b in zip(streets, streets[1:], strict=False)
        if a[1] < b[0] and p.ADDRESS_GAP.fullmatch(text, a[1], b[0])
    ]
    for start, _, _ in streets:
        if house := p.HOUSE.search(text, max(0, start - 60), start):
            joined.append((house.start(), start + 1, "ADRESSE"))
    return spans + joined + _address_fields(text, spans, streets)


def _address_fields(text: str, spans: list[Span], streets: list[Span]) -> list[Span]:
    """An address field's line up to its postcode, when a street is in it:
    the building, the residence, the floor and the room too (`Hébergée : Foyer
    X, 5 rue Y, chambre 12, 69003 Lyon`)."""
    out = []
    for zip_start, _, label in spans:
        if label != "ZIP":
            continue
        line = text.rfind("\n", 0, zip_start) + 1
        fields = list(p.ADDRESS_FIELD.finditer(text, line, zip_start))
        if not fields:
            continue
        start, end = fields[-1].end(), zip_start
        while end > start and text[end - 1] in " ,–—-":
            end -= 1
        if any(start <= a and b <= end for a, b, _ in streets):
            out.append((start, end, "ADRESSE"))
    return out


def facilities(text: str) -> list[Span]:
    """Facilities: a kind of facility and its name (`Clinique du Parc`), the
    hospitals of the lexicon, a centre named after its commune, the acronym
    written beside a facility (`– GHICL`, `(IPC)`, `CHBA – Centre …`), groups'
    acronyms; and the town written after one (`Clinique X, Lille`)."""
    found = [(m.start(), m.end()) for m in p.HOSPITAL.finditer(text)]
    for name in hospitals():
        start = text.find(name)
        while start >= 0:
            found.append((start, start + len(name)))
            start = text.find(name, start + 1)
    for m in p.CENTRE_TOWN.finditer(text):
        place = fold(m.group("place"))
        if _common_town(place, "de") or (
            m.group("line") is not None and _unknown(place)
        ):
            found.append(m.span("centre"))
    found += [(m.start(), m.end()) for m in p.GROUP_ACRONYM.finditer(text)]
    found += [
        (m.start(), m.end())
        for m in p.ACRONYM_PLACE.finditer(text)
        if fold(m.group(1)).split("-")[0] in cities()
    ]
    found += [
        (m.start(), m.end())
        for m in p.CENTRE_OF_TOWN.finditer(text)
        if _common_town(town := fold(m.group(1)), "de") or _first_name_town(town)
    ]
    found += [
        (m.start(), m.end())
        for m in p.FACILITY_OF_PERSON.finditer(text)
        if fold(m.group(1)) in first_names()
    ]
    for m in p.DAY_HOSPITAL.finditer(text) if "pital de" in text else ():
        if _unknown(fold(m.group(1))):
            found.append((m.start(), m.end()))
    spans: list[Span] = []
    acronyms = set()
    for start, end in found:
        if unit := p.UNIT_OF_HOSPITAL.search(text, max(0, start - 40), start):
            start = unit.start()
        spans.append((start, end, "HOPITAL"))
        second = p.FACILITY_SECOND.match(text, end)
        if second and _second_name(fold(second.group(1))):
            spans.append((start, second.end(1), "HOPITAL"))
        acronym = p.FACILITY_ACRONYM.match(text, end)
        if acronym and _facility_acronym(fold(acronym.group(1))):
            acronyms.add(acronym.group(1))
        before = p.ACRONYM_BEFORE.search(text, max(0, start - 30), start)
        if before and _facility_acronym(fold(before.group(1))):
            acronyms.add(before.group(1))
        town = _HOSPITAL_TOWN.match(text, end)
        if town and fold(town.group(1)) in cities():
            spans.append((town.start(1), town.end(1), "VILLE"))
    return spans + _acronyms(text, acronyms)


def _facility_acronym(word: str) -> bool:
    """Whether a folded word in capitals beside a facility is its acronym: no
    unit's acronym and no word (`— DEMANDE D'EXAMEN` is a heading)."""
    return word not in NOT_NAMES | _UNIT_ACRONYMS and _unknown(word)


def _second_name(name: str) -> bool:
    """Whether a folded hyphenated name after a hospital's is a person's (`claude-
    bernard`): its first part a first name, or no part a word of notes."""
    first = name.split("-")[0]
    return first in first_names() or not any(
        w in COMMON or w in medical_words() for w in name.split("-")
    )


def _years(text: str) -> list[re.Match]:
    """Years alone, less those that name an eponym's version (`critères de
    McDonald 2017`)."""
    years = list(p.YEAR.finditer(text))
    if years:
        ends = {end for _, end, _ in eponyms(text)}
        years = [m for m in years if m.start() - 1 not in ends]
    return years


def _spaced_dates(text: str) -> Iterator[re.Match]:
    """Dates typed with spaces between their digits whose day and month are
    one (`2 1 . 1 1 . 2 0 2 6`)."""
    for m in p.SPACED_DATE.finditer(text) if " " in text else ():
        day, month = (int((m.group(k) or "") + (m.group(k + 1) or "")) for k in (1, 3))
        if " " in m.group() and 1 <= day <= 31 and 1 <= month <= 12:
            yield m


def _unknown(place: str) -> bool:
    """Whether a folded place name is no word of notes nor of medicine: a
    facility's or a place's own name (`Centre de Kerbrat` opening a letterhead)."""
    return place not in COMMON and unknown_word(place)


def _acronyms(text: str, acronyms: set[str]) -> list[Span]:
    """A facility's acronym, once written beside its name, wherever it stands
    in the text (`Centre hospitalier de X (CHX)`, later `au CHX`)."""
    if not acronyms:
        return []
    written = "|".join(map(re.escape, sorted(acronyms, key=len, reverse=True)))
    pattern = rf"(?<![\w-])(?:{written})(?![\w'’-])"
    return [(m.start(), m.end(), "HOPITAL") for m in re.finditer(pattern, text)]


def places(text: str) -> list[Span]:
    """Towns without a cue: a capitalised commune that is no word and no first
    name (`Quimper`, `Faches-Thumesnil`, not `Sens` nor `Albert`), and a place
    of birth (`né le … à Dakar`); never an eponym."""
    spans = []
    for m in p.TOWN_ANYWHERE.finditer(text):
        at = m.start(1)
        found = [(at + a, at + b, "VILLE") for a, b in _sure_towns(m.group(1))]
        if not found and _word_town(text, m):
            found = [(m.start(1), m.end(1), "VILLE")]
        if found and not _not_a_place(text, m):
            spans += found
    if "né" in text or "Né" in text:
        spans += [(m.start(1), m.end(1), "VILLE") for m in p.BIRTH_PLACE.finditer(text)]
    if spans:
        guarded = eponyms(text)
        spans = [
            s for s in spans if not any(a < s[1] and s[0] < b for a, b, _ in guarded)
        ]
    return spans


def _not_a_place(text: str, m: re.Match) -> bool:
    """Whether a capitalised word is a field's label opening a line (`Bio :`)
    or a classification in capitals before its grade (`NICE 2`)."""
    after = text[m.end(1) : m.end(1) + 3]
    if m.group(1).isupper() and re.match(r" \d(?!\d)", after):
        return True
    line = text.rfind("\n", 0, m.start(1)) + 1
    return not text[line : m.start(1)].strip() and after.lstrip(" \t")[:1] == ":"


def _sure_towns(written: str) -> Iterator[tuple[int, int]]:
    """Where a capitalised sequence holds sure towns: from each word (not
    inside a hyphenated one: `Legg-Calvé-Perthes`), the longest run of words that is one, spaces read as hyphens (`Boulogne sur
    Mer`), its article kept (`Le Havre`, `Les Lilas`)."""
    folded = fold(written).replace("’", "'")
    cuts = [m.start() for m in _TOWN_END.finditer(written)]
    ends = [len(written), *reversed(cuts)]
    at = 0
    for start in (0, *(c + 1 for c in cuts if written[c] == " ")):
        if start < at:
            continue
        for end in ends:
            if end <= start + 2:
                break
            if written[end : end + 1] == "-" and written[end + 1 : end + 2].islower():
                continue  # not `Saône` of `Saône-et-Loire`
            piece = folded[start:end]
            article = _ARTICLE.match(piece)
            head = piece[: article.end()] if article else ""
            name = head + piece[len(head) :].replace(" ", "-")
            if _sure_town_name(written[start:end], name):
                yield start, end
                at = end
                break


def _word_town(text: str, m: re.Match) -> bool:
    """Whether a commune that is also a word (`Rennes`, `Tours`) is the town:
    written whole, capitalised (not in capitals) within a sentence (`Dr Lamy,
    Limoges`), where the word would be in lower case."""
    written = m.group(1)
    name = fold(written).replace("’", "'").replace(" ", "-")
    if written.isupper() or name in _NOT_TOWNS or name not in word_towns():
        return False
    before = text[: m.start(1)].rstrip(" \t")
    return bool(before) and (before[-1] not in _SENTENCE_END or _block_line(text, m))


def _block_line(text: str, m: re.Match) -> bool:
    """Whether a town stands alone on its line under another line of a block
    (a letterhead's or a signature's: `Maison de santé\nLanderneau`)."""
    start, end = m.span(1)
    line, line_end = text.rfind("\n", 0, start) + 1, text.find("\n", end)
    rest = text[end:] if line_end < 0 else text[end:line_end]
    if not line or text[line:start].strip() or rest.strip():
        return False
    above = text[text.rfind("\n", 0, line - 1) + 1 : line - 1].strip()
    return bool(above) and above[-1] not in ".:;!?"


def _sure_town_name(written: str, name: str) -> bool:
    if (
        name in _NOT_TOWNS
        or name in eponym_words()
        or (written.isupper() and (len(written) < 4 or name in NOT_NAMES))
    ):
        return False
    return _saint(name) in sure_towns()


def towns(text: str) -> list[Span]:
    """Towns after a word of living or birth (any capitalised name), or after a
    preposition when they are communes: after `à` any commune, after another
    preposition one that is no word of notes (`de Mars`) nor a first name (`de
    Nicole`); never an eponym, nor after a first name or a title (`Marie de
    Montmorency`)."""
    guarded = None  # eponyms, found when a town is
    spans: list[Span] = []
    for m in p.TOWN_AFTER.finditer(text):
        start, end = m.span("town")
        if not m.group("verb") and not _commune(text, m):
            continue
        guarded = eponyms(text) if guarded is None else guarded
        while not any(a < end and start < b for a, b, _ in guarded):
            spans.append((start, end, "VILLE"))
            more = p.TOWN_LIST.match(text, end)
            town = fold(more.group(1)) if more else ""
            if not more or not (
                _common_town(town, "list")
                or (  # `via X puis Y`, not `à Braga, Portugal`
                    not more.group().startswith(", ")
                    and _place_name(town, m.group("cue"))
                )
            ):
                break
            start, end = more.span(1)
    return spans


def _commune(text: str, m: re.Match) -> bool:
    town = fold(m.group("town"))
    if not _common_town(town, m.group("cue")) and not (
        _place_name(town, m.group("cue")) and _ENDS_PLACE.match(text, m.end())
    ):
        return False
    before = _WORD_BEFORE.search(text, 0, m.start())
    return not before or (
        fold(before.group(1)) not in first_names()
        and before.group(1).lower().rstrip(".") not in _TITLES
    )


#: What follows a place's name: punctuation, or a word of a sentence (not the
#: species of a germ: `pneumopathie à Legionella pneumophila`).
_ENDS_PLACE = re.compile(
    r"[ \t]*(?:[,.;:()\n]|$)| (?:le|la|les|en|et|puis|pour|depuis|chez|avec|où|dans|au|"
    r"aux|du|de|des|sur|vers|à)\b"
)


def _place_name(town: str, cue: str) -> bool:
    """Whether a folded word after `à`, `via` or `vers` is a place the communes
    lack (`à Porticcio`, `via Lampedusa`, `à Brive`): one word that is no word of
    notes nor of medicine, nor a name of the lexicons (`à Dubois`: a person)."""
    return (
        cue in ("à", "via", "vers")
        and len(town) >= 4
        and not any(c in town for c in " '’")
        and town not in _NOT_TOWNS
        and town not in _PHRASES
        and town not in first_names()
        and town not in surnames()
        and _unknown(town)
    )


def _first_name_town(town: str) -> bool:
    """A folded commune that is a first name too, no word of notes (`Nancy`): a
    town where a centre is named after it."""
    return (
        town in cities()
        and town in first_names()
        and town not in COMMON
        and town not in medical_words()
    )


def _common_town(town: str, cue: str) -> bool:
    """Whether a folded name after `cue` is a commune (`St-Omer` read as
    `Saint-Omer`): after `à` or `au` any, otherwise one that is no word of notes
    and no first name."""
    town = _saint(town)
    article = {"au": "le ", "aux": "les "}.get(cue, "")
    if town not in cities() and article + town not in cities():
        return False
    return cue in ("à", "au") or not (
        town in COMMON
        or town in _PLACE_WORDS
        or town in medical_words()
        or town in first_names()
        or town in eponym_words()
        or len(town) < 3
    )


def _saint(town: str) -> str:
    """A folded town with `st-`, `ste-` written out (`saint-omer`)."""
    return _SAINT.sub(lambda m: "saint" + m.group(1)[2:], town)


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
    return "DATE_NAISSANCE" if p.BIRTH_CUE.search(_before(text, start, 70)) else "DATE"


def names(text: str, identity: Identity | None) -> list[Span]:
    """Names: from context (titles, field labels, relatives, signatures,
    salutations), then first name + surname pairs, upper-case surnames beside a
    first name, and the patient's own names (fuzzy); never an eponym."""
    firsts, lasts = first_names(), surnames()
    guarded = eponyms(text)
    spans = [s for s in context_names(text, firsts) if not _guarded(s, guarded, True)]
    spans += [
        s for s in particle_names(text, firsts) if not _guarded(s, guarded, False)
    ]
    taken = bytearray(len(text))
    for start, end, _ in spans:
        taken[start:end] = b"\x01" * (end - start)
    tokens = [
        (m.start(), m.end(), m.group())
        for m in _TOKEN.finditer(text)
        if not taken[m.start()] and m.group().lower().rstrip(".") not in _TITLES
    ]
    own = identity.names() if identity else OwnNames({})
    i = 0
    while i < len(tokens):
        group = _group(text, tokens, i)
        words = [fold(t[2]) for t in group]
        labels = _labels(text, group, words, own, firsts, lasts)
        spans += [s for s in _runs(group, labels) if not _guarded(s, guarded, False)]
        i += len(group)
    return spans + _initials(text, spans)


def _initials(text: str, spans: list[Span]) -> list[Span]:
    """An initial right after a first name: the surname (`Sabrina M.`); right
    after a surname in capitals, or before a surname: the first name (`DUPONT
    J.`, `J. Dos Santos`)."""
    out = []
    for start, end, label in spans:
        upper = label == "NOM" and text[start:end].isupper()
        initial = (
            p.INITIAL_AFTER.match(text, end) if label == "PRENOM" or upper else None
        )
        if initial:
            out.append((initial.start(1), initial.end(), "PRENOM" if upper else "NOM"))
        before = p.INITIAL_BEFORE.search(text, max(0, start - 6), start)
        if label == "NOM" and before:
            out.append((before.start(1), before.end(1), "PRENOM"))
    return out


def _guarded(span: Span, guarded: list, head_only: bool) -> bool:
    """Whether a name span touches an eponym (after a medical head word only,
    for names found from their context)."""
    return any(
        a < span[1] and span[0] < b and (head or not head_only)
        for a, b, head in guarded
    )


def _runs(group: list, labels: list[str | None]) -> list[Span]:
    """Consecutive words of one label as one span (`Da Silva`), particles
    (`Le`, `Da`, `Ben`) joining the surname that follows them."""
    labels = list(labels)
    for k in range(len(labels) - 2, -1, -1):
        if labels[k] is None and fold(group[k][2]) in PARTICLES:
            labels[k] = "NOM" if labels[k + 1] == "NOM" else None
    spans: list[Span] = []
    for token, label in zip(group, labels, strict=True):
        if label and spans and spans[-1][2] == label:
            spans[-1] = (spans[-1][0], token[1], label)
        elif label:
            spans.append((token[0], token[1], label))
    return spans


def _group(text: str, tokens: list, i: int) -> list:
    """Capitalised words that follow each other on a line (at most four)."""
    group = [tokens[i]]
    while (
        len(group) < 4
        and i + len(group) < len(tokens)
        and _GAP.match(text[group[-1][1] : tokens[i + len(group)][0]])
    ):
        group.append(tokens[i + len(group)])
    return group


def _labels(text, group, words, own, firsts, lasts) -> list[str | None]:
    """The label of each word of a group, or None for an ordinary word."""
    n = len(words)
    labels: list[str | None] = [own.label(w) for w in words]
    for k in range(n - 1):
        a, b = group[k][2], group[k + 1][2]
        if (
            a.isupper()
            and len(a) > 1
            and words[k] not in NOT_NAMES
            and _first_name(words[k], words[k + 1], b, firsts)
        ):
            labels[k], labels[k + 1] = "NOM", "PRENOM"
            j = k - 1
            while j >= 0 and group[j][2].isupper() and words[j] not in NOT_NAMES:
                labels[j], j = "NOM", j - 1
        elif (
            words[k] in firsts
            and not b.isupper()
            and _namelike(words[k + 1], lasts, own)
        ):
            labels[k], labels[k + 1] = labels[k] or "PRENOM", labels[k + 1] or "NOM"
        elif words[k + 1] in lasts and labels[k] == "PRENOM":
            labels[k + 1] = "NOM"
        elif words[k] in firsts and not a.isupper() and _upper_name(b, words[k + 1]):
            labels[k] = labels[k] or "PRENOM"  # `Claire MARCHAND`, `Claire LE GOFF`
            j = k + 1
            while j < n and _upper_name(group[j][2], words[j]):
                labels[j], j = "NOM", j + 1
    return _sure(text, group, words, labels)


def _upper_name(word: str, folded: str) -> bool:
    """A surname in capitals (`MARCHAND`, `LE` of `LE GOFF`), not an acronym."""
    return (
        word.isupper()
        and len(word) > 1
        and (folded not in NOT_NAMES or folded in PARTICLES)
    )


def _first_name(upper: str, word: str, token: str, firsts: frozenset[str]) -> bool:
    """After an upper-case surname: a first name of the lexicon, or a capitalised
    word where neither word is a known word (`PINA Djamel`, not `AVC Ischémique`,
    `DOLIPRANE Comprimé`)."""
    return word in firsts or (
        not token.isupper()
        and len(word) >= 3
        and word not in COMMON
        and unknown_word(word)
        and unknown_word(upper)
    )


def _sure(text: str, group, words, labels: list[str | None]) -> list[str | None]:
    """Words left unlabelled that are names and nothing else (`Leclercq`, not
    `Blanc`): names without context. Acronyms (upper case, 3 letters) are not,
    nor a first name after a masculine article (a brand: `le Vania`)."""
    sure = sure_names()
    return [
        label
        or (
            sure.get(word)
            if word not in COMMON
            and word not in NOT_NAMES
            and len(word) >= (4 if token[2].isupper() else 3)
            and not (
                sure.get(word) == "PRENOM"
                and _MASCULINE.search(text, max(0, token[0] - 4), token[0])
            )
            # a first name in capitals alone or beside acronyms is a unit's (`ELSA`)
            and not (
                token[2].isupper()
                and sure.get(word) == "PRENOM"
                and all(t is token or fold(t[2]) in NOT_NAMES for t in group)
            )
            else None
        )
        for token, word, label in zip(group, words, labels, strict=True)
    ]


def _namelike(word: str, lasts: frozenset[str], own: OwnNames) -> bool:
    return word in lasts or word in own or word not in COMMON


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
    written = "|".join(map(re.escape, sorted(forms, key=len, reverse=True)))
    return [
        (m.start(), m.end(), "DATE_NAISSANCE")
        for m in re.finditer(rf"(?<!\d)(?:{written})(?!\d)", text)
    ]
