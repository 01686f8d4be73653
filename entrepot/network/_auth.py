"""How a hub and a node prove who they are to each other.

A node issues a token for a hub (`entrepot node token`), printed once. The
node keeps only its SHA-256, which both sides use as the key of an HMAC:
the hub signs each request (method, path, time, a nonce, the body's hash)
and the node signs its answer to that nonce. The token itself never travels,
so a server at the node's URL that is not the node can neither read the
hub's requests as valid nor answer them as the node; a replayed request is
refused (its nonce seen, or its time more than `SKEW` seconds away).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

from entrepot.errors import AuthenticationError

SKEW = 300.0
PREFIX = "entrepot-node-"
HEADERS = ("x-entrepot-key", "x-entrepot-time", "x-entrepot-nonce")
SIGNATURE = "x-entrepot-signature"


def new_token() -> str:
    return PREFIX + secrets.token_urlsafe(32)


def key_of(token: str) -> str:
    """The shared key: the token's SHA-256 (what the node stores)."""
    token = token.strip()
    if not token.startswith(PREFIX):
        raise AuthenticationError("not a node token (it starts with entrepot-node-)")
    return hashlib.sha256(token.encode()).hexdigest()


def fingerprint(key: str) -> str:
    """What names a key in a request (the hub's name is the node's to keep)."""
    return hashlib.sha256(bytes.fromhex(key)).hexdigest()[:16]


def _mac(key: str, *parts: str | bytes) -> str:
    message = b"\n".join(p if isinstance(p, bytes) else p.encode() for p in parts)
    return hmac.new(bytes.fromhex(key), message, hashlib.sha256).hexdigest()


def _digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def sign_request(key: str, method: str, path: str, body: bytes) -> dict:
    """The headers of a hub's request."""
    now, nonce = f"{time.time():.3f}", secrets.token_hex(16)
    return {
        "X-Entrepot-Key": fingerprint(key),
        "X-Entrepot-Time": now,
        "X-Entrepot-Nonce": nonce,
        "X-Entrepot-Signature": _mac(key, method, path, now, nonce, _digest(body)),
    }


def sign_response(key: str, nonce: str, body: bytes) -> str:
    return _mac(key, "node", nonce, _digest(body))


def check_response(key: str, nonce: str, body: bytes, signature: str | None) -> None:
    if not signature or not hmac.compare_digest(
        signature, sign_response(key, nonce, body)
    ):
        raise AuthenticationError(
            "the answer is not signed by the registered node (wrong URL or token)"
        )


class Nonces:
    """Nonces seen within the allowed skew (a replayed request is refused)."""

    def __init__(self) -> None:
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def check(self, key: str, headers, method: str, path: str, body: bytes) -> None:
        """Refuse a request not signed with `key`, too old, or replayed."""
        _, stamp, nonce = (headers.get(h) for h in HEADERS)
        signature = headers.get(SIGNATURE)
        try:
            age = abs(time.time() - float(stamp))
        except (TypeError, ValueError):
            raise AuthenticationError("unsigned request") from None
        expected = _mac(key, method, path, stamp, nonce or "", _digest(body))
        if not signature or not hmac.compare_digest(signature, expected):
            raise AuthenticationError("request not signed with the hub's key")
        if age > SKEW:
            raise AuthenticationError("request too old (check the clocks)")
        with self._lock:
            now = time.time()
            self._seen = {n: t for n, t in self._seen.items() if now - t < 2 * SKEW}
            if nonce in self._seen:
                raise AuthenticationError("request replayed")
            self._seen[nonce] = now
