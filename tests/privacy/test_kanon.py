import json

import pytest

from entrepot.cli import main
from entrepot.errors import InputFileError
from entrepot.privacy import generalise, kanon
from entrepot.privacy._kanon import read_csv

EXTRACT = """age,postcode,admission,diagnosis
34,75013,2021-03-02,E11
36,75014,2021-03-20,I10
38,75013,2021-04-11,E11
52,69003,2021-05-02,C50
51,69007,2021-05-09,I10
57,69003,2021-05-30,E11
53,69008,2021-06-01,C50
88,13001,2022-01-15,I10
"""


@pytest.fixture
def extract(tmp_path):
    path = tmp_path / "extract.csv"
    path.write_text(EXTRACT)
    return path


def test_k_and_l_are_counted_by_class(extract):
    table = read_csv(extract)
    assert kanon(table, ["age"], 2, "diagnosis") == {
        "k": 1,
        "l": 1,
        "classes": 8,
        "rows_below_k": 8,
    }
    assert kanon(table, ["postcode"], 2, "diagnosis") == {
        "k": 1,
        "l": 1,
        "classes": 6,
        "rows_below_k": 4,
    }


def test_generalisation_reaches_k_and_reports_the_loss(extract, tmp_path):
    table = read_csv(extract)
    result = generalise(
        table, ["age", "postcode", "admission"], 3, "diagnosis", max_suppressed=0.2
    )
    report = result.report
    assert report["k"] >= 3 and report["rows_below_k"] == 0
    assert report["before"]["k"] == 1
    assert report["rows_suppressed"] == 1  # the lone 88-year-old from Marseille
    assert report["rows_out"] == 7
    assert report["generalised"]["postcode"] in ("3-digit prefix", "2-digit prefix")
    rows = result.table.to_pylist()
    assert {r["postcode"][:2] for r in rows} == {"75", "69"}
    assert "13001" not in str(rows) and "88" not in [r["age"] for r in rows]


def test_cli_json_and_generalise(extract, tmp_path, capsys):
    out = tmp_path / "out.csv"
    args = ["privacy", "kanon", str(extract), "--quasi", "age,postcode", "--k", "3"]
    assert main([*args, "--sensitive", "diagnosis", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["k"] == 1
    assert main([*args, "--generalise", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["k"] >= 3
    assert kanon(read_csv(out), ["age", "postcode"], 3)["rows_below_k"] == 0


@pytest.mark.parametrize(
    "content, options, message",
    [
        (EXTRACT, ["--quasi", "age,zip", "--k", "2"], "no column 'zip'"),
        (EXTRACT, ["--quasi", "age", "--k", "0"], "k must be at least 1"),
        ('a,b\n1,2,3\n"x', ["--quasi", "a", "--k", "2"], "malformed CSV"),
    ],
)
def test_bad_input_is_one_line_naming_file_and_field(
    tmp_path, capsys, content, options, message
):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert main(["privacy", "kanon", str(path), *options]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and str(path) in err and message in err


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(InputFileError, match="nope.csv"):
        read_csv(tmp_path / "nope.csv")
