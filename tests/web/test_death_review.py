"""The review list of death linkage: shown to the data office (the
administrator), never to researchers."""

from __future__ import annotations

from datetime import date, datetime

import httpx
import pyarrow as pa

from entrepot.privacy._tables import ensure_table

PAIR = {
    "record_id": 7,
    "person_id": 123456789,
    "file": "deces-2024-m03.txt",
    "line": 4812,
    "probability": 0.73,
    "status": "review",
    "death_date": date(2024, 3, 2),
    "linked_at": datetime(2024, 4, 2, 9, 30),
}


def _pairs(wh) -> None:
    schema = ensure_table(wh, "death_link").schema().to_pyarrow()
    linked = PAIR | {
        "record_id": 8,
        "line": 17,
        "probability": 0.99,
        "status": "linked",
    }
    rows = pa.Table.from_pylist([PAIR, linked], schema=schema)
    with wh.store.transaction() as tx:
        tx.append("entrepot", "death_link", wh.store.from_arrow(rows))


def test_the_data_office_sees_the_grey_zone_and_researchers_do_not(fresh_server):
    fresh_server.web.use(_pairs)  # what `entrepot link deaths` left to review
    with fresh_server.client("ada") as api:
        r = api.get("/api/admin/deaths/review")
        assert r.status_code == 200
        assert r.json() == [
            {"file": "deces-2024-m03.txt", "line": 4812, "person_id": 123456789,
             "probability": 0.73, "linked_at": "2024-04-02T09:30:00"}
        ]  # fmt: skip
    assert _page(fresh_server, "ada").status_code == 200
    page = _page(fresh_server, "ada").text
    assert "deces-2024-m03.txt" in page and "4812" in page and "0.730" in page
    assert ">17<" not in page  # accepted links are not reviewed
    with fresh_server.client("rita") as api:  # a researcher
        assert api.get("/api/admin/deaths/review").status_code == 403
    page = _page(fresh_server, "rita")
    assert page.status_code == 403 and "deces-2024" not in page.text


def _page(server, user: str) -> httpx.Response:
    with server.logged_in(user) as browser:
        return browser.get("/admin/deaths")
