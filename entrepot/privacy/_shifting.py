"""Whether a warehouse's dates are shifted, kept as a setting (`date_shifting`).

All of a patient's dates must move by the same shift, so a warehouse is
ingested either always with date shifting or never; key rotation reads the
setting to know whether dates must move with the key.
"""

from __future__ import annotations

import json

from entrepot.errors import PrivacyError
from entrepot.privacy._audit import entries
from entrepot.privacy._settings import get_setting, set_setting

DATE_SHIFTING = "date_shifting"


def date_shifting(wh) -> bool | None:
    """True when dates are shifted, False when not, None before any ingestion.

    Warehouses ingested before the setting existed are told by their
    ingestions' audit entries.
    """
    value = get_setting(wh, DATE_SHIFTING)
    if value is not None:
        return value == "on"
    seen = {
        bool(json.loads(e["parameters"]).get("date_shifting"))
        for e in entries(wh, action="ingest")
    }
    if len(seen) > 1:
        raise PrivacyError(
            "this warehouse was ingested both with and without date shifting: "
            "some patients' dates are shifted, others not; re-ingest it"
        )
    return seen.pop() if seen else None


def check_date_shifting(wh, shift: bool) -> None:
    """Refuse an ingestion whose date shifting differs from the warehouse's
    (a patient's new rows would not move as their earlier ones); record it
    on the first one."""
    known = date_shifting(wh)
    if known is not None and known != shift and wh.count("person"):
        said = "with" if known else "without"
        raise PrivacyError(
            f"this warehouse was ingested {said} date shifting: ingest {said} "
            "--shift-dates, so that each patient's dates move together"
        )
    if get_setting(wh, DATE_SHIFTING) != ("on" if shift else "off"):
        set_setting(wh, DATE_SHIFTING, "on" if shift else "off")
