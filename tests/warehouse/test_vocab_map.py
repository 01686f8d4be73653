"""Mapping local codes (`entrepot vocab map` / `approve`): proposals ranked by
French labels, units and ranges, scored on the synthetic hospital's own lab
catalogue; approved maps become source_to_concept_map rows."""

from __future__ import annotations

import csv
import json

import pytest

from entrepot.cli import main
from entrepot.privacy import entries
from entrepot.synth._reference import local_lab_codes
from entrepot.warehouse import Warehouse
from entrepot.warehouse.vocabulary import local_concept_id
from entrepot.warehouse.vocabulary._mapping import (
    Candidate,
    Source,
    accuracy,
    candidates,
    expand,
    propose,
    range_similarity,
    ucum,
)


@pytest.fixture(scope="module")
def vocab(tmp_path_factory, new_duckdb):
    """A warehouse with the bundled vocabulary (the file's path) and its LOINC
    candidates."""
    path = tmp_path_factory.mktemp("vmap") / "eds.duckdb"
    with new_duckdb(path, vocabulary=True) as wh:
        return path, candidates(wh, "LOINC")


def _catalogue() -> tuple[list[Source], dict[str, str]]:
    """The synthetic lab system's codes as SOURCE.csv gives them, and the truth."""
    number = lambda t: float(t) if t else None  # noqa: E731
    rows = local_lab_codes()
    sources = [
        Source(r["local_code"], r["local_label"], r["unit"] or None,
               number(r["low"]), number(r["high"]))
        for r in rows.values()
    ]  # fmt: skip
    return sources, {r["local_code"]: loinc for loinc, r in rows.items()}


def test_the_synthetic_lab_codes_are_found_in_the_top_five(vocab):
    sources, truth = _catalogue()
    scores = accuracy(propose(sources, vocab[1]), truth)
    assert scores["codes"] == 125
    assert scores["top5"] >= 0.9
    assert scores["top1"] >= 0.9


def test_labels_units_and_ranges_are_read_as_a_lab_system_writes_them():
    assert expand("Potassium sg") == "potassium sg sang serum plasma"
    assert expand("Poly. neutro.").endswith("polynucleaires neutrophiles")
    assert (ucum("µmol/l"), ucum("G/L"), ucum("mUI/L"), ucum("°C")) == (
        "umol/L",
        "10*9/L",
        "m[IU]/L",
        "Cel",
    )
    a = Source("K", "K", "mmol/L", 3.5, 5.0)
    b = Candidate(1, "2823-3", "Potassium", ("Potassium",), "mmol/L", 3.5, 5.5)
    assert range_similarity(a, b) == pytest.approx(1.5 / 2.0)


def test_units_break_a_tie_between_serum_and_urine(vocab):
    rows = propose([Source("CRU", "Créatinine", "mmol/L", 3, 20)], vocab[1], top=2)
    assert [r["concept_code"] for r in rows] == ["14683-7", "14682-9"]


def _write(path, header: list[str], rows: list[list]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(header)
        w.writerows(rows)


def test_map_then_approve_by_the_cli(vocab, tmp_path, capsys):
    source, mapping = tmp_path / "source.csv", tmp_path / "mapping.csv"
    _write(
        source,
        ["source_code", "source_label", "unit", "low", "high", "count"],
        [["K", "Potassium sg", "mmol/L", "3.5", "5", "120"], ["GLY", "Glycémie", "", "", "", ""]],
    )  # fmt: skip
    w = ["-w", str(vocab[0]), "--json"]
    assert main(["vocab", "map", str(source), "--target", "LOINC", "--out", str(mapping), *w]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out) == {
        "codes": 2,
        "proposals": 10,
        "out": str(mapping),
    }
    with open(mapping, encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [(r["source_code"], r["rank"], r["status"]) for r in rows[:2]] == [
        ("K", "1", "proposed"),
        ("K", "2", "proposed"),
    ]
    assert rows[0]["concept_code"] == "2823-3"
    assert rows[5]["concept_code"] == "14749-6"
    rows[0]["status"] = "approved"
    _write(mapping, list(rows[0]), [list(r.values()) for r in rows])
    assert main(["vocab", "approve", str(mapping), *w]) == 0
    assert json.loads(capsys.readouterr().out) == {"approved": 1}
    rows[0]["status"], rows[1]["status"] = "proposed", "approved"  # changed mind
    _write(mapping, list(rows[0]), [list(r.values()) for r in rows])
    assert main(["vocab", "approve", str(mapping), *w]) == 0
    capsys.readouterr()
    with Warehouse.open(vocab[0], read_only=True) as wh:
        maps = wh.table("source_to_concept_map").to_pyarrow().to_pylist()
        audited = [e["action"] for e in entries(wh)]
    assert [(m["source_code"], m["source_vocabulary_id"], m["target_concept_id"],
             m["target_vocabulary_id"], m["source_code_description"]) for m in maps] == [
        ("K", "LOCAL_LAB", int(rows[1]["concept_id"]), "LOINC", "Potassium sg")
    ]  # fmt: skip
    assert {"vocab.map", "vocab.approve"} <= set(audited)


@pytest.mark.parametrize(
    ("args", "files", "message"),
    [
        (["map", "SOURCE", "--target", "SNOMED"], {"SOURCE": "source_code,source_label\nK,K\n"},
         "unknown target 'SNOMED': one of ATC, CIM10, LOINC"),
        (["map", "SOURCE"], {"SOURCE": "code,label\nK,K\n"},
         "missing column(s) source_code, source_label"),
        (["map", "SOURCE"], {"SOURCE": "source_code,source_label,low\nK,K,bas\n"},
         "line 2: not a number: 'bas'"),
        (["approve", "MAPPING"],
         {"MAPPING": "source_code,source_label,rank,concept_id,concept_code,concept_name,score,status\n"
                     "K,K,1,1,a,a,1,approved\nK,K,2,2,b,b,1,approved\n"},
         "line 3: a second approved concept for 'K'"),
        (["approve", "MAPPING"],
         {"MAPPING": "source_code,source_label,rank,concept_id,concept_code,concept_name,score,status\n"
                     "K,K,1,17,a,a,1,approved\n"},
         "concept_id 17 not in the vocabulary"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line(vocab, tmp_path, capsys, args, files, message):
    for name, text in files.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    argv = [str(tmp_path / a) if a in files else a for a in args]
    out = ["--out", str(tmp_path / "m.csv")] if args[0] == "map" else []
    assert main(["vocab", *argv, *out, "-w", str(vocab[0])]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and err.endswith(message), err


def test_the_concept_ids_are_the_bundled_ones(vocab):
    by_code = {c.code: c.concept_id for c in vocab[1]}
    assert by_code["2823-3"] == local_concept_id("LOINC", "2823-3")
    assert len(vocab[1]) == len(by_code) > 125  # lab tests, vitals and note sections
