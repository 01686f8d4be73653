"""De-identify one text: find identifier spans, merge them, replace them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

from entrepot.privacy.deid._detect import identity_values, names, patterns, places
from entrepot.privacy.deid._identity import Identity
from entrepot.privacy.deid._surrogates import document_shift, surrogate
from entrepot.privacy.deid._text import scanned_digits

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

    `mode="tag"` writes `[NOM]`, `[DATE]`...; `mode="surrogate"` writes a plausible
    fake value for every label (the same for the same value in a text) and dates
    moved by `shift_days` (as the structured data), or, when it is not set, by
    one secret-free shift per text that keeps its intervals.
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
    people = names(text, identity)
    towns = [t for t in places(text) if not any(_within(t, n) for n in people)]
    found = patterns(scanned_digits(text)) + identity_values(text, identity)
    return _merge(found + people + towns)


def _within(a: tuple[int, int, str], b: tuple[int, int, str]) -> bool:
    """Whether span `a` lies within span `b` (a town that is a person's name)."""
    return b[0] <= a[0] and a[1] <= b[1]


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
    shift = config.shift_days
    if shift is None and config.mode == "surrogate":  # tags need none: no hashing
        shift = document_shift(text)
    parts, at = [], 0
    for s in spans:
        value = text[s["start"] : s["end"]]
        parts.append(text[at : s["start"]])
        parts.append(replacement(value, s["label"], config, shift))
        at = s["end"]
    parts.append(text[at:])
    return DeidResult("".join(parts), spans)


def replacement(value: str, label: str, config: DeidConfig, shift: int | None) -> str:
    """What replaces one identifier: its tag, or a surrogate (dates moved by `shift`)."""
    return f"[{label}]" if config.mode == "tag" else surrogate(value, label, shift)
