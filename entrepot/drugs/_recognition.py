"""French prescription lines to substances (with ATC), dose and route.

"KARDEGIC 75 mg pdre p sol buv en sachet-dose" -> acide acétylsalicylique
(B01AC06), 75 mg, oral. Names come from the bundled vocabulary's ATC concepts
(INNs and brand names, from edsnlp's lexicon) and from the thesaurus's own
substances; a combination product is split into its substances through the
name of its ATC code ("sulfamethoxazole et trimethoprime").
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cache

from entrepot.drugs._galenic import Galenic, read_galenic
from entrepot.drugs._mapping import aliases, atc_names, components
from entrepot.drugs._text import fold, spelling_key
from entrepot.drugs._thesaurus import Thesaurus

MAX_LINE = 500  # characters: no drug label is longer; longer lines are not read
_MAX_NAME_WORDS = 6
#: Words of forms that edsnlp's lexicon lists as names of some products.
_FORM_WORDS = frozenset(
    spelling_key(w)
    for w in (
        "solution",
        "gel",
        "collyre",
        "creme",
        "pommade",
        "poudre",
        "sirop",
        "comprime",
    )
)
#: ATC groups given by one local route only, when the label says none.
_ATC_ROUTES = (("S01", "ophthalmic"), ("S02", "otic"), ("G01", "vaginal"))
#: ATC groups with forms of a local route: a label's local route that none of its
#: codes has ("AMLODIPINE 5 mg GEL": a capsule?) is not trusted.
LOCAL_ATC = {
    "cutaneous": ("D", "M02", "C05", "N01B"),
    "ophthalmic": ("S01", "S03"),
    "otic": ("S02", "S03"),
    "nasal": ("R01",),
    "vaginal": ("G01", "G02C"),
}
#: Local routes, and the word a thesaurus class must name to apply through them
#: ("BÊTA-BLOQUANTS ... (Y COMPRIS COLLYRES)"); None: no interaction at all.
LOCAL_ROUTES = {
    "cutaneous": None,
    "otic": None,
    "ophthalmic": "collyre",
    "nasal": "nasal",
    "vaginal": "vaginal",
}
ORAL_CLASS = "medicaments administres par voie orale"
VAGINAL_CLASS = "medicaments utilises par voie vaginale"
_STRENGTH = re.compile(
    r"(\d+(?:[.,]\d+)?)\s*(mg|g|microgrammes?|µg|μg|mcg|ui|ml)(?![a-z])"
)
_PER_DAY = re.compile(r"(\d+(?:[.,]\d+)?)\s*(mg|g)\s*(?:/|par)\s*(?:j|jour|24 ?h)\b")
_TIMES = re.compile(r"(?:(\d+)\s*(?:x|fois)|x\s*(\d+))\s*(?:/|par)\s*(?:j|jour)\b")
_TO_MG = {"mg": 1.0, "g": 1000.0, "microgramme": 0.001, "microgrammes": 0.001}


@dataclass(frozen=True)
class Drug:
    """What a prescription line is: its substances, ATC codes, dose and route."""

    input: str
    recognized: bool
    substances: tuple[str, ...] = ()
    atc: tuple[str, ...] = ()
    dose: dict | None = None
    route: str | None = None
    form: str | None = None  # the galenic form read ("gélule")
    route_doubt: str | None = None  # why the route is a guess (None: it is not)
    #: (folded substance, the thesaurus names it interacts through on this route)
    interactants: tuple[tuple[str, frozenset[str]], ...] = field(
        default=(), repr=False, compare=False
    )

    def to_dict(self) -> dict:
        return {
            "input": self.input,
            "recognized": self.recognized,
            "substances": list(self.substances),
            "atc": list(self.atc),
            "dose": self.dose,
            "route": self.route,
            "form": self.form,
            "route_doubt": self.route_doubt,
        }

    @property
    def mg_per_intake(self) -> float | None:
        return self.dose.get("mg") if self.dose else None


@dataclass
class _Names:
    """Name key -> ATC codes and thesaurus substances (folded) it stands for."""

    atc: dict[str, set[str]]
    substances: dict[str, set[str]]
    classes: dict[str, set[str]]  # classes named by a combination's ATC name
    display: dict[str, str]  # folded substance -> name as written


@cache
def _names(thesaurus: Thesaurus) -> _Names:
    by_code: dict[str, set[str]] = defaultdict(set)
    for key, substance in thesaurus.substances.items():
        for code in substance.atc:
            by_code[code].add(key)
    class_names = {fold(c) for s in thesaurus.substances.values() for c in s.classes}
    names = _Names(defaultdict(set), defaultdict(set), defaultdict(set), {})
    for code, code_names in atc_names().items():
        if len(code) != 7:
            continue
        found_classes = {
            part for part in components(code_names[0]) if part in class_names
        }
        for name in (code, *code_names):  # the code itself too: "B01AA12"
            key = spelling_key(name)
            if key in _FORM_WORDS:
                continue
            names.atc[key].add(code)
            names.substances[key] |= by_code.get(code, set())
            names.classes[key] |= found_classes
    for key, substance in thesaurus.substances.items():
        names.display[key] = substance.name
        single = {c for c in substance.atc if len(components(atc_names()[c][0])) == 1}
        for alias in aliases(substance.name):
            names.substances[spelling_key(alias)].add(key)
            names.atc[spelling_key(alias)] |= single or set(substance.atc)
    return names


def recognize(line: str, thesaurus: Thesaurus | None = None) -> Drug:
    """One prescription line as a `Drug`; `recognized` is False when no name is known."""
    thesaurus = thesaurus or Thesaurus.current()
    if not isinstance(line, str) or not line.strip() or len(line) > MAX_LINE:
        return Drug(
            input=line if isinstance(line, str) else repr(line), recognized=False
        )
    names = _names(thesaurus)
    tokens = spelling_key(line).split()
    atc: set[str] = set()
    substances: set[str] = set()
    classes: set[str] = set()
    i = 0
    while i < len(tokens):
        for n in range(min(_MAX_NAME_WORDS, len(tokens) - i), 0, -1):
            key = " ".join(tokens[i : i + n])
            if key in names.atc or key in names.substances:
                atc |= names.atc.get(key, set())
                substances |= names.substances.get(key, set())
                classes |= names.classes.get(key, set())
                i += n
                break
        else:
            i += 1
    if not (atc or substances):
        return Drug(input=line, recognized=False)
    galenic = route_of(line, atc)
    atc = _on_route(atc, galenic)
    shown = sorted(names.display.get(s, s) for s in substances) or sorted(
        {part for code in atc for part in components(atc_names()[code][0])}
    )
    return Drug(
        input=line,
        recognized=True,
        substances=tuple(shown),
        atc=tuple(sorted(atc)),
        dose=dose_of(line),
        route=galenic.route,
        form=galenic.form,
        route_doubt=galenic.doubt,
        interactants=_interactants(
            thesaurus, substances, classes, galenic.route, galenic.doubt is None
        ),
    )


def _on_route(atc: set[str], galenic: Galenic) -> set[str]:
    """The codes of a name that fit the route the label states: azithromycin
    tablets are J01FA10, its eye drops S01AA26 (all codes when none fits)."""
    if galenic.route is None or galenic.doubt is not None:
        return atc
    if local := LOCAL_ATC.get(galenic.route):
        fitting = {c for c in atc if c.startswith(local)}
    else:  # a systemic route: not the codes of a local route's group
        fitting = {c for c in atc if not c.startswith(tuple(p for p, _ in _ATC_ROUTES))}
    return fitting or atc


def route_of(line: str, atc: set[str] | frozenset[str] = frozenset()) -> Galenic:
    """The form and route a label states, doubted when none of its ATC codes has
    forms of that local route; else the local route its ATC groups imply (a guess)."""
    read = read_galenic(line)
    allowed = LOCAL_ATC.get(read.route)
    if allowed and atc and read.doubt is None:
        if not any(c.startswith(allowed) for c in atc):
            codes = ", ".join(sorted(atc))
            doubt = f"« {read.said} » lu voie {read.route}, forme que {codes} n'a pas"
            return replace(read, doubt=doubt)
    if read.route:
        return read
    implied = {r for prefix, r in _ATC_ROUTES for c in atc if c.startswith(prefix)}
    if (
        atc
        and len(implied) == 1
        and all(any(c.startswith(p) for p, _ in _ATC_ROUTES) for c in atc)
    ):
        route = implied.pop()
        codes = ", ".join(sorted(atc))
        return replace(read, route=route, doubt=f"voie {route} déduite de {codes}")
    return read


def dose_of(line: str) -> dict | None:
    """Strengths on the label, in order, with the first in mg when it is a mass,
    and the daily dose when the line says it ("1 g x 3/j", "3 g/jour")."""
    folded = fold(line).replace("µ", "μ")
    strengths = [
        [float(v.replace(",", ".")), u.replace("μg", "microgrammes")]
        for v, u in _STRENGTH.findall(folded)
    ]
    per_day = None
    if m := _PER_DAY.search(folded):
        per_day = float(m.group(1).replace(",", ".")) * _TO_MG[m.group(2)]
        strengths = [s for s in strengths if s[0] * _TO_MG.get(s[1], 0) != per_day]
    if not strengths and per_day is None:
        return None
    dose: dict = {"strengths": strengths}
    if strengths and strengths[0][1] in _TO_MG:
        dose["mg"] = strengths[0][0] * _TO_MG[strengths[0][1]]
    if per_day is None and "mg" in dose and (m := _TIMES.search(folded)):
        per_day = dose["mg"] * int(m.group(1) or m.group(2))
    dose["mg_per_day"] = per_day
    return dose


def _interactants(
    thesaurus: Thesaurus,
    substances: set[str],
    classes: set[str],
    route: str | None,
    sure: bool,
) -> tuple[tuple[str, frozenset[str]], ...]:
    """The thesaurus names each substance interacts through by this route: a
    cutaneous gel through none, eye drops through classes that name them. A route
    that is not sure only adds names: it never removes one."""
    out = []
    for substance in sorted(substances) + sorted(classes):
        keys = thesaurus.keys_of(substance)
        if route == "oral":
            keys.add(ORAL_CLASS)
        elif route == "vaginal":
            keys = {VAGINAL_CLASS} | (set() if sure else keys)
        if route in LOCAL_ROUTES and sure:
            word = LOCAL_ROUTES[route]
            keys = {k for k in keys if word and word in k}
        if keys:
            out.append((substance, frozenset(keys)))
    return tuple(out)
