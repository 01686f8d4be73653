"""A model trained once on the heart-failure hospital by the real command, and
the study files the tests write."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from entrepot.cli import main

#: the shipped study with the L1 logistic only and fewer resamples (fast)
FAST = {"learners": ["l1_logistic"], "bootstrap": 50}


def write_study(folder: Path, name: str = "study.yaml", **changes) -> Path:
    """The shipped heart-failure study with `changes` to its fields."""
    import yaml

    from entrepot.model import shipped_studies

    path = shipped_studies()["heart_failure_mortality"]
    data = yaml.safe_load(path.read_text(encoding="utf-8")) | changes
    out = folder / name
    out.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return out


@pytest.fixture(scope="session")
def hf_copy(hf_hospital, tmp_path_factory) -> Path:
    """A writable copy of the heart-failure hospital (audit entries go there)."""
    path = tmp_path_factory.mktemp("hf-copy") / "hf.duckdb"
    shutil.copy(hf_hospital, path)
    return path


@pytest.fixture(scope="session")
def hf_model(hf_copy, tmp_path_factory) -> tuple[Path, dict]:
    """`entrepot model train` of the shipped study (L1 logistic only) on the
    heart-failure hospital: its output folder, and the JSON it printed."""
    import io
    from contextlib import redirect_stdout

    folder = tmp_path_factory.mktemp("hf-model")
    study = write_study(folder, **FAST)
    out = folder / "model"
    printed = io.StringIO()
    with redirect_stdout(printed):
        code = main(
            [
                "model",
                "train",
                str(study),
                "-w",
                str(hf_copy),
                "--out",
                str(out),
                "--json",
            ]
        )
    assert code == 0
    return out, json.loads(printed.getvalue().splitlines()[-1])


#: a study on the tiny hand-made warehouse (tests/cohort/conftest.py): GI
#: bleeds (persons 1, 2, 3) followed by drug A within a year (persons 1, 2)
TINY_STUDY = """\
name: tiny
target:
  name: GI bleeds
  concept_sets:
    gi: {items: [{vocabulary: CIM10, code: K92, descendants: true}]}
  entry: {events: [{condition: {concept_set: gi}}]}
outcome:
  name: Drug A
  concept_sets:
    drug: {items: [{vocabulary: ATC, code: X01}]}
  entry: {events: [{drug: {concept_set: drug}}], limit: all}
  exit: {offset: {days: 1}}
censoring: {remove_prior_outcome: false}
covariates: {min_persons: 1}
split: {test_fraction: 0.3, seed: 1}
bootstrap: 10
"""
