"""The ANSM drug interaction thesaurus: substances, classes, rules and levels.

The package ships the edition of 2020-10-20 as one compact file
(`entrepot/data/drugs/`); `install_thesaurus` converts a newer edition, in the
JSON shape of the ANSM extraction (one entry per pair and side, both sides
present), into the same compact form under the user's data folder, where
`Thesaurus.current()` finds it.
"""

from __future__ import annotations

import gzip
import json
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from pathlib import Path

from entrepot.drugs._text import fold
from entrepot.errors import ThesaurusError

#: Level codes, most severe first, with the thesaurus's own wording.
LEVELS = {
    "contre-indication": "Contre-indication",
    "association-deconseillee": "Association déconseillée",
    "precaution-emploi": "Précaution d'emploi",
    "a-prendre-en-compte": "A prendre en compte",
}
_LEVEL_SPELLINGS = {
    "contre-indication": "contre-indication",
    "association deconseillee": "association-deconseillee",
    "precaution d'emploi": "precaution-emploi",
    "a prendre en compte": "a-prendre-en-compte",
    "il convient de prendre en compte": "a-prendre-en-compte",
}
BUNDLED_EDITION = "2020-10-20"
#: Aspirin dose ranges named in level texts, as (category, words that name it).
_DOSE_WORDS = (
    ("anti-inflammatoire", ("anti-inflammatoire",)),
    ("antalgique", ("antalgique", "antipyretique")),
    ("antiagregant", ("antiagregant",)),
)
_ROUTE_WORDS = (
    ("injectable", re.compile(r"\biv\b|intraveineu|voie injectable|parenteral")),
    ("oral", re.compile(r"per os|voie orale")),
    ("sublingual", re.compile(r"sublingual")),
)
_DOSE_SUBSTANCE = "acide acetylsalicylique"
_CONDITION_START = re.compile(
    r"[-:(]|[a-zàâéèêëîïôùûç]|(?i:avec|pour|dans|en cas|en l'absence|chez|lorsque|la contre)"
)
_SENTENCE_END = re.compile(r"\.\s+(?=[A-Z])")
_DOSE_CLAUSE = re.compile(r"(?i)pour des doses.*?(?=\s:\s)|pour des doses.*\)")


def level_rank(level: str) -> int:
    """0 for the most severe level, 3 for the least."""
    return list(LEVELS).index(level)


@dataclass(frozen=True)
class Level:
    """One level of a rule, with the condition that restricts it and what to do.

    `doses` (aspirin dose ranges) and `routes` (of the substance `Rule.route_of`)
    restrict the level when the thesaurus text names them; empty: no restriction.
    """

    level: str
    condition: str
    conduct: str
    doses: tuple[str, ...] = ()
    routes: tuple[str, ...] = ()
    substances: tuple[str, ...] = ()  # named in the condition: only they get it


@dataclass(frozen=True)
class Rule:
    """One interacting pair of the thesaurus (each pair once), as it names them."""

    a: str
    b: str
    risk: str
    levels: tuple[Level, ...]
    route_of: str | None = None  # folded name of the side whose route matters

    @property
    def keys(self) -> tuple[str, str]:
        return fold(self.a), fold(self.b)


@dataclass(frozen=True)
class Substance:
    name: str
    classes: tuple[str, ...]
    atc: tuple[str, ...]


@dataclass(eq=False)  # hashed by identity: indexes are cached per edition
class Thesaurus:
    """A thesaurus edition, indexed for checking."""

    edition: str
    source: str
    substances: dict[str, Substance]  # by folded name
    rules: list[Rule]
    by_key: dict[str, list[tuple[int, int]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        index: dict[str, list[tuple[int, int]]] = defaultdict(list)
        for i, rule in enumerate(self.rules):
            a, b = rule.keys
            index[a].append((i, 0))
            if b != a:
                index[b].append((i, 1))
        self.by_key = dict(index)

    def keys_of(self, substance: str) -> set[str]:
        """The names a substance interacts through: its own and its classes'."""
        known = self.substances.get(substance)
        return {substance, *(fold(c) for c in known.classes)} if known else {substance}

    @property
    def mapped_share(self) -> float:
        """Share of the substances mapped to at least one ATC code."""
        mapped = sum(bool(s.atc) for s in self.substances.values())
        return mapped / max(len(self.substances), 1)

    @classmethod
    def bundled(cls) -> Thesaurus:
        """The edition shipped with entrepot (2020-10-20)."""
        return _bundled()

    @classmethod
    def current(cls) -> Thesaurus:
        """The newest edition installed with `install_thesaurus`, else the bundled one."""
        installed = sorted(_installed_folder().glob("thesaurus-*.json.gz"))
        if installed and installed[-1].name > f"thesaurus-{BUNDLED_EDITION}.json.gz":
            return _read(installed[-1])
        return cls.bundled()

    @classmethod
    def from_compact(cls, data: dict) -> Thesaurus:
        return cls(
            edition=data["edition"],
            source=data["source"],
            substances=_merged(data["substances"]),
            rules=[
                Rule(
                    a=r["a"],
                    b=r["b"],
                    risk=r["risk"],
                    route_of=r.get("route_of"),
                    levels=tuple(
                        Level(
                            level=lv["level"],
                            condition=lv["condition"],
                            conduct=lv["conduct"],
                            doses=tuple(lv.get("doses", ())),
                            routes=tuple(lv.get("routes", ())),
                            substances=tuple(lv.get("substances", ())),
                        )
                        for lv in r["levels"]
                    ),
                )
                for r in data["rules"]
            ],
        )


def _merged(rows: list) -> dict[str, Substance]:
    """Substances by folded name; a name listed twice ("everolimus", "évérolimus")
    is one substance with the classes and ATC codes of both, named with its accents."""
    out: dict[str, Substance] = {}
    for name, classes, atc in rows:
        key = fold(name)
        if known := out.get(key):
            name = name if fold(known.name) == known.name else known.name
            classes = [*known.classes, *classes]
            atc = [*known.atc, *atc]
        out[key] = Substance(
            name, tuple(dict.fromkeys(classes)), tuple(sorted(set(atc)))
        )
    return out


@cache
def _bundled() -> Thesaurus:
    path = files("entrepot.data.drugs") / f"thesaurus-{BUNDLED_EDITION}.json.gz"
    return Thesaurus.from_compact(json.loads(gzip.decompress(path.read_bytes())))


def _read(path: Path) -> Thesaurus:
    return Thesaurus.from_compact(json.loads(gzip.decompress(path.read_bytes())))


def _installed_folder() -> Path:
    """Where `load-thesaurus` puts editions: $ENTREPOT_DATA_DIR, else the XDG data folder."""
    if home := os.environ.get("ENTREPOT_DATA_DIR"):
        return Path(home) / "drugs"
    xdg = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(xdg) / "entrepot" / "drugs"


# -- conversion from the ANSM JSON -------------------------------------------------
def convert(entries: list[dict], substances: list[dict], edition: str, source: str):
    """The compact form of a thesaurus (a JSON-able dict): mirrored pairs kept once,
    levels as codes, texts repaired, substances mapped to ATC."""
    from entrepot.drugs._mapping import map_to_atc

    if not isinstance(entries, list) or not entries:
        raise ThesaurusError("the thesaurus file holds no list of interactions")
    try:
        names = [(s["substance"].strip(), s["drug_classes"]) for s in substances]
    except (KeyError, TypeError, AttributeError) as e:
        raise ThesaurusError(f"substances: missing or wrong field {e}") from e
    named = _name_patterns([name for name, _ in names])
    rules, seen = [], set()
    for n, entry in enumerate(entries):
        try:
            a, b = entry["main_drug"].strip(), entry["plus_drug"].strip()
            pair = frozenset((fold(a), fold(b)))
            if pair in seen:
                continue  # the mirror of a pair already kept
            seen.add(pair)
            rules.append(_rule(a, b, entry, named))
        except (KeyError, TypeError, AttributeError) as e:
            raise ThesaurusError(f"interaction {n}: missing or wrong field {e}") from e
    atc = map_to_atc([name for name, _ in names])
    return {
        "edition": edition,
        "source": source,
        "substances": [[name, classes, atc[name]] for name, classes in names],
        "rules": rules,
    }


def _name_patterns(substances: list[str]) -> list[tuple[str, re.Pattern]]:
    """(folded substance, a pattern finding its plain names in a folded text)."""
    from entrepot.drugs._mapping import aliases

    out = []
    for name in substances:
        plain = [re.escape(a) for a in aliases(name) if len(a) > 3]
        if plain:
            out.append((fold(name), re.compile(rf"\b(?:{'|'.join(plain)})\b")))
    return out


def _rule(a: str, b: str, entry: dict, named: list) -> dict:
    description = entry.get("description") or ""
    levels = []
    for item in entry["severity_levels"]:
        code = _LEVEL_SPELLINGS.get(fold(item["level"]))
        if code is None:
            raise ThesaurusError(f"{a} + {b}: unknown level {item['level']!r}")
        text = _repair(item.get("info") or "", description)
        condition, conduct = _split(text, several=len(entry["severity_levels"]) > 1)
        level: dict = {"level": code, "condition": condition, "conduct": conduct}
        folded = fold(text)
        if _DOSE_SUBSTANCE in (fold(a), fold(b)):
            doses = _doses(folded) or _doses(fold(entry["interaction_mechanism"] or ""))
            if doses:
                level["doses"] = doses
        if routes := [r for r, pattern in _ROUTE_WORDS if pattern.search(folded)]:
            level["routes"] = routes
        if len(entry["severity_levels"]) > 1:
            sides = {fold(a), fold(b)}
            found = [
                k for k, p in named if k not in sides and p.search(fold(condition))
            ]
            if found:
                level["substances"] = found
        levels.append(level)
    levels.sort(key=lambda lv: level_rank(lv["level"]))
    rule = {"a": a, "b": b, "risk": _clean(entry["interaction_mechanism"] or "")}
    rule["levels"] = levels
    if any("routes" in lv for lv in levels):
        texts = [fold(f"{lv['condition']} {lv['conduct']}") for lv in levels]
        side = _side_named(a, b, texts)
        if side:
            rule["route_of"] = side
        else:
            for lv in levels:
                lv.pop("routes", None)
    return rule


def _doses(folded: str) -> list[str]:
    """The aspirin dose ranges a text names."""
    return [c for c, ws in _DOSE_WORDS if any(w in folded for w in ws)]


def dose_text(rule: Rule, level: Level) -> str:
    """The thesaurus's words for the aspirin doses a level is for: its condition
    when it names them, else the clause of the risk that does ("Pour des doses
    anti-inflammatoires d'acide acétylsalicylique (>= 1g par prise…)")."""
    if _doses(fold(level.condition)):
        return level.condition
    found = _DOSE_CLAUSE.search(rule.risk)
    return found.group() if found else ", ".join(level.doses)


def _side_named(a: str, b: str, texts: list[str]) -> str | None:
    """The side of a pair named next to a route in the level texts ("le diltiazem
    IV", "l'administration IV de quinine"), if one is."""
    best: tuple[int, str] | None = None
    for side in (fold(a), fold(b)):
        name = re.escape(side.split(" (")[0].split()[-1])
        for text in texts:
            for _, pattern in _ROUTE_WORDS:
                for route in pattern.finditer(text):
                    for m in re.finditer(rf"\b{name}\b", text):
                        gap = max(m.start() - route.end(), route.start() - m.end())
                        if gap <= 40 and (best is None or gap < best[0]):
                            best = (gap, side)
    return best[1] if best else None


def _clean(text: str) -> str:
    """One line of text: no PDF replacement characters, single spaces."""
    return re.sub(r"\s+", " ", text.replace("\ufffd", "")).strip()


def _repair(info: str, description: str) -> str:
    """The level text with the spaces the extraction lost ("detraitement"),
    taken from the same text in the entry's description where it is found."""
    squeezed = re.sub(r"\s+", "", info)
    if not squeezed:
        return ""
    positions = [i for i, c in enumerate(description) if not c.isspace()]
    start = "".join(description[i] for i in positions).find(squeezed)
    if start < 0:
        return _clean(info)
    end = positions[start + len(squeezed) - 1] + 1
    return _clean(description[positions[start] : end])


def _split(text: str, several: bool) -> tuple[str, str]:
    """A level text as (condition, conduct): what restricts the level, what to do.

    A heuristic: a text that opens like a restriction ("avec …", ": - …",
    lower case) is a condition up to its first sentence end; the rest is conduct.
    """
    if not text:
        return "", ""
    if not (several or _CONDITION_START.match(text)):
        return "", text
    head = text.lstrip(":- ").strip()
    parts = _SENTENCE_END.split(head, maxsplit=1)
    condition = parts[0].rstrip(".") + "." if parts[0] else ""
    return condition, parts[1].strip() if len(parts) > 1 else ""


def read_ansm(path: Path, substances: Path | None = None) -> tuple[list, list]:
    """The two JSON files of an ANSM extraction: interactions and substances
    (`substances.json` beside the thesaurus unless given)."""
    substances = substances or path.with_name("substances.json")
    out = []
    for file in (path, substances):
        try:
            out.append(json.loads(Path(file).read_text(encoding="utf-8")))
        except FileNotFoundError as e:
            raise ThesaurusError(f"no file {file}") from e
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise ThesaurusError(f"{file} is not JSON: {e}") from e
    return out[0], out[1]


def write_compact(data: dict, path: Path) -> None:
    """Write a compact thesaurus: gzip'd JSON, reproducible byte for byte."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(text.encode(), compresslevel=9, mtime=0))


def install_thesaurus(
    path: Path, edition: str | None = None, substances: Path | None = None
) -> Thesaurus:
    """Convert an ANSM thesaurus edition and install it for `Thesaurus.current()`."""
    if edition is None:
        found = re.search(r"\d{4}-\d{2}-\d{2}", str(path))
        if not found:
            raise ThesaurusError(
                f"no edition date in {path.name}: give it (--edition YYYY-MM-DD)"
            )
        edition = found.group()
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", edition):
        raise ThesaurusError(f"edition {edition!r} is not a date YYYY-MM-DD")
    entries, subs = read_ansm(Path(path), substances)
    data = convert(entries, subs, edition, f"ANSM thesaurus, from {Path(path).name}")
    target = _installed_folder() / f"thesaurus-{edition}.json.gz"
    write_compact(data, target)
    return _read(target)
