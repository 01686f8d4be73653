"""`entrepot index` and `entrepot search`: JSON, one-line errors, cohorts."""

from __future__ import annotations

import json
from datetime import date

from entrepot.cli import main


def run(capsys, *args: str) -> tuple[int, dict | None, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, (json.loads(out) if "--json" in args else None), err


def test_index_then_search(notes_warehouse, capsys):
    path = str(notes_warehouse.uri.path)
    notes_warehouse.close()
    code, result, _ = run(capsys, "index", "-w", path, "--json")
    assert (code, result["indexed"]) == (0, 5)
    code, result, _ = run(capsys, "search", "sclérodermie", "-w", path, "--json")
    assert code == 0
    assert (result["notes"], result["persons"]) == (2, 1)
    assert [h["note_id"] for h in result["hits"]] == [1, 5] or [
        h["note_id"] for h in result["hits"]
    ] == [5, 1]
    _, everything, _ = run(
        capsys, "search", "sclérodermie", "-w", path, "--json", "--exclude", "none",
        "--note-type", "Compte rendu d'hospitalisation", "--from", "2022-01-01",
        "--to", "2022-12-31",
    )  # fmt: skip
    assert [h["note_id"] for h in everything["hits"]] == [3]


def test_masked_search_gives_counts_only(notes_warehouse, capsys):
    path = str(notes_warehouse.uri.path)
    notes_warehouse.close()
    run(capsys, "index", "-w", path)
    code, result, _ = run(
        capsys, "search", "sclérodermie", "-w", path, "--json", "--masked"
    )
    assert code == 0
    assert result == {"notes": "<10", "persons": "<10", "offset": 0, "hits": []}


def test_errors_are_one_line(notes_warehouse, capsys):
    path = str(notes_warehouse.uri.path)
    notes_warehouse.close()
    code, _, err = run(capsys, "search", "toux", "-w", path)
    assert code == 2 and "entrepot index" in err and err.count("\n") == 1
    run(capsys, "index", "-w", path)
    for args in (
        ['"toux'],
        ["toux", "--from", "2024-13-01"],
        ["toux", "--exclude", "x"],
    ):
        code, _, err = run(capsys, "search", *args, "-w", path)
        assert (
            code == 2 and err.startswith("entrepot: error: ") and err.count("\n") == 1
        )


def test_search_saved_as_cohort(notes_warehouse, capsys):
    from entrepot.cohort import show_cohort
    from entrepot.warehouse import Warehouse

    path = str(notes_warehouse.uri.path)
    notes_warehouse.close()
    run(capsys, "index", "-w", path)
    code, result, _ = run(
        capsys, "search", "sclérodermie", "-w", path, "--json", "--exclude",
        "negated", "--save-cohort", "sclérodermie (textes)",
    )  # fmt: skip
    assert code == 0
    cohort = result["cohort"]
    assert cohort["persons"] == 3
    with Warehouse.open(path) as wh:
        rows = wh.table("cohort").order_by("cohort_start_date").to_pyarrow().to_pylist()
        shown = show_cohort(wh, cohort["cohort_definition_id"])
    assert [(str(r["cohort_start_date"]), str(r["cohort_end_date"])) for r in rows] == [
        ("2020-03-01", "2024-01-05"),
        ("2022-07-03", "2022-07-03"),
        ("2023-09-04", "2023-09-04"),
    ]
    assert shown  # listed with the warehouse's cohorts


def test_note_count_masked_with_the_person_count(notes_warehouse, capsys):
    """13 notes of 2 patients: the note count would tell how often a masked
    handful of patients were seen, so it is hidden with theirs."""
    from tests.search.conftest import add_notes

    add_notes(
        notes_warehouse,
        {100 + i: ("IPP1", date(2024, 2, 1 + i), "Ordonnance", "Lupus érythémateux.")
         for i in range(12)},
    )  # fmt: skip
    path = str(notes_warehouse.uri.path)
    notes_warehouse.close()
    run(capsys, "index", "-w", path)
    _, plain, _ = run(capsys, "search", "lupus", "-w", path, "--json")
    assert (plain["notes"], plain["persons"]) == (13, 2)
    _, result, _ = run(capsys, "search", "lupus", "-w", path, "--json", "--masked")
    assert (result["notes"], result["persons"], result["hits"]) == ("*", "<10", [])


def test_search_pages(notes_warehouse, capsys):
    path = str(notes_warehouse.uri.path)
    notes_warehouse.close()
    run(capsys, "index", "-w", path)
    pages = [
        run(capsys, "search", "sclérodermie", "-w", path, "--json", "--exclude",
            "none", "--limit", "3", "--offset", offset)[1]
        for offset in ("0", "3")
    ]  # fmt: skip
    assert [(p["notes"], p["offset"], len(p["hits"])) for p in pages] == [
        (5, 0, 3),
        (5, 3, 2),
    ]
    hits = {h["note_id"]: h for p in pages for h in p["hits"]}
    assert sorted(hits) == [1, 2, 3, 4, 5]
    assert (hits[3]["note_title"], hits[3]["note_date"]) == (
        "Compte rendu d'hospitalisation",
        "2022-07-03",
    )
    code = main(["search", "sclérodermie", "-w", path, "--exclude", "none",
                 "--limit", "3", "--offset", "3"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert out.startswith("hits 4–5 of 5 notes, 4 persons")
    assert "2022-07-03 Compte rendu d'hospitalisation" in out


def test_search_as_typed_and_fields_as_text(notes_warehouse, capsys):
    from tests.search.conftest import PATIENTS, add_notes
    from tests.search.test_language import FRENCH

    add_notes(notes_warehouse, FRENCH)
    path = str(notes_warehouse.uri.path)
    notes_warehouse.close()
    run(capsys, "index", "-w", path)
    for query in (
        "maladie d'Alzheimer",
        "maladie d’Alzheimer",
        "« MALADIE D’ALZHEIMER »",
    ):
        code, result, _ = run(capsys, "search", query, "-w", path, "--json")
        assert (code, sorted(h["note_id"] for h in result["hits"])) == (0, [6, 7])
    attack = f"person_id:{PATIENTS['IPP2']} AND systémique"
    code, result, _ = run(
        capsys, "search", attack, "-w", path, "--json", "--exclude", "none"
    )
    assert (code, result["notes"], result["hits"]) == (0, 0, [])
    code, _, err = run(capsys, "search", "(alzheimer", "-w", path)
    assert (
        code == 2
        and err == "entrepot: error: cannot read query '(alzheimer': missing )\n"
    )


def test_two_searches_one_person_apart_show_the_same_counts(
    notes_warehouse, capsys, monkeypatch
):
    """Differencing on the command line: a viewer of project p searches
    "lupus" from 1 January, then from 2 January; only person 13 has notes
    on 1 January, so the counts would differ by her. The person count goes
    through the gate's defence; the note count (her notes) is not given."""
    from entrepot.privacy import add_project, add_user
    from tests.search.conftest import add_notes

    january = {200 + i: (i, date(2024, 2, 1), "Ordonnance", "Lupus érythémateux.")
               for i in range(1, 13)}  # fmt: skip
    january[300] = (13, date(2024, 1, 1), "Ordonnance", "Lupus cutané.")
    add_notes(notes_warehouse, january)
    add_project(notes_warehouse, "p")
    add_user(notes_warehouse, "vic", "viewer", "a long passphrase", projects=["p"])
    path = str(notes_warehouse.uri.path)
    notes_warehouse.close()
    run(capsys, "index", "-w", path)
    monkeypatch.setenv("ENTREPOT_PASSWORD", "a long passphrase")
    asked = ["-w", path, "--json", "--masked", "--project", "p", "--user", "vic"]
    _, first, _ = run(capsys, "search", "lupus", "--from", "2024-01-01", *asked)
    _, second, _ = run(capsys, "search", "lupus", "--from", "2024-01-02", *asked)
    assert first["persons"] == second["persons"] == 13
    assert first["notes"] == second["notes"] == "*"
    assert "person_ids" not in first
