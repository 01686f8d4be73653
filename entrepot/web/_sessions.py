"""Sessions: opaque random tokens held in the server's memory.

A token names a user, its role and a CSRF token for cookie-borne requests.
A session ends when it has not been used for `idle` seconds, and `maximum`
seconds after the login however busy it is (both set by `entrepot serve`).
Nothing is written to disk: restarting the server logs everyone out. Logins
that open sessions are throttled (`entrepot.privacy.LoginThrottle`).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from entrepot.privacy import LoginThrottle

#: A session unused this long ends.
IDLE_SECONDS = 30 * 60
#: A session ends this long after the login, used or not.
SESSION_SECONDS = 8 * 3600


@dataclass(frozen=True)
class Session:
    user: str
    role: str
    token: str
    csrf: str
    expires: float = field(compare=False)  # the absolute end, on the sessions' clock


class Sessions:
    def __init__(
        self,
        *,
        idle: float = IDLE_SECONDS,
        maximum: float = SESSION_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.idle, self.maximum = idle, maximum
        self.throttle = LoginThrottle()
        self._clock = clock
        self._by_token: dict[str, Session] = {}
        self._last_use: dict[str, float] = {}
        self._lock = threading.Lock()

    def open(self, user: str, role: str) -> Session:
        now = self._clock()
        session = Session(
            user,
            role,
            secrets.token_urlsafe(32),
            secrets.token_urlsafe(16),
            now + self.maximum,
        )
        with self._lock:
            for token in [t for t in self._by_token if self._ended(t, now)]:
                self._drop(token)  # sessions nobody closed do not pile up
            self._by_token[session.token] = session
            self._last_use[session.token] = now
        return session

    def get(self, token: str | None) -> Session | None:
        """The live session of a token (its use counts), or None."""
        if not token:
            return None
        now = self._clock()
        with self._lock:
            if token not in self._by_token:
                return None
            if self._ended(token, now):
                self._drop(token)
                return None
            self._last_use[token] = now
            return self._by_token[token]

    def _ended(self, token: str, now: float) -> bool:
        return (
            now >= self._by_token[token].expires
            or now - self._last_use[token] >= self.idle
        )

    def _drop(self, token: str) -> None:
        self._by_token.pop(token, None)
        self._last_use.pop(token, None)

    def close(self, token: str) -> None:
        with self._lock:
            self._drop(token)

    def close_user(self, user: str) -> None:
        """End every session of a user (removed, or role changed)."""
        with self._lock:
            for token in [t for t, s in self._by_token.items() if s.user == user]:
                self._drop(token)
