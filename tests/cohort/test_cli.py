"""`entrepot cohort`: run, list, show, describe, delete, as scripts use them."""

import json
import subprocess
import sys

import pytest

from entrepot.cli import main

YAML = """\
name: GI bleeds, first
concept_sets:
  gi: {items: [{vocabulary: CIM10, code: K92, descendants: true}]}
entry:
  events: [{condition: {concept_set: gi}}]
exit:
  offset: {days: 30}
"""


@pytest.fixture(scope="module")
def cli(tiny_duckdb, tmp_path_factory):
    """Run `entrepot ...` in this process on the tiny warehouse: (code, out, err)."""
    uri = str(tiny_duckdb.uri)
    tiny_duckdb.close()  # the command opens the file itself

    def run(*args: str, capsys) -> tuple[int, object, str]:
        code = main([*args, "-w", uri])
        out, err = capsys.readouterr()
        return code, (json.loads(out) if "--json" in args else out), err

    return run


def test_run_prints_the_issue_json(cli, capsys, tmp_path):
    path = tmp_path / "gi.yaml"
    path.write_text(YAML)
    code, out, _ = cli("cohort", "run", str(path), "--json", capsys=capsys)
    assert code == 0
    assert list(out) == [
        "cohort_definition_id",
        "count",
        "entries",
        "person_days",
        "attrition",
        "seconds",
    ]
    assert (out["count"], out["entries"], out["person_days"]) == (3, 3, 90)
    assert out["attrition"] == [{"rule": "entry events", "persons": 3, "entries": 3}]
    cohort_id = out["cohort_definition_id"]
    code, listed, _ = cli("cohort", "list", "--json", capsys=capsys)
    assert {
        "id": cohort_id,
        "name": "GI bleeds, first",
        "persons": 3,
        "entries": 3,
    } == {k: v for k, v in listed[-1].items() if k != "generated"}
    code, shown, _ = cli("cohort", "show", str(cohort_id), "--json", capsys=capsys)
    assert shown["attrition"] == out["attrition"]


def test_describe_masks_small_counts(cli, capsys, tmp_path):
    path = tmp_path / "gi.yaml"
    path.write_text(YAML)
    _, out, _ = cli("cohort", "run", str(path), "--json", capsys=capsys)
    cohort_id = str(out["cohort_definition_id"])
    _, masked, _ = cli("cohort", "describe", cohort_id, "--json", capsys=capsys)
    assert masked["persons"] == "<10" and masked["sex"]["female"] == "<10"
    assert masked["age"]["min"] is None and masked["age"]["mean"] is None
    for lower in ("1", "0"):  # a caller may raise the threshold, never lower it
        _, asked, _ = cli(
            "cohort",
            "describe",
            cohort_id,
            "--mask-below",
            lower,
            "--json",
            capsys=capsys,
        )
        assert asked == masked
    cli("privacy", "mask-below", "1", capsys=capsys)  # the administrator's setting
    _, table, _ = cli("cohort", "describe", cohort_id, "--json", capsys=capsys)
    cli("privacy", "mask-below", "10", capsys=capsys)
    assert table["persons"] == 3
    assert table["sex"] == {"female": 2, "male": 1, "other or unknown": 0}
    assert (table["age"]["min"], table["age"]["max"]) == (9, 65)  # 2019-2010, 2015-1950
    assert table["age"]["mean"] == round((65 + 32 + 9) / 3, 1)
    assert [(c["name"], c["code"], c["persons"]) for c in table["conditions"]] == [
        ("Ulcer bleed", "CIM10 K92.2", 2),
        ("GI bleed", "CIM10 K92", 1),
    ]
    assert [(c["name"], c["persons"]) for c in table["drugs"]] == [("Drug A", 1)]


def test_masked_outputs_hide_small_counts(cli, capsys, tmp_path):
    path = tmp_path / "gi.yaml"
    path.write_text(YAML)
    _, out, _ = cli("cohort", "run", str(path), "--json", "--masked", capsys=capsys)
    assert (out["count"], out["entries"]) == ("<10", "<10")
    assert out["attrition"] == [
        {"rule": "entry events", "persons": "<10", "entries": "<10"}
    ]
    cohort_id = str(out["cohort_definition_id"])
    _, listed, _ = cli("cohort", "list", "--json", "--masked", capsys=capsys)
    assert {(r["persons"], r["entries"]) for r in listed} == {("<10", "<10")}
    _, shown, _ = cli("cohort", "show", cohort_id, "--json", "--masked", capsys=capsys)
    assert (shown["persons"], shown["attrition"][0]["persons"]) == ("<10", "<10")
    code, text, _ = cli("cohort", "show", cohort_id, "--masked", capsys=capsys)
    assert code == 0 and "<10 persons, <10 entries" in text


def test_delete_and_errors_are_one_line(cli, capsys):
    code, _, err = cli("cohort", "delete", "424242", capsys=capsys)
    assert (
        code == 2
        and err.strip()
        == "entrepot: error: no cohort 424242 in warehouse "
        + err.split("warehouse ")[1].strip()
    )
    assert len(err.strip().splitlines()) == 1


def test_a_real_process_runs_a_shipped_definition(tmp_path):
    """`entrepot cohort run NAME` finds a shipped definition; unknown codes of the
    bundled vocabulary in an empty warehouse exit with status 2 and one line."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "entrepot",
            "cohort",
            "run",
            "systemic_sclerosis",
            "-w",
            str(tmp_path / "none.duckdb"),
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 2
    assert done.stderr.startswith("entrepot: error: no warehouse at")
