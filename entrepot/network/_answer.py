"""A node answering its hub: a study received, or run once accepted."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import replace

from entrepot.errors import DisclosureError, StudyError
from entrepot.network._analyses import (
    ANALYSES,
    design,
    fedavg_answer,
    logistic_round,
)
from entrepot.network._node import (
    ACCEPTED,
    DONE,
    PENDING,
    REFUSED,
    find_study,
    receive,
    set_status,
)

#: The project under which the persons counted for every hub are remembered:
#: the differencing defence runs across all the studies a node answers.
NETWORK = "network"


def network_decision(wh, hub: str):
    """The release gate's decision for a hub: the whole warehouse, its
    threshold, audited as `hub:NAME` in the role `network`, its person
    counts safe from differencing with every study the node answered
    (remembered as those of the project `NETWORK`)."""
    from entrepot.privacy import Decision

    unscoped = Decision.unscoped(wh)
    return replace(
        unscoped, user=f"hub:{hub}", role="network", action="network", project=NETWORK
    )


def receive_study(wh, hub: str, body: dict) -> dict:
    """Store a study as pending (audited); its id and status."""
    found = receive(wh, hub, body)
    network_decision(wh, hub).released(
        wh, "network.receive", {"study": found["id"], "name": found["name"]}
    )
    return {"id": found["id"], "status": found["status"]}


def answer_study(
    wh, hub: str, study_id: str, asked: dict, cached: Callable[[Callable], object]
) -> dict:
    """The study's status, and when it is accepted, its aggregates: a
    logistic or fedavg study answers one round (`asked["beta"]` or
    `asked["weights"]`, done with `asked["last"]`); the others at once.
    `cached(work)`: `work(wh)`, remembered while the warehouse does not change. A study whose figures
    would single out a small group with those of earlier studies (the
    differencing defence) is refused, saying so."""
    row = find_study(wh, study_id, hub)
    status = row["status"]
    if status in (PENDING, REFUSED):
        return {"id": study_id, "status": status}
    study = json.loads(row["body"])
    decision = network_decision(wh, hub)
    try:
        return _answer(wh, study_id, study, decision, asked, cached, status)
    except DisclosureError as e:
        set_status(wh, study_id, REFUSED)
        decision.released(wh, "network.refuse", {"study": study_id, "reason": str(e)})
        return {"id": study_id, "status": REFUSED, "detail": str(e)}


def _answer(wh, study_id, study, decision, asked, cached, status) -> dict:
    if study["analysis"] in ("logistic", "fedavg"):
        data = cached(lambda wh: design(wh, study))
        if study["analysis"] == "fedavg":
            result = fedavg_answer(wh, study, decision, data, asked)
        elif not isinstance(asked.get("beta"), list):
            raise StudyError("beta: a list of coefficients is expected")
        else:
            result = logistic_round(wh, study, decision, data, asked["beta"])
        if asked.get("last"):
            status = set_status(wh, study_id, DONE)["status"]
    else:
        result = ANALYSES[study["analysis"]](wh, study, decision)
        status = set_status(wh, study_id, DONE)["status"]
    return {
        "id": study_id,
        "status": status,
        "threshold": decision.mask_below,
        "result": result,
    }


def decide_study(wh, decision, study_id: str, accept: bool) -> dict:
    """The administrator's answer to a pending study (audited as theirs)."""
    status = ACCEPTED if accept else REFUSED
    found = set_status(wh, study_id, status, decision.user)
    decision.released(
        wh, f"network.{'accept' if accept else 'refuse'}", {"study": study_id}
    )
    return found
