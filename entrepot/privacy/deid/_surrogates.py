"""Fake values in place of identifiers, so that a de-identified text still reads
naturally: the same value gets the same surrogate within a text, and every
surrogate is drawn from what cannot point at a real person (numbers reserved
for fiction, example domains, fictitious streets)."""

from __future__ import annotations

import hashlib
import re
from datetime import date, timedelta

from entrepot.privacy.deid._lexicons import surrogate_names
from entrepot.privacy.deid._text import scanned_digits

_MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre "
    "décembre"
).split()
_IN_WORDS = re.compile(
    r"(\d{1,2})(?:er)?\s+(" + "|".join(_MONTHS) + r")\s+(\d{4})", re.I
)
_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})$")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})$")
#: Spaces between a date's digits, as typed or scanned (`2 1 . 1 1 . 2 0 2 6`).
_SPACED = re.compile(r"(?<=[\d./-]) (?=[\d./-])")
#: A day of the month alone (`le 3`, `le 1er`).
_BARE_DAY = re.compile(r"(?:\d{1,2}|1er)$")
#: A date as surrogates write one in a text (numeric, or in words).
WRITTEN_DATE = re.compile(
    r"(?<!\d)\d{2}([/.-])\d{2}\1\d{4}(?!\d)"
    r"|\b\d{1,2}(?:er)?\s+(?:" + "|".join(_MONTHS) + r")\s+\d{4}\b",
    re.I,
)
_STREETS = (
    "rue des Lilas",
    "avenue des Tilleuls",
    "rue du Moulin",
    "boulevard des Platanes",
    "chemin des Vignes",
    "allée des Cerisiers",
)
_TOWNS = ("Bourg-Fictif", "Valmont-sur-Loire", "Saint-Exemple", "Villeneuve-Modèle")


def _number(value: str, salt: str = "") -> int:
    digest = hashlib.blake2b((salt + value.lower()).encode(), digest_size=8).digest()
    return int.from_bytes(digest)


def _pick(value: str, choices) -> str:
    ordered = sorted(choices)
    return ordered[_number(value) % len(ordered)]


def _digits(value: str, count: int) -> str:
    return str(_number(value, "digits")).zfill(count)[-count:]


def _parse(value: str) -> tuple[date, str] | None:
    """A French date and how it was written ('numeric' with its separator, 'iso',
    or 'words')."""
    text = scanned_digits(value.strip())
    if m := _NUMERIC.match(_SPACED.sub("", text)):
        year = int(m.group(4))
        year += 0 if len(m.group(4)) == 4 else (1900 if year > 30 else 2000)
        parts = (year, int(m.group(3)), int(m.group(1)))
        style = "numeric" + m.group(2)
    elif m := _ISO.match(text):
        parts, style = (int(m.group(1)), int(m.group(2)), int(m.group(3))), "iso"
    elif m := _IN_WORDS.search(text):
        month = _MONTHS.index(m.group(2).lower()) + 1
        parts, style = (int(m.group(3)), month, int(m.group(1))), "words"
    else:
        return None
    try:
        return date(*parts), style
    except ValueError:
        return None


def _written(day: date, style: str) -> str:
    if style == "words":
        first = "1er" if day.day == 1 else str(day.day)
        return f"{first} {_MONTHS[day.month - 1]} {day.year}"
    if style == "iso":
        return day.isoformat()
    sep = style.removeprefix("numeric")
    return f"{day.day:02d}{sep}{day.month:02d}{sep}{day.year}"


def shifted_date(value: str, days: int) -> str | None:
    """A date moved by `days`, written the same way; None when it is not a date."""
    parsed = _parse(value)
    if parsed is None:
        return None
    day, style = parsed
    return _written(day + timedelta(days=days), style)


def _phone(value: str) -> str:
    """A number of the range ARCEP keeps for fiction (01 99 00 xx xx), grouped as
    the original was (an extension alone, `poste 4417`, gets spaces)."""
    digits = "019900" + _digits(value, 4)
    sep = next((c for c in value if not c.isalnum() and c not in "+() "), " ")
    return sep.join(digits[i : i + 2] for i in range(0, 10, 2))


def _same_length(value: str) -> str:
    """As many digits as the number has (at least 6)."""
    return _digits(value, max(len(re.sub(r"\D", "", value)), 6))


def _nir(value: str) -> str:
    """A NIR with a valid key, born in month 20 (a number never given at birth)."""
    body = f"{1 + _number(value) % 2}{_digits(value, 2)}20{_digits(value + 'x', 8)}"
    return f"{body} {97 - int(body) % 97:02d}"


def surrogate(value: str, label: str, shift_days: int) -> str:
    """A fake value for an identifier `value` of `label`; dates move by `shift_days`."""
    if label in ("DATE", "DATE_NAISSANCE"):
        if _BARE_DAY.match(value):
            return str(1 + _number(value) % 28)
        made_up = date(1950, 1, 1) + timedelta(days=_number(value) % 25_000)
        return shifted_date(value, shift_days) or shifted_date(
            _written(made_up, "numeric/"), shift_days
        )  # also shifted, so that a change of shift moves both kinds alike
    if label in ("NOM", "PRENOM"):
        name = _pick(value, surrogate_names(label)).title()
        return name.upper() if value.isupper() else name
    fake = {
        "VILLE": lambda: _pick(value, _TOWNS),
        "ZIP": lambda: "99" + _digits(value, 3),
        "ADRESSE": lambda: f"{1 + _number(value) % 120} {_pick(value, _STREETS)}",
        "TEL": lambda: _phone(value),
        "MAIL": lambda: f"{_pick(value, surrogate_names('PRENOM'))}@example.org",
        "NSS": lambda: _nir(value),
        "IPP": lambda: _same_length(value),
        "NDA": lambda: _same_length(value),
        "HOPITAL": lambda: f"Centre hospitalier de {_pick(value, _TOWNS)}",
    }
    return fake[label]()


def document_shift(text: str) -> int:
    """A shift of 1 to 365 days, either way, the same for every date of one text
    (so intervals are kept) when none is given."""
    days = 1 + _number(text, "shift") % 365
    return days if _number(text, "sign") % 2 else -days
