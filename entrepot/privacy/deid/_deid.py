"""De-identify one text: find identifier spans, merge them, replace them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Literal

from entrepot.privacy.deid._detect import identity_values, names, patterns
from entrepot.privacy.deid._identity import Identity
from entrepot.privacy.deid._lexicons import first_names, surnames

LABELS = (
    "NOM",
    "PRENOM",
    "DATE",
    "DATE_NAISSANCE",
    "ADRESSE",
    "VILLE",
    "ZIP",
    "TEL",
    "MAIL",
    "NSS",
    "IPP",
    "NDA",
    "HOPITAL",
)
#: When spans overlap, the merged span takes the label ranked first here.
_RANK = {
    label: i
    for i, label in enumerate(
        (
            "MAIL",
            "NSS",
            "TEL",
            "IPP",
            "NDA",
            "ADRESSE",
            "HOPITAL",
            "DATE_NAISSANCE",
            "DATE",
            "ZIP",
            "VILLE",
            "NOM",
            "PRENOM",
        )
    )
}


@dataclass(frozen=True)
class DeidConfig:
    """How identifiers are replaced.

    `mode="tag"` writes `[NOM]`, `[DATE]`...; `mode="surrogate"` writes plausible
    fake names and cities (the same for the same name in a text) and, when
    `shift_days` is set, dates moved by that many days (as the structured data).
    `labels` limits what is removed (default: all).
    """

    mode: Literal["tag", "surrogate"] = "tag"
    shift_days: int | None = None
    labels: frozenset[str] = field(default_factory=lambda: frozenset(LABELS))

    def with_shift(self, days: int | None) -> DeidConfig:
        return replace(self, shift_days=days)


@dataclass(frozen=True)
class DeidResult:
    """The de-identified text, and the spans found (offsets into the input)."""

    text: str
    spans: list[dict]


def find_identifiers(text: str, identity: Identity | None = None) -> list[dict]:
    """Identifier spans of `text`, merged, in order: `{"start", "end", "label"}`."""
    found = patterns(text) + identity_values(text, identity) + names(text, identity)
    return _merge(found)


def _merge(spans: list[tuple[int, int, str]]) -> list[dict]:
    merged: list[dict] = []
    for start, end, label in sorted(spans, key=lambda s: (s[0], -s[1])):
        if start >= end:
            continue
        last = merged[-1] if merged else None
        if last and start < last["end"]:
            if (
                _RANK[label] < _RANK[last["label"]]
                and end - start >= (last["end"] - last["start"]) // 2
            ):
                last["label"] = label
            last["end"] = max(last["end"], end)
        else:
            merged.append({"start": start, "end": end, "label": label})
    return merged


def deidentify(
    text: str, identity: Identity | None = None, config: DeidConfig | None = None
) -> DeidResult:
    """`text` with its identifiers replaced (see `DeidConfig`)."""
    config = config or DeidConfig()
    spans = [s for s in find_identifiers(text, identity) if s["label"] in config.labels]
    parts, at = [], 0
    for s in spans:
        parts.append(text[at : s["start"]])
        parts.append(_replacement(text[s["start"] : s["end"]], s["label"], config))
        at = s["end"]
    parts.append(text[at:])
    return DeidResult("".join(parts), spans)


def _replacement(value: str, label: str, config: DeidConfig) -> str:
    if config.mode == "tag":
        return f"[{label}]"
    if label in ("DATE", "DATE_NAISSANCE") and config.shift_days is not None:
        return shifted_date(value, config.shift_days) or f"[{label}]"
    pool = {"NOM": surnames(), "PRENOM": first_names()}.get(label)
    if pool is None:
        return f"[{label}]"
    choices = sorted(pool)
    n = int.from_bytes(hashlib.blake2b(value.lower().encode(), digest_size=4).digest())
    name = choices[n % len(choices)].title()
    return name.upper() if value.isupper() else name


_NUMERIC = re.compile(r"(\d{1,2})([/.-])(\d{1,2})\2(\d{2,4})$")


def shifted_date(value: str, days: int) -> str | None:
    """A dd/mm/yyyy date moved by `days`, written the same way; else None."""
    m = _NUMERIC.match(value.strip())
    if not m:
        return None
    year = int(m.group(4))
    year += 0 if len(m.group(4)) == 4 else (1900 if year > 30 else 2000)
    try:
        moved = date(year, int(m.group(3)), int(m.group(1))) + timedelta(days=days)
    except ValueError:
        return None
    sep = m.group(2)
    return f"{moved.day:02d}{sep}{moved.month:02d}{sep}{moved.year}"
