"""`entrepot nlp extract`: JSON lines in, JSON lines out, in a real process."""

from __future__ import annotations

import json
import subprocess
import sys


def extract(stdin: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "entrepot", "nlp", "extract", "--json", *args],
        input=stdin,
        capture_output=True,
        check=False,
    )


def test_extract_writes_one_line_per_document_and_skips_bad_ones(tmp_path):
    lines = [
        json.dumps({"id": "a", "text": "Pas de sclérodermie. Sa sœur a un lupus."}),
        json.dumps({"id": "b", "text": ""}),
        json.dumps({"id": "c", "text": "bell\x07 ring"}),
        json.dumps({"id": "d", "text": "x" * 1_000_001}),
        "not json",
    ]
    data = "\n".join(lines).encode() + b"\n\xff\xfe broken\n"
    done = extract(data)
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c", "d", None, None]
    assert out[0]["entities"] == [
        {"start": 7, "end": 19, "text": "sclérodermie", "label": "DISEASE",
         "concept_code": "CIM10:M34", "negation": True, "hypothesis": False,
         "family": False, "history": False},
        {"start": 34, "end": 39, "text": "lupus", "label": "DISEASE",
         "concept_code": "CIM10:M32", "negation": False, "hypothesis": False,
         "family": True, "history": False},
    ]  # fmt: skip
    assert [o.get("skipped") for o in out] == [
        None, "empty", "control-characters", "too-large", "not-json", "not-utf8",
    ]  # fmt: skip
    assert "skipped 5 documents" in done.stderr.decode()


def test_extract_with_user_terms(tmp_path):
    terms = tmp_path / "terms.yaml"
    terms.write_text("SCORE: [score de Rodnan]\n")
    text = json.dumps({"id": 1, "text": "Score de Rodnan à 12."}).encode()
    done = extract(text, "--terms", str(terms))
    (entity,) = json.loads(done.stdout)["entities"]
    assert (entity["label"], entity["text"], entity["start"]) == (
        "SCORE",
        "Score de Rodnan",
        0,
    )


def test_unreadable_terms_file_is_one_line_and_status_2(tmp_path):
    done = extract(b"", "--terms", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2
    assert done.stderr.decode().startswith("entrepot: error: ")
    assert len(done.stderr.decode().strip().splitlines()) == 1
