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
        "model": "brain_mri-rules 1",
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
    assert status == 2 and "'oracle' is not one of 'rules'" in err
