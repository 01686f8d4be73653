"""Sessions: opaque random tokens held in the server's memory.

A token names a user, its role, a CSRF token for cookie-borne requests and
an expiry. Nothing is written to disk: restarting the server logs everyone
out. Logins that open sessions are throttled (`entrepot.privacy.LoginThrottle`).
"""

from __future__ import annotations

import secrets
import threading
import time
from dataclasses import dataclass, field

from entrepot.privacy import LoginThrottle

SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Session:
    user: str
    role: str
    token: str
    csrf: str
    expires: float = field(compare=False)


class Sessions:
    def __init__(self, seconds: int = SESSION_SECONDS) -> None:
        self.seconds = seconds
        self.throttle = LoginThrottle()
        self._by_token: dict[str, Session] = {}
        self._lock = threading.Lock()

    def open(self, user: str, role: str) -> Session:
        session = Session(
            user,
            role,
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(16),
            time.monotonic() + self.seconds,
        )
        with self._lock:
            self._by_token[session.token] = session
        return session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        with self._lock:
            session = self._by_token.get(token)
            if session is not None and session.expires < time.monotonic():
                del self._by_token[token]
                return None
        return session

    def close(self, token: str) -> None:
        with self._lock:
            self._by_token.pop(token, None)

    def close_user(self, user: str) -> None:
        """End every session of a user (removed, or role changed)."""
        with self._lock:
            for token in [t for t, s in self._by_token.items() if s.user == user]:
                del self._by_token[token]
