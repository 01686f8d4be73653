"""`deidentify_notes`: the notes of a synthetic hospital de-identified in place."""

from __future__ import annotations

import re
import shutil
from collections import Counter

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


@pytest.fixture
def wh(notes_file, tmp_path):
    path = tmp_path / "eds.duckdb"
    shutil.copy(notes_file, path)
    with Warehouse.open(path) as wh:
        yield wh


def _texts(wh) -> dict[int, str]:
    notes = wh.table("note").select("note_id", "note_text").to_pyarrow()
    return dict(
        zip(notes["note_id"].to_pylist(), notes["note_text"].to_pylist(), strict=True)
    )


def _gold(wh) -> list[dict]:
    t = wh.table("note_annotation")
    return t.select("note_id", "kind", "label", "text").to_pyarrow().to_pylist()


def _in(text: str, value: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value)}(?!\w)", text) is not None


def test_identifiers_removed_medical_content_kept(wh):
    gold = _gold(wh)
    before = _texts(wh)
    result = deidentify_notes(wh)
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


def test_no_ipp_left(wh):
    assert any(IPP.search(t) for t in _texts(wh).values())
    deidentify_notes(wh)
    assert not any(IPP.search(t) for t in _texts(wh).values())


def test_second_run_changes_nothing(wh):
    first = deidentify_notes(wh)
    texts = _texts(wh)
    second = deidentify_notes(wh)
    assert second == {"notes": first["notes"], "changed": 0, "spans": 0}
    assert _texts(wh) == texts


def test_gold_annotations_of_changed_notes_deleted(wh):
    before = _texts(wh)
    assert wh.count("note_annotation") > 0
    deidentify_notes(wh)
    after = _texts(wh)
    changed = {i for i in before if before[i] != after[i]}
    gold = _gold(wh)
    assert not any(g["note_id"] in changed for g in gold)
    assert not any(g["kind"] == "identifier" for g in gold)


def test_other_columns_untouched(wh):
    columns = [c for c in wh.table("note").columns if c != "note_text"]
    key = "note_id"
    before = wh.table("note").select(*columns).order_by(key).to_pyarrow()
    deidentify_notes(wh)
    after = wh.table("note").select(*columns).order_by(key).to_pyarrow()
    assert before.equals(after)
    assert wh.validate()["ok"]


def test_audited(wh):
    from entrepot.privacy import entries

    result = deidentify_notes(wh)
    entry = entries(wh, action="deid.notes")[-1]
    assert entry["rows"] == result["changed"]
