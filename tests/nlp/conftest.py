"""Fixtures of the text tests: a disk cache of their own, a small synthetic hospital."""

from __future__ import annotations

from pathlib import Path

import pytest

from entrepot.nlp import Pipeline

HERE = Path(__file__).parent


@pytest.fixture(scope="session", autouse=True)
def matcher_cache(tmp_path_factory) -> Path:
    """Built terminologies go to a temporary cache, not the user's."""
    folder = tmp_path_factory.mktemp("cache")
    patch = pytest.MonkeyPatch()
    patch.setenv("ENTREPOT_CACHE", str(folder))
    yield folder / "nlp"
    patch.undo()


@pytest.fixture(scope="session")
def nlp(matcher_cache) -> Pipeline:
    return Pipeline()


@pytest.fixture(scope="session")
def hospital_file(tmp_path_factory, matcher_cache) -> Path:
    """A synthetic hospital of 30 patients with notes and gold annotations."""
    from entrepot.synth import generate_hospital

    path = tmp_path_factory.mktemp("hospital") / "eds.duckdb"
    generate_hospital(path, patients=30, seed=5, notes=True, workers=1)
    return path


@pytest.fixture
def hospital(hospital_file, tmp_path):
    """A copy of the synthetic hospital that a test may change."""
    import shutil

    from entrepot.warehouse import Warehouse

    path = tmp_path / "eds.duckdb"
    shutil.copy(hospital_file, path)
    with Warehouse.open(path) as wh:
        yield wh
