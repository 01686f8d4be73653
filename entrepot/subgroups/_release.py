"""A clustering as it leaves through the release gate.

Sizes and profiles are aggregates about persons. Clusters of a file the user
brought need no gate when no warehouse is named: nothing leaves the
warehouse. With a warehouse, they are released as its caller may see them:
sizes counted by the gate (masked below the threshold, safe from
differencing within a project, audited as `cluster`, and one more hidden
where the others and the total would give a masked one back), and the
profile of a cluster whose size is not shown withheld (None).
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
    sizes = released_sizes(wh, decision, found.members(), "cluster", parameters)
    result["sizes"] = [sizes[c] for c in range(1, found.k + 1)]
    result["n"] = decision.mask(result["n"])
    result["profiles"] = [
        profile if isinstance(size, int) else None
        for size, profile in zip(result["sizes"], result["profiles"], strict=True)
    ]
    return result


def released_sizes(
    wh, decision: Decision, members: dict, what: str, parameters: dict
) -> dict:
    """Cluster sizes shown: counted by the gate (safe from differencing within
    a project, audited as `what`), and hidden ("*") where the others and the
    persons' total, which is shown or public, would give them
    (complementary suppression)."""
    shown = decision.persons_each(wh, members, what, parameters)
    protected = decision.suppress(
        {c: len(m) for c, m in members.items()}, public_total=True
    ).row_totals
    return {
        c: protected[c]
        if isinstance(shown[c], int) and not isinstance(protected[c], int)
        else shown[c]
        for c in members
    }
