"""Regular expressions for French identifiers, with the NIR's key check."""

from __future__ import annotations

import re

MONTHS = (
    "janvier|février|fevrier|mars|avril|mai|juin|juillet|août|aout|septembre|"
    "octobre|novembre|décembre|decembre|janv\\.?|févr\\.?|sept\\.?|oct\\.?|nov\\.?|déc\\.?"
)
UPPER = "A-ZÀÂÄÇÉÈÊËÎÏÔÖÙÛÜŸÆŒ"
LOWER = "a-zàâäçéèêëîïôöùûüÿæœ"
WORD = f"[{UPPER}][{LOWER}{UPPER}'’]+"  # a capitalised word
NAME = f"{WORD}(?:[- ]{WORD})?"

MAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?<![\d.,])(?:\+33 ?\(?0?\)? ?|0)[1-9](?:[ .-]?\d{2}){4}(?![\d,])")
NIR = re.compile(
    r"(?<![\d.,])[12][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[AB])"
    r"[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d{2})?(?![\d,])"
)
DIGITS = re.compile(r"(?<![\d.,/])\d{7,13}(?![\d,/]|\.\d)")
DATE = re.compile(
    r"(?<![\d/])(?:"
    r"(?:0?[1-9]|[12]\d|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:19|20)?\d{2}"
    rf"|(?:1er|[12]?\d|3[01]) (?:{MONTHS})(?: (?:19|20)\d{{2}})?"
    rf"|(?:{MONTHS}) (?:19|20)\d{{2}}"
    r"|(?:0?[1-9]|1[0-2])/(?:19|20)\d{2}"
    r")(?![\d/])",
    re.IGNORECASE,
)
YEAR = re.compile(
    r"(?<![\d,./])(?:19[0-9]{2}|20[0-9]{2})(?![\d/]|[,.]\d| ?(?:mg|g|ml|mL|UI|µg|%))"
)
BIRTH_CUE = re.compile(
    r"(?:n[ée]e?s? le|DDN|date de naissance|naissance)\s*:?\s*$", re.IGNORECASE
)
STREET_KINDS = (
    "rue|avenue|av\\.|boulevard|bd|place|allée|allee|impasse|chemin|route|quai|"
    "cours|square|passage|villa|cité|cite|résidence|residence|sentier|rond-point|"
    "faubourg|esplanade|promenade|voie|hameau|lieu-dit|parvis|chaussée"
)
ADDRESS = re.compile(
    rf"\b\d{{1,4}}(?: ?(?:bis|ter|b))?,? (?:{STREET_KINDS})\b[^,\n\d]*"
    r"(?:\d+[-\w]*[^,\n\d]*)?",
    re.IGNORECASE,
)
ZIP_CITY = re.compile(
    rf"(?<!\d)((?:0[1-9]|[1-8]\d|9[0-8])\d{{3}})[ ,]+((?:{WORD}|L'|d'|de|du|des|la|le|les|sur|sous|en|lès|\d{{1,2}}(?:e|er))"
    rf"(?:[- ](?:{WORD}|L'{WORD}|d'{WORD}|l'{WORD}|de|du|des|la|le|les|sur|sous|en|lès|et|\d{{1,2}}(?:e|er)))*)"
)
HOSPITAL = re.compile(
    rf"\b(?:H[ôo]pital|Clinique|CHU|CHR|CHI|CH|Centre hospitalier(?: universitaire)?|"
    rf"Groupe hospitalier|GHU?|Institut|Polyclinique|Hôpitaux)"
    rf"(?: (?:de la|de l'|du|des|de|d'))? ?{WORD}(?:[- ](?:{WORD}|de|du|la|les|d'{WORD}))*"
)
IPP_CUE = re.compile(
    r"(?:IPP|N° ?(?:de )?patient|n° ?patient|identifiant patient|dossier)\s*:?\s*$",
    re.IGNORECASE,
)
NDA_CUE = re.compile(
    r"(?:NDA|N° ?(?:de )?séjour|n° ?séjour|venue|N° ?(?:d')?admission)\s*:?\s*$",
    re.IGNORECASE,
)
NIR_CUE = re.compile(
    r"(?:NIR|N° ?SS|sécurité sociale|INS|n° ?d'assuré)\s*:?\s*$", re.IGNORECASE
)
TITLE = re.compile(
    r"\b(?:Dr\.?|Docteur|Pr\.?|Professeur|M\.|Mr\.?|Mme|Mlle|Monsieur|Madame|"
    r"Mademoiselle|Me)\s+"
)
FIELD = re.compile(
    r"(?:\bNom(?: de naissance| d'usage| marital)?|Prénoms?|IDE|Infirmi[eè]re?|"
    r"Patient(?:e)?|Personne à prévenir|Interne|Externe|Médecin|Signataire|Rédigé par|"
    r"Validé par|Dicté par|Aide-soignante?|Cadre)\s*:\s*"
)


def nir_key_ok(text: str) -> bool:
    """Whether a 15-character NIR's key is 97 − (first 13 digits mod 97)."""
    digits = re.sub(r"[ .]", "", text).upper()
    if len(digits) != 15:
        return False
    body = digits[:13].replace("2A", "19").replace("2B", "18")
    if not body.isdigit() or not digits[13:].isdigit():
        return False
    return 97 - int(body) % 97 == int(digits[13:])
