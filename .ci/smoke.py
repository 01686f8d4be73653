"""The quick-start smoke job: what a new user does right after the README's
first command, in the environment it installed (no dev extras).

A small synthetic hospital through `entrepot demo`, a shipped cohort and an
ATLAS export through the CLI, then the web app: log in, count a cohort through
the HTTP API, search the reports. Standard library only (and what entrepot
installs); any failure exits non-zero with the step that failed.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
# an ATLAS export as OHDSI ships it: gastrointestinal hemorrhage
ATLAS_EXPORT = ROOT / "tests" / "cohort" / "phenotype_library" / "482.json"
SHIPPED = ROOT / "entrepot" / "data" / "cohorts" / "systemic_sclerosis.yaml"


def entrepot(*args: str) -> dict:
    """Run a CLI command with --json; its parsed output."""
    print("$ entrepot", " ".join(args), flush=True)
    done = subprocess.run(
        ["entrepot", *args, "--json"], capture_output=True, text=True, timeout=900
    )
    if done.returncode != 0:
        sys.exit(f"entrepot {' '.join(args)} failed ({done.returncode}): {done.stderr}")
    return json.loads(done.stdout)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, token: str | None = None, data: bytes | None = None, **headers):
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=data, headers=headers)
    with urllib.request.urlopen(request, timeout=60) as answer:
        return json.loads(answer.read())


def web(warehouse: Path, login: dict) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        ["entrepot", "serve", "-w", str(warehouse), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{base}/login", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"entrepot serve exited: {server.stderr.read()}")
                time.sleep(0.5)
        form = urllib.parse.urlencode(
            {"username": login["user"], "password": login["password"]}
        ).encode()
        token = call(f"{base}/api/token", data=form)["access_token"]
        print("logged in", flush=True)
        definition = json.dumps(yaml.safe_load(SHIPPED.read_text())).encode()
        job = call(
            f"{base}/api/cohorts?name=smoke",
            token,
            definition,
            **{"Content-Type": "application/json"},
        )["job"]
        for _ in range(600):
            status = call(f"{base}/api/jobs/{job}", token)
            if status["state"] not in ("queued", "running"):
                break
            time.sleep(0.5)
        if status["state"] != "done":
            sys.exit(f"web cohort count failed: {status}")
        print("web cohort count:", status["result"]["count"], flush=True)
        query = urllib.parse.urlencode({"q": "sclérodermie"})
        found = call(f"{base}/api/search?{query}", token)
        print("web search:", found["notes"], "notes,", found["persons"], "persons")
        if not found["hits"]:
            sys.exit(f"web search found nothing: {found}")
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="entrepot-smoke-") as folder:
        warehouse = Path(folder) / "demo.duckdb"
        demo = entrepot(
            "demo", "--patients", "300", "--seed", "3", "-w", str(warehouse),
            "--no-serve",
        )  # fmt: skip
        print("demo questions:", [q["patients"] for q in demo["questions"]])
        shipped = entrepot("cohort", "run", "systemic_sclerosis", "-w", str(warehouse))
        if shipped["count"] < 1:
            sys.exit(f"shipped cohort found no one: {shipped}")
        atlas = entrepot("cohort", "run", str(ATLAS_EXPORT), "-w", str(warehouse))
        print("ATLAS export:", atlas["count"], "persons")
        web(warehouse, demo["web"])
    print("quick-start smoke job: ok")


if __name__ == "__main__":
    main()
