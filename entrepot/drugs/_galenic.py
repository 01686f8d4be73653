"""Galenic forms of French prescription lines and drug labels, and their routes.

Read with their accents: "AMLODIPINE 5 mg gél" is a capsule (gélule), "DICLOFENAC
1 % gel" a gel. A word naming a route ("buvable", "inj", "nasale", "cutanée") wins
over a form ("cp vaginal", "gél p inhal", "gel buccal"); a form that several routes
share ("pdre", "gouttes", "ampoule") gives only a likely route, marked not sure.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

#: (form, route, pattern) of the words that name a route whatever the form
#: ("buvable", "inj", "cutanée"), with the forms of one route only ("collyre").
_ROUTE_WORDS = (
    (None, "sublingual", r"subling\w*|sl|perlingual\w*"),
    (
        None,
        "buccal",
        r"bucc\w*|bain de bouche|gingiva\w*|oromucos\w*|dentaires?|"
        r"[àa] sucer|gargarismes?",
    ),
    ("gomme à mâcher", "buccal", r"gommes? [àa] m[âa]cher"),
    ("collutoire", "buccal", r"collutoires?"),
    ("pastille", "buccal", r"pastilles?"),
    (None, "ophthalmic", r"ophtalm\w*|opht|oculaires?"),
    ("collyre", "ophthalmic", r"collyres?"),
    (None, "otic", r"auric\w*|otiques?|otologiques?"),
    (None, "nasal", r"nas|nasa(?:l|le|les|ux)|nez"),
    (None, "vaginal", r"vagin\w*|vag"),
    ("ovule", "vaginal", r"ovules?"),
    ("anneau vaginal", "vaginal", r"anneaux? vagina\w*"),
    (None, "rectal", r"rect|recta(?:l|le|les|ux)|intrarect\w*"),
    ("suppositoire", "rectal", r"suppo|suppos|suppositoires?"),
    ("lavement", "rectal", r"lavements?"),
    (None, "inhaled", r"inhal\w*|inh|n[ée]bulis\w*|n[ée]bul"),
    ("dispositif transdermique", "transdermal", r"transderm\w*|patchs?"),
    (
        None,
        "injectable",
        r"inj|injectables?|injections?|perf|perfusions?|iv|ivd|"
        r"ivl|ivse|im|sc|s/c|sous[- ]cut\w*|intraveineu\w*|intramusculaires?|"
        r"intradermiques?|parent[ée]ra\w*",
    ),
    (None, "injectable", r"seringues?|ser|stylos?|pr[ée]-?remplie?s?"),
    (
        None,
        "cutaneous",
        r"(?<!sous-)(?<!sous )(?:cut|cutan[ée]e?s?)|application locale",
    ),
    (
        None,
        "oral",
        r"buv|buvables?|per os|po|ora(?:l|le|les|ux)|orodisp\w*|"
        r"intestina(?:l|le|ux)|[àa] croquer",
    ),
)
#: Forms of one route: the route is sure when no route word says another.
_SURE_FORMS = (
    ("comprimé", "oral", r"cp|cps|cpr|cprs|comp|cpé|comprim[ée]s?"),
    ("gélule", "oral", r"g[ée]lules?|gél"),
    ("capsule", "oral", r"caps|capsules?"),
    ("sachet", "oral", r"sach|sachets?|sachets?-doses?"),
    ("sirop", "oral", r"sirops?"),
    ("granulés", "oral", r"gran|granul[ée]s?"),
    ("dragée", "oral", r"drag[ée]es?"),
    ("lyophilisat oral", "oral", r"lyoc"),
    (
        "comprimé",
        "oral",
        r"efferv\w*|pellic\w*|s[ée]c|s[ée]cables?|dispers\w*|"
        r"gastro-?r[ée]s\w*",
    ),
    ("gel", "cutaneous", r"gels?"),
    ("crème", "cutaneous", r"cr[èe]mes?"),
    ("pommade", "cutaneous", r"pom|pommades?"),
    ("lotion", "cutaneous", r"lot|lotions?"),
    ("shampooing", "cutaneous", r"shamp|shampoo?ings?"),
    ("vernis", "cutaneous", r"vernis"),
    ("emplâtre", "cutaneous", r"empl[âa]tres?"),
    ("liniment", "cutaneous", r"liniments?"),
)
#: Forms of several routes: the likely one (None: none) is a guess.
_GUESSED_FORMS = (
    ("poudre", "oral", r"pdre|poudres?"),
    ("gouttes", "oral", r"gtt|gtte|gttes|gouttes?"),
    ("ampoule", "injectable", r"amp|ampoules?"),
    ("lyophilisat", "injectable", r"lyoph\w*"),
    ("implant", "injectable", r"implants?"),
    ("aérosol", "inhaled", r"a[ée]rosols?"),
    ("mousse", "cutaneous", r"mousses?"),
    ("solution", None, r"sol|solutions?"),
    ("suspension", None, r"susp|suspensions?"),
    ("émulsion", None, r"[ée]muls|[ée]mulsions?"),
    ("pulvérisation", None, r"pulv\w*|sprays?"),
)
#: Release modifiers.
_MODIFIERS = (("libération modifiée", "oral", r"lp|li|lm"),)
#: Containers and modifiers: the form only when the line names no other.
_CONTAINERS = frozenset({"sachet", "ampoule", "libération modifiée"})


def _compiled(table) -> list[tuple[str | None, str | None, re.Pattern]]:
    return [(f, r, re.compile(rf"(?<!\w)(?:{p})(?!\w)")) for f, r, p in table]


_ROUTES = _compiled(_ROUTE_WORDS)
_SURE = _compiled(_SURE_FORMS)
_GUESSED = _compiled(_GUESSED_FORMS) + _compiled(_MODIFIERS)


@dataclass(frozen=True)
class Galenic:
    """What a label says of its form and route. `said`: the words read;
    `doubt`: why the route is not sure (None: sure, or nothing said)."""

    route: str | None = None
    form: str | None = None
    said: str | None = None
    doubt: str | None = None


def _text(line: str) -> str:
    """Lower case with accents (NFC), one kind of apostrophe, single spaces."""
    text = unicodedata.normalize("NFC", line).lower().replace("’", "'")
    return re.sub(r"\s+", " ", text)


def _found(table, text: str) -> list[tuple[int, str | None, str | None, str]]:
    """(position, form, route, words) of each word of a table in the text, in order."""
    return sorted(
        (m.start(), form, route, m.group())
        for form, route, pattern in table
        for m in pattern.finditer(text)
    )


def _first(found, kind: str) -> Galenic:
    """The route of the first word found; a doubt when the others name another."""
    _, _, route, said = found[0]
    doubt = None
    if len({r for _, _, r, _ in found}) > 1:
        words = ", ".join(f"« {w} »" for *_, w in found)
        doubt = f"{words}: {kind} différentes sur la ligne, voie {route} retenue"
    return Galenic(route, None, said, doubt)


def read_galenic(line: str) -> Galenic:
    """The form and route a prescription line or drug label states."""
    text = _text(line)
    forms = [
        (f in _CONTAINERS, guessed, position, f)
        for guessed, table in enumerate((_ROUTES + _SURE, _GUESSED))
        for position, f, _, _ in _found(table, text)
        if f
    ]
    form = min(forms)[-1] if forms else None
    if found := _found(_ROUTES, text):
        read = _first(found, "voies")
    elif found := _found(_SURE, text):
        read = _first(found, "formes de voies")
    elif found := _found(_GUESSED, text):
        _, _, route, said = found[0]
        where = f"voie {route} supposée" if route else "voie non dite"
        read = Galenic(
            route, None, said, f"« {said} »: forme de plusieurs voies, {where}"
        )
    else:
        return Galenic()
    return replace(read, form=form)
