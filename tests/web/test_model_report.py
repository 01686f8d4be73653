"""The model report page: a project's trained model, its TRIPOD+AI report,
over a real HTTP server, for the project's users only."""

from __future__ import annotations

import shutil
from html.parser import HTMLParser

import pytest

from tests.web.accessibility import assert_accessible


@pytest.fixture(scope="module")
def served_model(server, planted_model):
    """The planted hospital's model, as project cardio's model `hf`."""
    folder = f"{server.wh.uri.path}.models/cardio/hf"
    shutil.copytree(planted_model, folder, dirs_exist_ok=True)
    return folder


def test_a_project_member_sees_the_report_in_french(server, served_model):
    with server.client("rita") as c:
        r = c.get("/models/hf/report", params={"project": "cardio"})
        assert r.status_code == 200, r.text
        assert '<html lang="fr">' in r.text and "items sur 27 remplis" in r.text
        assert "<th>Item 1</th>" in r.text and "<th>Item 27c</th>" in r.text
        english = c.get("/models/hf/report", params={"project": "cardio", "lang": "en"})
        assert "of 27 items filled by the software" in english.text


class _Tags(HTMLParser):
    """Every start tag of a page: (tag, attributes)."""

    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def test_the_report_is_an_app_page_the_csp_allows(server, served_model):
    """No <style>, no style attribute, no inline script or handler (the CSP
    forbids them): the report's classes are in the app's stylesheets."""
    with server.client("rita") as c:
        r = c.get("/models/hf/report", params={"project": "cardio"})
        assert "style-src 'self'" in r.headers["content-security-policy"]
        parsed = _Tags()
        parsed.feed(r.text)
        tags = parsed.tags
        assert [t for t, _ in tags].count("svg") == 5
        assert "style" not in [t for t, _ in tags]
        assert [t for t, a in tags if "style" in a or any(k.startswith("on") for k in a)] == []  # fmt: skip
        scripts = [a for t, a in tags if t == "script"]
        assert all("src" in a or a.get("type") == "application/json" for a in scripts)
        sheets = [a["href"] for t, a in tags if t == "link" and a.get("rel") == "stylesheet"]  # fmt: skip
        assert sheets == ["/static/app.css", "/static/model_report.css"]
        for href in sheets:
            served = c.get(href)
            assert served.status_code == 200
            assert served.headers["content-type"].startswith("text/css")
        assert "authors" in c.get(sheets[1]).text
        # the app's page: its navigation and main landmark, the report inside
        assert '<main id="main"' in r.text and "<nav" in r.text
        assert "<h1>Rapport du modèle hf</h1>" in r.text


def test_another_projects_user_cannot_see_it(server, served_model):
    with server.client("dora") as c:  # projects derma and htn
        assert (
            c.get("/models/hf/report", params={"project": "cardio"}).status_code == 403
        )
        assert (
            c.get("/models/hf/report", params={"project": "derma"}).status_code == 404
        )
    with server.client() as c:
        assert c.get("/models/hf/report", params={"project": "cardio"}).status_code in (
            401,
            303,
        )


def test_a_name_outside_the_project_folder_is_not_found(server, served_model):
    with server.client("rita") as c:
        r = c.get("/models/..%2F..%2Fetc/report", params={"project": "cardio"})
        assert r.status_code == 404


@pytest.mark.browser
def test_the_report_is_accessible_in_a_browser(page_as, server, served_model):
    page = page_as(server, "rita", "/models/hf/report?project=cardio")
    assert page.url == f"{server.url}/models/hf/report?project=cardio"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert not [e for e in page.console_errors if "Content Security Policy" in e]
    # the report's stylesheet applies: the plots side by side
    assert page.locator(".plots").evaluate("e => getComputedStyle(e).display") == "flex"  # fmt: skip
    assert_accessible(page, "model-report")
