"""Sending a study to the nodes, asking for their answers, combining them.

Each node is asked on its own: one that is down, too slow, or whose answer
is not signed with its key is `unreachable`, one whose administrator has not
answered yet `pending`, one that said no `refused`; the others are combined
and the result says which nodes it leaves out and why.
"""

from __future__ import annotations

import json
import secrets
import ssl

import httpx
import numpy as np

from entrepot.errors import AuthenticationError, NetworkError, first_line
from entrepot.hub._state import HubState
from entrepot.network import (
    average,
    check_response,
    combine,
    epsilon,
    newton_step,
    sign_request,
    test_metrics,
)

TIMEOUT = 30.0
#: What each node's entry shows of a logistic or fedavg answer (never its
#: sums nor its weights).
LOGISTIC_SHOWN = ("n", "events")
#: Analyses run in rounds: the hub asks again and again, then combines.
ROUNDS = ("logistic", "fedavg")
TERMINAL = ("done", "refused")


class _Unreachable(Exception):
    """A node did not answer, or not as itself."""


def verify(ca_file: str | None) -> ssl.SSLContext | bool:
    """How a node's HTTPS certificate is checked: the system's CAs, or those
    of its own CA file (NetworkError when that is no PEM certificate)."""
    if not ca_file:
        return True
    try:
        return ssl.create_default_context(cafile=ca_file)
    except OSError as e:  # ssl.SSLError too
        raise NetworkError(
            f"{ca_file}: not a CA certificate (PEM) to check a node's HTTPS with: "
            f"{first_line(e)}"
        ) from None


def _post(state: HubState, node: dict, study_id: str, path: str, data: dict, timeout):
    """POST signed JSON to a node; its answer checked and logged."""
    body = json.dumps(data).encode()
    headers = sign_request(node["key"], "POST", path, body)
    state.log(study_id, node["name"], "sent", path, None, body)
    try:
        response = httpx.post(
            node["url"] + path,
            content=body,
            headers=headers | {"Content-Type": "application/json"},
            timeout=timeout,
            verify=verify(node["ca_file"]),
        )
    except NetworkError as e:  # its CA file, changed since it was added
        raise _Unreachable(str(e)) from None
    except httpx.HTTPError as e:
        raise _Unreachable(f"{type(e).__name__}: {e}".strip()) from None
    state.log(
        study_id, node["name"], "received", path, response.status_code, response.content
    )
    try:
        check_response(
            node["key"],
            headers["X-Entrepot-Nonce"],
            response.content,
            response.headers.get("x-entrepot-signature"),
        )
    except AuthenticationError as e:
        said = response.text[:200] if response.status_code != 200 else ""
        raise _Unreachable(f"HTTP {response.status_code}: {e} {said}".strip()) from None
    data = response.json()
    if response.status_code != 200:
        raise _Unreachable(f"HTTP {response.status_code}: {data.get('detail')}")
    return data


def send_study(state: HubState, body: dict, timeout: float = TIMEOUT) -> dict:
    """Record a study, send it to every node, and answer as `refresh` does."""
    nodes = state.nodes()
    if not nodes:
        raise NetworkError(
            f"no node in {state.folder}: add one with `entrepot hub add-node`"
        )
    study_id = secrets.token_hex(8)
    state.add_study(study_id, body)
    for node in nodes:
        try:
            sent = _post(
                state,
                node,
                study_id,
                "/node/studies",
                body | {"study_id": study_id},
                timeout,
            )
            state.set_node(study_id, node["name"], sent["status"])
        except _Unreachable as e:
            state.set_node(study_id, node["name"], "unreachable", detail=str(e))
    return refresh(state, study_id, timeout)


def refresh(state: HubState, study_id: str, timeout: float = TIMEOUT) -> dict:
    """Ask every node not done (nor refused) for its answer, then combine the
    answers of the nodes that gave one (a model is trained again)."""
    study = state.study(study_id)
    known = state.node_statuses(study_id)
    nodes = state.nodes()
    in_rounds = study["analysis"] in ROUNDS
    if in_rounds and all(
        known.get(n["name"], {}).get("status") in TERMINAL for n in nodes
    ):
        return report(state, study_id, combined=False)
    ready = []
    for node in nodes:
        status = known.get(node["name"], {}).get("status")
        if status in TERMINAL and not (in_rounds and status == "done"):
            continue
        try:
            if status in (None, "unreachable"):
                body = study["body"] | {"study_id": study_id}
                _post(state, node, study_id, "/node/studies", body, timeout)
            covariates = study["body"]["parameters"]["covariates"]
            asked = (
                {"beta": [0.0] * (1 + len(covariates))}
                if study["analysis"] == "logistic"
                else {}
            )
            found = _post(
                state, node, study_id, f"/node/studies/{study_id}/run", asked, timeout
            )
        except _Unreachable as e:
            state.set_node(study_id, node["name"], "unreachable", detail=str(e))
            continue
        if "result" not in found:  # pending, or refused (with why, when the gate did)
            state.set_node(
                study_id, node["name"], found["status"], detail=found.get("detail")
            )
        elif in_rounds:
            state.set_node(study_id, node["name"], "running")
            ready.append(node)
        else:
            result = found["result"] | {"threshold": found["threshold"]}
            state.set_node(study_id, node["name"], "done", result)
    if in_rounds and ready:
        (_fit if study["analysis"] == "logistic" else _fedavg)(
            state, study, ready, timeout
        )
    return report(state, study_id, combined=not in_rounds)


def _fit(state: HubState, study: dict, nodes: list[dict], timeout: float) -> None:
    """Federated Newton (IRLS): each round, every node's gradient and Hessian
    at the current coefficients, added up; a node that stops answering
    leaves the fit, which starts again without it."""
    parameters = study["body"]["parameters"]
    names = ["intercept", *parameters["covariates"]]
    beta = np.zeros(len(names))
    answers: dict[str, dict] = {}
    rounds = 0
    while rounds < parameters["max_iterations"]:
        rounds += 1
        answers = {}
        for node in list(nodes):
            path = f"/node/studies/{study['id']}/run"
            try:
                found = _post(
                    state, node, study["id"], path, {"beta": beta.tolist()}, timeout
                )
            except _Unreachable as e:
                state.set_node(study["id"], node["name"], "unreachable", detail=str(e))
                nodes.remove(node)
                return _fit(state, study, nodes, timeout) if nodes else None
            answers[node["name"]] = found["result"] | {"threshold": found["threshold"]}
        fitted = {k: a for k, a in answers.items() if "gradient" in a}
        for name in set(answers) - set(fitted):
            state.set_node(study["id"], name, "done", answers[name])
        nodes = [n for n in nodes if n["name"] in fitted]
        if not fitted:
            break
        step = newton_step(beta, fitted)
        beta = step["beta"]
        if step["step"] < parameters["tolerance"] or parameters.get("privacy"):
            break
    for node in nodes:  # the last round: the nodes mark the study done
        path = f"/node/studies/{study['id']}/run"
        try:
            _post(
                state,
                node,
                study["id"],
                path,
                {"beta": beta.tolist(), "last": True},
                timeout,
            )
        except _Unreachable as e:
            state.set_node(study["id"], node["name"], "unreachable", detail=str(e))
            continue
        shown = {k: answers[node["name"]][k] for k in (*LOGISTIC_SHOWN, "threshold")}
        state.set_node(study["id"], node["name"], "done", shown)
    if nodes:
        covariance = np.linalg.inv(step["hessian"])
        combined = {
            "coefficients": dict(zip(names, beta.tolist(), strict=True)),
            "standard_errors": dict(
                zip(names, np.sqrt(np.diag(covariance)).tolist(), strict=True)
            ),
            "iterations": rounds,
            "n": sum(answers[n["name"]]["n"] for n in nodes),
            "nodes_fitted": sorted(n["name"] for n in nodes),
            "how_combined": "Newton-Raphson (IRLS) on the sums of the nodes' "
            "gradients and Hessians: the pooled fit's steps",
        }
        noise = parameters.get("privacy")
        if noise:
            combined["privacy"] = _privacy(noise, rounds)
        else:
            combined["loglik"] = step["loglik"]
        state.set_combined(study["id"], combined)


def _fedavg(state: HubState, study: dict, nodes: list[dict], timeout: float) -> None:
    """FedAvg (FedProx with mu > 0): each round, the global weights sent to
    every node, its locally trained weights averaged weighted by its n; a
    node below its threshold takes no part, one that stops answering leaves
    the rest going. Last, each node's test score bins, added up."""
    parameters = study["body"]["parameters"]
    names = ["intercept", *parameters["covariates"]]
    weights = np.zeros(len(names))
    path = f"/node/studies/{study['id']}/run"

    def ask(node: dict, asked: dict) -> dict | None:
        try:
            found = _post(state, node, study["id"], path, asked, timeout)
        except _Unreachable as e:
            state.set_node(study["id"], node["name"], "unreachable", detail=str(e))
            nodes.remove(node)
            return None
        return found["result"] | {"threshold": found["threshold"]}

    answers: dict[str, dict] = {}
    for round_ in range(parameters["rounds"]):
        asked = {"weights": weights.tolist(), "round": round_}
        answers = {n["name"]: a for n in list(nodes) if (a := ask(n, asked))}
        for name in [k for k, a in answers.items() if "weights" not in a]:
            state.set_node(study["id"], name, "done", answers.pop(name))
        nodes[:] = [n for n in nodes if n["name"] in answers]
        if not answers:
            return
        weights = average(answers)
    tested = {}
    for node in list(nodes):
        found = ask(node, {"weights": weights.tolist(), "last": True})
        if found is None:
            continue
        tested[node["name"]] = found
        shown = {k: found[k] for k in (*LOGISTIC_SHOWN, "threshold")}
        state.set_node(study["id"], node["name"], "done", shown)
    if not nodes:
        return
    combined = {
        "weights": dict(zip(names, weights.tolist(), strict=True)),
        "rounds": parameters["rounds"],
        "algorithm": "FedProx" if parameters["mu"] else "FedAvg",
        "n": sum(answers[n["name"]]["n"] for n in nodes),
        "nodes_fitted": sorted(n["name"] for n in nodes),
        "test": test_metrics(tested),
        "how_combined": "each round, the nodes' weights after local mini-batch "
        "SGD averaged weighted by their training persons",
    }
    noise = parameters.get("update_privacy")
    if noise:
        eps, order = epsilon(
            noise["noise_multiplier"], parameters["rounds"], noise["delta"]
        )
        combined["privacy"] = noise | {
            "rounds": parameters["rounds"],
            "epsilon": eps,
            "renyi_order": order,
            "accounting": "each node's update clipped to norm C, Gaussian noise "
            "of sd noise_multiplier·2C (replacing one person moves the clipped "
            "update by 2C at most): a Gaussian mechanism per round, composed "
            "over the rounds by Rényi DP (Mironov 2017, no subsampling), "
            "converted to (epsilon, delta); for each node's persons",
        }
    state.set_combined(study["id"], combined)


def _privacy(noise: dict, rounds: int) -> dict:
    gaussian = noise["mechanism"] == "gaussian"
    return {
        "mechanism": noise["mechanism"],
        "epsilon_per_round": noise["epsilon"],
        "delta_per_round": noise["delta"] if gaussian else 0,
        "rounds": rounds,
        "epsilon": noise["epsilon"] * rounds,
        "delta": noise["delta"] * rounds if gaussian else 0,
        "accounting": "each node's answers, per round (epsilon split evenly "
        "between gradient and Hessian), added up over rounds (basic composition); "
        "with noise, one Newton step is taken from zero",
    }


def report(state: HubState, study_id: str, *, combined: bool = True) -> dict:
    """The study's nodes, each with its status and answer, and the combined
    result of those that answered (`combined`: worked out again now)."""
    study = state.study(study_id)
    known = state.node_statuses(study_id)
    nodes = []
    for node in state.nodes():
        entry = known.get(node["name"], {"status": "unreachable", "result": None})
        item = {"name": node["name"], "status": entry["status"]}
        if entry.get("detail"):
            item["detail"] = entry["detail"]
        nodes.append(item | (entry["result"] or {}))
    done = {
        n["name"]: known[n["name"]]["result"] for n in nodes if n["status"] == "done"
    }
    if combined and done and study["analysis"] not in ROUNDS:
        state.set_combined(study_id, combine(study["analysis"], done))
    stored = state.study(study_id)["combined"]
    result = json.loads(stored) if stored else {}
    left = {n["name"]: n["status"] for n in nodes if n["status"] != "done"}
    result |= {"nodes_combined": sorted(done), "nodes_left_out": left}
    state.audit("result", study_id, detail={"nodes": sorted(done)})
    return {
        "study_id": study_id,
        "name": study["name"],
        "analysis": study["analysis"],
        "nodes": nodes,
        "combined": result,
    }
