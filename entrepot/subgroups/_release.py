"""A clustering as it leaves through the release gate.

Sizes and profiles are aggregates about persons. Clusters of a file the user
brought need no gate when no warehouse is named: nothing leaves the
warehouse. With a warehouse, they are released as its caller may see them:
sizes counted by the gate (masked below the threshold, safe from
differencing within a project, audited as `cluster`), and the profile of a
cluster whose size is masked withheld (None).
"""

from __future__ import annotations

from entrepot.privacy import Decision
from entrepot.subgroups._cluster import Clustering


def released_clustering(
    wh, decision: Decision, found: Clustering, parameters: dict
) -> dict:
    """`found.as_dict()` with sizes through the gate, small clusters'
    profiles withheld; audited."""
    result = found.as_dict()
    sizes = decision.persons_each(wh, found.members(), "cluster", parameters)
    result["sizes"] = [sizes[c] for c in range(1, found.k + 1)]
    result["n"] = decision.mask(result["n"])
    result["profiles"] = [
        profile if isinstance(size, int) else None
        for size, profile in zip(result["sizes"], result["profiles"], strict=True)
    ]
    return result
