"""`deidentify_notes`: the notes of a synthetic hospital de-identified in place."""

from __future__ import annotations

import re
import shutil
from collections import Counter
from pathlib import Path

import pytest

from entrepot.privacy import deidentify_notes
from entrepot.warehouse import Warehouse

LABELS = ("NOM", "PRENOM", "TEL", "MAIL", "NSS", "IPP", "NDA")


@pytest.fixture(scope="module")
def notes_file(tmp_path_factory):
    """A synthetic hospital of 30 patients, notes as written, gold annotations."""
    from entrepot.synth import generate_hospital

    path = tmp_path_factory.mktemp("notes") / "eds.duckdb"
    generate_hospital(path, patients=30, seed=5, notes=True, workers=1)
    return path


@pytest.fixture(scope="module")
def spark_notes(notes_file, tmp_path_factory, spark_session) -> Path:
    """The same hospital on Spark: every table that holds rows, copied."""
    folder = tmp_path_factory.mktemp("spark-notes") / "eds"
    with (
        Warehouse.open(notes_file, read_only=True) as source,
        Warehouse.create(f"spark:{folder}", vocabulary=False) as wh,
    ):
        filled = [t for t in wh.tables("cdm") + wh.tables("entrepot") if source.has_table(t) and source.count(t)]  # fmt: skip
        wh.replace_tables({t: source.table(t).to_pyarrow() for t in filled})
    return folder


@pytest.fixture(scope="module")
def runs():
    """Each engine's hospital, de-identified once for the module's tests."""
    made: dict[str, tuple] = {}
    yield made
    for wh, *_ in made.values():
        wh.close()


@pytest.fixture
def run(engine, runs, notes_file, tmp_path_factory, request):
    """(warehouse, before, result): a private copy of the hospital on the
    test's engine, what it held before, and what `deidentify_notes` returned."""
    if engine not in runs:
        folder = tmp_path_factory.mktemp(f"deid-{engine}")
        if engine == "duckdb":
            uri = shutil.copy(notes_file, folder / "eds.duckdb")
        else:
            uri = f"spark:{shutil.copytree(request.getfixturevalue('spark_notes'), folder / 'eds')}"  # fmt: skip
        wh = Warehouse.open(uri)
        before = {"texts": _texts(wh), "gold": _gold(wh), "rows": _others(wh)}
        runs[engine] = (wh, before, deidentify_notes(wh))
    return runs[engine]


def _texts(wh) -> dict[int, str]:
    notes = wh.table("note").select("note_id", "note_text").to_pyarrow()
    return dict(
        zip(notes["note_id"].to_pylist(), notes["note_text"].to_pylist(), strict=True)
    )


def _gold(wh) -> list[dict]:
    t = wh.table("note_annotation")
    return t.select("note_id", "kind", "label", "text").to_pyarrow().to_pylist()


def _others(wh):
    """Every column of the notes but their text, in order."""
    note = wh.table("note")
    columns = [c for c in note.columns if c != "note_text"]
    return note.select(*columns).order_by("note_id").to_pyarrow()


def _in(text: str, value: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text) is not None


def test_identifiers_removed_medical_content_kept(run):
    wh, before, result = run
    gold, before = before["gold"], before["texts"]
    after = _texts(wh)
    assert result["notes"] == len(before) == len(after) == wh.count("note") > 0
    assert result["changed"] == sum(before[i] != after[i] for i in before) > 0
    assert result["spans"] > 0

    total, left = Counter(), Counter()
    for g in gold:
        if g["kind"] == "identifier" and g["label"] in LABELS:
            total[g["label"]] += 1
            left[g["label"]] += _in(after[g["note_id"]], g["text"])
    recall = 1 - sum(left.values()) / sum(total.values())
    print(f"\nidentifier recall {recall:.4f}:", {k: (total[k], left[k]) for k in total})
    assert set(total) == set(LABELS)
    assert recall >= 0.99

    entities = [g for g in gold if g["kind"] == "entity"]
    kept = sum(_in(after[g["note_id"]], g["text"]) for g in entities)
    print(f"medical entities kept {kept}/{len(entities)}")
    assert entities and kept / len(entities) >= 0.99


IPP = re.compile(r"(?:IPP|N° patient)\s*:?\s*\d")


def test_no_ipp_left(run):
    wh, before, _ = run
    assert any(IPP.search(t) for t in before["texts"].values())
    assert not any(IPP.search(t) for t in _texts(wh).values())


def test_second_run_changes_nothing(run):
    wh, _, first = run
    texts = _texts(wh)
    second = deidentify_notes(wh)
    assert second == {"notes": first["notes"], "changed": 0, "spans": 0}
    assert _texts(wh) == texts


def test_gold_annotations_of_changed_notes_deleted(run):
    wh, before, _ = run
    assert before["gold"]
    after = _texts(wh)
    changed = {i for i in before["texts"] if before["texts"][i] != after[i]}
    gold = _gold(wh)
    assert not any(g["note_id"] in changed for g in gold)
    assert not any(g["kind"] == "identifier" for g in gold)


def test_other_columns_untouched(run):
    wh, before, _ = run
    assert before["rows"].equals(_others(wh))
    assert wh.validate()["ok"]


def test_audited(run):
    from entrepot.privacy import entries

    wh, _, result = run
    entry = entries(wh, action="deid.notes")[-1]
    assert entry["rows"] == result["changed"]


def test_notes_read_in_batches_smaller_than_the_notes(notes_file, tmp_path):
    """Batches of 10 notes (of more than 100) give what one batch gives: the
    same counts and the same texts, changed notes spilled batch by batch."""
    texts = {}
    results = {}
    for size in (10, 100_000):
        path = shutil.copy(notes_file, tmp_path / f"eds-{size}.duckdb")
        with Warehouse.open(path) as wh:
            assert wh.count("note") > 100
            results[size] = deidentify_notes(wh, batch_size=size)
            texts[size] = _texts(wh)
    assert results[10] == results[100_000] and results[10]["changed"] > 10
    assert texts[10] == texts[100_000]
