"""`entrepot quality` and `entrepot describe`, run as the command line does."""

from __future__ import annotations

import json

import pytest

from entrepot.cli import main
from entrepot.warehouse import Warehouse


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


def test_html_into_a_missing_folder_is_refused_before_any_check(
    synthetic, tmp_path, capsys
):
    path = str(synthetic.uri)
    synthetic.close()
    target = tmp_path / "missing" / "report.html"
    assert main(["quality", "-w", path, "--html", str(target)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.splitlines() == [
        f"entrepot: error: cannot write {target}: folder {target.parent} does not exist"
    ]
    with Warehouse.open(path, read_only=True) as wh:
        assert wh.count("quality_state") == 0  # no check ran
    assert main(["quality", "-w", path, "--html", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"entrepot: error: cannot write {tmp_path}: it is a folder"
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "thresholds: {befor_birth: 1}\n",
            "thresholds.befor_birth: unknown check family 'befor_birth' "
            "(did you mean before_birth?)",
        ),
        (
            "thresholds: {'before_birth:measurment': 1}\n",
            "thresholds.before_birth:measurment: unknown CDM table 'measurment' "
            "(did you mean measurement?)",
        ),
        (
            "thresholds: {'before_birth:measurement.measurment_date': 1}\n",
            "thresholds.before_birth:measurement.measurment_date: measurement has "
            "no field 'measurment_date' (did you mean measurement_date?)",
        ),
        (
            "disabled: [duplicate_events]\n",
            "disabled.0: unknown check family 'duplicate_events' "
            "(did you mean duplicate_event?)",
        ),
        (
            "should_be_filled: [visit_occurence.care_site_id]\n",
            "should_be_filled.0: unknown CDM table 'visit_occurence' "
            "(did you mean visit_occurrence?)",
        ),
        (
            "extra_checks:\n  - {name: k, kind: not_null, table: measurment, "
            "field: value_as_number}\n",
            "extra_checks.0.table: unknown CDM table 'measurment' "
            "(did you mean measurement?)",
        ),
        (
            "extra_checks:\n  - {name: k, kind: not_null, table: measurement, "
            "field: value_as_numbr}\n",
            "extra_checks.0.field: measurement has no field 'value_as_numbr' "
            "(did you mean value_as_number?)",
        ),
    ],
)
def test_misspelt_names_in_the_configuration_are_refused(
    synthetic, tmp_path, capsys, text, message
):
    bad = tmp_path / "q.yaml"
    bad.write_text(text)
    assert main(["quality", "-w", str(synthetic.uri), "--config", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == f"entrepot: error: {bad}: {message}"


def test_the_html_report_s_characterization_leaves_through_the_gate(
    synthetic, tmp_path, capsys
):
    """The report's characterization is counts about the warehouse's persons:
    released under the caller's decision and audited as `entrepot describe`
    is, with the persons it counts (it was released as nobody's, unaudited)."""
    from entrepot.privacy import entries, os_account

    path = str(synthetic.uri)
    synthetic.close()
    html = tmp_path / "report.html"
    argv = ["quality", "-w", path, "--only", "end_before_start", "--html", str(html)]
    assert main([*argv, "--quiet"]) == 0
    with Warehouse.open(path, read_only=True) as wh:
        persons = wh.count("person")
        released = entries(wh, action="describe")
    assert [(e["user"], e["persons"]) for e in released] == [(os_account(), persons)]
    assert json.loads(released[0]["parameters"]) == {"top": 20, "html": str(html)}
