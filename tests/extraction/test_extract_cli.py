"""`entrepot extract` on stdin: JSON lines in, one JSON line out per input,
in a real process."""

from __future__ import annotations

import io
import json
import subprocess
import sys

from entrepot.cli import main
from entrepot.extraction import shipped_schemas

REPORT = (
    "Indication : céphalées brutales.\n"
    "Technique : FLAIR, diffusion, 3D T1 sans injection.\n"
    "Conclusion : thrombose du sinus latéral gauche."
)


def at(words: str) -> list[int]:
    start = REPORT.index(words)
    return [start, start + len(words)]


def extract(stdin: bytes, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "entrepot", "extract", *args],
        input=stdin,
        capture_output=True,
        check=False,
    )


def test_extract_writes_each_reports_fields_and_skips_bad_lines():
    lines = [
        json.dumps({"id": "a", "text": REPORT}),
        json.dumps({"id": "b", "text": ""}),
        "not json",
        json.dumps({"id": 3, "text": "IRM cérébrale normale."}),
    ]
    data = "\n".join(lines).encode() + b"\n\n\xff\xfe broken\n"
    done = extract(data, "--schema", "brain_mri", "--json")
    assert done.returncode == 0, done.stderr
    out = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [o["id"] for o in out] == ["a", "b", None, 3, None]
    assert out[0] == {
        "id": "a",
        "fields": {
            "headache": True,
            "contrast": False,
            "abnormal": True,
            "explains_headache": True,
        },
        "evidence": {
            "headache": at("céphalées"),
            "contrast": at("injection"),
            "abnormal": at("thrombose"),
            "explains_headache": at("thrombose du sinus latéral"),
        },
        "backend": "rules",
        "model": "brain_mri-rules 3",
        "schema_version": "1",
        "prompt_version": None,
    }
    assert out[3]["fields"]["abnormal"] is False
    assert [o.get("skipped") for o in out] == [
        None, "empty", "not-json", None, "not-utf8",
    ]  # fmt: skip
    assert "skipped 3 documents (empty: 1, not-json: 1, not-utf8: 1)" in (
        done.stderr.decode()
    )


def run(monkeypatch, capsys, stdin: bytes, *args: str) -> tuple[int, str, str]:
    """The command in this process: (exit status, stdout, stderr)."""
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    status = main(["extract", *args])
    out, err = capsys.readouterr()
    return status, out, err


def test_a_schema_given_as_a_path_and_a_human_readout(tmp_path, monkeypatch, capsys):
    mine = tmp_path / "mine.yaml"
    mine.write_text(shipped_schemas()["brain_mri"].read_text())
    report = json.dumps({"id": 7, "text": REPORT}).encode()
    status, out, err = run(monkeypatch, capsys, report, "--schema", str(mine))
    assert status == 0, err
    assert out.split() == [
        "7", "headache=true", "contrast=false", "abnormal=true",
        "explains_headache=true",
    ]  # fmt: skip
    mine.write_text(
        "name: brain_mri\nversion: '2'\ntitle: t\n"
        "fields: [{name: headache, type: boolean, definition: d}]\n"
    )
    status, out, err = run(monkeypatch, capsys, report, "--schema", str(mine))
    assert (status, out) == (2, "")
    assert err.startswith("entrepot: error: ") and err.count("\n") == 1
    assert err.endswith("brain_mri.yaml: contrast: not a field of the schema\n")


def test_an_unknown_schema_or_backend_is_refused_in_one_line(monkeypatch, capsys):
    status, _, err = run(monkeypatch, capsys, b"", "--schema", "nope", "--json")
    assert status == 2
    assert err == (
        "entrepot: error: nope: no such file, nor a shipped schema "
        "(shipped: brain_mri)\n"
    )
    status, _, err = run(
        monkeypatch, capsys, b"", "--schema", "brain_mri", "--backend", "oracle"
    )
    said = " ".join(err.replace("│", " ").split())  # the usage box wraps lines
    assert status == 2 and "'oracle' is not one of 'rules', 'llm'" in said
    status, _, err = run(
        monkeypatch, capsys, b"", "--schema", "brain_mri", "--backend", "llm"
    )
    assert (status, err) == (
        2, "entrepot: error: --backend llm needs --model URL (the server's API base)\n"
    )  # fmt: skip
    status, _, err = run(
        monkeypatch, capsys, b"", "--schema", "brain_mri", "--cohort", "3"
    )
    assert (status, err) == (
        2, "entrepot: error: --cohort and --note-title need -w WAREHOUSE\n"
    )  # fmt: skip


def test_the_llm_backend_from_the_command_line(monkeypatch, capsys):
    """`--backend llm --model URL` against the tiny model's server process."""
    from .test_llm import serving

    report = json.dumps({"id": "r", "text": REPORT}).encode()
    with serving() as url:
        status, out, err = run(
            monkeypatch, capsys, report, "--schema", "brain_mri",
            "--backend", "llm", "--model", url, "--json",
        )  # fmt: skip
    assert status == 0, err
    record = json.loads(out)
    assert (record["backend"], record["prompt_version"]) == ("llm", "extract.v1")
    assert set(record["fields"]) == {
        "headache",
        "contrast",
        "abnormal",
        "explains_headache",
    }
    for start, end in record["evidence"].values():
        assert 0 <= start < end <= len(REPORT)


def test_evaluate_scores_a_gold_file_beside_the_paper(monkeypatch, capsys, tmp_path):
    gold = tmp_path / "gold.jsonl"
    records = [
        {"id": 1, "text": REPORT, "fields": {"headache": True, "contrast": False,
         "abnormal": True, "explains_headache": True}},
        {"id": 2, "text": "Indication : vertiges. IRM cérébrale normale.",
         "fields": {"headache": False, "contrast": False, "abnormal": False,
         "explains_headache": None}},
        {"id": 3, "text": "Indication : céphalées. Après injection : normal.",
         "fields": {"headache": True, "contrast": True, "abnormal": True,
         "explains_headache": False}},
    ]  # fmt: skip
    gold.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    status, out, err = run(
        monkeypatch,
        capsys,
        b"",
        "evaluate",
        "--schema",
        "brain_mri",
        "--gold",
        str(gold),
        "--json",
    )
    assert status == 0, err
    result = json.loads(out)
    assert (result["backend"], result["records"]) == ("rules", 3)
    abnormal = next(f for f in result["fields"] if f["name"] == "abnormal")
    # record 3 is labelled abnormal but reads normal: one false negative
    assert [abnormal["binary"][k] for k in ("tp", "fn", "tn", "fp")] == [1, 1, 1, 0]
    assert [e["id"] for e in abnormal["errors"]] == [3]
    assert [(c["measure"], c["published"]) for c in abnormal["published"]] == [
        ("sensitivity", 96.0), ("specificity", 98.9),
    ]  # fmt: skip
    explains = next(f for f in result["fields"] if f["name"] == "explains_headache")
    assert explains["applies"] == 2
    status, out, err = run(
        monkeypatch,
        capsys,
        b"",
        "evaluate",
        "--schema",
        "brain_mri",
        "--gold",
        str(gold),
    )
    assert status == 0 and "brain_mri v1: 3 records" in out
