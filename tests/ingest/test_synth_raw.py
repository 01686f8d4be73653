"""The raw extracts are the same hospital: `entrepot synth --raw` then `entrepot
ingest` gives the tables the synthesised warehouse has, and both put each
CIM-10 code in the table of its concept's domain (OMOP's rule)."""

from __future__ import annotations

import json
import os
import shutil

import pytest

from entrepot.cli import main
from entrepot.warehouse import Warehouse

#: Every table a hospital fills with patients' rows.
CLINICAL = (
    "person",
    "death",
    "observation_period",
    "visit_occurrence",
    "visit_detail",
    "condition_occurrence",
    "observation",
    "procedure_occurrence",
    "measurement",
    "drug_exposure",
    "condition_era",
    "drug_era",
)


@pytest.fixture(scope="module")
def made(tmp_path_factory):
    """(synthesised warehouse, ingested warehouse, raw folder), by the CLI."""
    folder = tmp_path_factory.mktemp("same-hospital")
    synth, eds, raw = folder / "synth.duckdb", folder / "eds.duckdb", folder / "raw"
    key = folder / "key"
    key.write_text("ab" * 32 + "\n")
    os.chmod(key, 0o600)
    assert (
        main(
            [
                "synth",
                "--patients",
                "300",
                "--seed",
                "8",
                "--no-notes",
                "--workers",
                "1",
            ]
            + ["--raw", str(raw), "-w", str(synth), "--quiet"]
        )
        == 0
    )
    assert main(["init", "-w", str(eds), "--quiet"]) == 0
    assert main(["ingest", str(raw), "--key-file", str(key), "-w", str(eds), "-q"]) == 0
    assert main(["eras", "-w", str(eds), "--quiet"]) == 0
    return synth, eds, raw


def test_an_ingested_warehouse_has_the_synthesised_rows(made):
    synth, eds, _ = made
    with (
        Warehouse.open(synth, read_only=True) as a,
        Warehouse.open(eds, read_only=True) as b,
    ):
        counts = {t: (a.count(t), b.count(t)) for t in CLINICAL}
    assert counts["procedure_occurrence"][0] > 100
    assert counts["visit_detail"][0] > 100
    assert counts["observation"][0] > 100
    assert {t: c[1] for t, c in counts.items()} == {t: c[0] for t, c in counts.items()}


def test_raw_extracts_carry_procedures_and_unit_movements(made):
    _, _, raw = made
    with open(raw / "procedures.csv", encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    assert header == ["nda", "ipp", "ccam", "done_at"]
    with open(raw / "units.csv", encoding="utf-8") as f:
        header = f.readline().strip().split(",")
    assert header == ["nda", "ipp", "hospital", "unit", "kind", "entry", "exit"]


def _domain_checks(path, tmp_path, capsys) -> dict[str, str]:
    copy = tmp_path / path.name
    shutil.copy(path, copy)
    assert main(["quality", "-w", str(copy), "--only", "concept_domain", "--json"]) == 0
    checks = json.loads(capsys.readouterr().out)["checks"]
    return {c["id"]: c["status"] for c in checks}


@pytest.mark.parametrize("which", [0, 1], ids=["synthesised", "ingested"])
def test_each_code_is_in_the_table_of_its_domain(made, which, tmp_path, capsys):
    path = made[which]
    status = _domain_checks(path, tmp_path, capsys)
    for check in (
        "concept_domain:condition_occurrence.condition_concept_id",
        "concept_domain:condition_era.condition_concept_id",
    ):
        assert status[check] == "pass", check
    with Warehouse.open(path, read_only=True) as wh:
        obs = wh.table("observation")
        codes = set(obs.observation_source_value.to_pyarrow().to_pylist())
        conditions = wh.table("condition_occurrence")
        z = conditions.filter(conditions.condition_source_value.startswith("Z"))
        assert z.count().to_pyarrow().as_py() == 0
    assert codes and all(c[0] in "VWXYZ" for c in codes)
    assert {"Z000", "Z098"} <= codes


@pytest.mark.parametrize(
    ("source", "header", "missing"),
    [
        ("procedures", "nda,ipp,ccam", "done_at"),
        ("units", "nda,ipp,unit,entry,exit", "hospital, kind"),
        ("pmsi", "nda,ipp,type", "cim10, date"),
    ],
)
def test_an_extract_without_its_columns_is_a_one_line_error(
    made, tmp_path, capsys, source, header, missing
):
    _, _, raw = made
    folder = tmp_path / "raw"
    folder.mkdir()
    for name in ("patients", "stays"):
        shutil.copy(raw / f"{name}.csv", folder / f"{name}.csv")
    (folder / f"{source}.csv").write_text(header + "\n")
    key = tmp_path / "key"
    key.write_text("ab" * 32 + "\n")
    os.chmod(key, 0o600)
    eds = tmp_path / "eds.duckdb"
    assert main(["init", "-w", str(eds), "--quiet"]) == 0
    code = main(["ingest", str(folder), "--key-file", str(key), "-w", str(eds), "-q"])
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert err == (
        f"entrepot: error: {folder / (source + '.csv')}: missing column(s) {missing} "
        "(see entrepot/synth/RAW_FORMAT.md)"
    )
