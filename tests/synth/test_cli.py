"""`entrepot synth` prints what it made as JSON and refuses a filled warehouse."""

from __future__ import annotations

import json

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
