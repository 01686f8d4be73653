"""The menu shows each role the pages it may use, and no page whose API
calls it is refused: in the HTML the server renders, then in a browser for
the data office, whose home is its queue."""

from __future__ import annotations

import re

import pytest

from tests.web.conftest import USERS

#: role -> the menu's links, in order, written out by hand.
MENUS = {
    "admin": ["/", "/cohorts", "/subgroups", "/search", "/extractions", "/prescription",
              "/admin", "/admin/mapping", "/requests"],
    # the data team also maps local codes (the right to ingest)
    "data_engineer": ["/", "/cohorts", "/subgroups", "/search", "/extractions",
                      "/prescription", "/admin/mapping", "/requests"],
    "researcher": ["/", "/cohorts", "/subgroups", "/search", "/extractions",
                   "/prescription", "/requests"],
    # a viewer only counts: no subgroups (they export features), no requests
    "viewer": ["/", "/cohorts", "/search", "/extractions", "/prescription"],
    # the data office decides and sees no data: its queue, and the
    # prescription check (no patient data, open to anyone logged in)
    "data_office": ["/office", "/prescription"],
}  # fmt: skip


def _menu(html: str) -> list[str]:
    (nav,) = re.findall(r"<nav [^>]*>(.*?)</nav>", html, re.S)
    return re.findall(r'<a href="([^"]+)"', nav)


@pytest.mark.parametrize("user", sorted(USERS))
def test_each_role_sees_the_pages_it_may_use(server, user):
    role = USERS[user][0]
    project = {"project": USERS[user][1][0]} if USERS[user][1] else {}
    with server.logged_in(user) as client:
        menu = _menu(client.get("/prescription").text)
        assert menu == MENUS[role]
        for link in menu:
            assert client.get(link, params=project).status_code == 200, link
        home = client.get("/")
    if role == "data_office":  # the overview counts: its home is its queue
        assert (home.status_code, home.headers["location"]) == (303, "/office")
    else:
        assert home.status_code == 200


@pytest.mark.browser
def test_the_data_office_lands_on_its_queue_and_is_refused_nothing(page_as, server):
    """Logged in, the data office is on its queue; no page of its menu calls
    an API that refuses it."""
    page = page_as(server, "otto")
    refused = []
    page.on("response", lambda r: r.status in (401, 403) and refused.append(r.url))
    assert page.url == f"{server.url}/office"
    menu = page.locator("header nav a")
    assert menu.all_inner_texts() == ["Bureau des données", "Prescription"]
    for link in [a.get_attribute("href") for a in menu.all()]:
        page.goto(f"{server.url}{link}")
        page.wait_for_load_state("networkidle")
    assert (refused, page.console_errors) == ([], [])
