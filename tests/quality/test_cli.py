"""`entrepot quality` and `entrepot describe`, run as the command line does."""

from __future__ import annotations

import json

from entrepot.cli import main


def test_quality_json_and_html(synthetic, tmp_path, capsys):
    path = str(synthetic.uri)
    synthetic.close()
    html = tmp_path / "report.html"
    code = main(
        [
            "quality",
            "-w",
            path,
            "--json",
            "--only",
            "end_before_start",
            "--html",
            str(html),
        ]
    )
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and html.stat().st_size > 1000
    check = next(
        c
        for c in out["checks"]
        if c["id"] == "end_before_start:visit_occurrence.visit_end_date"
    )
    assert set(check) >= {
        "name",
        "category",
        "table",
        "field",
        "description",
        "threshold",
        "status",
        "violating_rows",
        "rows",
        "examples",
    }
    assert (check["category"], check["status"], check["violating_rows"]) == (
        "plausibility",
        "pass",
        0,
    )
    assert out["summary"]["checks"] == len(out["checks"])


def test_describe_json_masks(synthetic, capsys):
    path = str(synthetic.uri)
    synthetic.close()
    assert main(["describe", "-w", path, "--json", "--mask-below", "1000"]) == 0
    out = json.loads(capsys.readouterr().out)
    sexes = next(a for a in out["analyses"] if a["name"] == "persons_by_sex")["rows"]
    assert {r["persons"] for r in sexes} == {"<1000"}


def test_bad_configuration_is_one_line_and_status_2(synthetic, tmp_path, capsys):
    bad = tmp_path / "q.yaml"
    bad.write_text("thresholds: {before_birth: many}\n")
    assert main(["quality", "-w", str(synthetic.uri), "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: thresholds.before_birth: Input should be a valid number" in err


def test_describe_cannot_be_unmasked_from_the_command_line(
    synthetic, capsys, monkeypatch
):
    """Neither --mask-below 1 nor ENTREPOT_MASK_BELOW=1 lowers the warehouse's 10."""
    path = str(synthetic.uri)
    synthetic.close()

    def bands(*args: str) -> list:
        assert main(["describe", "-w", path, "--json", *args]) == 0
        out = json.loads(capsys.readouterr().out)
        analysis = next(
            a for a in out["analyses"] if a["name"] == "persons_by_age_band_and_sex"
        )
        return [r["persons"] for r in analysis["rows"]]

    default = bands()
    assert "<10" in default
    assert bands("--mask-below", "1") == default
    monkeypatch.setenv("ENTREPOT_MASK_BELOW", "1")
    assert bands() == default
