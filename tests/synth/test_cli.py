"""`entrepot synth` prints what it made as JSON and refuses a filled warehouse."""

from __future__ import annotations

import json

import pytest

from entrepot.cli import main


def test_synth_json(tmp_path, capsys):
    target = str(tmp_path / "chu.duckdb")
    args = [
        "synth",
        "--patients",
        "120",
        "--seed",
        "5",
        "--no-notes",
        "--workers",
        "1",
        "--years",
        "2015-2020",
        "--warehouse",
        target,
        "--json",
    ]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["patients"] == 120 and out["seed"] == 5 and out["years"] == [2015, 2020]
    assert out["notes"] is False
    assert out["rows"]["person"] == 120
    assert out["rows"]["measurement"] > 1000
    assert out["patients_per_minute"] > 0
    assert main(args) == 2
    assert "already holds 120 persons" in capsys.readouterr().err


def test_bad_years_are_a_usage_error(tmp_path, capsys):
    assert main(["synth", "--years", "soon", "-w", str(tmp_path / "x.duckdb")]) == 2


def test_synth_enriches_the_hospital_with_diseases(tmp_path, capsys):
    target = str(tmp_path / "study.duckdb")
    args = ["synth", "-n", "100", "--no-notes", "--workers", "1", "-w", target]
    enrich = ["--enrich", "lupus=0.5", "--enrich", "psoriasis=0.2"]
    assert main([*args, *enrich, "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["enrich"] == {"lupus": 0.5, "psoriasis": 0.2}
    from entrepot.warehouse import Warehouse

    with Warehouse.open(target, read_only=True) as wh:
        counts = dict(
            wh.con.raw_sql(
                "SELECT module, count(DISTINCT person_id) FROM entrepot.synth_truth "
                "WHERE module IN ('lupus', 'psoriasis') GROUP BY 1"
            ).fetchall()
        )
    assert counts["lupus"] >= 50 and counts["psoriasis"] >= 20


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("systemic_sclerosis=1.5", "enrich systemic_sclerosis=1.5: the share must be"),
        ("systemic_sclerosis=0", "enrich systemic_sclerosis=0: the share must be"),
        ("nothing=0.5", "enrich nothing: no disease module of that name"),
        ("systemic_sclerosis", "--enrich 'systemic_sclerosis': not MODULE=FRACTION"),
    ],
)
def test_bad_enrichment_is_a_usage_error(tmp_path, capsys, value, message):
    target = str(tmp_path / "x.duckdb")
    assert main(["synth", "-n", "10", "--enrich", value, "-w", target]) == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1
