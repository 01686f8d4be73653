"""The virtual prescription over HTTP: interactions from the ANSM thesaurus,
unknown lines, limits."""

from __future__ import annotations

import httpx

LINES = [
    "KARDEGIC 75 mg, poudre pour solution buvable en sachet-dose",
    "méthotrexate 20 mg",
    "simvastatine 20 mg",
    "clarithromycine 500 mg",
    "poudre de perlimpinpin",
]


def test_a_contraindicated_pair_comes_first_with_its_risk(server):
    with server.client("vic") as api:  # no patient data: any logged-in user
        r = api.post("/api/prescriptions/check", json={"lines": LINES})
    assert r.status_code == 200
    body = r.json()
    assert body["thesaurus"] == "2020-10-20"
    first, second = body["interactions"]
    assert (first["a"], first["b"], first["level"]) == (2, 3, "contre-indication")
    assert first["level_name"] == "Contre-indication"
    assert "rhabdomyolyse" in first["risk"]
    assert ["SIMVASTATINE", "INHIBITEURS PUISSANTS DU CYP3A4"] in first["rules"]
    assert (second["a"], second["b"], second["level"]) == (0, 1, "precaution-emploi")
    assert "hémogramme" in second["conduct"] and "méthotrexate" in second["risk"]
    drugs = body["drugs"]
    assert [d["line"] for d in drugs] == [0, 1, 2, 3, 4]
    assert drugs[0]["name"] == "acide acetylsalicylique" and drugs[0]["atc"] == [
        "B01AC06"
    ]
    assert drugs[3]["atc"] == ["J01FA09"]
    assert body["unrecognized"] == [drugs[4]]
    assert drugs[4]["recognized"] is False and drugs[4]["input"] == LINES[4]
    assert list(body["levels"])[0] == "contre-indication"
    from entrepot.privacy import entries

    calls = server.web.use(entries, user="vic", action="web.call")
    assert calls[-1]["parameters"].endswith('/prescriptions/check"}')


def test_text_is_read_line_by_line(server):
    with server.client("rita") as api:
        by_text = api.post(
            "/api/prescriptions/check", json={"text": "\n".join(LINES) + "\n\n"}
        ).json()
        by_lines = api.post("/api/prescriptions/check", json={"lines": LINES}).json()
    assert by_text == by_lines


def test_limits_and_bad_bodies(server):
    with server.client("rita") as api:
        for body in ({"lines": ["aspirine"] * 201}, {"text": "x" * 10_001}):
            r = api.post("/api/prescriptions/check", json=body)
            assert r.status_code == 413
            detail = r.json()["detail"]
            assert isinstance(detail, str) and "\n" not in detail
        r = api.post("/api/prescriptions/check", json={"lines": ["  ", ""]})
        assert r.status_code == 400
        assert r.json()["detail"] == "no prescription line given"
        for body in ({}, {"lines": ["a"], "text": "a"}, {"lines": "a"}):
            assert api.post("/api/prescriptions/check", json=body).status_code == 422
    r = httpx.post(f"{server.url}/api/prescriptions/check", json={"lines": LINES})
    assert r.status_code == 401


def test_a_streamed_body_over_the_limit_is_refused(server):
    def chunks():
        yield b'{"text": "'
        for _ in range(3 * 1024):
            yield b"a" * 1024
        yield b'"}'

    with server.client("rita") as api:
        r = api.post(
            "/api/prescriptions/check",
            content=chunks(),
            headers={"Content-Type": "application/json"},
        )
    assert "content-length" not in r.request.headers
    assert r.request.headers["transfer-encoding"] == "chunked"
    assert r.status_code == 413
    assert r.json()["detail"] == "request body over 2,097,152 bytes"


def test_prescription_page_has_its_controls(server):
    with server.client("vic") as api:
        page = api.get("/prescription").text
    for id_ in (
        "prescription-lines",
        "check-button",
        "interactions",
        "interaction-wheel",
    ):
        assert f'id="{id_}"' in page


def test_dose_condition_and_route_doubt_are_returned(server):
    lines = ["KARDEGIC 75 mg pdre p sol buv", "FUROSEMIDE 20 mg cp séc"]
    with server.client("vic") as api:
        body = api.post(
            "/api/prescriptions/check", json={"lines": [*lines, "AMLODIPINE 5 mg GEL"]}
        ).json()
        beta = api.post(
            "/api/prescriptions/check",
            json={"lines": ["ATENOLOL 50 mg cp", "AMLODIPINE 5 mg GEL"]},
        ).json()
    (found,) = body["interactions"]
    assert (found["a"], found["b"], found["level"]) == (0, 1, "precaution-emploi")
    assert found["dose_condition"]["met"] is False
    assert found["dose_condition"]["text"].startswith("Pour des doses anti-inflam")
    assert found["route_doubt"] is None
    assert body["drugs"][2]["route"] == "cutaneous"
    assert body["drugs"][2]["route_doubt"].startswith("« gel » lu voie cutaneous")
    (guess,) = beta["interactions"]
    assert guess["level"] == "a-prendre-en-compte"
    assert guess["route_doubt"].startswith("« AMLODIPINE 5 mg GEL »")


def test_effects_by_organ_with_a_frequency_and_a_search(server):
    seed = ["ATENOLOL 50 mg cp", "AMLODIPINE (bésilate) 5 mg gél", "xyz"]
    with server.client("vic") as api:  # no patient data: any logged-in user
        every = api.post("/api/prescriptions/effects", json={"lines": seed}).json()
        frequent = api.post(
            "/api/prescriptions/effects",
            json={"text": "\n".join(seed), "frequency": "fréquent", "search": "OEDEME"},
        ).json()
        bad = api.post(
            "/api/prescriptions/effects", json={"lines": seed, "frequency": "often"}
        )
    assert every["source"] == "RCP (table entrepot)"
    assert every["frequencies"][0] == "très fréquent"
    counts = [o["count"] for o in every["organs"]]
    assert counts == sorted(counts, reverse=True) and sum(counts) == 80
    assert every["organs"][0]["organ"] == "système digestif"
    assert [line["effects"] for line in every["lines"]] == [30, 60, 0]
    assert every["lines"][2]["recognized"] is False
    assert frequent["organs"] == [
        {
            "organ": "cardio-vasculaire",
            "count": 1,
            "effects": [{"term": "œdème", "frequency": "très fréquent", "lines": [1]}],
        }
    ]
    assert bad.status_code == 400 and "frequency 'often'" in bad.json()["detail"]
