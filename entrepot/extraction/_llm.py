"""The llm backend: a hospital's own model behind an OpenAI-compatible endpoint.

Any server that speaks OpenAI's chat completions (llama.cpp's server, vLLM, a
gateway) and constrains its output to a JSON schema. The model answers, per
report, every field's value and a short verbatim quote for it; the quote is
found in the report to give the evidence offsets (a quote not found there is
dropped). Every answer is checked against the schema and retried a bounded
number of times; a server that is down, slow or answers badly gives a one-line
`ExtractionError`.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from importlib.resources import files
from pathlib import Path
from string import Template

import httpx

from entrepot.errors import ExtractionError, first_line
from entrepot.extraction._result import Extraction
from entrepot.extraction._schema import Schema, SchemaField

PROMPTS = files("entrepot.data.extraction") / "prompts"
DEFAULT_PROMPT = "extract.v1.md"
_PROMPT_NAME = re.compile(r"^[a-z0-9_]+\.v\d+\.md$")
_KINDS = {
    "boolean": "vrai ou faux",
    "number": "un nombre",
    "date": "une date AAAA-MM-JJ",
    "text": "un texte court",
}


class Prompt:
    """A versioned prompt file (`NAME.vN.md`): a system part and a user part.

    Its version is its file name without `.md` (`extract.v1`): a changed
    prompt is a new file, so each output names the prompt that produced it.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        source = Path(str(PROMPTS / DEFAULT_PROMPT)) if path is None else Path(path)
        if not _PROMPT_NAME.match(source.name):
            raise ExtractionError(
                f"{source}: a prompt file is named NAME.vN.md (its version)"
            )
        try:
            text = source.read_text(encoding="utf-8")
        except OSError as e:
            raise ExtractionError(f"{source}: cannot read: {e.strerror}") from e
        parts = re.split(r"^## (system|user)\s*$", text, flags=re.M)
        sections = dict(zip(parts[1::2], parts[2::2], strict=True))
        if set(sections) != {"system", "user"} or "$report" not in sections["user"]:
            raise ExtractionError(
                f"{source}: a prompt has a '## system' and a '## user' part, "
                "the user part holding $report"
            )
        self.version = source.name.removesuffix(".md")
        self.system = Template(sections["system"].strip())
        self.user = Template(sections["user"].strip())

    def messages(self, schema: Schema, report: str) -> list[dict]:
        """The chat messages asking for one report's fields."""
        fields = "\n".join(_describe(f) for f in schema.fields)
        return [
            {
                "role": "system",
                "content": self.system.safe_substitute(
                    title=schema.title, fields=fields
                ),
            },
            {"role": "user", "content": self.user.safe_substitute(report=report)},
        ]


def _describe(field: SchemaField) -> str:
    """One field's line in the prompt: name, kind, definition, dependency."""
    if field.type == "enum":
        kind = "une valeur parmi : " + ", ".join(field.values or ())
    elif field.type == "number" and field.unit:
        kind = f"un nombre, en {field.unit}"
    else:
        kind = _KINDS[field.type]
    when = ""
    if field.when:
        conditions = " et ".join(
            f"{name} = {json.dumps(value, ensure_ascii=False)}"
            for name, value in field.when.items()
        )
        when = f" Seulement si {conditions} ; sinon null."
    return f"- `{field.name}` ({kind}) : {field.definition}{when}"


def answer_schema(schema: Schema) -> dict:
    """The JSON schema of one answer: the fields, and a verbatim quote for each."""
    quotes = {
        name: {
            "type": ["string", "null"],
            "description": f"citation exacte du compte rendu qui justifie {name}",
        }
        for name in schema.names
    }
    return {
        "type": "object",
        "properties": {
            "fields": schema.json_schema(),
            "evidence": {
                "type": "object",
                "properties": quotes,
                "required": list(schema.names),
                "additionalProperties": False,
            },
        },
        "required": ["fields", "evidence"],
        "additionalProperties": False,
    }


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Where a quote lies in the text: verbatim, else ignoring case and spacing."""
    quote = quote.strip()
    if not quote:
        return None
    start = text.find(quote)
    if start >= 0:
        return start, start + len(quote)
    words = quote.split()
    found = re.search(r"\s+".join(map(re.escape, words)), text, flags=re.I)
    return found.span() if found else None


class LlmBackend:
    """Fields read by a language model served behind an OpenAI-compatible URL.

    `url` is the API's base (`http://127.0.0.1:8080/v1`); `model` is the
    served model's id, asked of the server (`GET {url}/models`) when not
    given. Each report is one chat completion at temperature 0 with a fixed
    seed, its output constrained to the answer's JSON schema; an answer that
    is not valid JSON or not valid against the schema is asked again, up to
    `retries` more times. `concurrency` requests run at once. A gateway's
    key, `api_key` or else `$ENTREPOT_LLM_API_KEY`, is sent as a bearer token.
    """

    name = "llm"

    def __init__(
        self,
        url: str,
        model: str | None = None,
        *,
        timeout: float = 60.0,
        retries: int = 2,
        concurrency: int = 4,
        max_tokens: int = 1024,
        prompt: str | Path | None = None,
        api_key: str | None = None,
    ) -> None:
        self.url = url.rstrip("/")
        self.retries = retries
        self.concurrency = concurrency
        self.max_tokens = max_tokens
        self._prompt = Prompt(prompt)
        self.prompt_version = self._prompt.version
        key = api_key or os.environ.get("ENTREPOT_LLM_API_KEY")
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self._client = httpx.Client(timeout=timeout, headers=headers)
        self.model = model or self._served_model()

    def _request(self, method: str, path: str, **kwargs) -> dict:
        """One call to the server; anything but a JSON answer is one line naming the URL."""
        url = f"{self.url}{path}"
        try:
            response = self._client.request(method, url, **kwargs)
        except httpx.TimeoutException:
            timeout = self._client.timeout.read
            raise ExtractionError(
                f"{url}: no answer within {timeout:g} s (timeout)"
            ) from None
        except httpx.HTTPError as e:
            raise ExtractionError(f"{url}: {first_line(e)}") from None
        if response.is_error:
            detail = response.text.strip()[:200]
            detail = detail.splitlines()[0] if detail else ""
            raise ExtractionError(
                f"{url}: HTTP {response.status_code} {response.reason_phrase}"
                + (f": {detail}" if detail else "")
            )
        try:
            return response.json()
        except ValueError:
            raise ExtractionError(f"{url}: the server's answer is not JSON") from None

    def _served_model(self) -> str:
        answer = self._request("GET", "/models")
        try:
            return str(answer["data"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise ExtractionError(
                f"{self.url}/models: names no model; give the model's name"
            ) from None

    def extract(
        self,
        schema: Schema,
        texts: Sequence[str],
        ids: Sequence[object] | None = None,
    ) -> list[Extraction]:
        """One extraction per text, in order; errors name a document by its id
        in `ids`, or else by its position (from 1)."""
        names = list(ids) if ids is not None else list(range(1, len(texts) + 1))
        body = {
            "model": self.model,
            "temperature": 0,
            "seed": 0,
            "max_tokens": self.max_tokens,
            "response_format": {
                "type": "json_schema",
                "json_schema": {
                    "name": schema.name,
                    "schema": answer_schema(schema),
                    "strict": True,
                },
            },
        }
        with ThreadPoolExecutor(self.concurrency) as pool:
            jobs = [
                pool.submit(self._extract_one, schema, body, text, name)
                for text, name in zip(texts, names, strict=True)
            ]
            try:
                return [job.result() for job in jobs]
            finally:
                for job in jobs:
                    job.cancel()

    def _extract_one(
        self, schema: Schema, body: dict, text: str, doc: object
    ) -> Extraction:
        request = {**body, "messages": self._prompt.messages(schema, text)}
        problem = ""
        for _ in range(self.retries + 1):
            answer = self._request("POST", "/chat/completions", json=request)
            try:
                content = answer["choices"][0]["message"]["content"]
            except (KeyError, IndexError, TypeError):
                problem = "no choices[0].message.content in the answer"
                continue
            values, quotes, problem = _parse(schema, content)
            if not problem:
                return _extraction(schema, values, quotes, text)
        raise ExtractionError(
            f"document {doc}: the model at {self.url} gave no valid answer "
            f"in {self.retries + 1} tries: {problem}"
        )


def _parse(schema: Schema, content: object) -> tuple[dict, dict, str]:
    """An answer's fields and quotes, or why it is not a valid answer."""
    try:
        answer = json.loads(content) if isinstance(content, str) else None
    except ValueError as e:
        return {}, {}, f"not JSON ({e})"
    if not isinstance(answer, dict) or not isinstance(answer.get("fields"), dict):
        return {}, {}, "not an object with 'fields'"
    values, quotes = answer["fields"], answer.get("evidence") or {}
    problems = schema.problems(values)
    if not isinstance(quotes, dict):
        problems.append("'evidence' is not an object")
    if problems:
        return {}, {}, "; ".join(problems)
    return values, quotes, ""


def _extraction(schema: Schema, values: dict, quotes: dict, text: str) -> Extraction:
    """The resolved fields, with the offsets of each quote found in the text."""
    fields = schema.resolve(values)
    evidence = {
        name: span
        for name, value in fields.items()
        if value is not None
        and isinstance(quote := quotes.get(name), str)
        and (span := locate(quote, text))
    }
    return Extraction(fields, evidence)
