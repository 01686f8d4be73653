"""The llm backend against a real OpenAI-compatible server process on loopback.

The server (tiny_llm_server.py) serves a tiny model trained on sentences of its
own; its answers are generated under the request's JSON schema, and it can be
told to answer badly, slowly, or not at all.
"""

from __future__ import annotations

import contextlib
import random
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from entrepot.errors import ExtractionError
from entrepot.extraction import LlmBackend, load_schema, output_record
from entrepot.extraction._llm import locate

SERVER = Path(__file__).with_name("tiny_llm_server.py")
REPORT = (
    "Indication : céphalées brutales depuis hier soir.\n"
    "Technique : séquences T1, T2, FLAIR, après injection de gadolinium.\n"
    "Résultat : thrombose du sinus latéral droit, expliquant les céphalées."
)


@contextlib.contextmanager
def serving(*flags: str):
    """The tiny model's server in its own process; yields its API's URL."""
    process = subprocess.Popen(
        [sys.executable, str(SERVER), *flags], stdout=subprocess.PIPE, text=True
    )
    try:
        port = int(process.stdout.readline())
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        process.terminate()
        process.wait(timeout=10)
        process.stdout.close()


def stats(url: str) -> dict:
    return httpx.get(url.removesuffix("/v1") + "/stats").json()


@pytest.fixture(scope="module")
def server():
    with serving() as url:
        yield url


@pytest.fixture(scope="module")
def schema():
    return load_schema("brain_mri")


def reports(n: int) -> list[str]:
    """Reports made of phrases written here, in varied orders, with odd ones."""
    phrases = [
        "Indication : céphalées depuis trois jours.",
        "Bilan d'une crise convulsive.",
        "Pas de céphalée.",
        "IRM réalisée sans injection.",
        "Séquence T1 après injection de gadolinium.",
        "Hématome sous-dural gauche de 8 mm.",
        "Pas d'anomalie du parenchyme cérébral.",
        "Méningiome de la faux, de découverte fortuite.",
        "Sinusite sphénoïdale pouvant expliquer les céphalées.",
        "Conclusion :\nexamen normal.",
        "Hypothèse d'une thrombose veineuse à éliminer.",
        "« Guillemets », émoji 🧠 et tabulation\tici.",
    ]
    draw = random.Random(19)
    odd = ["", "   ", "?", "x" * 5000, "céphalées " * 300]
    return odd + [
        " ".join(draw.sample(phrases, draw.randint(1, 6))) for _ in range(n - len(odd))
    ]


def test_a_thousand_reports_give_schema_valid_answers_at_the_first_try(server, schema):
    texts = reports(1000)
    asked = stats(server)["chat_requests"]  # other tests may share the server
    start = time.perf_counter()
    extractions = LlmBackend(server).extract(schema, texts)
    elapsed = time.perf_counter() - start
    print(f"1,000 reports in {elapsed:.2f} s")
    assert len(extractions) == 1000
    assert stats(server)["chat_requests"] - asked == 1000  # none needed a retry
    for text, extraction in zip(texts, extractions, strict=True):
        assert schema.problems(extraction.fields) == []
        assert extraction.fields == schema.resolve(extraction.fields)
        for name, (begin, end) in extraction.evidence.items():
            assert extraction.fields[name] is not None
            assert 0 <= begin < end <= len(text)
    assert sum(e.fields["contrast"] is True for e in extractions) > 100
    assert sum(e.fields["contrast"] is False for e in extractions) > 100


def test_each_report_is_one_strict_json_schema_request_at_temperature_zero(
    server, schema
):
    backend = LlmBackend(server)
    backend.extract(schema, [REPORT])
    request = stats(server)["last"]
    assert (backend.name, backend.model, backend.prompt_version) == (
        "llm",
        "entrepot-tiny-nb-1",
        "extract.v1",
    )
    assert (request["model"], request["temperature"], request["seed"]) == (
        "entrepot-tiny-nb-1",
        0,
        0,
    )
    expected = request["response_format"]["json_schema"]
    assert request["max_tokens"] == 1024
    assert request["response_format"]["type"] == "json_schema"
    assert (expected["name"], expected["strict"]) == ("brain_mri", True)
    assert expected["schema"]["properties"]["fields"] == schema.json_schema()
    assert expected["schema"]["required"] == ["fields", "evidence"]
    system, user = request["messages"]
    assert "IRM cérébrale en urgence" in system["content"]
    assert schema.field("contrast").definition in system["content"]
    assert "Seulement si headache = true et abnormal = true" in system["content"]
    assert user["content"].endswith(REPORT)
    assert LlmBackend(server, model="vicuna-13b").model == "vicuna-13b"


def test_evidence_offsets_point_at_the_quoted_text(server, schema):
    backend = LlmBackend(server)
    [extraction] = backend.extract(schema, [REPORT])
    assert extraction.fields == {
        "headache": True,
        "contrast": True,
        "abnormal": True,
        "explains_headache": True,
    }
    quoted = {name: REPORT[a:b] for name, (a, b) in extraction.evidence.items()}
    assert quoted == {
        "headache": "Indication : céphalées brutales depuis hier soir.",
        "contrast": "Technique : séquences T1, T2, FLAIR, après injection de gadolinium.",
        "abnormal": "Résultat : thrombose du sinus latéral droit, expliquant les céphalées.",
        "explains_headache": (
            "Résultat : thrombose du sinus latéral droit, expliquant les céphalées."
        ),
    }
    record = output_record("cr-1", extraction, schema, backend)
    assert record["evidence"]["contrast"] == [50, 117]
    assert (record["backend"], record["prompt_version"]) == ("llm", "extract.v1")


def test_a_quote_is_found_despite_case_and_spacing_and_dropped_when_absent():
    text = "Résultat :  Thrombose du sinus\nlatéral droit."
    assert locate("thrombose du sinus latéral", text) == (12, 38)
    assert locate("Thrombose du sinus", text) == (12, 30)
    assert locate("hémorragie méningée", text) is None
    assert locate("  ", text) is None


@pytest.mark.parametrize(
    "flags", [["--invalid", "1", "--wrong", "1"], ["--wrong", "2"]]
)
def test_bad_answers_are_asked_again(schema, flags):
    with serving(*flags) as url:
        [extraction] = LlmBackend(url, retries=2).extract(schema, [REPORT])
        assert stats(url)["chat_requests"] == 3
    assert extraction.fields["contrast"] is True


@pytest.mark.parametrize(
    ("flag", "problem"),
    [
        ("--invalid", "not JSON (Unterminated string"),
        (
            "--wrong",
            "missing field 'contrast'; missing field 'abnormal'; "
            "missing field 'explains_headache'; headache: 'peut-être' is not a valid boolean",
        ),
    ],
)
def test_still_bad_after_the_retries_is_an_error_naming_the_document(
    schema, flag, problem
):
    with serving(flag, "9") as url:
        backend = LlmBackend(url, retries=1)
        with pytest.raises(ExtractionError) as error:
            backend.extract(schema, [REPORT], ids=["cr-7"])
        message = str(error.value)
        assert message.startswith(
            f"document cr-7: the model at {url} gave no valid answer in 2 tries: "
            + problem
        )
        assert "\n" not in message
        assert stats(url)["chat_requests"] == 2


def test_a_slow_server_times_out(schema):
    with serving("--sleep", "5") as url:
        backend = LlmBackend(url, timeout=0.3)
        start = time.perf_counter()
        with pytest.raises(ExtractionError) as error:
            backend.extract(schema, [REPORT])
        assert time.perf_counter() - start < 2
    assert str(error.value) == (
        f"{url}/chat/completions: no answer within 0.3 s (timeout)"
    )


def test_a_server_that_fails_gives_its_status(schema):
    with serving("--status", "503") as url:
        with pytest.raises(ExtractionError) as error:
            LlmBackend(url).extract(schema, [REPORT])
    assert str(error.value) == (
        f"{url}/chat/completions: HTTP 503 Service Unavailable: "
        '{"error": {"message": "the model is overloaded"}}'
    )


def test_a_server_that_is_down_is_named(schema):
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{free.getsockname()[1]}/v1"
    with pytest.raises(ExtractionError, match=rf"^{url}/models: .*refused"):
        LlmBackend(url)
    backend = LlmBackend(url, model="vicuna-13b")
    with pytest.raises(ExtractionError, match=rf"^{url}/chat/completions: .*refused"):
        backend.extract(schema, [REPORT])


def test_a_prompt_file_is_versioned_by_its_name(server, schema, tmp_path):
    shipped = (
        Path(__file__).parents[2] / "entrepot/data/extraction/prompts/extract.v1.md"
    )
    mine = tmp_path / "irm.v2.md"
    mine.write_text(shipped.read_text().replace("Tu es un médecin", "Tu es radiologue"))
    backend = LlmBackend(server, prompt=mine)
    backend.extract(schema, [REPORT])
    assert backend.prompt_version == "irm.v2"
    assert stats(server)["last"]["messages"][0]["content"].startswith(
        "Tu es radiologue"
    )
    (tmp_path / "irm.md").write_text("## system\n")
    with pytest.raises(
        ExtractionError, match=r"irm\.md: a prompt file is named NAME\.vN\.md"
    ):
        LlmBackend(server, prompt=tmp_path / "irm.md")
    (tmp_path / "irm.v3.md").write_text("## system\nTu lis.\n")
    with pytest.raises(
        ExtractionError, match=r"irm\.v3\.md: a prompt has a '## system'"
    ):
        LlmBackend(server, prompt=tmp_path / "irm.v3.md")


def test_every_kind_of_field_is_described_and_answered_within_the_schema(
    server, tmp_path
):
    path = tmp_path / "bilan.yaml"
    path.write_text(
        "name: bilan\nversion: '2'\ntitle: Bilan biologique\nfields:\n"
        "  - {name: sex, type: enum, values: [F, M], definition: Le sexe.}\n"
        "  - {name: creatinine, type: number, unit: µmol/L, definition: La créatinine.}\n"
        "  - {name: sampled, type: date, definition: Le jour du prélèvement.}\n"
        "  - {name: comment, type: text, definition: Le commentaire.}\n"
    )
    schema = load_schema(path)
    texts = ["Créatinine 80 µmol/L le 2024-01-02.", ""]
    extractions = LlmBackend(server).extract(schema, texts)
    assert [e.fields for e in extractions] == [dict.fromkeys(schema.names)] * 2
    system = stats(server)["last"]["messages"][0]["content"]
    assert "Bilan biologique" in system
    for line in [
        "- `sex` (une valeur parmi : F, M) : Le sexe.",
        "- `creatinine` (un nombre, en µmol/L) : La créatinine.",
        "- `sampled` (une date AAAA-MM-JJ) : Le jour du prélèvement.",
        "- `comment` (un texte court) : Le commentaire.",
    ]:
        assert line in system.splitlines()


def test_a_gateway_key_is_sent_from_the_environment_and_never_shown(
    schema, monkeypatch
):
    with serving("--key", "s3cret-key") as url:
        with pytest.raises(ExtractionError) as error:
            LlmBackend(url)
        assert str(error.value) == (
            f'{url}/models: HTTP 401 Unauthorized: {{"error": {{"message": '
            '"invalid API key"}}'
        )
        monkeypatch.setenv("ENTREPOT_LLM_API_KEY", "s3cret-key")
        [extraction] = LlmBackend(url).extract(schema, [REPORT])
        assert extraction.fields["headache"] is True
        monkeypatch.delenv("ENTREPOT_LLM_API_KEY")
        backend = LlmBackend(url, model="m", api_key="wrong")
        with pytest.raises(ExtractionError, match="HTTP 401") as error:
            backend.extract(schema, [REPORT])
        assert "wrong" not in str(error.value)
