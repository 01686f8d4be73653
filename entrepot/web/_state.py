"""What the server holds between requests: the warehouse, its lock, a cache."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from fastapi import Request

from entrepot.web._jobs import Jobs
from entrepot.web._sessions import Sessions

T = TypeVar("T")
#: Answers kept at most (searches and vocabulary look-ups are many).
MAX_CACHED = 2_000


class WebState:
    """One warehouse shared by every request.

    DuckDB takes one writer, and the audit log is a hash chain: every use of
    the warehouse goes through `use`, which holds one lock. Read-only
    answers (counts, plots) are cached under keys whose first element says
    what they are about, until a write says it changed that (`changed()`).
    """

    def __init__(self, wh) -> None:
        self.wh = wh
        self.sessions = Sessions()
        self.jobs = Jobs()
        self._lock = threading.RLock()
        self._cache: dict[Hashable, Any] = {}
        self._generation = 0

    def use(self, work: Callable[..., T], *args, **kwargs) -> T:
        """Run `work(wh, *args, **kwargs)` alone on the warehouse."""
        with self._lock:
            return work(self.wh, *args, **kwargs)

    def cached(
        self,
        key: Hashable,
        work: Callable[..., T],
        *args,
        max_age: float | None = None,
        **kwargs,
    ) -> T:
        """`use(work, ...)`, remembered under `key` until the warehouse changes
        (or for `max_age` seconds at most)."""
        generation = self._generation
        hit = self._cache.get((generation, key))
        now = time.monotonic()
        if hit is not None and (max_age is None or now - hit[0] <= max_age):
            return hit[1]
        value = self.use(work, *args, **kwargs)
        with self._lock:
            self._cache[(generation, key)] = (now, value)
            while len(self._cache) > MAX_CACHED:  # the oldest answers go first
                del self._cache[next(iter(self._cache))]
        return value

    def changed(self, *kinds: str) -> None:
        """Forget cached answers after a write: those whose key starts with one
        of `kinds` (`changed("cohorts", "describe")`), or all of them."""
        with self._lock:
            if not kinds:
                self._generation += 1
                self._cache.clear()
                return
            for key in [k for k in self._cache if _kind(k[1]) in kinds]:
                del self._cache[key]

    def close(self) -> None:
        self.jobs.close()
        self.wh.close()


def _kind(key: Hashable) -> Hashable:
    return key[0] if isinstance(key, tuple) and key else key


def state(request: Request) -> WebState:
    return request.app.state.web
