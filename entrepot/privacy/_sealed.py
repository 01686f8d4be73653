"""Opt-out requests sealed for the key holder, so that a server without the
pseudonymisation key can take a patient's objection.

The key holder publishes a public key (X25519) derived from the
pseudonymisation key (`publish_optout_key`: `entrepot optout keys`, and every
ingestion). Whoever takes an objection (the web server) seals each IPP with
it (libsodium's sealed box: only the private key opens it) into the pending
requests (`optout_request`): the IPP is never stored in clear, and the server
can neither open a request nor compute a pseudonym. The key holder's next
ingestion, or `entrepot optout apply`, opens them and registers them with
`optout_add` (idempotent and final), which erases the patients. Until then
the patient's rows are still there: without the key no one can tell which
person an IPP is.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime

import pyarrow as pa
from nacl.exceptions import CryptoError
from nacl.public import PrivateKey, PublicKey, SealedBox

from entrepot.errors import PrivacyError
from entrepot.privacy._audit import audit
from entrepot.privacy._keys import SecretKey
from entrepot.privacy._optout import optout_add
from entrepot.privacy._settings import get_setting, require_key, set_setting
from entrepot.privacy._tables import ensure_table

OPTOUT_PUBLIC_KEY = "optout_public_key"
REQUESTS = "optout_request"


def _private(key: SecretKey) -> PrivateKey:
    """The key holder's opening key: derived from the pseudonymisation key,
    so there is no second secret to keep."""
    return PrivateKey(key.digest(b"entrepot:optout-requests"))


def publish_optout_key(wh, key: SecretKey) -> str:
    """Store the public key that seals opt-out requests for this key (base64)."""
    require_key(wh, key)
    public = base64.b64encode(bytes(_private(key).public_key)).decode()
    if get_setting(wh, OPTOUT_PUBLIC_KEY) != public:
        set_setting(wh, OPTOUT_PUBLIC_KEY, public)
    return public


def request_optout(wh, ipps: Iterable[str], *, user: str = "entrepot") -> dict:
    """Seal each IPP for the key holder into the pending requests; needs no key."""
    public = get_setting(wh, OPTOUT_PUBLIC_KEY)
    if public is None:
        raise PrivacyError(
            "opt-out requests need the key holder's public key: run `entrepot "
            "optout keys --key-file KEY` (or an ingestion) on this warehouse first"
        )
    box = SealedBox(PublicKey(base64.b64decode(public)))
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    rows = [
        {
            "request_id": uuid.uuid4().hex,
            "sealed": base64.b64encode(box.encrypt(ipp.encode())).decode(),
            "requested_at": now,
            "requested_by": user,
        }
        for ipp in sorted({i.strip() for i in ipps if i.strip()})
    ]
    table = ensure_table(wh, REQUESTS)
    new = pa.Table.from_pylist(rows, schema=table.schema().to_pyarrow())
    with wh.store.transaction() as tx:
        tx.append("entrepot", REQUESTS, wh.store.from_arrow(new))
    audit(wh, user, "optout.request", {"patients": len(rows)}, persons=len(rows))
    return {"pending": len(rows), "requests": [r["request_id"] for r in rows]}


def pending_optouts(wh) -> list[dict]:
    """Pending requests: id, when and by whom, never what they seal."""
    if not wh.has_table(REQUESTS):  # a warehouse made before requests existed
        return []
    rows = wh.table(REQUESTS).select("request_id", "requested_at", "requested_by")
    return rows.order_by(rows.requested_at).to_pyarrow().to_pylist()


def apply_optout_requests(wh, key: SecretKey, *, user: str = "entrepot") -> dict:
    """Open the pending requests, register them (erasing those patients), then
    remove them; an interrupted run is applied again, idempotently."""
    require_key(wh, key)
    t = ensure_table(wh, REQUESTS)
    rows = t.to_pyarrow().to_pylist()
    if not rows:
        return {"requests": 0, "patients": 0, "new": 0, "rows_removed": {}}
    box = SealedBox(_private(key))
    ipps = []
    for row in rows:
        try:
            ipps.append(box.decrypt(base64.b64decode(row["sealed"])).decode())
        except (CryptoError, ValueError):
            raise PrivacyError(
                f"opt-out request {row['request_id']}: not sealed for this key "
                "(was it made before a key rotation?); nothing was applied"
            ) from None
    done = optout_add(wh, key, ipps, user=user)
    applied = [r["request_id"] for r in rows]
    with wh.store.transaction() as tx:
        tx.replace(
            "entrepot",
            REQUESTS,
            wh.store.materialize(t.filter(~t.request_id.isin(applied))),
        )
    audit(wh, user, "optout.apply", {"requests": len(rows)}, persons=done["patients"])
    return {"requests": len(rows), **done}
