"""Opt-out through a real `entrepot serve` process that holds no
pseudonymisation key: the objection is sealed (the IPP is stored nowhere in
clear), the key holder applies it, and the patient never comes back."""

from __future__ import annotations

import base64
import json
import os
import queue
import socket
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from nacl.public import PrivateKey

from entrepot.cli import main
from entrepot.errors import PrivacyError
from entrepot.ingest import read_extract
from entrepot.privacy import (
    KEY_ENV,
    KEY_FILE_ENV,
    SecretKey,
    add_user,
    apply_optout_requests,
    optout_list,
    pending_optouts,
    person_id,
    request_optout,
)
from entrepot.privacy._sealed import OPTOUT_PUBLIC_KEY
from entrepot.privacy._settings import set_setting
from entrepot.privacy._tables import person_tables
from entrepot.warehouse import Warehouse
from tests.privacy.conftest import KEY

PASSWORD = "sealed opt-out password"


def _rows_of(wh, pid: int) -> int:
    return sum(
        int(wh.table(n).filter(wh.table(n)[c] == pid).count().to_pyarrow().as_py())
        for n, c in person_tables(wh).items()
        if n != "optout"
    )


def _stored_anywhere(wh, ipp: str) -> list[str]:
    """Tables of every schema where the IPP is found in clear (text or number)."""
    found = []
    for schema in ("cdm", "results", "entrepot"):
        for name in wh.tables(schema):
            t = wh.table(name)
            for column, kind in t.schema().items():
                if not (kind.is_string() or kind.is_integer()):
                    continue
                values = t[column].to_pyarrow().to_pylist()
                if any(v is not None and ipp in str(v) for v in values):
                    found.append(f"{name}.{column}")
    return found


def _ingest(raw: Path, eds: Path, key_file: Path, capsys) -> dict:
    code = main(["ingest", str(raw), "-w", str(eds), "--key-file", str(key_file), "--json", "-q"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    return json.loads(capsys.readouterr().out)


def _serve(eds: Path, folder: Path):
    """`entrepot serve` in its own process, its environment without any key."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k not in (KEY_ENV, KEY_FILE_ENV)}
    server = subprocess.Popen(
        [sys.executable, "-m", "entrepot", "serve", "--json", "--port", str(port)],
        cwd=folder,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**env, "ENTREPOT_WAREHOUSE": str(eds)},
    )
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=lambda: lines.put(server.stdout.readline()), daemon=True).start()  # fmt: skip
    return server, json.loads(lines.get(timeout=120))["url"]


def test_a_server_without_the_key_takes_an_objection_the_key_holder_applies(
    hospital, key_file, tmp_path, capsys
):
    raw, eds = hospital / "raw", tmp_path / "eds.duckdb"
    assert main(["init", "-w", str(eds), "-q"]) == 0
    _ingest(raw, eds, key_file, capsys)  # publishes the key holder's public key
    with Warehouse.open(eds) as wh:
        add_user(wh, "ada", "admin", PASSWORD)
    ipps = read_extract(raw / "patients.csv")["ipp"].to_pylist()
    ipp, later = ipps[0], ipps[1]
    pid, later_pid = person_id(KEY, ipp), person_id(KEY, later)

    server, url = _serve(eds, tmp_path)
    try:
        environ = Path(f"/proc/{server.pid}/environ").read_bytes().split(b"\0")
        assert not [e for e in environ if e.startswith((b"ENTREPOT_KEY=", b"ENTREPOT_KEY_FILE="))]  # fmt: skip
        token = httpx.post(f"{url}api/token", data={"username": "ada", "password": PASSWORD}).json()["access_token"]  # fmt: skip
        with httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=60) as api:  # fmt: skip
            r = api.post("/api/admin/optout", json={"ipps": [ipp]})
            assert (r.status_code, r.json()["pending"]) == (202, 1)
            assert len(api.get("/api/admin/optout/pending").json()) == 1
            assert api.get("/api/admin/optout").json() == []
            with Warehouse.open(eds, read_only=True) as wh:
                assert _stored_anywhere(wh, ipp) == []
                assert _rows_of(wh, pid) > 0  # no key, no way to tell who it is

            assert main(["optout", "apply", "-w", str(eds), "--key-file", str(key_file), "--json", "-q"]) == 0  # fmt: skip
            applied = json.loads(capsys.readouterr().out)
            assert (applied["requests"], applied["patients"], applied["new"]) == (1, 1, 1)  # fmt: skip
            assert applied["rows_removed"]["person"] == 1
            assert api.get("/api/admin/optout/pending").json() == []
            assert [o["person_id"] for o in api.get("/api/admin/optout").json()] == [pid]  # fmt: skip

            r = api.post(
                "/api/admin/optout", json={"ipps": [later]}
            )  # applied by ingest
            assert r.status_code == 202
    finally:
        server.terminate()
        _, err = server.communicate(timeout=60)
    assert "Traceback" not in err, err

    again = _ingest(raw, eds, key_file, capsys)
    assert again["optout_requests"] == 1 and sum(again["loaded"].values()) == 0
    assert again["opted_out_rows"] > 0
    with Warehouse.open(eds, read_only=True) as wh:
        assert _rows_of(wh, pid) == _rows_of(wh, later_pid) == 0
        assert sorted(r["person_id"] for r in optout_list(wh)) == sorted([pid, later_pid])  # fmt: skip
        assert pending_optouts(wh) == []
        assert _stored_anywhere(wh, ipp) == _stored_anywhere(wh, later) == []


def test_sealed_requests_are_applied_on_each_engine(hospital, ingested_on):
    """Taken without the key, opened with it: idempotent, and a request sealed
    for another key is refused whole, naming it."""
    wh = ingested_on
    ipp = read_extract(hospital / "raw" / "patients.csv")["ipp"].to_pylist()[2]
    request_optout(wh, [ipp, ipp], user="ada")
    request_optout(wh, [ipp], user="ada")  # asked twice: one registration
    assert [r["requested_by"] for r in pending_optouts(wh)] == ["ada", "ada"]
    done = apply_optout_requests(wh, KEY, user="dpo")
    assert (done["requests"], done["patients"], done["new"]) == (2, 1, 1)
    assert _rows_of(wh, person_id(KEY, ipp)) == 0
    assert [r["person_id"] for r in optout_list(wh)] == [person_id(KEY, ipp)]
    assert pending_optouts(wh) == []

    stale = PrivateKey.generate().public_key  # a key this warehouse never had
    set_setting(wh, OPTOUT_PUBLIC_KEY, base64.b64encode(bytes(stale)).decode())
    request_optout(wh, ["123"], user="ada")
    with pytest.raises(PrivacyError, match="not sealed for this key"):
        apply_optout_requests(wh, KEY, user="dpo")
    assert len(pending_optouts(wh)) == 1 and len(optout_list(wh)) == 1


def test_a_key_rotation_applies_pending_requests_and_seals_for_the_new_key(
    hospital, ingested
):
    from entrepot.ingest import rekey_maps
    from entrepot.privacy import rotate_key

    raw = hospital / "raw"
    ipps = read_extract(raw / "patients.csv")["ipp"].to_pylist()
    new = SecretKey(bytes.fromhex("77" * 32))
    request_optout(ingested, [ipps[0]], user="ada")  # sealed for KEY
    rotate_key(ingested, KEY, new, rekey_maps(raw, KEY, new), ipps=ipps, user="dpo")
    assert pending_optouts(ingested) == []
    assert [r["person_id"] for r in optout_list(ingested)] == [person_id(new, ipps[0])]
    request_optout(ingested, [ipps[1]], user="ada")  # sealed for the new key
    with pytest.raises(PrivacyError, match="another key"):
        apply_optout_requests(ingested, KEY)
    assert apply_optout_requests(ingested, new)["patients"] == 1
    assert _rows_of(ingested, person_id(new, ipps[1])) == 0
