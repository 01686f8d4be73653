"""The web app speaks French by default and English on request, from one
message catalogue: every visible string of the templates and scripts is in it,
in both languages."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path

import pytest

import entrepot.web
from entrepot.web._errors import CODES

WEB = Path(entrepot.web.__file__).parent
CATALOGUES = {lang: json.loads((WEB / "messages" / f"{lang}.json").read_text("utf-8"))
              for lang in ("fr", "en")}  # fmt: skip
FR, EN = CATALOGUES["fr"], CATALOGUES["en"]
TEMPLATES = sorted((WEB / "templates").glob("*.html"))
SCRIPTS = sorted((WEB / "static").glob("*.js"))
RENDER = WEB / "pages" / "__init__.py"  # a page's title is its `page.` message
ERRORS = WEB / "_errors.py"  # an error's message is its `error.code.` message
#: Keys built from a prefix and a value: the values each family takes.
FAMILIES = {
    "page.": ["overview", "cohorts", "subgroups", "search", "extractions",
              "prescription", "admin", "login", "patient", "error", "slide", "deaths", "network",
              "datathon", "datathon_instructor", "requests", "office",
              "cohort_patients", "quality", "model_report"],
    "network.state.": ["pending", "accepted", "refused", "done"],
    "error.code.": sorted(CODES.values()),
    "quality.category.": ["conformance", "completeness", "plausibility"],
    "quality.status.": ["pass", "fail", "error", "not_applicable"],
    "nav.": ["overview", "office", "cohorts", "subgroups", "search", "extractions",
             "prescription", "admin", "mapping", "requests"],
    "lang.": ["fr", "en"],
    "phase.": ["open", "blind", "closed"],
    "role.": ["researcher", "viewer", "data_engineer", "admin", "data_office"],
    "rq.state.": ["pending", "approved", "refused", "produced"],
    "rq.event.": ["requested", "amended", "approved", "refused", "produced"],
    "legal.": ["MR-004", "MR-001", "MR-003", "CNIL", "consent"],
    "of.field.": ["start", "end", "domains", "cohort_id", "members", "summary",
                  "legal_basis"],
    "sex.": ["female", "male"],
    "domain.": ["condition", "drug", "measurement", "procedure", "observation",
                "visit", "death", "note_mention", "condition_era", "drug_era"],
    "lb.domain.": ["condition", "drug", "measurement", "procedure", "observation", "visit",
                   "visit_detail", "death", "note_mention", "condition_era", "drug_era",
                   "cohort"],
    "lb.group.": ["all", "any", "at_least", "at_most"],
}  # fmt: skip
#: Text a template may show as it is in every language: names and codes, and
#: French examples of what to type.
AS_IS = {"entrepot", "CIM-10", "ATC", "LOINC"}
EXAMPLES = {
    "diabète de type 2 sous metformine",
    "diabète, E11, metformine…",
    'sclérodermie, "insuffisance cardiaque", lupus NOT cutané',
    "KARDEGIC 75 mg, poudre\nsimvastatine 20 mg\nclarithromycine 500 mg",
    "login, authorise., user.",
}
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_both_catalogues_have_the_same_keys_and_placeholders():
    assert FR.keys() == EN.keys()
    for key in FR:
        assert FR[key] and EN[key], key
        assert _placeholders(FR[key]) == _placeholders(EN[key]), key


def _used(path: Path) -> set[str]:
    """The keys a template or script asks for (families in full)."""
    text = path.read_text("utf-8")
    keys = set(re.findall(r"""\bt\(\s*["']([a-z0-9_.]*[a-z0-9_])["']""", text))
    for prefix, values in FAMILIES.items():
        dotted = re.escape(prefix)
        if re.search(rf"""["'`]{dotted}(["']?\s*[~+]|\$?\{{)""", text):
            keys |= {prefix + v for v in values}
    return keys


@pytest.mark.parametrize("path", TEMPLATES + SCRIPTS, ids=lambda p: p.name)
def test_every_key_a_page_uses_is_in_the_catalogue(path):
    used = _used(path)
    assert used, f"{path.name} shows no message of the catalogue"
    assert used - FR.keys() == set()


def test_every_message_is_used():
    used = set().union(*(_used(p) for p in [*TEMPLATES, *SCRIPTS, RENDER, ERRORS]))
    assert FR.keys() - used == set()


def _visible(html: str) -> list[str]:
    """What a template shows that is not a message: text between tags, and
    the values of attributes people read."""
    html = JINJA.sub(" ", html)
    html = re.sub(r"<script\b.*?</script>", " ", html, flags=re.S)
    shown = re.findall(
        r"""\b(?:placeholder|aria-label|title|alt)=(["'])(.*?)\1""", html, re.S
    )
    texts = [value for _, value in shown]
    texts += re.sub(r"<[^>]*>", "\n", html).split("\n")
    return [t.strip() for t in texts if t.strip()]


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_a_template_shows_no_text_outside_the_catalogue(path):
    left = [text for text in _visible(path.read_text("utf-8"))
            if text not in EXAMPLES and re.search(r"[A-Za-z]", text)
            and set(re.sub(r"[·–#]", " ", text).split()) - AS_IS]  # fmt: skip
    assert left == []


def test_pages_are_french_by_default(server):
    with server.client() as anonymous:
        page = anonymous.get("/login")
    assert page.status_code == 200
    assert '<html lang="fr">' in page.text
    assert "Se connecter" in page.text and "Mot de passe" in page.text
    assert "Log in" not in page.text
    with server.client("rita") as rita:
        home = rita.get("/")
        search = rita.get("/search")
        cohorts = rita.get("/cohorts", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    for label in ("Vue d'ensemble", "Cohortes", "Recherche", "Se déconnecter"):
        assert label in home.text.replace("&#39;", "'")
    assert ">Rechercher</button>" in search.text
    assert (
        "Construire une cohorte" in cohorts.text and ">Compter</button>" in cohorts.text
    )


def test_the_script_gets_the_page_language_catalogue(server):
    with server.client("rita") as rita:
        fr = rita.get("/cohorts").text
        en = rita.get("/cohorts", params={"lang": "en"}).text
    for text, catalogue in ((fr, FR), (en, EN)):
        block = re.search(
            r'<script type="application/json" id="entrepot-messages">(.*?)</script>',
            text,
            re.S,
        )
        assert json.loads(block.group(1)) == catalogue


@pytest.mark.parametrize(
    ("header", "lang"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("de-DE,en;q=0.8,fr;q=0.5", "en"),
        ("de-DE,fr;q=0.8,en;q=0.5", "fr"),
        ("fr-CA", "fr"),
        ("de, es;q=0.5", "fr"),
        ("en;q=0, fr;q=0.1", "fr"),
        ("", "fr"),
    ],
)
def test_accept_language_chooses_among_the_languages_spoken(server, header, lang):
    with server.client() as anonymous:
        page = anonymous.get("/login", headers={"Accept-Language": header})
    assert f'<html lang="{lang}">' in page.text
    assert {"fr": "Se connecter", "en": "Log in"}[lang] in page.text


def test_lang_in_the_address_is_kept_in_a_cookie(server):
    with server.client() as browser:
        english = browser.get("/login", params={"lang": "en"})
        assert english.cookies.get("lang") == "en"
        assert "Log in" in english.text and "Se connecter" not in english.text
        assert 'href="/login?lang=fr"' in english.text  # the way back
        again = browser.get("/login", headers={"Accept-Language": "fr"})
        assert "Log in" in again.text  # the cookie wins over the browser's language
        browser.get("/login", params={"lang": "fr"})
        assert "Se connecter" in browser.get("/login").text
        ignored = browser.get("/login", params={"lang": "xx"})
    assert ignored.status_code == 200 and "Se connecter" in ignored.text


def test_a_failed_login_is_said_in_the_page_language(server):
    with server.client() as browser:
        page = browser.post(
            "/login",
            data={"username": "rita", "password": "wrong"},
            headers={"Origin": server.url},
        )
    assert page.status_code == 401
    assert FR["login.failed"] in page.text
