"""The model report page: a project's trained model, its TRIPOD+AI report,
over a real HTTP server, for the project's users only."""

from __future__ import annotations

import shutil

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
    assert_accessible(page, "model-report")
