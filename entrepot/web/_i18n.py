"""The web app's languages: French by default, English on request.

One message catalogue per language (`messages/fr.json`, `messages/en.json`,
the same keys) holds every visible string of the pages: the templates call
`t(key, **params)`, and each page hands the catalogue to its script as JSON.
The language is `?lang=` (then kept in the `lang` cookie), else the cookie,
else the first language of Accept-Language the app speaks, else French.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import cache
from pathlib import Path

from fastapi import Request

LANGUAGES = ("fr", "en")
DEFAULT = "fr"
COOKIE = "lang"
MESSAGES = Path(__file__).parent / "messages"


@cache
def catalogue(lang: str) -> dict[str, str]:
    """The messages of one language: key -> text with `{name}` placeholders."""
    return json.loads((MESSAGES / f"{lang}.json").read_text("utf-8"))


def translator(lang: str) -> Callable[..., str]:
    """`t(key, **params)` in `lang` (an unknown key is a bug: KeyError)."""
    messages = catalogue(lang)

    def t(key: str, **params) -> str:
        return messages[key].format(**params)

    return t


def asked(request: Request) -> str | None:
    """The language chosen by `?lang=`, when it is one the app speaks."""
    lang = request.query_params.get("lang")
    return lang if lang in LANGUAGES else None


def language(request: Request) -> str:
    """`?lang=`, else the `lang` cookie, else Accept-Language, else French."""
    cookie = request.cookies.get(COOKIE)
    return (
        asked(request)
        or (cookie if cookie in LANGUAGES else None)
        or (_accepted(request.headers.get("accept-language", "")))
    )


def _accepted(header: str) -> str:
    """The first language of an Accept-Language header (by its q weights)
    that the app speaks: `en-GB,en;q=0.8` -> en; none -> French."""
    ranked = []
    for i, part in enumerate(header.split(",")):
        tag, *params = part.strip().split(";")
        weight = 1.0
        for param in params:
            name, _, value = param.strip().partition("=")
            if name == "q":
                try:
                    weight = float(value)
                except ValueError:
                    weight = 0.0
        ranked.append((-weight, i, tag.strip().lower().split("-")[0]))
    for weight, _, lang in sorted(ranked):
        if weight < 0 and lang in LANGUAGES:
            return lang
    return DEFAULT
