"""A network of warehouses: studies sent by a hub, answered by each node
with aggregates that passed its own release gate, combined at the hub.

`load_study` reads a study file (`_study`); a node keeps the hubs it trusts
and the studies received (`_node`), answers them (`_answer`, computing with
`_analyses`, FedAvg/FedProx in `_federated`); `combine` joins the nodes' answers exactly (`_combine`); hub
and node sign their messages (`_auth`).
"""

from entrepot.network._answer import (
    answer_study,
    decide_study,
    network_decision,
    receive_study,
)
from entrepot.network._auth import (
    Nonces,
    check_response,
    key_of,
    sign_request,
    sign_response,
)
from entrepot.network._combine import combine, newton_step
from entrepot.network._federated import average, epsilon, test_metrics
from entrepot.network._node import (
    hub_key,
    issue_token,
    list_studies,
    set_status,
)
from entrepot.network._study import load_study

__all__ = [
    "Nonces",
    "answer_study",
    "average",
    "check_response",
    "combine",
    "decide_study",
    "epsilon",
    "hub_key",
    "issue_token",
    "key_of",
    "list_studies",
    "load_study",
    "network_decision",
    "newton_step",
    "receive_study",
    "set_status",
    "sign_request",
    "sign_response",
    "test_metrics",
]
