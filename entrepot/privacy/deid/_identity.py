"""A patient's identity from the source record, to find it in their notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from entrepot.privacy.deid._text import fold

_PARTICLES = frozenset("le la de da das do dos du des del di ben el al van von".split())


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
        """From a row of patients.csv (or a JSON `patient` object): the patient's,
        the mother's and the GP's names, address, phone, e-mail, NIR, IPP."""
        firsts = [record.get("first_name"), record.get("mother_first_name")]
        lasts = [record.get("last_name"), record.get("mother_last_name")]
        lasts += [record.get("birth_name"), record.get("relative_name")]
        gp = (record.get("gp_name") or "").replace("Dr ", "").split()
        if len(gp) >= 2:
            firsts.append(gp[0])
            lasts.append(" ".join(gp[1:]))
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
