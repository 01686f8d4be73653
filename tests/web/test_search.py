"""Search in reports over HTTP: contexts, masking by role, perimeters, errors,
saving a search as a cohort."""

from __future__ import annotations

import shutil

import pytest

from entrepot.nlp._text import fold

TERM = "lupus"  # affirmed in the notes of a few, negated ("pas de ...") in many others


def _direct(server, q, exclude=None, **filters):
    from entrepot.search import SearchFilters, parse_exclude, search_notes

    f = SearchFilters(parse_exclude(exclude), **filters)
    return server.web.use(search_notes, q, f, limit=1000)


def _note_texts(server, ids):
    def read(wh):
        t = wh.table("note")
        rows = t.filter(t.note_id.isin(list(ids))).to_pyarrow().to_pylist()
        return {r["note_id"]: r["note_text"] for r in rows}

    return server.web.use(read)


def test_default_search_leaves_out_negated_text(server):
    from entrepot.search import split_by_context

    with server.client("rita") as api:
        kept = api.get(
            "/api/search", params={"q": TERM, "project": "cardio", "limit": 100}
        )
        every = api.get(
            "/api/search",
            params={"q": TERM, "project": "cardio", "limit": 100, "exclude": "none"},
        )
    assert kept.status_code == every.status_code == 200
    kept, every = kept.json(), every.json()
    direct, direct_all = _direct(server, TERM), _direct(server, TERM, "none")
    assert 0 < direct["notes"] < direct_all["notes"]
    assert 0 < direct["persons"] < 10 <= direct_all["persons"]  # a rare, negated term
    assert (kept["persons"], kept["notes"]) == (
        "<10",
        "*",
    )  # hidden with their patients
    assert (every["notes"], every["persons"]) == (
        direct_all["notes"],
        direct_all["persons"],
    )
    assert kept["exclude"] == ["negated", "hypothesis", "family"]
    assert every["exclude"] == []
    ids = {h["note_id"] for h in kept["hits"]}
    all_ids = {h["note_id"] for h in direct_all["hits"]}
    assert len(ids) == direct["notes"] and len(all_ids) == direct_all["notes"]
    assert ids < all_ids and {h["note_id"] for h in every["hits"]} <= all_ids
    assert all("<b>" in h["snippet"] for h in kept["hits"])
    texts = _note_texts(server, all_ids)

    def asserted(note_id):  # the term in affirmed or history text
        parts = split_by_context(texts[note_id])
        return any(
            fold(TERM) in fold(parts.get(f, "")) for f in ("affirmed", "history")
        )

    assert all(asserted(i) for i in ids)
    assert not any(asserted(i) for i in all_ids - ids)  # only negated & co.


def test_default_search_finds_affirmed_cough(server):
    """The synthetic notes affirm "toux" in some patients and rule it out in
    others: the default search counts only the former (notes are counted for
    those who may read them, persons for everyone)."""
    with server.client("vic") as vic, server.client("rita") as rita:
        kept = vic.get("/api/search", params={"q": "toux", "project": "cardio"})
        every = vic.get(
            "/api/search", params={"q": "toux", "project": "cardio", "exclude": "none"}
        )
        read = rita.get("/api/search", params={"q": "toux", "project": "cardio"})
        read_all = rita.get(
            "/api/search", params={"q": "toux", "project": "cardio", "exclude": "none"}
        )
    direct, direct_all = _direct(server, "toux"), _direct(server, "toux", "none")
    assert direct["persons"] >= 10 and direct_all["persons"] > direct["persons"]
    assert (kept.json()["notes"], kept.json()["persons"]) == ("*", direct["persons"])
    assert (every.json()["notes"], every.json()["persons"]) == (
        "*",
        direct_all["persons"],
    )
    assert (read.json()["notes"], read.json()["persons"]) == (
        direct["notes"],
        direct["persons"],
    )
    assert (read_all.json()["notes"], read_all.json()["persons"]) == (
        direct_all["notes"],
        direct_all["persons"],
    )


def test_viewer_gets_masked_counts_and_no_hits(server):
    from entrepot.privacy import entries

    before = max(e["seq"] for e in server.web.use(entries, limit=1))
    with server.client("vic") as vic, server.client("rita") as rita:
        params = {"q": "dyspnée", "project": "cardio"}
        seen = vic.get("/api/search", params=params).json()
        read = rita.get("/api/search", params=params).json()
        rare = vic.get("/api/search", params={"q": TERM, "project": "cardio"}).json()
    direct = _direct(server, "dyspnée")
    assert read["notes"] == direct["notes"] >= 40
    assert seen["notes"] == "*"  # a viewer counts persons, never notes
    assert seen["persons"] == read["persons"] == direct["persons"] >= 10
    assert seen["hits"] == [] and seen["hits_allowed"] is False
    assert len(read["hits"]) == 20 and read["hits_allowed"] is True
    assert rare["notes"] == "*" and rare["persons"] == "<10" and rare["hits"] == []
    reads = server.web.use(entries, user="vic", action="authorise.read")
    assert [e for e in reads if e["seq"] > before] == []  # not even asked for rows


def test_search_stays_in_the_project(server):
    with server.client("dora") as dora:
        derma = dora.get("/api/search", params={"q": "dyspnée", "project": "derma"})
        cardio = dora.get("/api/search", params={"q": "dyspnée", "project": "cardio"})
        nowhere = dora.get("/api/search", params={"q": "dyspnée"})
    every_person = _direct(server, "dyspnée")["notes"]
    assert derma.status_code == 200 and derma.json()["notes"] == every_person
    assert cardio.status_code == 403
    assert cardio.json()["detail"] == "user 'dora' is not a member of project 'cardio'"
    assert nowhere.status_code == 403


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"q": '"unclosed'}, "unclosed quote"),
        ({"q": "(toux"}, "missing )"),
        ({"q": "toux AND"}, "AND needs a word"),
        ({"q": "toux", "exclude": "bogus"}, "exclude: unknown context 'bogus'"),
        ({"q": "toux", "from": "2024-05-01", "to": "2024-01-01"}, "comes after"),
    ],
)
def test_malformed_searches_get_one_line_400(server, params, words):
    with server.client("rita") as api:
        r = api.get("/api/search", params={"project": "cardio", **params})
    assert r.status_code == 400
    detail = r.json()["detail"]
    assert words in detail and "\n" not in detail


def test_fields_are_text_over_http(server):
    """`person_id:N AND word` must not count one patient's notes: the query
    language searches text only; patients, dates and types are filters."""
    one = _direct(server, "dyspnée", "none")["hits"][0]["person_id"]
    with server.client("rita") as api:

        def notes(q):
            r = api.get("/api/search", params={"project": "cardio", "q": q,
                                               "exclude": "none"})  # fmt: skip
            assert r.status_code == 200, r.text
            return r.json()["notes"]

        assert notes(f"person_id:{one} AND dyspnée") == 0  # the words "person id N"
        assert notes(f"dyspnée AND person_id:[{one} TO {one}]") == 0
        assert notes("note_day:[0 TO 99999]") == 0
        assert notes("dyspnée:") == notes("dyspnée") == notes("DYSPNEE") >= 10
        alzheimer = notes("alzheimer")  # a relative's, in the synthetic notes
        assert alzheimer >= 10
        for typed in (
            "maladie d'Alzheimer",
            "maladie d’Alzheimer",
            "« Maladie D’ALZHEIMER »",
        ):
            assert notes(typed) == alzheimer


def test_query_length_and_dates_are_checked(server):
    with server.client("rita") as api:
        for params in ({"q": ""}, {"q": "x" * 501}, {"q": "toux", "from": "May"}):
            r = api.get("/api/search", params={"project": "cardio", **params})
            assert r.status_code == 422
        r = api.get(
            "/api/search",
            params={"project": "cardio", "q": "dyspnée", "from": "2023-01-01",
                    "to": "2023-12-31", "exclude": "none"},
        )  # fmt: skip
    from datetime import date

    d = _direct(
        server, "dyspnée", "none", start=date(2023, 1, 1), end=date(2023, 12, 31)
    )
    assert d["notes"] >= 10 and r.json()["notes"] == d["notes"]
    assert all("2023-01-01" <= h["note_date"] <= "2023-12-31" for h in r.json()["hits"])


def test_pages_of_hits_over_http(server):
    """ "20 of N": the total, one page of hits, each with its type and date."""
    total = _direct(server, "dyspnée")["notes"]
    end = (total - 1) // 20 * 20  # the last page's first hit
    with server.client("rita") as api:

        def page(**more):
            params = {"q": "dyspnée", "project": "cardio"} | more
            r = api.get("/api/search", params=params)
            assert r.status_code == 200, r.text
            return r.json()

        first, second, last = page(), page(offset=20), page(offset=end)
        assert api.get("/api/search", params={"q": "toux", "offset": -1,
                                              "project": "cardio"}).status_code == 422  # fmt: skip
    assert [(p["notes"], p["offset"], len(p["hits"])) for p in (first, second, last)] == [
        (total, 0, 20), (total, 20, 20), (total, end, total - end)
    ]  # fmt: skip
    ids = [{h["note_id"] for h in p["hits"]} for p in (first, second, last)]
    assert not ids[0] & ids[1] and not ids[1] & ids[2]
    every = _direct(server, "dyspnée")["hits"]
    assert [h["note_id"] for h in first["hits"] + second["hits"]] == [
        h["note_id"] for h in every[:40]
    ]

    def titles(wh):
        t = wh.table("note").select("note_id", "note_title", "note_date")
        return {r["note_id"]: r for r in t.to_pyarrow().to_pylist()}

    notes = server.web.use(titles)
    for h in first["hits"] + last["hits"]:
        assert h["note_title"] == notes[h["note_id"]]["note_title"]
        assert h["note_date"] == notes[h["note_id"]]["note_date"].isoformat()


def test_search_page_has_its_controls(server):
    with server.client("rita") as api:
        page = api.get("/search").text
    for id_ in ("search-query", "search-button", "exclude-negated", "exclude-hypothesis",
                "exclude-family", "search-notes", "search-persons", "search-hits",
                "save-search", "search-shown", "search-next"):  # fmt: skip
        assert f'id="{id_}"' in page
    assert "/static/search.js" in page


def test_saved_search_and_a_cohort_perimeter(fresh_server):
    from entrepot.privacy import add_member, add_project
    from entrepot.search import index_path

    server = fresh_server
    with server.client("rita") as rita:
        r = rita.post(
            "/api/search/cohort?project=cardio", json={"q": TERM, "name": "sclero"}
        )
        assert r.status_code == 200, r.text
        saved = r.json()
        assert saved["name"] == "sclero" and saved["count"] == "<10"
        found = {h["person_id"] for h in _direct(server, TERM)["hits"]}

        def members(wh):
            c = wh.table("cohort")
            c = c.filter(c.cohort_definition_id == saved["cohort_definition_id"])
            return set(c.subject_id.to_pyarrow().to_pylist())

        assert server.web.use(members) == found and 0 < len(found) < 10
        # a project whose perimeter is that cohort, and one without notes
        server.web.use(add_project, "sclero", cohort_id=saved["cohort_definition_id"])
        server.web.use(add_project, "labs", domains=["measurement"])
        for project in ("sclero", "labs"):
            server.web.use(add_member, "rita", project)
        server.web.changed()
        r = rita.get(
            "/api/search",
            params={
                "q": "dyspnée",
                "project": "sclero",
                "exclude": "none",
                "limit": 100,
            },
        )
        assert r.status_code == 200
        persons = {h["person_id"] for h in r.json()["hits"]}
        assert persons and persons <= found
        every = _direct(server, "dyspnée", "none")["hits"]
        assert len(r.json()["hits"]) == sum(h["person_id"] in found for h in every)
        outside = next(h["person_id"] for h in every if h["person_id"] not in found)
        r = rita.get(f"/api/patients/{outside}", params={"project": "sclero"})
        assert r.status_code == 404
        assert r.json()["detail"].endswith("no such patient in this project")
        inside = sorted(found)[0]
        r = rita.get(f"/api/patients/{inside}", params={"project": "sclero"})
        assert r.status_code == 200 and r.json()["person"]["person_id"] == inside
        r = rita.post(
            "/api/search/cohort?project=cardio", json={"q": "toux", "name": "sclero"}
        )
        assert r.status_code == 403  # a project's perimeter is not overwritten
        r = rita.get("/api/search", params={"q": "toux", "project": "labs"})
        assert r.status_code == 403 and "outside the project" in r.json()["detail"]
        shutil.rmtree(index_path(server.wh))
        r = rita.get("/api/search", params={"q": "toux", "project": "cardio"})
        assert r.status_code == 400 and "entrepot index" in r.json()["detail"]


def test_readme_curl_example_is_answered(server):
    """The README's curl search, run as written (URL-encoded by curl): 200."""
    import json
    import shlex
    import subprocess
    from pathlib import Path

    if not shutil.which("curl"):
        pytest.skip("curl is not installed")
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    line = next(
        x for x in readme.splitlines() if x.startswith("curl") and "/api/search" in x
    )
    args = [
        a.replace("Bearer …", f"Bearer {server.token('rita')}")
        .replace("http://127.0.0.1:8000", server.url)
        .replace("project=sepsis", "project=cardio")
        for a in shlex.split(line)
    ]
    done = subprocess.run(
        [*args, "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=60
    )
    body, status = done.stdout.rsplit("\n", 1)
    assert status == "200", body
    assert json.loads(body)["persons"] == "<10"  # sclérodermie: a few patients
    raw = subprocess.run(  # the same URL unencoded, as the README used to write it
        ["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
         "-H", f"Authorization: Bearer {server.token('rita')}",
         f"{server.url}/api/search?q=sclérodermie&project=cardio"],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert raw.stdout == "400"


def _one_day_apart(server, q: str):
    """A day D such that searching `q` from D finds exactly one person more
    than from the day after (at least 10 persons either way)."""
    from datetime import date, timedelta

    hits = _direct(server, q)["hits"]
    for day in sorted({date.fromisoformat(h["note_date"]) for h in hits}):
        since = {h["person_id"] for h in hits if h["note_date"] >= day.isoformat()}
        after = day + timedelta(days=1)
        later = {h["person_id"] for h in hits if h["note_date"] >= after.isoformat()}
        if len(since) - len(later) == 1 and len(later) >= 10:
            return day, after, len(since)
    raise AssertionError(f"no day that one person of {q!r} alone has notes on")


def test_two_searches_one_person_apart_show_the_same_counts(fresh_server):
    """Differencing: searching "dyspnée" from day D, then from the day after,
    would tell that the one person seen on D had dyspnoea that day. The
    person count goes through the gate's defence, and a viewer (counts only)
    gets no note count, which would still differ by that person's notes."""
    day, after, persons = _one_day_apart(fresh_server, "dyspnée")
    asked = {"q": "dyspnée", "project": "cardio"}
    with fresh_server.client("vic") as vic, fresh_server.client("rita") as rita:
        first = vic.get("/api/search", params=asked | {"from": str(day)}).json()
        second = vic.get("/api/search", params=asked | {"from": str(after)}).json()
        read = rita.get("/api/search", params=asked | {"from": str(after)}).json()
    assert first["persons"] == second["persons"] == read["persons"] == persons
    assert first["notes"] == second["notes"] == "*"  # counts only: no note count
    hits = _direct(fresh_server, "dyspnée", start=after)["notes"]
    assert read["notes"] == hits  # who reads the notes may count them
