"""A network of three synthetic hospitals, each its own seed and case mix,
served by real `entrepot serve` processes on loopback (the third over HTTPS
with a self-signed certificate), with a hub process (over HTTPS too): studies
go from the hub to the nodes and back, and every privacy rule holds at the
node."""

from __future__ import annotations

import contextlib
import io
import json
import os
import queue
import shutil
import socket
import ssl
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import numpy as np
import pytest

from entrepot.cli import main
from entrepot.cohort import count_persons, definition_from_data
from entrepot.hub import HubState
from entrepot.network._analyses import design, follow_up, periods
from entrepot.network._study import load_study
from entrepot.privacy import add_user, entries
from entrepot.synth import generate_hospital
from entrepot.warehouse import Warehouse

PASSWORD = "network admin password"
#: name -> (seed, share of patients given diabetes): three case mixes.
HOSPITALS = {"nord": (11, 0.4), "sud": (12, 0.25), "est": (13, 0.12)}
PATIENTS = 250
THRESHOLD = 10
DIABETES = """\
name: Diabetes
concept_sets:
  diabetes: {items: [{vocabulary: CIM10, code: E11, descendants: true}]}
entry:
  events: [{condition: {concept_set: diabetes, first: true}}]
"""
#: The same cohort less its oldest few: at each node fewer than T persons.
YOUNGER = (
    DIABETES.replace("Diabetes", "Diabetes before 75")
    + """\
inclusion_rules:
  - {name: under 75, criteria: {demographics: [{age: {lt: 75}}]}}
"""
)
SCLEROSIS = """\
name: Systemic sclerosis
concept_sets:
  ssc: {items: [{vocabulary: CIM10, code: M34, descendants: true}]}
entry:
  events: [{condition: {concept_set: ssc, first: true}}]
"""
EVERYONE = """\
name: Everyone seen
concept_sets: {}
entry:
  events: [{visit: {first: true}}]
"""
STUDIES = {
    "count": "cohort: diabetes.yaml\nanalysis: count\n",
    "rare": "cohort: sclerosis.yaml\nanalysis: count\n",
    "younger": "cohort: younger_diabetes.yaml\nanalysis: count\n",
    "younger_ages": "cohort: younger_diabetes.yaml\nanalysis: characterization\n",
    "characterization": "cohort: everyone.yaml\nanalysis: characterization\n"
    "parameters: {variables: [age, follow_up_days]}\n",
    "incidence": "cohort: everyone.yaml\nanalysis: incidence\n"
    "parameters: {outcome: diabetes.yaml}\n",
    "km": "cohort: everyone.yaml\nanalysis: km\n"
    "parameters: {outcome: diabetes.yaml, interval_days: 180}\n",
    "logistic": "cohort: everyone.yaml\nanalysis: logistic\n"
    "parameters: {outcome: diabetes.yaml}\n",
    # the defaults (tuned with seed 7), reported here with seed 0
    "fedavg": "cohort: everyone.yaml\nanalysis: fedavg\n"
    "parameters: {outcome: diabetes.yaml, seed: 0}\n",
    "fedprox": "cohort: everyone.yaml\nanalysis: fedavg\n"
    "parameters: {outcome: diabetes.yaml, mu: 0.1, rounds: 5}\n",
    "fedprox_private": "cohort: everyone.yaml\nanalysis: fedavg\n"
    "parameters: {outcome: diabetes.yaml, mu: 0.1, rounds: 5,\n"
    "  update_privacy: {clip: 0.5, noise_multiplier: 1.0, delta: 1.0e-5}}\n",
    "fedavg_rare": "cohort: everyone.yaml\nanalysis: fedavg\n"
    "parameters: {outcome: sclerosis.yaml, rounds: 1}\n",
}
#: The audit actions of a study run at a node.
RUNS = {
    f"network.{a}"
    for a in ("count", "characterization", "incidence", "km", "logistic", "fedavg")
}
#: Keys of a node's answer that hold counts of persons (each 0 or >= T).
COUNTS = {
    "count", "entries", "persons", "events", "n", "at_risk", "censored",
    "positives", "negatives",
}  # fmt: skip
#: Keys that would carry a person's own data.
PERSON_FIELDS = {
    "person_id", "subject_id", "year_of_birth", "birth_datetime", "start_date",
    "end_date", "outcome_date", "age", "male", "gender_concept_id", "rows",
}  # fmt: skip


def cli(*args: str, code: int = 0):
    """The real CLI in this process: its JSON (or its error line)."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        assert main(list(args)) == code, err.getvalue() or out.getvalue()
    return json.loads(out.getvalue()) if code == 0 else err.getvalue().strip()


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(args: list[str], folder: Path) -> tuple[subprocess.Popen, dict]:
    """A process printing one JSON line once it listens: it and that line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "entrepot", *args, "--json"],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[2])},
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(
        target=lambda: lines.put(process.stdout.readline()), daemon=True
    ).start()
    return process, lines


def _certificate(folder: Path) -> tuple[Path, Path] | None:
    """A self-signed certificate for 127.0.0.1 (None without openssl)."""
    if shutil.which("openssl") is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True,
    )  # fmt: skip
    return cert, key


class Network:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.state = folder / "hub"
        self.processes: dict[str, subprocess.Popen] = {}
        self.urls: dict[str, str] = {}
        self.hub_url = self.hub_password = None
        self.tls = False
        self.trusted: ssl.SSLContext | bool = True  # how the hub's pages are checked

    def warehouse(self, name: str) -> str:
        return str(self.folder / f"{name}.duckdb")

    def run(self, study: str) -> dict:
        return cli("hub", "run", str(self.folder / f"{study}.yaml"),
                   "--state", str(self.state), "--json")  # fmt: skip

    def result(self, study_id: str) -> dict:
        return cli("hub", "result", study_id, "--state", str(self.state), "--json")

    def answer(self, node: str, study_id: str, how: str = "accept") -> dict:
        return cli("node", how, study_id, "-w", self.warehouse(node), "--json")

    def accepted(self, study: str) -> dict:
        """Send a study, every node accepts it, and the hub's result."""
        found = self.run(study)
        for name in HOSPITALS:
            self.answer(name, found["study_id"])
        return self.result(found["study_id"])


@pytest.fixture(scope="module")
def network(tmp_path_factory):
    """Three hospitals generated in parallel, served; a hub that knows them."""
    folder = tmp_path_factory.mktemp("network")
    for name, text in (
        ("diabetes", DIABETES), ("sclerosis", SCLEROSIS), ("everyone", EVERYONE),
        ("younger_diabetes", YOUNGER),
    ):  # fmt: skip
        (folder / f"{name}.yaml").write_text(text)
    for name, text in STUDIES.items():
        (folder / f"{name}.yaml").write_text(f"name: {name} study\n{text}")
    net = Network(folder)
    for name, (seed, share) in HOSPITALS.items():  # in this process: ~2 s each
        generate_hospital(
            net.warehouse(name), patients=PATIENTS, seed=seed, notes=False,
            workers=1, enrich={"diabetes": share},
        )  # fmt: skip
    tls = _certificate(folder)
    waiting = {}
    for name in HOSPITALS:
        with Warehouse.open(net.warehouse(name)) as wh:
            add_user(wh, "ada", "admin", PASSWORD)
        token = cli(
            "node", "token", "--hub", "central", "-w", net.warehouse(name), "--json"
        )
        (folder / f"{name}.token").write_text(token["token"])
        args = ["serve", "-w", net.warehouse(name), "--port", str(_port())]
        if name == "est" and tls:
            args += ["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])]
        net.processes[name], waiting[name] = _start(args, folder)
    hub_args = ["hub", "serve", "--state", str(net.state), "--port", str(_port())]
    if tls:
        hub_args += ["--ssl-certfile", str(tls[0]), "--ssl-keyfile", str(tls[1])]
        net.trusted = ssl.create_default_context(cafile=str(tls[0]))
    net.processes["hub"], waiting["hub"] = _start(hub_args, folder)
    try:
        for name, lines in waiting.items():
            ready = json.loads(lines.get(timeout=120))
            if name == "hub":
                net.hub_url, net.hub_password = ready["url"], ready["password"]
                continue
            net.urls[name] = ready["url"].rstrip("/")
            ca = ["--ca", str(tls[0])] if name == "est" and tls else []
            cli("hub", "add-node", name, net.urls[name], "--token-file",
                str(folder / f"{name}.token"), "--state", str(net.state), *ca,
                "--json")  # fmt: skip
        net.tls = bool(tls)
        yield net
    finally:
        for process in net.processes.values():
            process.terminate()
        for process in net.processes.values():
            _, err = process.communicate(timeout=60)
            assert "Traceback" not in err, err


def _pooled(net: Network, study: str) -> dict:
    """Each hospital's person-level rows for a study, read directly (the
    pooled baseline, as if the rows had been gathered in one place)."""
    body = load_study(net.folder / f"{study}.yaml")
    found = {}
    for name in HOSPITALS:
        with Warehouse.open(net.warehouse(name), read_only=True) as wh:
            rows = periods(wh, body).to_pyarrow()
            found[name] = (
                rows,
                design(wh, body) if "outcome" in body["parameters"] else None,
            )
    return found


def test_a_study_runs_only_where_accepted(network):
    """Sent, the study is pending everywhere and runs nowhere; refused at one
    node, it never runs there and the rest is combined, saying so."""
    sent = network.run("count")
    assert [(n["name"], n["status"]) for n in sent["nodes"]] == [
        ("est", "pending"), ("nord", "pending"), ("sud", "pending")
    ]  # fmt: skip
    assert all("count" not in n for n in sent["nodes"])
    listed = cli("node", "studies", "-w", network.warehouse("nord"), "--json")
    assert {
        "id": sent["study_id"],
        "name": "count study",
        "status": "pending",
    }.items() <= {
        k: v
        for s in listed["studies"]
        if s["id"] == sent["study_id"]
        for k, v in s.items()
    }.items()
    study_id = sent["study_id"]
    network.answer("nord", study_id)
    network.answer("est", study_id, "refuse")
    found = network.result(study_id)
    status = {n["name"]: n["status"] for n in found["nodes"]}
    assert status == {"nord": "done", "sud": "pending", "est": "refused"}
    assert found["combined"]["nodes_left_out"] == {"sud": "pending", "est": "refused"}
    with Warehouse.open(network.warehouse("est"), read_only=True) as wh:
        ran = [
            e for e in entries(wh)
            if e["action"].removeprefix("release.") in RUNS
            and json.loads(e["parameters"]).get("study") == study_id
        ]  # fmt: skip
        assert ran == []  # est never ran it
        refused = [e for e in entries(wh) if e["action"] == "network.refuse"]
        assert json.loads(refused[-1]["parameters"])["study"] == study_id
    network.answer("sud", study_id)
    found = network.result(study_id)
    truth = {}
    for name in HOSPITALS:
        with Warehouse.open(network.warehouse(name), read_only=True) as wh:
            truth[name] = count_persons(wh, definition_from_data(
                json.loads(json.dumps(load_study(network.folder / "count.yaml")["cohort"])),
                "diabetes"))  # fmt: skip
    counts = {n["name"]: n.get("count") for n in found["nodes"]}
    assert counts == {"nord": truth["nord"], "sud": truth["sud"], "est": None}
    assert min(truth["nord"], truth["sud"]) >= THRESHOLD  # nothing suppressed
    combined = found["combined"]
    assert combined["count"] == truth["nord"] + truth["sud"]  # pooled, exactly
    assert combined["suppressed_nodes"] == [] and combined["nodes_left_out"] == {
        "est": "refused"
    }
    with Warehouse.open(network.warehouse("nord"), read_only=True) as wh:
        audited = [e for e in entries(wh) if e["action"] == "release.network.count"]
        assert audited[-1]["user"] == "hub:central"


def test_a_small_count_never_leaves_its_node(network):
    """A rare disease: each node below the threshold answers "<10"; the hub
    leaves it out, names it, and bounds the total."""
    found = network.accepted("rare")
    truth = {}
    for name in HOSPITALS:
        with Warehouse.open(network.warehouse(name), read_only=True) as wh:
            truth[name] = count_persons(wh, definition_from_data(
                load_study(network.folder / "rare.yaml")["cohort"], "ssc"))  # fmt: skip
    small = sorted(k for k, v in truth.items() if 0 < v < THRESHOLD)
    assert small, truth  # the case this test is about
    counts = {n["name"]: n["count"] for n in found["nodes"]}
    assert counts == {k: f"<{THRESHOLD}" if k in small else v for k, v in truth.items()}
    combined = found["combined"]
    assert combined["suppressed_nodes"] == small
    shown = sum(v for k, v in truth.items() if k not in small)
    assert combined["count"] == shown
    assert combined["bounds"] == [
        shown + len(small),
        shown + (THRESHOLD - 1) * len(small),
    ]


def test_characterization_incidence_and_km_equal_pooled(network):
    """Means and variances combined exactly; incidence from events and
    person-time; Kaplan-Meier equal to the pooled estimate on the same
    intervals; quantiles within the bin they are read from."""
    ages = np.concatenate(
        [
            np.asarray(rows["age"], float)
            for rows, _ in _pooled(network, "characterization").values()
        ]
    )
    found = network.accepted("characterization")["combined"]["variables"]["age"]
    assert found["n"] == len(ages)
    assert found["mean"] == pytest.approx(ages.mean(), rel=1e-12)
    assert found["variance"] == pytest.approx(ages.var(ddof=1), rel=1e-12)
    assert sum(b[2] for b in found["histogram"]) == len(ages)
    for q in found["quantiles"]:
        assert q["low"] <= np.quantile(ages, q["p"], method="inverted_cdf") < q["high"]

    pooled = _pooled(network, "km")
    days = np.concatenate([follow_up(rows)[0] for rows, _ in pooled.values()])
    event = np.concatenate([follow_up(rows)[1] for rows, _ in pooled.values()])
    incidence = network.accepted("incidence")["combined"]
    assert incidence["events"] == int(event.sum())
    assert incidence["person_years"] == pytest.approx(days.sum() / 365.25, rel=1e-12)

    km = network.accepted("km")["combined"]["intervals"]
    assert len(km) >= 2
    survival = 1.0
    for interval in km:
        end = np.inf if interval["end"] is None else interval["end"]
        inside = (days >= interval["start"]) & (days < end)
        at_risk, events = (
            int((days >= interval["start"]).sum()),
            int(event[inside].sum()),
        )
        survival *= 1 - events / at_risk
        assert (interval["at_risk"], interval["events"]) == (at_risk, events)
        assert interval["survival"] == pytest.approx(survival, abs=1e-12)


def test_federated_logistic_regression_equals_pooled(network):
    from sklearn.linear_model import LogisticRegression

    found = network.accepted("logistic")
    designs = [d for _, d in _pooled(network, "logistic").values()]
    x = np.concatenate([d[0] for d in designs])
    y = np.concatenate([d[1] for d in designs])
    pooled = LogisticRegression(
        C=np.inf, solver="newton-cholesky", tol=1e-12, max_iter=100,
        fit_intercept=False,
    ).fit(x, y)  # fmt: skip
    combined = found["combined"]
    federated = list(combined["coefficients"].values())
    assert np.abs(np.array(federated) - pooled.coef_[0]).max() < 1e-6
    assert combined["n"] == len(y) and combined["nodes_fitted"] == sorted(HOSPITALS)
    assert all(
        set(n) == {"name", "status", "n", "events", "threshold"} for n in found["nodes"]
    )


def test_differential_privacy_on_updates_states_its_epsilon(network):
    (network.folder / "private.yaml").write_text(
        "name: private\ncohort: everyone.yaml\nanalysis: logistic\n"
        "parameters:\n  outcome: diabetes.yaml\n"
        "  privacy: {mechanism: gaussian, epsilon: 1.0, delta: 1.0e-6, seed: 3}\n"
    )
    combined = network.accepted("private")["combined"]
    assert combined["privacy"] | {"accounting": None} == {
        "mechanism": "gaussian", "epsilon_per_round": 1.0, "delta_per_round": 1e-6,
        "rounds": 1, "epsilon": 1.0, "delta": 1e-6, "accounting": None,
    }  # fmt: skip
    assert "loglik" not in combined


def _split(net: Network, study: str) -> dict[str, tuple]:
    """Each hospital's design split as the study splits it, read directly:
    (x_train, y_train, x_test, y_test)."""
    from entrepot.network._federated import test_split

    parameters = load_study(net.folder / f"{study}.yaml")["parameters"]
    out = {}
    for name, (_, (x, y, persons)) in _pooled(net, study).items():
        test = test_split(persons, parameters["seed"], parameters["test_fraction"])
        out[name] = (x[~test], y[~test], x[test], y[test])
    return out


def test_fedavg_on_non_iid_hospitals_matches_pooled_training(network):
    """FedAvg over the three hospitals (outcome rates far apart) against
    logistic regression trained on the union of their training persons, both
    scored on the union of their test persons (the same split): AUROC within
    0.01, AUPRC at least 90 %. Each node's own test figures, as it sent them,
    are those of its test persons; its entry shows no weights."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import average_precision_score, roc_auc_score

    parts = _split(network, "fedavg")
    rates = {k: p[1].mean() for k, p in parts.items()}
    assert rates["nord"] > 2 * rates["est"]  # non-IID: outcome rates apart
    found = network.accepted("fedavg")
    combined = found["combined"]
    assert combined["algorithm"] == "FedAvg" and combined["rounds"] == 20
    assert combined["nodes_fitted"] == sorted(HOSPITALS)
    assert combined["n"] == sum(len(p[1]) for p in parts.values())
    assert all(
        set(n) == {"name", "status", "n", "events", "threshold"} for n in found["nodes"]
    )
    w = np.array(list(combined["weights"].values()))
    x, y, xt, yt = (np.concatenate([p[i] for p in parts.values()]) for i in range(4))
    pooled = LogisticRegression(C=np.inf, fit_intercept=False, max_iter=1000)
    pooled.fit(x, y)
    auroc = roc_auc_score(yt, xt @ w), roc_auc_score(yt, xt @ pooled.coef_[0])
    auprc = (
        average_precision_score(yt, xt @ w),
        average_precision_score(yt, xt @ pooled.coef_[0]),
    )
    assert abs(auroc[0] - auroc[1]) <= 0.01, auroc
    assert auprc[0] >= 0.9 * auprc[1], auprc
    test = combined["test"]
    for name, (_, _, xn, yn) in parts.items():
        sent = test["nodes"][name]
        assert (sent["positives"], sent["negatives"]) == (yn.sum(), len(yn) - yn.sum())
        assert sent["auroc"] == pytest.approx(roc_auc_score(yn, xn @ w), abs=1e-12)
        assert sent["auprc"] == pytest.approx(
            average_precision_score(yn, xn @ w), abs=1e-12
        )
    binned = test["binned"]
    assert binned["positives"] + binned["negatives"] == len(yt)


def test_fedprox_runs_only_where_accepted_and_dp_noise_changes_it(network):
    """FedProx accepted at two nodes: the third, pending, never trains; with
    clipped, noised updates the weights differ and ε is stated, equal to
    the Rényi-DP bound at its best order."""
    runs = {}
    for study in ("fedprox", "fedprox_private"):
        sent = network.run(study)
        for name in ("nord", "sud"):
            network.answer(name, sent["study_id"])
        runs[study] = network.result(sent["study_id"])
    for found in runs.values():
        assert {n["name"]: n["status"] for n in found["nodes"]} == {
            "nord": "done", "sud": "done", "est": "pending"
        }  # fmt: skip
        assert found["combined"]["algorithm"] == "FedProx"
        assert found["combined"]["nodes_fitted"] == ["nord", "sud"]
    with Warehouse.open(network.warehouse("est"), read_only=True) as wh:
        ids = {f["study_id"] for f in runs.values()}
        assert not [
            e for e in entries(wh)
            if e["action"] == "release.network.fedavg"
            and json.loads(e["parameters"]).get("study") in ids
        ]  # fmt: skip
    plain, private = (
        np.array(list(runs[s]["combined"]["weights"].values())) for s in runs
    )
    assert np.abs(plain - private).max() > 0.01
    assert "privacy" not in runs["fedprox"]["combined"]
    stated = runs["fedprox_private"]["combined"]["privacy"]
    rounds, z, delta = 5, 1.0, 1e-5
    a = rounds / (2 * z**2)  # ε(α) = aα + log(1/δ)/(α-1), least at α = 1 + √(L/a)
    best = a + 2 * np.sqrt(a * np.log(1 / delta))
    assert stated["rounds"] == rounds and stated["delta"] == delta
    assert best <= stated["epsilon"] <= best * 1.01


def test_a_node_below_its_threshold_takes_no_part(network):
    """An outcome too rare: a node with fewer than T training events answers
    its figures masked, says it takes no part, and sends no weights."""
    found = network.accepted("fedavg_rare")
    small = {n["name"]: n for n in found["nodes"] if n.get("events") in (0, "<10")}
    assert small, found["nodes"]
    for node in small.values():
        assert node["status"] == "done" and "weights" not in node
        assert node["detail"].endswith("this node takes no part")
    assert not set(small) & set(found["combined"].get("nodes_fitted", []))


def _walk(data, key=None):
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _walk(v, k)
    elif isinstance(data, list):
        if key == "histogram":
            for _, _, n in data:
                yield "histogram", n
        else:
            for v in data:
                yield from _walk(v, key)
    else:
        yield key, data


def test_every_message_a_node_sent_is_aggregate_and_above_the_threshold(network):
    """The hub logs each answer as it came over the wire: no count of persons
    from 1 to T-1, no field about a person."""
    network.accepted("rare")  # a masked count at least, whatever ran before
    with HubState(network.state) as hub:
        received = hub.messages("received")
    answers = [json.loads(m["body"]) for m in received if m["status"] == 200]
    assert sum("result" in a for a in answers) >= len(HOSPITALS)
    keys = set()
    for answer in answers:
        for key, value in _walk(answer):
            keys.add(key)
            if key in COUNTS | {"histogram"} and isinstance(value, int):
                assert value == 0 or value >= THRESHOLD, (key, value, answer)
    assert not keys & PERSON_FIELDS
    assert f"<{THRESHOLD}" in {v for a in answers for _, v in _walk(a)}


def test_the_hub_and_node_pages(network):
    """The hub's page shows studies and each node's status (behind its
    login); a node's administrator refuses a study on the node's page."""
    auth, trusted = ("hub", network.hub_password), network.trusted
    if network.tls:
        assert network.hub_url.startswith("https://127.0.0.1:")
        with pytest.raises(httpx.ConnectError):  # self-signed: refused unless trusted
            httpx.get(network.hub_url)
    assert httpx.get(network.hub_url, verify=trusted).status_code == 401
    sent = network.run("count")
    page = httpx.get(network.hub_url, auth=auth, verify=trusted).text
    assert sent["study_id"] in page and "nord: pending" in page
    detail = httpx.get(
        f"{network.hub_url}studies/{sent['study_id']}", auth=auth, verify=trusted
    )
    assert "pending" in detail.text and "<h2>Combined</h2>" in detail.text

    url = network.urls["nord"]
    token = httpx.post(
        f"{url}/api/token", data={"username": "ada", "password": PASSWORD}
    ).json()["access_token"]
    with httpx.Client(
        base_url=url, headers={"Authorization": f"Bearer {token}"}
    ) as http:
        assert sent["study_id"] in http.get("/admin/network").text
        refused = http.post(f"/admin/network/{sent['study_id']}/refuse")
        assert refused.status_code == 303
    listed = cli("node", "studies", "-w", network.warehouse("nord"), "--json")
    assert {s["id"]: s["status"] for s in listed["studies"]}[
        sent["study_id"]
    ] == "refused"


def test_forged_replayed_and_impostor_messages_are_refused(network, tmp_path):
    from entrepot.network import key_of, sign_request

    key = key_of((network.folder / "nord.token").read_text())
    body = b"{}"
    headers = sign_request(key, "POST", "/node/studies", body)
    forged = headers | {"X-Entrepot-Signature": "0" * 64}
    url = network.urls["nord"] + "/node/studies"
    assert httpx.post(url, content=body, headers=forged).status_code == 401
    assert httpx.post(url, content=body, headers=headers).status_code == 400
    replayed = httpx.post(url, content=body, headers=headers)
    assert (replayed.status_code, replayed.json()["detail"]) == (
        401,
        "request replayed",
    )
    # a node registered with another node's token: its answers are not its own
    cli("hub", "add-node", "impostor", network.urls["sud"], "--token-file",
        str(network.folder / "nord.token"), "--state", str(tmp_path), "--json")  # fmt: skip
    body = load_study(network.folder / "count.yaml")
    with HubState(tmp_path) as hub:
        from entrepot.hub import send_study

        found = send_study(hub, body)
    assert found["nodes"][0]["status"] == "unreachable"
    assert "HTTP 401" in found["nodes"][0]["detail"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_a_node_served_over_https(network):
    assert network.urls["est"].startswith("https://127.0.0.1:")
    with pytest.raises(httpx.ConnectError):  # self-signed: refused unless trusted
        httpx.post(network.urls["est"] + "/node/studies")
    with HubState(network.state) as hub:
        assert {n["name"]: n["ca_file"] is not None for n in hub.nodes()}["est"]


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_a_node_whose_certificate_is_not_trusted_is_refused(network, tmp_path):
    """The hub checks a node's certificate: with the node's CA file it
    reaches it; with none (the system's CAs) or with another self-signed
    certificate, the TLS handshake is refused and the node is unreachable,
    in one line."""
    state = str(tmp_path / "hub")
    other, _ = _certificate(tmp_path)
    for name, ca in (("trusted", network.folder / "cert.pem"), ("system", None),
                     ("other", other)):  # fmt: skip
        cli("hub", "add-node", name, network.urls["est"], "--token-file",
            str(network.folder / "est.token"), "--state", state,
            *(["--ca", str(ca)] if ca else []), "--json")  # fmt: skip
    sent = cli("hub", "run", str(network.folder / "count.yaml"), "--state", state,
               "--json")  # fmt: skip
    found = {n["name"]: n for n in sent["nodes"]}
    assert found["trusted"]["status"] == "pending"
    for name in ("system", "other"):
        assert found[name]["status"] == "unreachable"
        assert found[name]["detail"].startswith(
            "ConnectError: [SSL: CERTIFICATE_VERIFY_FAILED]"
        )
        assert "\n" not in found[name]["detail"]


def test_a_node_down_is_reported_and_the_rest_combined(network, tmp_path):
    """A hub of its own (the shared one is left as it is) knows two served
    nodes and one whose server is down."""
    state = str(tmp_path / "hub")
    for name, url in (("nord", network.urls["nord"]), ("est", network.urls["est"]),
                      ("ouest", f"http://127.0.0.1:{_port()}")):  # fmt: skip
        token = network.folder / f"{'sud' if name == 'ouest' else name}.token"
        ca = (
            ["--ca", str(network.folder / "cert.pem")]
            if name == "est" and network.tls
            else []
        )
        cli("hub", "add-node", name, url, "--token-file", str(token),
            "--state", state, *ca, "--json")  # fmt: skip
    study = str(network.folder / "count.yaml")
    sent = cli("hub", "run", study, "--state", state, "--json")
    for name in ("nord", "est"):
        network.answer(name, sent["study_id"])
    found = cli("hub", "result", sent["study_id"], "--state", state, "--json")
    status = {n["name"]: n["status"] for n in found["nodes"]}
    assert status == {"nord": "done", "ouest": "unreachable", "est": "done"}
    detail = {n["name"]: n.get("detail", "") for n in found["nodes"]}["ouest"]
    assert "ConnectError" in detail
    assert found["combined"]["nodes_combined"] == ["est", "nord"]
    assert found["combined"]["nodes_left_out"] == {"ouest": "unreachable"}
    counts = {n["name"]: n.get("count") for n in found["nodes"]}
    assert found["combined"]["count"] == counts["nord"] + counts["est"]


def test_two_studies_a_few_persons_apart_reveal_nothing(network):
    """Differencing across studies: a cohort's count, then the same cohort
    less its oldest few (fewer than T at a node). There the second count,
    its entries and attrition are the first's (the gate's defence counts
    the few as still in, and audits it as adjusted); a characterization of
    the smaller cohort, whose figures would give them back, is refused
    there, saying why, and the hub leaves it out."""
    truth = {}
    for name in HOSPITALS:
        with Warehouse.open(network.warehouse(name), read_only=True) as wh:
            truth[name] = [
                count_persons(wh, definition_from_data(
                    load_study(network.folder / f"{s}.yaml")["cohort"], s))
                for s in ("count", "younger")
            ]  # fmt: skip
    apart = sorted(k for k, (a, b) in truth.items() if 0 < a - b < THRESHOLD)
    assert apart and all(b >= THRESHOLD for _, b in truth.values()), truth
    first = {n["name"]: n for n in network.accepted("count")["nodes"]}
    found = network.accepted("younger")
    second = {n["name"]: n for n in found["nodes"]}
    for name, (whole, fewer) in truth.items():
        assert first[name]["count"] == whole
        shown = whole if name in apart else fewer
        assert second[name]["count"] == shown
        if name in apart:
            assert second[name]["entries"] == first[name]["entries"]
        assert second[name]["attrition"][-1]["persons"] == shown
    assert found["combined"]["count"] == sum(
        w if k in apart else f for k, (w, f) in truth.items()
    )
    with Warehouse.open(network.warehouse(apart[0]), read_only=True) as wh:
        released = [e for e in entries(wh) if e["action"] == "release.network.count"]
        asked = json.loads(released[-1]["parameters"])
        assert (asked["study"], asked["adjusted"]) == (found["study_id"], True)

    ages = network.accepted("younger_ages")
    status = {n["name"]: (n["status"], n.get("detail", "")) for n in ages["nodes"]}
    for name in HOSPITALS:
        if name in apart:
            assert status[name] == ("refused", (
                "refused by the differencing defence: with the studies this node "
                f"answered before, its figures would reveal a group of fewer than "
                f"{THRESHOLD} persons"))  # fmt: skip
        else:
            assert status[name] == ("done", "")
    assert ages["combined"]["nodes_left_out"] == {k: "refused" for k in apart}
    listed = cli("node", "studies", "-w", network.warehouse(apart[0]), "--json")
    assert {s["id"]: s["status"] for s in listed["studies"]}[ages["study_id"]] == (
        "refused"
    )
