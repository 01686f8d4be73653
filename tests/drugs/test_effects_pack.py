"""`entrepot drugs effects` and `load-effects`: the JSON shape, a hand-made data
pack in SIDER 4.1's layout loaded into a real DuckDB warehouse, bad packs."""

from __future__ import annotations

import json

import pytest

from entrepot.cli import main
from entrepot.warehouse import Warehouse

T = "\t"
#: A tiny pack in SIDER 4.1's layout (made here: SIDER itself is CC BY-NC-SA).
PACK = {
    "drug_names.tsv": ["CID100002162\tamlodipine", "CID100003440\tfurosemide"],
    "drug_atc.tsv": ["CID100003440\tC03CA01"],  # amlodipine: found by its name
    "meddra_all_se.tsv": [
        "CID100002162\tCID000002162\tC0013604\tLLT\tC0013604\tEdema",
        "CID100002162\tCID000002162\tC0013604\tPT\tC0013604\tOedema",
        "CID100002162\tCID000002162\tC0018681\tPT\tC0018681\tHeadache",
        "CID100003440\tCID000003440\tC0020621\tPT\tC0020621\tHypokalaemia",
        "CID100003440\tCID000003440\tC0018681\tPT\tC0018681\tHeadache",
    ],
    "meddra_freq.tsv": [
        "CID100002162\tCID000002162\tC0013604\t\t10.8%\t0.108\t0.108\tPT\tC0013604\tOedema",
        "CID100002162\tCID000002162\tC0018681\tplacebo\t20%\t0.2\t0.2\tPT\tC0018681\tHeadache",
        "CID100002162\tCID000002162\tC0018681\t\t1-10%\t0.01\t0.1\tPT\tC0018681\tHeadache",
        "CID100003440\tCID000003440\tC0020621\t\tpostmarketing\t0\t0\tPT\tC0020621\tHypokalaemia",
    ],
    "meddra_soc.tsv": ["C0013604\tGen", "C0018681\tNerv"],
}  # fmt: skip
LINES = ["AMLODIPINE 5 mg gél", "FUROSEMIDE 40 mg cp"]


def _write(folder, pack):
    folder.mkdir()
    for name, rows in pack.items():
        (folder / name).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return folder


def _run(capsys, *argv, code=0):
    done = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out) if code == 0 else err.strip()


@pytest.fixture(scope="module")
def packed(tmp_path_factory):
    """A warehouse, and the pack `PACK` loaded into it by the CLI."""
    folder = tmp_path_factory.mktemp("packed")
    path = folder / "eds.duckdb"
    Warehouse.create(path, vocabulary=False).close()
    pack = _write(folder / "sider", PACK)
    assert main(["drugs", "load-effects", str(pack), "-w", str(path), "--json"]) == 0
    return str(path)


def test_effects_json_without_a_warehouse(capsys):
    out = _run(capsys, "drugs", "effects", *LINES, "xyz", "--search", "HYPOTENSION")
    assert list(out) == ["lines", "organs"]
    assert [set(line) for line in out["lines"]] == [
        {
            "line",
            "input",
            "recognized",
            "substances",
            "atc",
            "sources",
            "effects",
            "organs",
        }  # fmt: skip
    ] * 3
    assert out["lines"][2]["recognized"] is False
    assert out["organs"] == [
        {
            "organ": "cardio-vasculaire",
            "count": 2,
            "effects": [
                {"term": "hypotension orthostatique", "frequency": "fréquent", "lines": [1]},
                {"term": "hypotension", "frequency": "peu fréquent", "lines": [0]},
            ],
        }
    ]  # fmt: skip


def test_a_loaded_pack_replaces_the_curated_table(capsys, tmp_path, packed):
    warehouse = packed
    pack = _write(tmp_path / "sider", PACK)  # loaded again: the same
    loaded = _run(capsys, "drugs", "load-effects", str(pack), "-w", warehouse)
    assert loaded["drugs"] == 2 and loaded["effects"] == 4
    assert loaded["classified"] == 3
    out = _run(capsys, "drugs", "effects", *LINES, "-w", warehouse)
    assert out["organs"] == [
        {"organ": "neurologie", "count": 1, "effects": [
            {"term": "Headache", "frequency": "fréquent", "lines": [0, 1]}]},
        {"organ": "non classé", "count": 1, "effects": [
            {"term": "Hypokalaemia", "frequency": "indéterminée", "lines": [1]}]},
        {"organ": "troubles généraux", "count": 1, "effects": [
            {"term": "Oedema", "frequency": "très fréquent", "lines": [0]}]},
    ]  # fmt: skip
    assert out["lines"][0]["sources"] == ["SIDER 4.1 (sider)"]
    frequent = _run(
        capsys, "drugs", "effects", *LINES, "-w", warehouse, "--frequency", "fréquent"
    )
    assert [o["organ"] for o in frequent["organs"]] == ["neurologie", "troubles généraux"]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "rows", "message"),
    [
        ("meddra_freq.tsv", PACK["meddra_freq.tsv"][:1] + ["CID1\tCID0\tC1\t\t5%"],
         "meddra_freq.tsv, line 2: 5 fields, 10 expected (SIDER 4.1's layout)"),
        ("meddra_soc.tsv", ["C0013604\tGastro"],
         "meddra_soc.tsv, line 1: unknown organ system 'Gastro'"),
        ("meddra_all_se.tsv", ["CID9\tCID9\tC1\tPT\tC1\tRash"],
         "meddra_all_se.tsv, line 1: drug CID9 is not in drug_names.tsv"),
        ("meddra_freq.tsv", ["CID100002162\tCID0\tC1\t\tsometimes\t\t\tPT\tC1\tRash"],
         "meddra_freq.tsv, line 1: frequency 'sometimes' with lower bound '' is not read"),
        ("drug_names.tsv", None, "not a SIDER 4.1 pack, missing drug_names.tsv"),
    ],
)  # fmt: skip
def test_a_bad_pack_is_one_line_and_loads_nothing(
    capsys, tmp_path, packed, name, rows, message
):
    warehouse = packed
    bad = dict(PACK)
    if rows is None:
        del bad[name]
    else:
        bad[name] = rows
    err = _run(capsys, "drugs", "load-effects", str(_write(tmp_path / "bad", bad)), "-w", warehouse, code=2)  # fmt: skip
    assert err.startswith("entrepot: error: ") and message in err
    assert "\n" not in err
    out = _run(capsys, "drugs", "effects", *LINES, "-w", warehouse)
    assert out["lines"][0]["sources"] == ["SIDER 4.1 (sider)"]  # the pack before


def test_a_pack_loads_and_answers_on_each_engine(make_warehouse, tmp_path):
    from entrepot.drugs import effect_table, effects, load_effects

    wh = make_warehouse()
    assert effect_table(wh).name == "RCP (table entrepot)"  # no pack yet
    counts = load_effects(wh, _write(tmp_path / "sider", PACK))
    assert counts["frequencies"]["très fréquent"] == 1
    result = effects(LINES, table=effect_table(wh), search="headache").to_dict()
    assert result["organs"] == [
        {"organ": "neurologie", "count": 1, "effects": [
            {"term": "Headache", "frequency": "fréquent", "lines": [0, 1]}]},
    ]  # fmt: skip
