"""ATC, the WHO drug classification, with French names and brand names."""

from __future__ import annotations

import json
import re

from entrepot.warehouse.vocabulary._concept import (
    Part,
    local_concept,
    local_concept_id,
    read_csv,
    read_text,
)

VOCABULARY = "ATC"
#: Code length -> OMOP's concept class of that ATC level.
LEVELS = {1: "ATC 1st", 3: "ATC 2nd", 4: "ATC 3rd", 5: "ATC 4th", 7: "ATC 5th"}
_CODE = re.compile(r"[A-Z](\d\d([A-Z]([A-Z](\d\d)?)?)?)?")
_FALLBACK_MEMBERS = 3  # substances named in the fallback name of a group


def normalise(code: str) -> str:
    """The ATC code, with a letter O typed for a zero fixed (`JO5AX09`)."""
    digits = (1, 2, 5, 6)
    fixed = "".join("0" if c == "O" and i in digits else c for i, c in enumerate(code))
    if not _CODE.fullmatch(fixed):
        raise ValueError(f"{code!r} is not an ATC code")
    return fixed


def ancestors(code: str) -> list[str]:
    """The codes above an ATC code, nearest first: `L04AX01` -> L04AX, L04A, L04, L."""
    return [code[:n] for n in (5, 4, 3, 1) if n < len(code)]


def _lexicon() -> dict[str, list[str]]:
    """edsnlp's drugs.json: ATC code -> French names (lower case: substances and
    groups; upper case: brands)."""
    raw: dict[str, list[str]] = json.loads(read_text("drugs.json.gz"))
    lexicon: dict[str, list[str]] = {}
    for code, names in raw.items():
        lexicon.setdefault(normalise(code), []).extend(names)
    for row in read_csv("atc_brands.csv"):  # common brands edsnlp's lexicon lacks
        lexicon.setdefault(row["code"], []).append(row["brand"])
    return lexicon


def _lexicon_name(names: list[str]) -> str | None:
    """The substance or group name among names: lower case, preferably not a
    combination ("... en association")."""
    lower = [n for n in names if n == n.lower()]
    plain = [n for n in lower if "en association" not in n]
    return (plain or lower or [None])[0]


def atc_part() -> Part:
    """Every ATC code edsnlp knows, its groups up to the anatomical main group."""
    lexicon = _lexicon()
    names = {r["code"]: r["label"] for r in read_csv("atc_groups.csv")}
    names |= {r["code"]: r["name"] for r in read_csv("atc_names.csv")}
    codes = set(lexicon) | set(names)
    codes |= {a for code in codes for a in ancestors(code)}
    for code in sorted(codes):
        if code not in names and (name := _lexicon_name(lexicon.get(code, []))):
            names[code] = name
    missing = [c for c in codes if c not in names and len(c) in (1, 3, 7)]
    if missing:
        raise ValueError(f"ATC codes without a French name: {sorted(missing)}")

    members: dict[str, list[str]] = {}
    for code in sorted(c for c in codes if len(c) == 7):
        for group in ancestors(code):
            members.setdefault(group, []).append(names[code])

    part = Part()
    for code in sorted(codes, key=lambda c: (len(c), c)):
        name = names.get(code) or _fallback_name(code, names, members.get(code, []))
        level5 = len(code) == 7
        concept = local_concept(
            VOCABULARY, code, name, "Drug", LEVELS[len(code)], "S" if level5 else "C"
        )
        part.concepts.append(concept)
        if parents := ancestors(code):
            parent_id = local_concept_id(VOCABULARY, parents[0])
            part.parents.append((concept.concept_id, parent_id))
        for synonym in dict.fromkeys(lexicon.get(code, [])):
            if synonym != concept.concept_name:
                part.add_synonym(concept.concept_id, synonym)
    return part


def _fallback_name(code: str, names: dict[str, str], members: list[str]) -> str:
    """A name for a group that has none: its nearest named group, then the first
    substances it holds, e.g. "Immunosuppresseurs (azathioprine, thalidomide, …)"."""
    group = next(names[a] for a in ancestors(code) if a in names)
    shown = ", ".join(members[:_FALLBACK_MEMBERS])
    more = ", …" if len(members) > _FALLBACK_MEMBERS else ""
    return f"{group} ({shown}{more})" if members else group
