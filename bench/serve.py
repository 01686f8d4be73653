"""The web server under load: latency and errors of count requests on loopback.

Builds a synthetic hospital (or reuses one, `--warehouse`), indexes its notes,
adds a data engineer and a researcher (member of three projects with different
perimeters: everything, the years since 2020, conditions and notes only),
serves a copy of it in this process (uvicorn in a thread, a free 127.0.0.1
port), logs them in, then runs locust headless (`--users` users for
`--seconds`, each pausing `--think` seconds on average between requests) on a
mix of count requests: the overview, the cohort list, search counts, the
vocabulary, a cohort count job (start, then poll until done: timed end to end;
`--no-job` leaves it out, as it is the only request that writes).

Each request draws its parameters (words searched, vocabulary query, cohort
concept and age, project: so its perimeter) from a pool, so that the server's
cache of answers cannot answer most of them. A request whose parameters were
not asked before in the run is *cold* (the server computes it), a repeated one
*warm* (the server may answer from its cache): their figures are reported apart.
Prints p50/p95/p99 latency, requests/s and errors per request, cold and warm,
and overall.

Baseline, in the same run, each on a fresh copy of the warehouse: the same
load on a server whose reads take turns under one lock (`readers=False`, as
before readers ran side by side); `ratio` is p95 with readers over p95 with
one lock. For context, each request made one at a time by one client, cold
then warm (`alone`). Target: zero errors, cold p95 <= 200 ms. Traffic goes
only to 127.0.0.1.

    python bench/serve.py [--patients 100000] [--users 20] [--seconds 60]
                          [--think 1.0] [--warehouse eds.duckdb] [--no-job]
                          [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

import httpx

from entrepot.warehouse import Warehouse

TARGET_P95_MS = 200
POLL_SECONDS = 0.1  # a job's progress is asked this often
PASSWORD = "bench password"
#: name -> (role, projects the requests are made in: None is the whole warehouse)
USERS = {
    "bench-engineer": ("data_engineer", [None]),
    "bench-researcher": ("researcher", ["bench", "bench-since-2020", "bench-diagnoses"]),
}  # fmt: skip
#: Projects: name -> perimeter (keyword arguments of `add_project`).
PROJECTS = {
    "bench": {},
    "bench-since-2020": {"start": date(2020, 1, 1)},
    "bench-diagnoses": {"domains": ["condition_occurrence", "note"]},
}
#: Words searched in the reports, each with and without negated text left out.
WORDS = (
    "insuffisance cardiaque", "diabète", "pneumopathie", "fièvre", "toux",
    "dyspnée", "douleur thoracique", "hypertension", "anémie", "insuffisance rénale",
    "fibrillation auriculaire", "embolie pulmonaire", "sepsis", "infarctus",
    "AVC", "chute", "fracture", "confusion", "oedème", "cancer", "BPCO", "asthme",
    "cirrhose", "dénutrition", "syncope", "tabac", "insuline", "anticoagulant",
    "diabète AND NOT hypertension", "fièvre OR toux",
)  # fmt: skip
#: Vocabulary look-ups: French words (accents optional) and codes.
LOOKUPS = (
    "diabete", "insuffisance", "cardiaque", "pneumo", "hypertension", "E11", "I10",
    "I50", "J18", "N18", "metformine", "furosemide", "amoxicilline", "paracetamol",
    "heparine", "insuline", "hemoglobine", "creatinine", "potassium", "sodium",
    "C03CA01", "A10BA02", "fracture", "cancer", "sein", "poumon", "rein", "foie",
    "asthme", "anemie",
)  # fmt: skip
#: Cohorts counted by the cohort job: entry code x lowest age (each written, then counted).
COHORT_CODES = ("I10", "E11", "I50", "J18", "N18", "I48", "J44", "E66", "F32", "C50")
COHORT_AGES = (18, 40, 65)


def cohort(code: str, age: int) -> dict:
    """A cohort definition: first `code` (CIM-10, with descendants) at `age` or over."""
    return {
        "name": f"bench: {code}, {age} and over",
        "concept_sets": {
            "entry": {"items": [{"vocabulary": "CIM10", "code": code, "descendants": True}]}
        },
        "entry": {"events": [{"domain": "condition", "concept_set": "entry", "first": True}]},
        "inclusion_rules": [
            {"name": f"age {age}+", "criteria": {"demographics": [{"age": {"gte": age}}]}}
        ],
    }  # fmt: skip


#: The mix: name, method, path, variants (query, JSON body), weight; a path the
#: app does not serve is left out (and named).
MIX = (
    ("overview", "GET", "/api/overview", [[{}, None]], 3),
    ("cohort list", "GET", "/api/cohorts", [[{}, None]], 2),
    ("search count", "GET", "/api/search",
     [[{"q": w, "limit": 0, "exclude": e}, None] for w in WORDS for e in ("negated", "none")], 3),
    ("vocabulary", "GET", "/api/vocabulary", [[{"q": q}, None] for q in LOOKUPS], 2),
    ("cohort count job", "JOB", "/api/cohorts",
     [[{}, cohort(c, a)] for c in COHORT_CODES for a in COHORT_AGES], 1),
)  # fmt: skip

LOCUSTFILE = """
import json, os, random, time
import requests
from locust import FastHttpUser, between, events

CONFIG = json.loads(os.environ["ENTREPOT_BENCH"])
POLL = CONFIG["poll"]
_next = iter(range(10**9))
SEEN = set()  # parameters answered once already: asked again, they are warm
SAMPLES = []  # [name, temperature, milliseconds, error or null]


@events.quitting.add_listener
def _dump(environment, **kw):
    with open(CONFIG["samples"], "w") as f:
        json.dump(SAMPLES, f)


class Client(FastHttpUser):
    wait_time = between(*CONFIG["think"])

    def on_start(self):
        token, self.projects = CONFIG["logins"][next(_next) % len(CONFIG["logins"])]
        self.headers = {"Authorization": "Bearer " + token}

    def _call(self, name, method, path, query, body):
        with self.client.request(method, path, name=name, params=query,
                                 json=body, headers=self.headers,
                                 catch_response=True) as r:
            error = None
            if r.status_code >= 400:
                error = "%d %s" % (r.status_code, r.text[:100])
                r.failure(error)
            return error

    def _job(self, name, path, query, body):
        # start, then poll until done: one figure, the job end to end
        if not hasattr(self, "session"):
            self.session = requests.Session()
            self.session.headers.update(self.headers)
        r = self.session.post(self.host + path, params=query, json=body)
        state = "failed: %d" % r.status_code
        while r.status_code < 400:
            state = r.json().get("state", "queued")
            if state not in ("queued", "running"):
                break
            time.sleep(POLL)
            r = self.session.get(self.host + "/api/jobs/%d" % r.json().get("job", r.json().get("id")), params={"project": query.get("project", "")})
        return None if state == "done" else "job " + state

    def ask(self, name, method, path, variants):
        query, body = random.choice(variants)
        project = random.choice(self.projects)
        query = dict(query, **({"project": project} if project else {}))
        key = json.dumps([name, query, body], sort_keys=True)
        temperature = "warm" if key in SEEN else "cold"
        started = time.perf_counter()
        if method == "JOB":
            error = self._job(name, path, query, body)
        else:
            error = self._call(name, method, path, query, body)
        SEEN.add(key)
        SAMPLES.append([name, temperature, (time.perf_counter() - started) * 1000, error])


_asked = iter(range(10**9))


def _task(self):
    # every request of the mix once, in turn, then drawn by weight
    n = next(_asked)
    mix = CONFIG["mix"]
    name, method, path, variants, _ = (
        mix[n] if n < len(mix) else random.choices(mix, [m[-1] for m in mix])[0])
    self.ask(name, method, path, variants)


Client.tasks = [_task]
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
        projects = {p["name"] for p in list_projects(wh)}
        for name, perimeter in PROJECTS.items():
            if name not in projects:
                add_project(wh, name, **perimeter)
        known = {u["name"] for u in list_users(wh)}
        for name, (role, projects) in USERS.items():
            if name not in known:
                add_user(wh, name, role, PASSWORD, projects=[p for p in projects if p])


class Server:
    """The app under uvicorn in a thread of this process, on a free loopback
    port; `readers=False`: its reads take turns (the baseline)."""

    def __init__(self, path: Path, readers: bool = True) -> None:
        import uvicorn

        from entrepot.web import create_app

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self.app = create_app(Warehouse.open(path), close=True, readers=readers)
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
    for name, method, path, variants, weight in MIX:
        if method == "JOB" and not job:
            continue
        asked = ("POST" if method == "JOB" else method, path)
        if asked in routes:
            kept.append([name, method, path, variants, weight])
        else:
            missing.append(f"{name} ({asked[0]} {path})")
    return kept, missing


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q / 100 * (len(ordered) - 1))))]


def figures(samples: list, seconds: float) -> dict:
    """Requests, errors, p50/p95/p99 and requests/s of `[name, temperature,
    ms, error]` samples: per request and temperature, cold, warm, overall."""

    def row(chosen: list) -> dict:
        times = [ms for _, _, ms, _ in chosen]
        p = {
            q: round(_percentile(times, q), 1) if times else None for q in (50, 95, 99)
        }
        return {
            "requests": len(chosen),
            "errors": sum(error is not None for *_, error in chosen),
            "p50_ms": p[50],
            "p95_ms": p[95],
            "p99_ms": p[99],
            "requests_per_s": round(len(chosen) / seconds, 2) if seconds else 0.0,
        }

    keys = sorted({(name, temp) for name, temp, *_ in samples})
    return {
        "by_request": {
            f"{name} ({temp})": row([s for s in samples if s[:2] == [name, temp]])
            for name, temp in keys
        },
        "cold": row([s for s in samples if s[1] == "cold"]),
        "warm": row([s for s in samples if s[1] == "warm"]),
        "overall": row(samples),
        "failures": sorted({error for *_, error in samples if error})[:5],
    }


def _ask(client: httpx.Client, method: str, path: str, query: dict, body) -> str | None:
    """One request (a job: started, then polled until done); its error or None."""
    r = client.request("POST" if method == "JOB" else method, path, params=query, json=body)  # fmt: skip
    while method == "JOB" and r.status_code < 400:
        state = r.json().get("state", "queued")
        if state not in ("queued", "running"):
            return None if state == "done" else f"job {state}"
        time.sleep(POLL_SECONDS)
        r = client.get(
            f"/api/jobs/{r.json().get('job', r.json().get('id'))}",
            params={"project": query.get("project", "")},
        )
    return f"{r.status_code} {r.text[:100]}" if r.status_code >= 400 else None


def alone(url: str, logins: list, mix: list, rounds: int) -> dict:
    """The baseline: each request of the mix made one at a time, by one client,
    with parameters of its own (cold), then the same again (warm)."""
    samples = []
    started = time.perf_counter()
    for i in range(rounds):
        token, projects = logins[i % len(logins)]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=url, headers=headers, timeout=60) as client:
            for name, method, path, variants, _ in mix:
                query, body = variants[-1 - i % len(variants)]  # the load draws too
                project = projects[i // len(logins) % len(projects)]
                query = dict(query, **({"project": project} if project else {}))
                for temperature in ("cold", "warm"):
                    began = time.perf_counter()
                    error = _ask(client, method, path, query, body)
                    ms = (time.perf_counter() - began) * 1000
                    samples.append([name, temperature, ms, error])
    return figures(samples, time.perf_counter() - started)


def under_load(url: str, logins: list, mix: list, users: int, seconds: int, think: float, folder: Path) -> dict:  # fmt: skip
    """locust, headless, in its own process: its figures per request and overall."""
    locustfile = folder / "locustfile.py"
    locustfile.write_text(LOCUSTFILE)
    (folder / "samples.json").unlink(missing_ok=True)  # an earlier run's
    config = {
        "logins": logins,
        "mix": mix,
        "poll": POLL_SECONDS,
        "think": [think / 2, think * 1.5],
        "samples": str(folder / "samples.json"),
    }
    env = dict(os.environ, ENTREPOT_BENCH=json.dumps(config))
    command = [
        sys.executable, "-m", "locust", "-f", str(locustfile), "--headless",
        "--host", url, "--users", str(users), "--spawn-rate", str(users),
        "--run-time", f"{seconds}s", "--stop-timeout", "10",
        "--only-summary", "--loglevel", "WARNING",
    ]  # fmt: skip
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=seconds + 120)  # fmt: skip
    samples = folder / "samples.json"
    if not samples.exists():
        raise RuntimeError(f"locust failed: {done.stderr.strip()[-500:]}")
    return figures(json.loads(samples.read_text()), seconds)


def copy(path: Path, folder: Path, name: str) -> Path:
    """A copy of the warehouse to serve (its search index linked, as serving
    only reads it): each server starts from the same file."""
    served = folder / f"{name}.duckdb"
    shutil.copy(path, served)
    index = path.with_name(path.name + ".search")
    if index.exists():
        served.with_name(served.name + ".search").symlink_to(index.resolve())
    return served


def measured(path: Path, readers: bool, measure: Callable[[str, list, list], dict], job: bool) -> tuple[dict, list[str]]:  # fmt: skip
    """`measure(url, logins, mix)` on a server of `path`."""
    server = Server(path, readers)
    try:
        mix, missing = served_mix(server.app, job)
        logins = [[server.token(name), projects] for name, (_, projects) in USERS.items()]  # fmt: skip
        return measure(server.url, logins, mix), missing
    finally:
        server.stop()


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
    """Prepare (or reuse) a warehouse; serve copies of it: alone, under load
    with one lock, under load with readers side by side; measure."""
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        path = Path(warehouse) if warehouse else Path(folder or scratch) / f"bench-serve-{patients}.duckdb"  # fmt: skip
        started = time.perf_counter()
        prepare(path, patients, seed)
        prepared = time.perf_counter() - started

        def load(url, logins, mix):
            return under_load(url, logins, mix, users, seconds, think, scratch)

        baseline, missing = measured(
            copy(path, scratch, "alone"),
            True,
            lambda url, logins, mix: alone(url, logins, mix, rounds),
            job,
        )
        one_lock, _ = measured(copy(path, scratch, "one-lock"), False, load, job)
        readers, _ = measured(copy(path, scratch, "readers"), True, load, job)
        persons = _persons(path)
    cold = readers["cold"]
    return {
        "patients": persons,
        "prepare_seconds": round(prepared, 1),
        "users": users,
        "seconds": seconds,
        "cohort_job": job,
        "think_seconds": think,
        "not_served": missing,
        "load": readers,
        "one_lock": one_lock,
        "alone": baseline,
        "ratios": {
            k: _ratio(readers[k], one_lock[k]) for k in ("cold", "warm", "overall")
        },
        "ratio": _ratio(readers["overall"], one_lock["overall"]),
        "target_met": readers["overall"]["errors"] == 0
        and (cold["p95_ms"] or 0) <= TARGET_P95_MS,
    }


def _ratio(readers: dict, one_lock: dict) -> float | None:
    """p95 with readers over p95 with one lock (None without both)."""
    if not readers["p95_ms"] or not one_lock["p95_ms"]:
        return None
    return round(readers["p95_ms"] / one_lock["p95_ms"], 2)


def _persons(path: Path) -> int:
    with Warehouse.open(path, read_only=True) as wh:
        return wh.count("person")


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def report(f: dict) -> None:
    print(f"{f['patients']:,} patients; {f['users']} users for {f['seconds']} s "
          f"(pausing {f['think_seconds']} s on average), "
          f"{'with' if f['cohort_job'] else 'without'} the cohort job "
          f"(warehouse ready in {f['prepare_seconds']} s)")  # fmt: skip
    for name in f["not_served"]:
        print(f"  not served, left out of the mix: {name}")
    print("cold: parameters not asked before in the run; warm: asked again (the server may answer from its cache)")  # fmt: skip
    print("readers side by side, under load; baseline: one lock, the same load; alone: one client")  # fmt: skip
    print(f"{'request':<32} {'requests':>8} {'errors':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'req/s':>7} {'lock p95':>8} {'alone p95':>9}")  # fmt: skip
    load, lock, alone = f["load"], f["one_lock"], f["alone"]
    rows = [*load["by_request"].items(), *((k, load[k]) for k in ("cold", "warm", "overall"))]  # fmt: skip
    for name, r in rows:
        locked = lock["by_request"].get(name) or lock.get(name) or {}
        base = alone["by_request"].get(name) or alone.get(name) or {}
        print(f"{name:<32} {r['requests']:>8} {r['errors']:>6} {_ms(r['p50_ms']):>7} "
              f"{_ms(r['p95_ms']):>7} {_ms(r['p99_ms']):>7} {r['requests_per_s']:>7.1f} "
              f"{_ms(locked.get('p95_ms')):>8} {_ms(base.get('p95_ms')):>9}")  # fmt: skip
    for line in load["failures"] + lock["failures"]:
        print(f"  failure: {line}")
    for k in ("cold", "warm", "overall"):
        r, b = load[k], lock[k]
        print(f"{k}: readers p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms ({r['requests']} requests, "
              f"{r['errors']} errors); one lock p50 {b['p50_ms']} ms, p95 {b['p95_ms']} ms "
              f"({b['requests']} requests, {b['errors']} errors): ratio {f['ratios'][k]}x")  # fmt: skip
    print(f"ratio {f['ratio']}x")
    print(f"target (0 errors, cold p95 <= {TARGET_P95_MS} ms): "
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
