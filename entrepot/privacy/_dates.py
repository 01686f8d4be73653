"""Per-patient secret date shifting: every date of a patient moves by the same
number of days (intervals are kept), drawn from the key and the IPP."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from entrepot.privacy._keys import SecretKey

#: Shifts are drawn in [-MAX_SHIFT_DAYS, MAX_SHIFT_DAYS], never 0.
MAX_SHIFT_DAYS = 365


def shift_days(key: SecretKey, ipp: str) -> int:
    """The patient's secret shift, in days."""
    n = int.from_bytes(key.digest(f"shift:{ipp.strip()}".encode())[:4], "big")
    days = n % (2 * MAX_SHIFT_DAYS) - MAX_SHIFT_DAYS
    return days if days < 0 else days + 1


def shifted(value: date | datetime | None, days: int) -> date | datetime | None:
    """`value` moved by `days` (None stays None)."""
    return None if value is None else value + timedelta(days=days)
