"""CLI commands on a warehouse that `entrepot serve` is serving, both real
processes: the server holds the file only while it answers, a command waits
for a request in flight, and a process that keeps the file is named."""

import json
import os
import queue
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pyarrow as pa
import pytest

from entrepot.warehouse import Warehouse

PASSWORD = "served warehouse password"
COHORT = """\
name: served hypertension
concept_sets:
  htn: {items: [{vocabulary: CIM10, code: I10}]}
entry:
  events: [{condition: {concept_set: htn}}]
"""


def _run(*args: str, folder: Path, env: dict | None = None):
    return subprocess.run(
        [sys.executable, "-m", "entrepot", *args, "-w", str(folder / "eds.duckdb")],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
    )


def _json(*args: str, folder: Path):
    done = _run(*args, "--json", folder=folder)
    assert done.returncode == 0 and done.stderr == "", done.stderr
    return json.loads(done.stdout)


def _warehouse(path: Path) -> None:
    """Three persons observed 2019-2023, two of them with hypertension, and an
    administrator."""
    from entrepot.privacy import add_user

    with Warehouse.create(path) as wh:
        concept = wh.table("concept")
        htn = concept.filter(
            (concept.vocabulary_id == "CIM10") & (concept.concept_code == "I10")
        ).concept_id.execute()[0]
        wh.load(
            {
                "person": pa.table(
                    {
                        "person_id": [1, 2, 3],
                        "gender_concept_id": [8507, 8532, 8532],
                        "year_of_birth": [1950, 1960, 1970],
                        "race_concept_id": [0, 0, 0],
                        "ethnicity_concept_id": [0, 0, 0],
                    }
                ),
                "observation_period": pa.table(
                    {
                        "observation_period_id": [1, 2, 3],
                        "person_id": [1, 2, 3],
                        "observation_period_start_date": ["2019-01-01"] * 3,
                        "observation_period_end_date": ["2023-12-31"] * 3,
                        "period_type_concept_id": [32817] * 3,
                    }
                ),
                "condition_occurrence": pa.table(
                    {
                        "condition_occurrence_id": [10, 11],
                        "person_id": [1, 2],
                        "condition_concept_id": [int(htn)] * 2,
                        "condition_start_date": ["2020-01-15", "2021-03-02"],
                        "condition_type_concept_id": [32817, 32817],
                    }
                ),
            }
        )
        add_user(wh, "ada", "admin", PASSWORD)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """`entrepot serve --json` in its own process: (folder, HTTP client)."""
    folder = tmp_path_factory.mktemp("served")
    _warehouse(folder / "eds.duckdb")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "entrepot", "serve", "--json", "--port", str(port)],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ENTREPOT_WAREHOUSE": str(folder / "eds.duckdb")},
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(
        target=lambda: lines.put(server.stdout.readline()), daemon=True
    ).start()
    try:
        ready = json.loads(lines.get(timeout=120))
        assert ready == {"url": f"http://127.0.0.1:{port}/"}
        token = httpx.post(
            f"{ready['url']}api/token", data={"username": "ada", "password": PASSWORD}
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=ready["url"], headers=headers, timeout=60) as http:
            yield folder, http
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
        assert "Traceback" not in err, err


def test_commands_work_on_a_served_warehouse(served):
    folder, http = served
    tables = _json("tables", folder=folder)
    assert tables["cdm"]["person"] == 3 and tables["cdm"]["condition_occurrence"] == 2
    assert http.get("/api/cohorts").json() == []  # and the server caches it
    (folder / "htn.yaml").write_text(COHORT)
    run = _json("cohort", "run", "htn.yaml", folder=folder)
    assert (run["count"], run["entries"]) == (2, 2)
    assert _json("optout", "list", folder=folder) == []
    # the server sees what the command wrote, not its cached answer
    listed = http.get("/api/cohorts").json()
    assert [(c["id"], c["name"]) for c in listed] == [
        (run["cohort_definition_id"], "served hypertension")
    ]


def test_commands_wait_for_requests_in_flight(served):
    folder, http = served
    # its own cohort file: another worker may run the test that writes it
    (folder / "htn.yaml").write_text(COHORT)
    statuses, stop = [], threading.Event()

    def ask() -> None:
        while not stop.is_set():
            statuses.append(http.get("/api/cohorts").status_code)

    asking = threading.Thread(target=ask)
    asking.start()
    try:
        runs = [_json("cohort", "run", "htn.yaml", folder=folder) for _ in range(3)]
    finally:
        stop.set()
        asking.join()
    assert [r["count"] for r in runs] == [2, 2, 2]
    assert len(statuses) > 3 and set(statuses) == {200}


def test_a_process_that_keeps_the_file_is_named(served):
    folder, http = served
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from entrepot.warehouse import Warehouse; "
            "wh = Warehouse.open(sys.argv[1]); print('held', flush=True); "
            "time.sleep(60)",
            str(folder / "eds.duckdb"),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline() == "held\n"
        started = time.monotonic()
        done = _run("optout", "list", folder=folder, env={"ENTREPOT_LOCK_WAIT": "1"})
        assert 1 <= time.monotonic() - started < 30
        assert done.returncode == 2 and done.stdout == ""
        assert done.stderr.startswith(
            f"entrepot: error: {folder / 'eds.duckdb'} is in use by PID "
            f"{holder.pid} ({Path(sys.executable).name} -c import sys"
        )
        assert done.stderr.endswith(": try again when it is done\n")
        assert done.stderr.count("\n") == 1
        busy = http.get("/api/cohorts")  # after the server's wait, 10 s
        assert busy.status_code == 503
        assert busy.json()["detail"].startswith(f"{folder / 'eds.duckdb'} is in use")
    finally:
        holder.kill()
        holder.wait()
    assert http.get("/api/cohorts").status_code == 200


def test_a_backup_is_taken_while_serving(served, tmp_path):
    """`entrepot backup` copies the served file between requests, which go on
    answering; restored, it has every row the server serves, and verifies."""
    from entrepot.cli import main

    folder, http = served
    statuses, stop = [], threading.Event()

    def ask() -> None:
        while not stop.is_set():
            statuses.append(http.get("/api/cohorts").status_code)

    asking = threading.Thread(target=ask)
    asking.start()
    try:
        taken = _json("backup", str(tmp_path / "nightly"), folder=folder)
    finally:
        stop.set()
        asking.join()
    assert len(statuses) > 3 and set(statuses) == {200}
    assert taken["files"] == 2  # the file and its anchor: no index yet
    restored = tmp_path / "restored.duckdb"
    argv = ["restore", str(tmp_path / "nightly"), "-w", str(restored), "-q"]
    assert main(argv) == 0
    served_now = _json("tables", folder=folder)
    with Warehouse.open(restored, read_only=True) as wh:
        assert {"cdm": wh.counts("cdm"), "results": wh.counts("results")} == {
            "cdm": served_now["cdm"],
            "results": served_now["results"],
        }
    assert main(["audit", "verify", "-w", str(restored), "-q"]) == 0
