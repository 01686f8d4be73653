"""A patient's identity from the source record, to find it in their notes: the
patient's, the relatives' and the GP's names, matched exactly, within one edit or
by their French sound (`Renault` ~ `Renaud`, `Dupuy` ~ `Dupuis`)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from entrepot.privacy.deid._text import fold, within_one_edit

_PARTICLES = frozenset(
    "le la de da das do dos du des del di ben el al van von den der ter".split()
)
_TITLE = re.compile(r"^(?:dr|pr|m|mr|mme|mlle|docteur|monsieur|madame)\.?\s+", re.I)
#: Fields of a record that name relatives (several names separated by `;`, or a list).
RELATIVES = ("relatives", "relative_name", "trusted_person", "emergency_contact")


@dataclass(frozen=True)
class Identity:
    """What the identity server knows: every field optional."""

    first_names: tuple[str, ...] = ()
    last_names: tuple[str, ...] = ()
    birth_date: date | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    phone: str | None = None
    email: str | None = None
    nir: str | None = None
    ipp: str | None = None
    ndas: tuple[str, ...] = field(default=())

    @classmethod
    def from_record(cls, record: dict) -> Identity:
        """From a row of patients.csv (or a JSON `patient` object): the patient's
        names (`first_name`, `last_name`, `birth_name`, `used_name`), the mother's,
        the relatives' (`relatives`, `relative_name`, `trusted_person`,
        `emergency_contact`: `Claire Dupuis (fille); M. Paul DUPUIS`) and the GP's
        (`gp_name`), address, phone, e-mail, NIR, IPP."""
        firsts = [record.get("first_name"), record.get("mother_first_name")]
        lasts = [record.get(k) for k in ("last_name", "birth_name", "used_name")]
        lasts.append(record.get("mother_last_name"))
        people = [record.get("gp_name")]
        for key in RELATIVES:
            value = record.get(key) or ()
            people += value.split(";") if isinstance(value, str) else value
        for person in people:
            first, last = _person_name(person or "")
            firsts.append(first)
            lasts.append(last)
        birth = record.get("birth_date")
        if isinstance(birth, str) and birth:
            birth = date.fromisoformat(birth[:10])
        return cls(
            first_names=tuple(n for n in firsts if n),
            last_names=tuple(n for n in lasts if n),
            birth_date=birth or None,
            street=record.get("street") or None,
            postcode=record.get("postcode") or None,
            city=record.get("city") or None,
            phone=record.get("phone") or None,
            email=record.get("email") or None,
            nir=record.get("nir") or None,
            ipp=record.get("ipp") or None,
            ndas=tuple(record.get("ndas") or ()),
        )

    def name_tokens(self) -> dict[str, str]:
        """Folded name words → label (NOM or PRENOM), surnames winning ties."""
        out = {}
        for label, names in (("PRENOM", self.first_names), ("NOM", self.last_names)):
            for name in names:
                for word in name.replace("-", " ").split():
                    if len(word) > 3 or (
                        len(word) > 1 and fold(word) not in _PARTICLES
                    ):
                        out[fold(word)] = label
                out[fold(name)] = label
        return out

    def names(self) -> OwnNames:
        """The name words, ready to match (the same object for equal identities,
        as a patient's notes are read one after another)."""
        return _own_names(self)


class OwnNames:
    """The name words of an identity, to recognise them even misspelt."""

    def __init__(self, tokens: dict[str, str]) -> None:
        self._exact = tokens
        self._sounds = {
            key: label
            for w, label in tokens.items()
            if len(w) >= 4 and len(key := sound(w)) >= 3
        }

    def label(self, word: str) -> str | None:
        """NOM or PRENOM for a folded word that is one of the names exactly, by its
        French sound (4+ letters) or within one edit (5+ letters); else None."""
        if word in self._exact:
            return self._exact[word]
        if len(word) < 4:
            return None
        key = sound(word)
        if len(key) >= 3 and (label := self._sounds.get(key)) is not None:
            return label
        if len(word) >= 5:
            for name, label in self._exact.items():
                if (
                    len(name) >= 5
                    and name[0] == word[0]
                    and within_one_edit(word, name)
                ):
                    return label
        return None

    def __contains__(self, word: str) -> bool:
        return self.label(word) is not None


@lru_cache(maxsize=256)
def _own_names(identity: Identity) -> OwnNames:
    return OwnNames(identity.name_tokens())


def _person_name(text: str) -> tuple[str | None, str | None]:
    """`Dr Claire Martin`, `Claire DUPUIS (fille)`, `DUPUIS Claire`, `Jean Le Gall`
    → (first name, surname): words in capitals are the surname, else the first
    word is the first name."""
    words = _TITLE.sub("", re.sub(r"\(.*?\)", " ", text).strip()).split()
    if not words:
        return None, None
    upper = [w for w in words if w.isupper() and len(w) > 1]
    if upper and len(upper) < len(words):
        rest = [w for w in words if w not in upper]
        return " ".join(rest), " ".join(upper)
    if len(words) == 1:
        return None, words[0]
    return words[0], " ".join(words[1:])


#: French spellings of one sound, in the order they are rewritten.
_SOUNDS = [
    (r"[^a-z]", ""),
    (r"ault$|aux$|eaux?|au", "o"),
    (r"ph", "f"),
    (r"bv", "v"),
    (r"gu(?=[eiy])", "g"),
    (r"th", "t"),
    (r"cq|ck|qu|q", "k"),
    (r"c(?=[eiy])", "s"),
    (r"c(?!h)", "k"),
    (r"(?<=[aeiouy])s(?=[aeiouy])", "z"),
    (r"y", "i"),
    (r"(?:ai|ei|et$|ez$|er$)", "e"),
    (r"[ae][mn](?=[bcdfgjklpqstvz]|$)", "an"),
    (r"h", ""),
    (r"(.)\1+", r"\1"),
    (r"[stdxz]$", ""),
    (r"e$", ""),
]
_SOUND_RULES = [(re.compile(a), b) for a, b in _SOUNDS]


@lru_cache(maxsize=65536)
def sound(word: str) -> str:
    """A key of how a folded French name sounds: `renault`, `renaud`, `renaut`
    → `reno`; `dupuis`, `dupuy` → `dupui`; `leclercq`, `leclerc` → `leklerk`."""
    for pattern, repl in _SOUND_RULES:
        word = pattern.sub(repl, word)
    return word
