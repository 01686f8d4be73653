"""Whether a warehouse's dates are shifted, kept as a setting (`date_shifting`).

Dates are shifted unless the first ingestion of a warehouse says not to
(`--no-shift-dates`). All of a patient's dates must move by the same shift, so
a warehouse is ingested either always with date shifting or never; key
rotation reads the setting to know whether dates must move with the key.
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


def check_date_shifting(wh, asked: bool | None) -> bool:
    """The date shifting of an ingestion, recorded on the first one: the
    warehouse's own once it holds persons, else on unless `asked` is False.

    An explicit choice other than the warehouse's is refused (a patient's new
    rows would not move as their earlier ones); no choice follows the
    warehouse, so a warehouse never flips between ingestions.
    """
    known = date_shifting(wh) if wh.count("person") else None
    if known is not None and asked is not None and known != asked:
        said = "with" if known else "without"
        flag = "--shift-dates" if asked else "--no-shift-dates"
        raise PrivacyError(
            f"this warehouse was ingested {said} date shifting, and each "
            f"patient's dates must move together: leave out {flag}"
        )
    shift = known if known is not None else asked is not False
    if get_setting(wh, DATE_SHIFTING) != ("on" if shift else "off"):
        set_setting(wh, DATE_SHIFTING, "on" if shift else "off")
    return shift
