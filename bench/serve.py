"""The web server under load: latency and errors of count requests on loopback.

Builds a synthetic hospital (or reuses one, `--warehouse`), indexes its notes,
adds a data engineer and a researcher (project "bench"), serves it in this
process (uvicorn in a thread, a free 127.0.0.1 port), logs them in, then runs
locust headless (`--users` users for `--seconds`, each pausing `--think`
seconds on average between requests) on a mix of count requests:
the overview, the cohort list, search counts, the vocabulary, a cohort count
job (start, then poll until done: timed end to end; `--no-job` leaves it
out, as it is the only request that writes, and a write empties the
server's cache of answers). Prints p50/p95/p99 latency, requests/s and
errors per request and overall. Baseline, in the same run: the same requests
made one at a time by one client; `ratio` is p95 under load over p95 alone.
Target: zero errors, p95 <= 200 ms. Traffic goes only to 127.0.0.1.

    python bench/serve.py [--patients 100000] [--users 20] [--seconds 60]
                          [--think 1.0] [--warehouse eds.duckdb] [--no-job]
                          [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

from entrepot.warehouse import Warehouse

TARGET_P95_MS = 200
POLL_SECONDS = 0.1  # a job's progress is asked this often
PASSWORD = "bench password"
#: name -> (role, project the requests are made in)
USERS = {"bench-engineer": ("data_engineer", None), "bench-researcher": ("researcher", "bench")}  # fmt: skip
#: The mix: name, method, path, query, JSON body, weight; a path the app does
#: not serve is left out (and named).
#: A cohort counted by the "cohort count job" request (written, then counted).
COHORT = {
    "name": "bench: hypertension, 40 and over",
    "concept_sets": {
        "htn": {"items": [{"vocabulary": "CIM10", "code": "I10", "descendants": True}]}
    },  # fmt: skip
    "entry": {"events": [{"domain": "condition", "concept_set": "htn", "first": True}]},
    "inclusion_rules": [
        {"name": "age 40+", "criteria": {"demographics": [{"age": {"gte": 40}}]}}
    ],  # fmt: skip
}
MIX = (
    ("overview", "GET", "/api/overview", {}, None, 3),
    ("cohort list", "GET", "/api/cohorts", {}, None, 2),
    (
        "search count",
        "GET",
        "/api/search",
        {"q": "insuffisance cardiaque", "limit": 0},
        None,
        2,
    ),  # fmt: skip
    (
        "search count (boolean)",
        "GET",
        "/api/search",
        {"q": "diabète AND NOT hypertension", "limit": 0},
        None,
        1,
    ),  # fmt: skip
    ("vocabulary", "GET", "/api/vocabulary", {"q": "diabete"}, None, 2),
    ("cohort count job", "JOB", "/api/cohorts", {}, COHORT, 1),
)

LOCUSTFILE = """
import json, os, time
import requests
from locust import FastHttpUser, between

CONFIG = json.loads(os.environ["ENTREPOT_BENCH"])
POLL = CONFIG["poll"]
_next = iter(range(10**9))


class Client(FastHttpUser):
    wait_time = between(*CONFIG["think"])

    def on_start(self):
        token, project = CONFIG["logins"][next(_next) % len(CONFIG["logins"])]
        self.headers = {"Authorization": "Bearer " + token}
        self.project = project

    def _query(self, query):
        return dict(query, **({"project": self.project} if self.project else {}))

    def _call(self, name, method, path, query, body):
        with self.client.request(method, path, name=name, params=self._query(query),
                                 json=body, headers=self.headers,
                                 catch_response=True) as r:
            if r.status_code >= 400:
                r.failure(f"{r.status_code} {r.text[:100]}")
            return r

    def _job(self, name, path, query, body):
        # start, then poll until done: one figure, the job end to end (its
        # requests go around locust's client, not counted on their own)
        if not hasattr(self, "session"):
            self.session = requests.Session()
            self.session.headers.update(self.headers)
        started = time.perf_counter()
        r = self.session.post(self.host + path, params=self._query(query), json=body)
        state = "failed: %d" % r.status_code
        while r.status_code < 400:
            state = r.json().get("state", "queued")
            if state not in ("queued", "running"):
                break
            time.sleep(POLL)
            r = self.session.get(self.host + "/api/jobs/%d" % r.json().get("job", r.json().get("id")))
        self.environment.events.request.fire(
            request_type="JOB", name=name, response_time=(time.perf_counter() - started) * 1000,
            response_length=0, context={},
            exception=None if state == "done" else RuntimeError("job " + state))


def _task(name, method, path, query, body):
    def run(self):
        if method == "JOB":
            self._job(name, path, query, body)
        else:
            self._call(name, method, path, query, body)
    return run


Client.tasks = [t for name, method, path, query, body, weight in CONFIG["mix"]
                for t in [_task(name, method, path, query, body)] * weight]
"""


def prepare(path: Path, patients: int, seed: int = 7) -> None:
    """A synthetic hospital with notes, indexed, with the bench's users."""
    from entrepot.privacy import add_project, add_user, list_projects, list_users
    from entrepot.search import update_index
    from entrepot.synth import generate_hospital

    if not path.exists():
        generate_hospital(str(path), patients=patients, seed=seed, notes=True)
    with Warehouse.open(path) as wh:
        update_index(wh)
        if "bench" not in {p["name"] for p in list_projects(wh)}:
            add_project(wh, "bench")
        known = {u["name"] for u in list_users(wh)}
        for name, (role, project) in USERS.items():
            if name not in known:
                add_user(
                    wh, name, role, PASSWORD, projects=[project] if project else []
                )


class Server:
    """The app under uvicorn in a thread of this process, on a free loopback port."""

    def __init__(self, path: Path) -> None:
        import uvicorn

        from entrepot.web import create_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.app = create_app(Warehouse.open(path), close=True)
        config = uvicorn.Config(
            self.app, host="127.0.0.1", port=port, log_level="warning",
            limit_concurrency=200, timeout_keep_alive=5,
        )  # fmt: skip
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the server did not start")
            time.sleep(0.05)

    def token(self, user: str) -> str:
        r = httpx.post(f"{self.url}/api/token", data={"username": user, "password": PASSWORD})  # fmt: skip
        r.raise_for_status()
        return r.json()["access_token"]

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(60)


def served_mix(app, job: bool = True) -> tuple[list, list[str]]:
    """The mix's requests the app serves (without the cohort job unless
    `job`), and the names of those it does not serve."""
    from fastapi.routing import iter_route_contexts

    routes = {(m, c.path) for c in iter_route_contexts(app.routes) for m in c.methods or ()}  # fmt: skip
    kept, missing = [], []
    for name, method, path, query, body, weight in MIX:
        if method == "JOB" and not job:
            continue
        asked = ("POST" if method == "JOB" else method, path)
        if asked in routes:
            kept.append([name, method, path, query, body, weight])
        else:
            missing.append(f"{name} ({asked[0]} {path})")
    return kept, missing


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def alone(url: str, logins: list, mix: list, rounds: int) -> dict:
    """The baseline: each request of the mix made one at a time, by one client."""
    times: dict[str, list[float]] = {}
    errors = 0
    for i in range(rounds):
        token, project = logins[i % len(logins)]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for name, method, path, query, body, _ in mix:
                params = dict(query, **({"project": project} if project else {}))
                started = time.perf_counter()
                r = client.request("POST" if method == "JOB" else method, path, params=params, json=body)  # fmt: skip
                while method == "JOB" and r.status_code < 400:
                    state = r.json().get("state", "queued")
                    if state not in ("queued", "running"):
                        r = r if state == "done" else httpx.Response(500)
                        break
                    time.sleep(POLL_SECONDS)
                    job = r.json().get("job", r.json().get("id"))
                    r = client.get(f"/api/jobs/{job}")
                times.setdefault(name, []).append((time.perf_counter() - started) * 1000)  # fmt: skip
                errors += r.status_code >= 400
    every = [t for ts in times.values() for t in ts]
    return {
        "requests": len(every),
        "errors": errors,
        "p50_ms": round(statistics.median(every), 1),
        "p95_ms": round(_percentile(every, 95), 1),
        "by_request": {n: round(_percentile(ts, 95), 1) for n, ts in times.items()},
    }


def under_load(url: str, logins: list, mix: list, users: int, seconds: int, think: float, folder: Path) -> dict:  # fmt: skip
    """locust, headless, in its own process: its figures per request and overall."""
    locustfile = folder / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    config = {
        "logins": logins,
        "mix": mix,
        "poll": POLL_SECONDS,
        "think": [think / 2, think * 1.5],
    }
    env = dict(os.environ, ENTREPOT_BENCH=json.dumps(config))
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
        "--host", url, "--users", str(users), "--spawn-rate", str(users),
        "--run-time", f"{seconds}s", "--stop-timeout", "10",
        "--csv", str(folder / "load"), "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)  # fmt: skip
    stats = folder / "load_stats.csv"
    if not stats.exists():
        raise RuntimeError(f"locust failed: {done.stderr.strip()[-500:]}")
    rows = {}
    with stats.open() as f:
        for row in csv.DictReader(f):
            rows[row["Name"]] = {
                "requests": int(row["Request Count"]),
                "errors": int(row["Failure Count"]),
                "p50_ms": float(row["50%"]),
                "p95_ms": float(row["95%"]),
                "p99_ms": float(row["99%"]),
                "requests_per_s": round(float(row["Requests/s"]), 2),
            }
    overall = rows.pop("Aggregated")
    failures = (folder / "load_failures.csv").read_text().splitlines()[1:6]
    return {"overall": overall, "by_request": rows, "failures": failures}


def run(
    patients: int = 100_000,
    users: int = 20,
    seconds: int = 60,
    warehouse: Path | None = None,
    folder: Path | None = None,
    rounds: int = 20,
    seed: int = 7,
    job: bool = True,
    think: float = 1.0,
) -> dict:
    """Prepare (or reuse) a warehouse, serve it, load it, measure."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        path = Path(warehouse) if warehouse else Path(folder or scratch) / f"bench-serve-{patients}.duckdb"  # fmt: skip
        started = time.perf_counter()
        prepare(path, patients, seed)
        prepared = time.perf_counter() - started
        server = Server(path)
        try:
            mix, missing = served_mix(server.app, job)
            logins = [[server.token(name), project] for name, (_, project) in USERS.items()]  # fmt: skip
            baseline = alone(server.url, logins, mix, rounds)
            load = under_load(server.url, logins, mix, users, seconds, think, scratch)
        finally:
            server.stop()
        persons = _persons(path)
    p95 = load["overall"]["p95_ms"]
    return {
        "patients": persons,
        "prepare_seconds": round(prepared, 1),
        "users": users,
        "seconds": seconds,
        "cohort_job": job,
        "think_seconds": think,
        "not_served": missing,
        "load": load,
        "alone": baseline,
        "ratio": round(p95 / baseline["p95_ms"], 2) if baseline["p95_ms"] else None,
        "target_met": load["overall"]["errors"] == 0 and p95 <= TARGET_P95_MS,
    }


def _persons(path: Path) -> int:
    with Warehouse.open(path, read_only=True) as wh:
        return wh.count("person")


def report(f: dict) -> None:
    print(f"{f['patients']:,} patients; {f['users']} users for {f['seconds']} s "
          f"(pausing {f['think_seconds']} s on average), "
          f"{'with' if f['cohort_job'] else 'without'} the cohort job "
          f"(warehouse ready in {f['prepare_seconds']} s)")  # fmt: skip
    for name in f["not_served"]:
        print(f"  not served, left out of the mix: {name}")
    print(f"{'request':<32} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>7} {'alone p95':>9}")  # fmt: skip
    rows = list(f["load"]["by_request"].items()) + [("overall", f["load"]["overall"])]
    alone = f["alone"]["by_request"]
    for name, r in rows:
        print(f"{name:<32} {r['requests']:>8} {r['errors']:>6} {r['p50_ms']:>7.0f} "
              f"{r['p95_ms']:>7.0f} {r['p99_ms']:>7.0f} {r['requests_per_s']:>7.1f} "
              f"{alone.get(name, f['alone']['p95_ms']):>9.0f}")  # fmt: skip
    for line in f["load"]["failures"]:
        print(f"  failure: {line}")
    a = f["alone"]
    print(f"alone (one client, {a['requests']} requests): p50 {a['p50_ms']} ms, "
          f"p95 {a['p95_ms']} ms; under load p95 {f['load']['overall']['p95_ms']} ms: "
          f"ratio {f['ratio']}x")  # fmt: skip
    print(f"target (0 errors, p95 <= {TARGET_P95_MS} ms): "
          f"{'met' if f['target_met'] else 'NOT met'}")  # fmt: skip


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=20, help="baseline rounds of the mix")  # fmt: skip
    parser.add_argument("--warehouse", type=Path, help="reuse (or build) this warehouse")  # fmt: skip
    parser.add_argument("--folder", type=Path, help="keep the built warehouse here")
    parser.add_argument("--think", type=float, default=1.0, help="a user's mean pause between requests (s)")  # fmt: skip
    parser.add_argument("--no-job", action="store_true", help="counts only: no cohort job (the only writer)")  # fmt: skip
    parser.add_argument("--json", type=Path, help="Write the figures here.")
    args = parser.parse_args(argv)
    f = run(args.patients, args.users, args.seconds, args.warehouse, args.folder, args.rounds, job=not args.no_job, think=args.think)  # fmt: skip
    report(f)
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))
    return f


if __name__ == "__main__":
    main()
