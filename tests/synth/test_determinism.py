"""Same seed and arguments, same tables; whatever the number of workers."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from entrepot.synth import generate_hospital
from entrepot.warehouse import Warehouse
from entrepot.warehouse.cdm import cdm_table

TABLES = (
    "person",
    "death",
    "visit_occurrence",
    "visit_detail",
    "condition_occurrence",
    "drug_exposure",
    "measurement",
    "procedure_occurrence",
    "synth_truth",
)


def _tables(path) -> dict[str, pa.Table]:
    with Warehouse.open(path, read_only=True) as wh:
        out = {}
        for name in TABLES:
            t = wh.table(name)
            key = (
                list(t.columns) if name == "synth_truth" else list(cdm_table(name).key)
            )
            out[name] = t.order_by(key).to_pyarrow()
        return out


def _make(tmp_path, name: str, **kwargs) -> dict[str, pa.Table]:
    """The tables, and the INSEE death files of the raw extracts (`deces`)."""
    path, raw = tmp_path / f"{name}.duckdb", tmp_path / f"{name}-raw"
    args = {"patients": 240, "seed": 3, "notes": False, "chunk_patients": 80} | kwargs
    generate_hospital(str(path), raw=raw, **args)
    files = sorted(raw.glob("deces-*.txt"))
    deces = pa.table(
        {"file": [f.name for f in files], "text": [f.read_bytes() for f in files]}
    )
    return _tables(path) | {"deces": deces}


@pytest.fixture(scope="module")
def one(tmp_path_factory) -> dict[str, pa.Table]:
    """The hospital of the default arguments, on one worker (both tests compare to it)."""
    return _make(tmp_path_factory.mktemp("one"), "one", workers=1)


def test_same_seed_same_tables_whatever_the_workers(tmp_path, one):
    two = _make(tmp_path, "two", workers=2)
    for name in (*TABLES, "deces"):
        assert one[name].num_rows > 0, name
        assert one[name].equals(two[name]), name


def test_another_seed_another_hospital(tmp_path, one):
    other = _make(tmp_path, "other", workers=1, seed=4)
    assert not one["person"].equals(other["person"])
    assert not one["deces"].equals(other["deces"])
    assert not one["measurement"].equals(other["measurement"])


def test_an_enriched_hospital_is_the_same_whatever_the_workers(tmp_path):
    enrich = {"systemic_sclerosis": 0.5}
    one = _make(tmp_path, "one", workers=1, patients=160, enrich=enrich)
    two = _make(tmp_path, "two", workers=2, patients=160, enrich=enrich)
    for name in TABLES:
        assert one[name].equals(two[name]), name
    truth = one["synth_truth"]
    sick = truth.filter(pc.equal(truth["module"], "systemic_sclerosis"))
    assert 80 <= sick.num_rows <= 82  # half of the 160, and the usual 0.4 %
