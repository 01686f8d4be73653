"""A tiny language model behind an OpenAI-compatible server, for the llm backend's tests.

No model weights can be downloaded here, so this file is the model: a naive
Bayes classifier per brain MRI field (true, false, or not about it), trained at
start-up on the labelled sentences below (written for this file). For each
field it picks the report's sentence it is surest about, and proposes that
value with the sentence as its quote. The proposal is then generated under the
request's `response_format` JSON schema: every value the schema does not allow
becomes null (or the type's first value), so the answer is valid against it.

It serves `GET /v1/models`, `POST /v1/chat/completions` and `GET /stats` (the
number of completions asked and the last request) on loopback, prints its port
on the first line of stdout, and can be told to misbehave: `--invalid N`
(the first N answers are not JSON), `--wrong N` (the first N are JSON but not
valid against the schema), `--sleep S` (each completion waits S seconds) and
`--status CODE` (every completion fails with that HTTP status); `--key KEY`
makes it answer only requests that carry `Authorization: Bearer KEY`.

    python tests/extraction/tiny_llm_server.py [--port 0] [--invalid N] ...
"""

from __future__ import annotations

import argparse
import json
import math
import re
import threading
import time
import unicodedata
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MODEL_ID = "entrepot-tiny-nb-1"
T, F = "true", "false"

# (sentence, {field: label}); a field a sentence does not speak of is "other".
SENTENCES: list[tuple[str, dict[str, str]]] = [
    ("Céphalées brutales depuis ce matin.", {"headache": T}),
    ("Patient adressé pour céphalée inhabituelle.", {"headache": T}),
    ("Indication : céphalées intenses résistantes au traitement.", {"headache": T}),
    ("Contexte de maux de tête persistants.", {"headache": T}),
    ("Céphalée en coup de tonnerre.", {"headache": T}),
    ("Bilan de céphalées chroniques d'aggravation récente.", {"headache": T}),
    ("Mal de tête brutal à l'effort.", {"headache": T}),
    ("Pas de céphalée.", {"headache": F}),
    ("Absence de céphalées.", {"headache": F}),
    ("Indication : crise convulsive inaugurale, sans céphalée.", {"headache": F}),
    ("Patient ne se plaignant pas de maux de tête.", {"headache": F}),
    ("Indication : déficit moteur du membre supérieur droit.", {"headache": F}),
    ("Bilan de vertiges isolés.", {"headache": F}),
    ("Injection de gadolinium.", {"contrast": T}),
    ("Séquences après injection de produit de contraste.", {"contrast": T}),
    ("T1 après gadolinium.", {"contrast": T}),
    ("Examen avec injection intraveineuse de chélate de gadolinium.", {"contrast": T}),
    ("Séquence T1 injectée 3D.", {"contrast": T}),
    ("Examen réalisé sans injection.", {"contrast": F}),
    ("Pas d'injection de produit de contraste.", {"contrast": F}),
    ("Séquences sans gadolinium.", {"contrast": F}),
    ("Injection non réalisée en raison d'une insuffisance rénale.", {"contrast": F}),
    ("Protocole sans injection de contraste.", {"contrast": F}),
    ("Hématome intraparenchymateux frontal droit.", {"abnormal": T}),
    ("Thrombose du sinus latéral gauche.", {"abnormal": T}),
    ("Hémorragie sous-arachnoïdienne de la convexité.", {"abnormal": T}),
    ("Lésion tumorale temporale avec effet de masse.", {"abnormal": T}),
    ("Hypersignaux de la substance blanche.", {"abnormal": T}),
    ("Comblement du sinus maxillaire gauche.", {"abnormal": T}),
    ("Anévrisme de l'artère communicante antérieure.", {"abnormal": T}),
    ("Ischémie récente sylvienne gauche.", {"abnormal": T}),
    ("IRM cérébrale normale.", {"abnormal": F}),
    ("Examen dans les limites de la normale.", {"abnormal": F}),
    ("Pas d'anomalie intracrânienne.", {"abnormal": F}),
    ("Absence de lésion parenchymateuse.", {"abnormal": F}),
    ("Pas de saignement, pas d'effet de masse.", {"abnormal": F}),
    ("Structures médianes en place.", {"abnormal": F}),
    ("Système ventriculaire de taille normale.", {"abnormal": F}),
    (
        "Thrombose veineuse cérébrale expliquant les céphalées.",
        {"abnormal": T, "explains_headache": T},
    ),
    (
        "Hémorragie sous-arachnoïdienne compatible avec la céphalée brutale.",
        {"abnormal": T, "explains_headache": T},
    ),
    (
        "Sinusite pouvant expliquer les céphalées.",
        {"abnormal": T, "explains_headache": T},
    ),
    (
        "Processus expansif avec effet de masse rendant compte des symptômes.",
        {"abnormal": T, "explains_headache": T},
    ),
    ("Anomalie fortuite sans rapport avec les céphalées.", {"explains_headache": F}),
    (
        "Kyste arachnoïdien de découverte fortuite.",
        {"abnormal": T, "explains_headache": F},
    ),
    (
        "Hypersignaux aspécifiques de la substance blanche, sans lien avec les symptômes.",
        {"abnormal": T, "explains_headache": F},
    ),
    ("Aucune cause aux céphalées n'est retrouvée.", {"explains_headache": F}),
]
FIELDS = sorted({name for _, labels in SENTENCES for name in labels})


def features(sentence: str) -> list[str]:
    """Folded words and word pairs (pairs keep "pas de", "sans injection")."""
    folded = unicodedata.normalize("NFKD", sentence.lower())
    words = re.findall(r"[a-z0-9]+", folded.encode("ascii", "ignore").decode())
    return words + [f"{a}_{b}" for a, b in zip(words, words[1:], strict=False)]


class NaiveBayes:
    """Multinomial naive Bayes with add-one smoothing, one per field."""

    def __init__(self, examples: list[tuple[list[str], str]]) -> None:
        self.classes = sorted({label for _, label in examples})
        self.counts = {c: Counter() for c in self.classes}
        docs = Counter(label for _, label in examples)
        for words, label in examples:
            self.counts[label].update(words)
        self.vocabulary = set().union(*self.counts.values())
        self.prior = {c: math.log(docs[c] / len(examples)) for c in self.classes}
        self.total = {c: sum(self.counts[c].values()) for c in self.classes}

    def posterior(self, words: list[str]) -> dict[str, float]:
        logs = {
            c: self.prior[c]
            + sum(
                math.log(
                    (self.counts[c][w] + 1) / (self.total[c] + len(self.vocabulary))
                )
                for w in words
                if w in self.vocabulary
            )
            for c in self.classes
        }
        top = max(logs.values())
        exp = {c: math.exp(v - top) for c, v in logs.items()}
        return {c: v / sum(exp.values()) for c, v in exp.items()}


MODELS = {
    name: NaiveBayes(
        [(features(text), labels.get(name, "other")) for text, labels in SENTENCES]
    )
    for name in FIELDS
}


def propose(text: str) -> dict:
    """The model's answer before the schema's constraint: values and quotes."""
    sentences = [s.strip() for s in re.split(r"(?<=[.!?;])\s+|\n+", text) if s.strip()]
    fields, quotes = {}, {}
    for name, model in MODELS.items():
        best = max(
            ((model.posterior(features(s)), s) for s in sentences),
            key=lambda scored: max(scored[0][T], scored[0][F]),
            default=None,
        )
        if best and max(best[0][T], best[0][F]) > 0.5:
            fields[name] = best[0][T] > best[0][F]
            quotes[name] = best[1]
    return {"fields": fields, "evidence": quotes}


def constrain(node: dict, proposal: object) -> object:
    """The proposal made valid against a JSON schema node, as constrained decoding does."""
    if "enum" in node:
        allowed = node["enum"]
        return proposal if proposal in allowed else allowed[0]
    types = node.get("type", [])
    types = [types] if isinstance(types, str) else types
    if "object" in types:
        given = proposal if isinstance(proposal, dict) else {}
        return {k: constrain(v, given.get(k)) for k, v in node["properties"].items()}
    kind = {type(None): "null", bool: "boolean", str: "string"}.get(
        type(proposal), "number"
    )
    pattern = node.get("pattern")
    if kind in types and not (
        kind == "string" and pattern and not re.search(pattern, proposal)
    ):
        return proposal
    if "null" in types:
        return None
    return {"boolean": False, "number": 0, "integer": 0, "string": ""}[types[0]]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body leave at once
    server: TinyServer

    def log_message(self, *args) -> None:  # quiet
        pass

    def _send(self, status: int, payload: object) -> None:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _refused(self) -> bool:
        """Without the key the server was given, 401 (as a gateway would)."""
        key = self.server.options.key
        if key and self.headers.get("Authorization") != f"Bearer {key}":
            self._send(401, {"error": {"message": "invalid API key"}})
            return True
        return False

    def do_GET(self) -> None:
        if self._refused():
            return
        if self.path == "/v1/models":
            self._send(
                200, {"object": "list", "data": [{"id": MODEL_ID, "object": "model"}]}
            )
        elif self.path == "/stats":
            with self.server.lock:
                self._send(
                    200, {"chat_requests": self.server.asked, "last": self.server.last}
                )
        else:
            self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self._refused():
            return
        if self.path != "/v1/chat/completions":
            self._send(404, {"error": {"message": f"no route {self.path}"}})
            return
        options = self.server.options
        with self.server.lock:
            self.server.asked += 1
            nth, self.server.last = self.server.asked, request
        time.sleep(options.sleep)
        if options.status:
            self._send(
                options.status, {"error": {"message": "the model is overloaded"}}
            )
            return
        report = request["messages"][-1]["content"]
        answer = propose(report)
        response_format = request.get("response_format") or {}
        if response_format.get("type") == "json_schema":
            answer = constrain(response_format["json_schema"]["schema"], answer)
        content = json.dumps(answer, ensure_ascii=False)
        if nth <= options.invalid:
            content = content[: len(content) // 2]
        elif nth <= options.invalid + options.wrong:
            content = json.dumps({"fields": {"headache": "peut-être"}, "evidence": {}})
        self._send(
            200,
            {
                "id": f"chatcmpl-{nth}",
                "object": "chat.completion",
                "model": MODEL_ID,
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": content},
                        "finish_reason": "stop",
                    }
                ],
            },
        )


class TinyServer(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 64

    def __init__(self, port: int, options: argparse.Namespace) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.options = options
        self.lock = threading.Lock()
        self.asked = 0
        self.last: dict | None = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--invalid", type=int, default=0)
    parser.add_argument("--wrong", type=int, default=0)
    parser.add_argument("--sleep", type=float, default=0.0)
    parser.add_argument("--status", type=int, default=0)
    parser.add_argument("--key", default="")
    options = parser.parse_args()
    server = TinyServer(options.port, options)
    print(server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
