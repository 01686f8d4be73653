"""What the server holds between requests: the warehouse, its lock, a cache."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import Any, TypeVar

from fastapi import Request

from entrepot.privacy import defer_audit
from entrepot.warehouse import Warehouse, someone_waits
from entrepot.web._jobs import Jobs
from entrepot.web._sessions import Sessions

T = TypeVar("T")
#: Answers kept at most (searches and vocabulary look-ups are many).
MAX_CACHED = 2_000
#: Seconds a DuckDB file stays open after its last use, unless an entrepot
#: process waits for it (it is then let go at once): requests close together
#: share one connection, and other tools find the file free after a pause.
KEEP_OPEN = 5.0
#: Seconds between two looks for a process waiting for the file.
LOOK_EVERY = 0.05
#: Audit entries wait in memory until the warehouse has been unused this many
#: seconds, or until the oldest has waited `AUDIT_EVERY`; then they are
#: written together, off the path of any request.
AUDIT_IDLE = 0.2
AUDIT_EVERY = 1.0

log = logging.getLogger(__name__)


class WebState:
    """One warehouse shared by every request.

    DuckDB takes one writer, and the audit log is a hash chain: every use of
    the warehouse goes through `use`, which holds one lock. When the state
    owns a DuckDB warehouse (`own=True`, as `entrepot serve`), it opens the
    file for each burst of uses and closes it when another process waits for
    it (or `KEEP_OPEN` seconds after), so that CLI commands can work on a
    served warehouse between requests. Read-only answers (counts, plots) are
    cached under keys whose first element says what they are about, until a
    write says it changed that (`changed()`), or another process wrote the file.
    Audit entries are queued and written by a thread of their own, in one
    transaction (`defer_audit`): before the file is let go, before the log is
    read, and when the state closes.
    """

    def __init__(
        self, wh, *, own: bool = False, sessions: Sessions | None = None
    ) -> None:
        self.sessions = sessions or Sessions()
        self.jobs = Jobs()
        self._wh = wh
        self._own = own
        self._lock = threading.RLock()
        self._used = threading.Condition(self._lock)
        self._cache: dict[Hashable, Any] = {}
        self._generation = 0
        self._last_use = 0.0
        self._depth = 0  # uses running, one inside another
        self._releasing = own and wh.engine == "duckdb"
        self._stopping = threading.Event()
        self._audit = None if wh is None else defer_audit(wh)  # None: a schema's app
        if self._audit is not None:
            threading.Thread(
                target=self._write_audit, name="entrepot-audit", daemon=True
            ).start()
        if self._releasing:
            self._uri = wh.uri
            self._release()
            threading.Thread(
                target=self._release_when_idle, name="entrepot-release", daemon=True
            ).start()

    def use(self, work: Callable[..., T], *args, **kwargs) -> T:
        """Run `work(wh, *args, **kwargs)` alone on the warehouse."""
        with self._lock:
            self._depth += 1
            try:
                if self._wh is None:
                    self._reopen()
                return work(self._wh, *args, **kwargs)
            finally:
                self._depth -= 1
                self._last_use = time.monotonic()
                if self._releasing and not self._depth and self._wh is not None:
                    if someone_waits(self._uri.path):  # a command: its turn now
                        self._release()
                self._used.notify()

    def _reopen(self) -> None:
        """Open the file again, after any process already waiting for it;
        forget every answer if another process wrote it."""
        deadline = time.monotonic() + KEEP_OPEN
        while someone_waits(self._uri.path) and time.monotonic() < deadline:
            time.sleep(LOOK_EVERY)
        if _stamp(self._uri.path) != self._stamp:
            self.changed()
        self._wh = Warehouse.open(str(self._uri))

    def _release(self) -> None:
        self._flush_audit()  # another process may read the log next
        self._wh.close()
        self._wh = None
        self._stamp = _stamp(self._uri.path)

    def _release_when_idle(self) -> None:
        """Close the file `KEEP_OPEN` seconds after its last use, or as soon
        as another process waits for it (a thread)."""
        with self._used:
            while self._releasing:
                idle = time.monotonic() - self._last_use
                if self._wh is None:
                    self._used.wait()
                elif idle >= KEEP_OPEN or someone_waits(self._uri.path):
                    self._release()
                else:
                    self._used.wait(min(KEEP_OPEN - idle, LOOK_EVERY))

    def _write_audit(self) -> None:
        """Write the queued audit entries when the warehouse has been unused
        `AUDIT_IDLE` seconds, or the oldest has waited `AUDIT_EVERY` (a thread)."""
        while not self._stopping.wait(LOOK_EVERY):
            idle = time.monotonic() - self._last_use
            if len(self._audit) and (
                idle >= AUDIT_IDLE or self._audit.age() >= AUDIT_EVERY
            ):
                self.use(lambda wh: self._flush_audit())

    def _flush_audit(self) -> None:
        """Write the queued entries (they stay queued if that fails)."""
        try:
            self._audit.flush(self._wh)
        except Exception as e:  # the request that queued them has been answered
            log.warning("audit entries not written yet (%s): retried later", e)

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
        """Wait for the background jobs, write the queued audit entries, then
        close the warehouse if owned."""
        self.jobs.close()
        self._stopping.set()
        if self._audit is not None:
            self.use(self._audit.close)
        with self._used:
            self._releasing = False
            self._used.notify()
            if self._own and self._wh is not None:
                self._wh.close()


def _stamp(path: Path) -> tuple:
    """What changes when a process writes a DuckDB file or its log."""
    found = []
    for file in (path, path.with_name(path.name + ".wal")):
        try:
            st = file.stat()
        except FileNotFoundError:
            found.append(None)
        else:
            found.append((st.st_ino, st.st_size, st.st_mtime_ns))
    return tuple(found)


def _kind(key: Hashable) -> Hashable:
    return key[0] if isinstance(key, tuple) and key else key


def state(request: Request) -> WebState:
    return request.app.state.web
