"""The hub of a network of warehouses: it knows the nodes, sends them
studies, and combines what they answer (`entrepot hub`).

Its state is a folder (`HubState`); `send_study` and `refresh` talk to the
nodes (their HTTPS checked as `verify` says); `create_hub_app` serves its pages (studies, each node's status,
results); `serve_hub` runs them.
"""

from entrepot.hub._app import create_hub_app, serve_hub
from entrepot.hub._run import refresh, report, send_study, verify
from entrepot.hub._state import HubState

__all__ = [
    "HubState",
    "create_hub_app",
    "refresh",
    "report",
    "send_study",
    "serve_hub",
    "verify",
]
