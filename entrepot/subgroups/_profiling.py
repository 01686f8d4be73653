"""Profiles and outcomes of the clusters of a saved cohort, through the
release gate: per cluster its size, Table 1, the features that set it apart
and its survival from the index date; a log-rank test across clusters.

A cluster whose size is masked, or hidden because the sizes add up to the
cohort's (public) count, is shown by its size alone. Kaplan-Meier curves are
read on a yearly grid; the persons at risk are a table with margins
(years x clusters), suppressed by the gate, and a curve stops where its
persons at risk are too few to show.
"""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.cohort import describe_cohort, find_cohort, index_dates
from entrepot.errors import ParameterError
from entrepot.privacy import Decision
from entrepot.subgroups._differences import differences
from entrepot.subgroups._followup import RULE, followup
from entrepot.subgroups._inputs import aligned, members_of
from entrepot.subgroups._outcomes import cox, grid, kaplan_meier, logrank
from entrepot.subgroups._release import released_sizes


def profile_clusters(
    wh,
    decision: Decision,
    cohort: int | str,
    clusters: pa.Table,
    features: pa.Table | None = None,
    *,
    top: int = 10,
    parameters: dict | None = None,
) -> dict:
    """The profiles and outcomes of `clusters` (person_id, cluster: persons
    of the saved cohort `cohort`, its id or name), with the SMDs of
    `features` (person_id first), as `decision` may see them; audited as
    `profiles`."""
    cohort_id = find_cohort(wh, decision, cohort)
    ids, labels = members_of(clusters)
    index = index_dates(wh, decision, cohort_id)
    outside = np.setdiff1d(ids, index.person_id.to_pyarrow().to_numpy())
    if outside.size:
        raise ParameterError(
            f"{outside.size} person(s) of the clusters file are not in cohort "
            f"{cohort_id} (as this caller sees it)"
        )
    members = {c: ids[labels == c].tolist() for c in dict.fromkeys(labels.tolist())}
    sizes = released_sizes(wh, decision, members, "profiles", parameters or {})
    shown = [c for c in members if isinstance(sizes[c], int)]
    found = {c: {"cluster": c, "size": sizes[c]} for c in members}
    for c in shown:
        persons = wh.store.from_arrow(pa.table({"person_id": members[c]}))
        found[c]["table1"] = describe_cohort(
            wh, cohort_id, decision, top=top, persons=persons
        )
    if features is not None:
        found = _apart(found, shown, features, ids, labels, decision, top)
    survival = _survival(wh, decision, index, ids, labels, sizes)
    for c, km in survival.pop("km", {}).items():
        found[c] |= km
    return {
        "cohort_definition_id": cohort_id,
        "cohort": found[shown[0]]["table1"]["name"] if shown else None,
        "mask_below": decision.mask_below,
        "clusters": list(found.values()),
        **survival,
    }


def _apart(found, shown, features, ids, labels, decision, top) -> dict:
    """Each shown cluster's `top` features by |SMD| whose figures count no
    small number of persons (persons without a row: every value missing)."""
    for c, rows in differences(aligned(features, ids), labels).items():
        if c not in shown:
            continue
        released = [
            r
            for r in rows
            if r["smd"] is not None and all(decision.mask(n) == n for n in r["counts"])
        ]
        released.sort(key=lambda r: (-abs(r["smd"]), r["feature"], r["level"] or ""))
        found[c]["features"] = [_shown(r) for r in released[:top]]
    return found


def _shown(row: dict) -> dict:
    """A feature's row as released: an infinite SMD (complete separation)
    shown as None with `complete` (JSON has no infinity)."""
    complete = math.isinf(row["smd"])
    shown = {k: v for k, v in row.items() if k != "counts"}
    return shown | {"smd": None if complete else row["smd"], "complete": complete}


def _survival(wh, decision, index, ids, labels, sizes) -> dict:
    """Kaplan-Meier curves and Cox hazard ratios of the shown clusters, and
    the log-rank test across all; `{"followup": None}` without deaths."""
    follow = followup(wh, decision, index)
    if follow is None:
        return {"followup": None, "logrank": None}
    follow = follow.take(pc.index_in(pa.array(ids), value_set=follow["person_id"]))
    days = follow["days"].to_numpy()
    died = follow["died"].to_numpy(zero_copy_only=False)
    reference = max(sizes, key=lambda c: int((labels == c).sum()))
    ratios = cox(days, died, labels, reference)
    curves = _curves(decision, days, died, labels, sizes)
    return {
        "followup": {"rule": RULE, "unit": "years", "reference": reference},
        "logrank": logrank(days, died, labels),
        "km": {c: {"km": curve, "cox": ratios[c]} for c, curve in curves.items()},
    }


def _curves(decision: Decision, days, died, labels, sizes: dict) -> dict:
    """The curves of the clusters whose size is shown, each stopping where
    its persons at risk are too few; those at risk after the index date
    suppressed together (years x clusters), at the index date the sizes."""
    shown = [c for c, n in sizes.items() if isinstance(n, int)]
    years = grid(days)
    curves = {
        c: kaplan_meier(days[labels == c], died[labels == c], years) for c in shown
    }
    later = {
        t: {c: curves[c]["at_risk"][i] for c in shown} for i, t in enumerate(years) if i
    }
    cells = decision.suppress(later).cells if later and shown else {}
    for c, curve in curves.items():
        stops = [decision.mask(n) != n for n in curve["at_risk"]]
        for key in ("survival", "ci_low", "ci_high"):
            curve[key] = [
                None if s else v for v, s in zip(curve[key], stops, strict=True)
            ]
        curve["at_risk"] = [sizes[c], *(cells[t][c] for t in years[1:])]
    return curves
