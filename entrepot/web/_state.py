"""What the server holds between requests: the warehouse, its readers, a cache."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from concurrent.futures import Future
from contextlib import contextmanager
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

    Reads (`read`, and the answers `cached` computes) run side by side, each
    on a connection of its own to the open warehouse (`Warehouse.reader`:
    DuckDB runs them in parallel). A write (`use`) runs alone: it waits for
    the reads running, and new reads wait for it, so that no read sees a write
    halfway; DuckDB takes one writer process. The release gate's bookkeeping
    done inside reads (audit entries queued, persons released to a project)
    is kept in order by the privacy module. With `readers=False`, or on an
    engine with one connection (Spark: its session runs each query in
    parallel), reads take turns like writes (`bench/serve.py`'s baseline).

    When the state owns a DuckDB warehouse (`own=True`, as `entrepot serve`),
    it opens the file for each burst of uses and closes it when another
    process waits for it (or `KEEP_OPEN` seconds after), so that CLI commands
    can work on a served warehouse between requests. Read-only answers
    (counts, plots) are cached under keys whose first element says what they
    are about, until a write says it changed that (`changed()`), or another
    process wrote the file; an answer whose computation overlapped such a
    change is not kept. Audit entries are queued and written by a thread of
    their own, in one transaction (`defer_audit`): before the file is let go,
    before the log is read, and when the state closes.
    """

    def __init__(
        self,
        wh,
        *,
        own: bool = False,
        sessions: Sessions | None = None,
        readers: bool = True,
    ) -> None:
        self.sessions = sessions or Sessions()
        self.jobs = Jobs()
        self._wh = wh
        self._own = own
        # Who uses the warehouse: guards the fields down to `_handles`.
        self._lock = threading.Condition()
        self._readers = 0  # reads running
        self._writer: int | None = None  # the thread whose write runs
        self._waiting = 0  # writes waiting for the reads to end
        first = wh.reader() if readers and wh is not None else None
        self._concurrent = first is not None
        self._handles = [first] if first else []  # readers' warehouses
        self._free = list(self._handles)  # those no read uses now
        self._local = threading.local()  # what this thread holds
        self._cache_lock = threading.Lock()
        self._cache: dict[Hashable, Any] = {}
        self._generation = 0
        self._versions: dict[Hashable, int] = {}  # changes of each kind
        self._computing: dict[Hashable, Future] = {}  # answers being computed
        self._last_use = 0.0
        self._releasing = own and wh.engine == "duckdb"
        self._stopping = threading.Event()
        self._audit = None if wh is None else defer_audit(wh)  # None: a schema's app
        if self._releasing:
            self._uri = wh.uri
            self._release()
        self._housekeeper = threading.Thread(
            target=self._housekeep, name="entrepot-housekeeping", daemon=True
        )
        if wh is not None:
            self._housekeeper.start()

    def use(self, work: Callable[..., T], *args, **kwargs) -> T:
        """Run `work(wh, *args, **kwargs)` alone on the warehouse (a write)."""
        with self._exclusive():
            if self._wh is None:
                self._reopen()
            try:
                return work(self._wh, *args, **kwargs)
            finally:
                self._last_use = time.monotonic()

    def read(self, work: Callable[..., T], *args, **kwargs) -> T:
        """Run `work(wh, *args, **kwargs)` beside other reads, on a connection
        of its own: work that writes nothing but what the release gate records
        (audit entries, persons released)."""
        with self._shared() as wh:
            try:
                return work(wh, *args, **kwargs)
            finally:
                self._last_use = time.monotonic()

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the warehouse alone: after the reads running, before new ones."""
        held = getattr(self._local, "held", None)
        if held == "write":  # a use inside a use
            yield
            return
        if held == "read":
            raise RuntimeError("a write inside a read: `use` the whole work")
        with self._lock:
            self._waiting += 1
            try:
                while self._writer is not None or self._readers:
                    self._lock.wait()
            finally:
                self._waiting -= 1
            self._writer = threading.get_ident()
        self._local.held = "write"
        try:
            yield
        finally:
            self._local.held = None
            with self._lock:
                self._writer = None
                self._lock.notify_all()

    @contextmanager
    def _shared(self) -> Iterator[Any]:
        """A warehouse of this thread's own while no write runs."""
        held = getattr(self._local, "held", None)
        if held is not None:  # a read inside a use or a read: the same one
            yield self._wh if held == "write" else self._local.wh
            return
        if not self._concurrent:
            with self._exclusive():
                if self._wh is None:
                    self._reopen()
                yield self._wh
            return
        with self._lock:
            while self._writer is not None or self._waiting:
                self._lock.wait()
            if self._wh is None:
                self._reopen()  # nobody uses the warehouse now
            self._readers += 1
            wh = self._free.pop() if self._free else None
        try:
            if wh is None:
                wh = self._wh.reader()
                with self._lock:
                    self._handles.append(wh)
            self._local.held, self._local.wh = "read", wh
            yield wh
        finally:
            self._local.held = self._local.wh = None
            with self._lock:
                if wh is not None:
                    self._free.append(wh)
                self._readers -= 1
                self._lock.notify_all()

    def _reopen(self) -> None:
        """Open the file again, after any process already waiting for it;
        forget every answer if another process wrote it."""
        deadline = time.monotonic() + KEEP_OPEN
        while someone_waits(self._uri.path) and time.monotonic() < deadline:
            time.sleep(LOOK_EVERY)
        if _stamp(self._uri.path) != self._stamp:
            self.changed()
        self._wh = Warehouse.open(str(self._uri))
        if self._concurrent:
            self._handles = [self._wh.reader()]
            self._free = list(self._handles)

    def _release(self) -> None:
        """Let the file go (with the warehouse held alone, or not yet shared)."""
        self._flush_audit(self._wh)  # another process may read the log next
        self._close_readers()
        self._wh.close()
        self._wh = None
        self._stamp = _stamp(self._uri.path)

    def _close_readers(self) -> None:
        for handle in self._handles:
            handle.close()
        self._handles, self._free = [], []

    def _housekeep(self) -> None:
        """Write the queued audit entries when the warehouse has been unused
        `AUDIT_IDLE` seconds, or the oldest has waited `AUDIT_EVERY`; let the
        file go when it is due (a thread)."""
        while not self._stopping.wait(LOOK_EVERY):
            idle = time.monotonic() - self._last_use
            if (
                self._audit is not None
                and len(self._audit)
                and (idle >= AUDIT_IDLE or self._audit.age() >= AUDIT_EVERY)
            ):
                self.read(self._flush_audit)
            if self._releasing and self._release_due():
                with self._exclusive():
                    if self._release_due():
                        self._release()

    def _release_due(self) -> bool:
        """Whether to let the file go: another process waits for it, or it
        has been unused `KEEP_OPEN` seconds."""
        if self._wh is None or self._stopping.is_set():
            return False
        if someone_waits(self._uri.path):  # a command: its turn now
            return True
        unused = self._readers == 0 and self._writer in (None, threading.get_ident())
        return unused and time.monotonic() - self._last_use >= KEEP_OPEN

    def _flush_audit(self, wh) -> None:
        """Write the queued entries (they stay queued if that fails)."""
        try:
            self._audit.flush(wh)
        except Exception as e:  # the request that queued them has been answered
            log.warning("audit entries not written yet (%s): retried later", e)

    def cached(
        self,
        key: Hashable,
        work: Callable[..., T],
        *args,
        max_age: float | None = None,
        reads: bool = True,
        **kwargs,
    ) -> T:
        """`read(work, ...)` (work that only reads), remembered under `key`
        until the warehouse changes (or for `max_age` seconds at most). Asked
        while another thread computes it, it waits for that computation (but
        inside a use or a read, which that computation may be waiting for).
        With `reads=False`, `work(*args, ...)` runs outside any read and
        makes its own (answers it asks of `cached` are then waited for too)."""
        kind = _kind(key)
        alone = getattr(self._local, "held", None) is None  # else a use's, a read's
        with self._cache_lock:
            seen = (self._generation, self._versions.get(kind, 0))
            hit = self._cache.get(key)
            now = time.monotonic()
            if hit is not None and (max_age is None or now - hit[0] <= max_age):
                return hit[1]
            computing = self._computing.get(key) if alone else None
            if computing is None and alone:
                self._computing[key] = answer = Future()
        if computing is not None:
            return computing.result()
        try:
            if reads:
                value = self.read(work, *args, **kwargs)
            else:
                value = work(*args, **kwargs)
        except BaseException as e:
            if alone:
                answer.set_exception(e)
            raise
        finally:
            if alone:
                with self._cache_lock:
                    del self._computing[key]
        if alone:
            answer.set_result(value)
        with self._cache_lock:
            if seen == (self._generation, self._versions.get(kind, 0)):
                self._cache.pop(key, None)
                self._cache[key] = (now, value)
                while len(self._cache) > MAX_CACHED:  # the oldest answers go first
                    del self._cache[next(iter(self._cache))]
        return value

    def changed(self, *kinds: str) -> None:
        """Forget cached answers after a write: those whose key starts with one
        of `kinds` (`changed("cohorts", "describe")`), or all of them."""
        with self._cache_lock:
            if not kinds:
                self._generation += 1
                self._cache.clear()
                return
            for kind in kinds:
                self._versions[kind] = self._versions.get(kind, 0) + 1
            for key in [k for k in self._cache if _kind(k) in kinds]:
                del self._cache[key]

    def close(self) -> None:
        """Wait for the background jobs, write the queued audit entries, then
        close the warehouse if owned."""
        self.jobs.close()
        self._stopping.set()
        if self._housekeeper.is_alive():
            self._housekeeper.join()
        if self._audit is not None:
            self.use(self._audit.close)
        with self._exclusive():
            self._releasing = False
            self._close_readers()
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
