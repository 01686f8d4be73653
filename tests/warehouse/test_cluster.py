"""entrepot on a Spark standalone cluster: a master and two workers, each its
own process, started on loopback by the PySpark distribution's `spark-class`;
the client runs in a process of its own (one SparkContext per process: the
suite's shared local session stays as it is). Load, a cohort, the quality
checks and text processing give the answers DuckDB gives on the same files."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from entrepot.warehouse import Warehouse

from .cluster_steps import answers

pytestmark = [pytest.mark.spark, pytest.mark.slow]

ROOT = Path(__file__).parents[2]
#: what the steps read (each table loaded costs Spark jobs: the test stays small)
TABLES = ("person", "observation_period", "visit_occurrence", "condition_occurrence",
          "death")  # fmt: skip
DEPLOY = "org.apache.spark.deploy"
ANY_PORT = "--port 0 --webui-port 0"  # free ones, chosen by each process
#: the clients' spark-defaults.conf: what a cluster's administrator sets
CLIENT_SETTINGS = "spark.executor.memory 512m\nspark.sql.shuffle.partitions 2\n"
NOTES = [
    "Sclérodermie systémique diffuse. Pas de toxidermie.",
    "Antécédents :\nHTA.\nSuspicion de lupus.",
    "Sa mère a eu un syndrome de Lyell.",
    "Toxidermie au cotrimoxazole.",
]


def spark_home() -> Path:
    import pyspark

    return Path(pyspark.__file__).parent


def start(args: list[str], log: Path, env: dict) -> subprocess.Popen:
    """`spark-class ARGS` (it execs the JVM), in a process group of its own."""
    with log.open("w") as out:
        return subprocess.Popen(
            [str(spark_home() / "bin" / "spark-class"), *args],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )


def wait_for(log: Path, pattern: str, count: int, process, timeout: float) -> list[str]:
    """The first `count` matches of `pattern` in `log`, once there."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = re.findall(pattern, log.read_text(errors="replace"))
        if len(found) >= count:
            return found
        if process.poll() is not None:
            break
        time.sleep(0.2)
    pytest.fail(f"{log.name}: no {pattern!r} ×{count}:\n{log.read_text()[-2000:]}")


def stop(processes: list[subprocess.Popen]) -> None:
    """TERM each process group (a worker stops its executors), then KILL."""
    for p in processes:
        if p.poll() is None:
            os.killpg(p.pid, signal.SIGTERM)
    for p in processes:
        try:
            p.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(p.pid, signal.SIGKILL)
            p.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A master and two workers (1 core, 1 GB each) on 127.0.0.1: its URL, the
    environment its clients run with (their settings in spark-defaults.conf:
    the suite's, then `CLIENT_SETTINGS`), and the workers' folders."""
    folder = tmp_path_factory.mktemp("cluster")
    (folder / "conf").mkdir()
    suite = Path(os.environ["SPARK_CONF_DIR"]) / "spark-defaults.conf"
    (folder / "conf" / "spark-defaults.conf").write_text(
        suite.read_text() + CLIENT_SETTINGS
    )
    env = {
        **os.environ,
        "SPARK_HOME": str(spark_home()),
        "SPARK_CONF_DIR": str(folder / "conf"),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "PYSPARK_PYTHON": sys.executable,  # the executors' Python, entrepot importable
        "PYTHONPATH": os.pathsep.join(
            filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])
        ),
    }
    processes: list[subprocess.Popen] = []
    try:
        master = start(
            f"{DEPLOY}.master.Master --host 127.0.0.1 {ANY_PORT}".split(),
            folder / "master.log",
            env,
        )
        processes.append(master)
        [url] = wait_for(
            folder / "master.log", r"Starting Spark master at (spark://\S+)", 1,
            master, 120,
        )  # fmt: skip
        workers = [folder / f"worker{i}" for i in (1, 2)]
        for work in workers:
            args = f"{DEPLOY}.worker.Worker {url} --host 127.0.0.1 {ANY_PORT}"
            args += f" --cores 1 --memory 1g --work-dir {work}"
            processes.append(start(args.split(), folder / f"{work.name}.log", env))
        wait_for(folder / "master.log", r"Registering worker", 2, master, 120)
        yield url, env, workers
    finally:
        stop(processes)


@pytest.fixture(scope="module")
def extract(ssc_hospital, tmp_path_factory) -> Path:
    """Tables of the 200-patient hospital as Parquet files, with a few notes."""
    folder = tmp_path_factory.mktemp("extract")
    with Warehouse.open(ssc_hospital, read_only=True) as wh:
        for table in TABLES:
            wh.store.write_file(wh.table(table), folder / f"{table}.parquet")
        persons = wh.table("person").person_id.to_pyarrow().to_pylist()[: len(NOTES)]
        schema = wh.table("note").schema().to_pyarrow()
    rows = [
        {"note_id": i, "person_id": person, "note_date": date(2024, 1, 2),
         "note_type_concept_id": 32817, "note_class_concept_id": 0,
         "note_title": "CR", "note_text": text, "encoding_concept_id": 0,
         "language_concept_id": 0}
        for i, (person, text) in enumerate(zip(persons, NOTES, strict=True), 1)
    ]  # fmt: skip
    pq.write_table(pa.Table.from_pylist(rows, schema=schema), folder / "note.parquet")
    return folder


def test_a_standalone_cluster_answers_as_duckdb(cluster, extract, tmp_path):
    url, env, workers = cluster
    uri = f"spark:{tmp_path / 'eds'}?master={url}"
    log = tmp_path / "client.log"
    with log.open("w") as err:
        done = subprocess.run(
            [sys.executable, "-m", "tests.warehouse.cluster_steps", uri, str(extract)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
            timeout=900,
        )
    assert done.returncode == 0, log.read_text()[-3000:]
    on_cluster = json.loads(done.stdout.splitlines()[-1])
    on_duckdb = json.loads(
        json.dumps(answers(str(tmp_path / "eds.duckdb"), extract), default=str)
    )
    assert on_cluster.pop("spark") == {
        "spark.master": url,
        "spark.executor.memory": "512m",  # spark-defaults.conf's, not entrepot's
        "spark.sql.shuffle.partitions": "2",
    }
    assert on_duckdb.pop("spark") is None
    assert on_cluster == on_duckdb
    assert on_cluster["loaded"]["loaded"]["person"] == 200
    assert on_cluster["loaded"]["loaded"]["note"] == len(NOTES)
    assert on_cluster["cohort"]["count"] > 20
    statuses = [status for status, *_ in on_cluster["checks"].values()]
    assert "error" not in statuses and statuses.count("pass") > 20
    assert on_cluster["nlp"]["processed"] == len(NOTES)
    assert {m[2] for m in on_cluster["mentions"]} >= {"HTA", "syndrome de Lyell"}
    for work in workers:  # each worker ran an executor of the client's application
        assert list(work.glob("app-*/*/stderr")), work
