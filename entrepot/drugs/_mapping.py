"""Thesaurus substances (French INN, lower case) to ATC codes, through the names
and synonyms of the bundled vocabulary's ATC concepts (edsnlp's lexicon and
entrepot's own French names)."""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache

from entrepot.drugs._text import bag_key, fold, name_key

_EXTRAPOLATION = re.compile(r"\(?\s*et,? par extrapolation,? ")
_INVERTED = re.compile(r"^([\w-]+) \(([^)]*)\)$")  # "sodium (bicarbonate de)"


@cache
def atc_names() -> dict[str, tuple[str, ...]]:
    """ATC code -> its French names in the bundled vocabulary, concept name first
    (lower case: substances and groups; upper case: brand names)."""
    from entrepot.warehouse.vocabulary._atc import atc_part

    part = atc_part()
    names: dict[str, list[str]] = defaultdict(list)
    code_of = {}
    for concept in part.concepts:
        code_of[concept.concept_id] = concept.concept_code
        names[concept.concept_code].append(concept.concept_name)
    for concept_id, synonym, _language in part.synonyms:
        names[code_of[concept_id]].append(synonym)
    return {code: tuple(dict.fromkeys(n)) for code, n in names.items()}


_GENERIC = frozenset({"acide", "sodium", "calcium", "magnesium", "potassium", "sels"})
_PARENTHESES = re.compile(r"\s*\([^)]*\)?")


def components(name: str) -> list[str]:
    """The substances an ATC name combines: "sulfamethoxazole et trimethoprime" ->
    both; "losartan et diuretiques" -> losartan, diuretiques; "X en association" -> X."""
    name = _PARENTHESES.sub("", fold(name)).replace(" en association", "")
    name = name.replace(", associations incluses", "")
    return [p.strip() for p in re.split(r" et |, ", name) if p.strip()]


@cache
def _substance_index() -> dict[str, dict[str, set[str]]]:
    """ATC substance codes (level 5, combinations included) by the lower-case names
    of their components: by exact words, bag of words, and first word."""
    index: dict[str, dict[str, set[str]]] = {
        kind: defaultdict(set) for kind in ("exact", "bag", "first")
    }
    for code, names in atc_names().items():
        if len(code) != 7:
            continue
        for name in names:
            if name != name.lower():
                continue  # a brand name
            for part in components(name):
                index["exact"][name_key(part)].add(code)
                index["bag"][bag_key(part)].add(code)
                first, *rest = name_key(part).split() or [""]
                if rest and first not in _GENERIC:
                    index["first"][first].add(code)
    return index


def aliases(name: str) -> list[str]:
    """The plain names a thesaurus substance stands for:
    "phénytoïne (et, par extrapolation, fosphénytoïne)" -> phenytoine, fosphenytoine;
    "sodium (bicarbonate de)" -> bicarbonate de sodium; "abciximab (c 7e3b fab)" -> abciximab.
    """
    out = []
    for part in _EXTRAPOLATION.split(fold(name)):
        part = part.strip()
        if part.count(")") > part.count("("):
            part = part[: part.rindex(")")].strip()
        m = _INVERTED.match(part)
        if m and (m.group(2).endswith(" de") or m.group(2) in ("acide", "toxine")):
            out.append(f"{m.group(2)} {m.group(1)}")  # "bicarbonate de sodium"
        else:
            out.append(_PARENTHESES.sub("", part).strip())
    return [a for a in dict.fromkeys(out) if a]


def _lookup(alias: str) -> set[str]:
    index = _substance_index()
    found = index["exact"].get(name_key(alias), set()) | index["bag"].get(
        bag_key(alias), set()
    )
    if found:
        return found
    first, *rest = name_key(alias).split() or [""]
    if not rest:  # "levothyroxine" -> "levothyroxine sodique"
        return index["first"].get(first, set())
    if first not in _GENERIC:  # "heparine sodique" -> "heparine"
        return index["exact"].get(first, set())
    return set()


def map_to_atc(substances: list[str]) -> dict[str, list[str]]:
    """Each thesaurus substance -> the ATC codes (level 5) holding it, sorted."""
    return {
        name: sorted({code for alias in aliases(name) for code in _lookup(alias)})
        for name in substances
    }
