"""`entrepot drugs`: JSON shapes, one-line errors with exit 2, readable tables."""

import json

from entrepot.cli import main
from tests.drugs import SEED
from tests.drugs.test_scan import _load


def _json(capsys, argv):
    assert main(argv) == 0
    return json.loads(capsys.readouterr().out)


def test_check_json(capsys):
    out = _json(
        capsys,
        [
            "drugs",
            "check",
            "--json",
            "DAKTARIN 2 % gel buccal",
            "xyz",
            "COUMADINE 5 mg cp",
        ],
    )
    assert out["thesaurus"] == "2020-10-20"
    assert set(out["drugs"][0]) == {
        "input",
        "recognized",
        "substances",
        "atc",
        "dose",
        "route",
        "form",
        "route_doubt",
    }
    assert (out["drugs"][0]["route"], out["drugs"][0]["form"]) == ("buccal", "gel")
    assert out["drugs"][0]["route_doubt"] is None
    assert out["unrecognized"] == [1]
    (found,) = out["interactions"]
    assert (found["a"], found["b"], found["level"]) == (0, 2, "contre-indication")
    assert found["rules"] == [["MICONAZOLE", "ANTIVITAMINES K"]]
    assert found["risk"] == "Hémorragies imprévisibles, éventuellement graves."


def test_check_table_shows_markup_as_text(capsys):
    assert (
        main(["drugs", "check", "[bold]x[/bold]", "SEROPLEX 10 mg", "ATARAX 25 mg"])
        == 0
    )
    out = capsys.readouterr().out
    assert "[bold]x[/bold]" in out and "non reconnue" in out
    assert "Contre" in out  # the level, however narrow the terminal


def test_check_without_lines_is_a_usage_error(capsys):
    assert main(["drugs", "check"]) == 2


def test_scan_json_and_errors(tmp_path, capsys):
    from entrepot.warehouse import Warehouse

    path = tmp_path / "eds.duckdb"
    with Warehouse.create(path, vocabulary=False) as wh:
        _load(wh)
    out = _json(
        capsys, ["drugs", "scan", "--json", "-w", str(path), "--at", "2023-03-05"]
    )
    assert out["start"] == out["end"] == "2023-03-05"
    assert out["by_level"]["contre-indication"] == 1
    assert main(["drugs", "scan", "-w", str(path), "--at", "2023-13-01"]) == 2
    assert "is not a date" in capsys.readouterr().err
    assert (
        main(
            [
                "drugs",
                "scan",
                "-w",
                str(path),
                "--at",
                "2023-01-01",
                "--to",
                "2023-02-01",
            ]
        )
        == 2
    )
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "either --at" in err


def test_load_thesaurus(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("ENTREPOT_DATA_DIR", str(tmp_path / "data"))
    source = "/work/shared/data/ansm-thesaurus-2020"
    (tmp_path / "thesaurus.json").write_text(open(f"{source}/thesaurus.json").read())
    (tmp_path / "substances.json").write_text(open(f"{source}/substances.json").read())
    out = _json(
        capsys,
        [
            "drugs",
            "load-thesaurus",
            "--json",
            "--edition",
            "2021-06-01",
            str(tmp_path / "thesaurus.json"),
        ],
    )
    assert out == {
        "edition": "2021-06-01",
        "rules": 1584,
        "substances": 1081,
        "mapped_to_atc": 0.796,
    }
    assert (
        main(
            [
                "drugs",
                "load-thesaurus",
                str(tmp_path / "missing.json"),
                "--edition",
                "2021-06-01",
            ]
        )
        == 2
    )
    assert "no file" in capsys.readouterr().err


def test_check_finds_the_contraindication_of_a_substance_listed_twice(capsys):
    # everolimus is listed as "everolimus" and "évérolimus": both keep their classes
    out = _json(
        capsys, ["drugs", "check", "--json", "CERTICAN 0,75 mg cp", "MILLEPERTUIS"]
    )
    (found,) = out["interactions"]
    assert found["level"] == "contre-indication"
    assert found["rules"] == [["IMMUNOSUPPRESSEURS", "MILLEPERTUIS"]]
    assert out["drugs"][0]["substances"] == ["évérolimus"]


def test_check_json_of_the_seed_prescription(capsys):
    out = _json(capsys, ["drugs", "check", "--json", *SEED])
    assert [(i["a"], i["b"], i["level"]) for i in out["interactions"]] == [
        (2, 3, "precaution-emploi"),
        (0, 1, "a-prendre-en-compte"),
    ]
    aspirin, beta = out["interactions"]
    assert aspirin["dose_condition"]["met"] is False
    assert aspirin["dose_condition"]["text"].startswith("Pour des doses anti-inflam")
    assert beta["dose_condition"] is None and beta["route_doubt"] is None
    assert out["drugs"][1]["form"] == "gélule"


def test_check_table_states_an_unmet_dose_and_a_route_doubt(capsys):
    assert main(["drugs", "check", *SEED[:4], "AMLODIPINE 5 mg GEL"]) == 0
    out = capsys.readouterr().out
    assert (
        "! 2+3: condition de dose NON remplie: Pour des doses anti-inflammatoires "
        "d'acide acétylsalicylique (>= 1g par prise" in out
    )
    assert (
        "! 0+4: voie incertaine, interaction affichée: « AMLODIPINE 5 mg GEL »: "
        "« gel » lu voie cutaneous, forme que C08CA01 n'a pas\n" in out
    )
    assert "cutaneous ?" in out  # the guessed route in the table of lines
