"""`entrepot model report`: the TRIPOD+AI report of a model trained on the
synthetic hospital with the planted risk model (`planted_model`)."""

from __future__ import annotations

import json
import re
import shutil

import pytest

from entrepot.cli import main
from entrepot.model._tripod import checklist


@pytest.fixture(scope="module")
def report(planted_model, tmp_path_factory):
    out = tmp_path_factory.mktemp("report") / "report.html"
    assert (
        main(["model", "report", str(planted_model), "--html", str(out), "--json"]) == 0
    )
    return out.read_text(encoding="utf-8")


def test_the_checklist_is_the_published_one():
    items = [i.item for i in checklist()]
    assert len(items) == 52 and len({i.main for i in checklist()}) == 27
    assert items[:6] == ["1", "2", "3a", "3b", "3c", "4"]
    assert items[-3:] == ["27a", "27b", "27c"]


def test_the_report_fills_at_least_20_of_the_27_items(report):
    rows = re.findall(r"<th>Item (\d+[a-g]?)</th>", report)
    assert rows == [i.item for i in checklist()]
    filled = re.search(r"(\d+) of 27 items filled by the software", report)
    assert int(filled.group(1)) >= 20
    left = re.search(r'<p id="left">(.*?)</p>', report).group(1)
    for item in ("3a", "17", "19", "25", "26"):  # context, ethics, PPI, discussion
        assert f"Item {item}" in left
    assert "Item 1," not in left and "Item 23a" not in left


def test_the_report_says_what_was_studied_and_found(report, planted_model):
    results = json.loads((planted_model / "results.json").read_text())
    assert f"{results['auroc']} (95% CI " in report
    row = re.search(r'<tr id="item-6b">.*?</tr>', report, re.S).group()
    assert "First heart-failure stay" in row and "364" in row
    row = re.search(r'<tr id="item-22">.*?</tr>', report, re.S).group()
    assert "intercept" in row and "age" in row
    assert report.count("<svg") >= 5  # ROC, PR, calibration, decision, subgroups


def test_the_cli_prints_the_counts(planted_model, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert (
        main(["model", "report", str(planted_model), "--html", str(out), "--json"]) == 0
    )
    printed = json.loads(capsys.readouterr().out)
    assert printed["filled"] >= 20 and "17" in printed["left_to_authors"]


def test_hostile_names_are_escaped(planted_model, tmp_path):
    folder = tmp_path / "model"
    shutil.copytree(planted_model, folder)
    results = json.loads((folder / "results.json").read_text())
    results["study"]["name"] = "<script>alert(1)</script>"
    results["study"]["target"] = '"><img src=x onerror=alert(2)>'
    (folder / "results.json").write_text(json.dumps(results))
    out = tmp_path / "r.html"
    assert main(["model", "report", str(folder), "--html", str(out), "-q"]) == 0
    html = out.read_text()
    assert "<script>" not in html and "<img" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_french_labels(planted_model, tmp_path):
    out = tmp_path / "r.html"
    args = [
        "model",
        "report",
        str(planted_model),
        "--html",
        str(out),
        "--lang",
        "fr",
        "-q",
    ]
    assert main(args) == 0
    html = out.read_text()
    assert '<html lang="fr">' in html and "laissé aux auteurs" in html
    assert "items sur 27 remplis par le logiciel" in html


def test_a_folder_that_is_not_a_model_is_a_one_line_error(tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["model", "report", str(tmp_path), "--html", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a model's folder" in err
