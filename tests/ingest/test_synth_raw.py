"""The raw extracts are the same hospital: `entrepot synth --raw` then `entrepot
ingest` gives the tables the synthesised warehouse has, and both put each
CIM-10 code in the table of its concept's domain (OMOP's rule)."""

from __future__ import annotations

import csv
import json
import os
import shutil

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv
import pytest

from entrepot.cli import main
from entrepot.ingest._raw import read_extract
from entrepot.synth._reference import local_lab_codes
from entrepot.warehouse import Warehouse
from entrepot.warehouse.vocabulary._mapping import accuracy

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


def test_local_lab_codes_are_proposed_approved_and_applied(made, tmp_path, capsys):
    """lab.csv carries the lab system's own codes; mapped by `vocab map`, the
    right proposals approved, an extract with local codes only (`loinc` empty)
    is ingested with the approved concepts, and concept 0 and the code kept
    where no map is approved."""
    _, eds, raw = made
    lab = read_extract(raw / "lab.csv")
    truth = local_lab_codes()
    columns = (lab[c].to_pylist() for c in ("loinc", "local_code", "local_label"))
    written = set(zip(*columns, strict=True))
    assert {(c, truth[c]["local_code"], truth[c]["local_label"]) for c, _, _ in written} == written  # fmt: skip
    codes = pc.value_counts(lab["local_code"]).to_pylist()
    unit = dict(
        zip(lab["local_code"].to_pylist(), lab["unit"].to_pylist(), strict=True)
    )
    label = {c: label for _, c, label in written}
    source = tmp_path / "source.csv"
    rows = [[v["values"], label[v["values"]], unit[v["values"]] or "", v["counts"]] for v in codes]  # fmt: skip
    _write(source, ["source_code", "source_label", "unit", "count"], rows)
    copy, mapping = tmp_path / "eds.duckdb", tmp_path / "mapping.csv"
    shutil.copy(eds, copy)
    assert main(["vocab", "map", str(source), "--out", str(mapping), "-w", str(copy), "-q"]) == 0  # fmt: skip
    with open(mapping, encoding="utf-8") as f:
        proposals = list(csv.DictReader(f))
    by_code = {c: loinc for loinc, c, _ in written}
    for r in proposals:
        r["rank"] = int(r["rank"])
    assert len(by_code) > 60
    assert accuracy(proposals, by_code)["top5"] >= 0.9
    unmapped = "NA"  # the reviewer leaves sodium for later
    for r in proposals:
        right = r["concept_code"] == by_code[r["source_code"]]
        r["status"] = (
            "approved" if right and r["source_code"] != unmapped else "proposed"
        )
    _write(mapping, list(proposals[0]), [list(r.values()) for r in proposals])
    approved = {r["source_code"] for r in proposals if r["status"] == "approved"}

    folder = tmp_path / "raw"
    folder.mkdir()
    for name in ("patients", "stays"):
        shutil.copy(raw / f"{name}.csv", folder / f"{name}.csv")
    local = lab.set_column(0 + lab.column_names.index("loinc"), "loinc", pa.nulls(len(lab), pa.string()))  # fmt: skip
    pcsv.write_csv(local, folder / "lab.csv")
    key = tmp_path / "key"
    key.write_text("ab" * 32 + "\n")
    os.chmod(key, 0o600)
    new = tmp_path / "local.duckdb"
    assert main(["init", "-w", str(new), "--quiet"]) == 0
    assert main(["vocab", "approve", str(mapping), "-w", str(new), "-q"]) == 0
    assert main(["ingest", str(folder), "--key-file", str(key), "-w", str(new), "-q"]) == 0  # fmt: skip
    capsys.readouterr()

    def concepts(path) -> dict[str, set[int]]:
        with Warehouse.open(path, read_only=True) as wh:
            m = wh.table("measurement")
            rows = m.select("measurement_source_value", "measurement_concept_id")
            found: dict[str, set[int]] = {}
            for r in rows.distinct().to_pyarrow().to_pylist():
                found.setdefault(r["measurement_source_value"], set()).add(r["measurement_concept_id"])  # fmt: skip
            return found

    expected = concepts(eds)  # by LOINC
    got = concepts(new)  # by local code
    assert unmapped in by_code and unmapped not in approved
    assert got == {
        c: expected[loinc] if c in approved else {0} for c, loinc in by_code.items()
    }
    with Warehouse.open(new, read_only=True) as a, Warehouse.open(eds, read_only=True) as b:  # fmt: skip
        assert a.count("measurement") == b.count("measurement") == len(lab)


def _write(path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)
