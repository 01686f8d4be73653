"""Failed logins slow down, then lock: a password cannot be found by trying.

Failures are counted per account and per address. After `free` failures in a
row (3 for an account; 20 for an address, which several users may share
behind a proxy), each further attempt from that account or address waits
twice as long as the one before (1 s, 2 s, 4 s… at most `max_wait`); an
account that fails `lock_after` times in a row is locked for `lock_seconds`,
whatever the address. A success clears that account's and that address's count. Held in
memory, bounded: the oldest records go first.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from entrepot.errors import LoginThrottledError

MAX_RECORDS = 10_000


class LoginThrottle:
    def __init__(
        self,
        *,
        free: dict[str, int] | None = None,
        max_wait: float = 300,
        lock_after: int = 10,
        lock_seconds: float = 900,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free = {"account": 3, "address": 20} | (free or {})
        self.max_wait = max_wait
        self.lock_after, self.lock_seconds = lock_after, lock_seconds
        self._clock = clock
        self._records: OrderedDict[tuple[str, str], list[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, account: str, address: str) -> None:
        """Refuse an attempt made before its time (LoginThrottledError)."""
        with self._lock:
            now = self._clock()
            until = max(
                self._record(("account", account))[1],
                self._record(("address", address))[1],
            )
        if until > now:
            wait = math.ceil(until - now)
            raise LoginThrottledError(
                f"too many failed logins: try again in {wait} s", retry_after=wait
            )

    def failed(self, account: str, address: str) -> str | None:
        """Count a failure; 'locked' or 'throttled' when that starts now, for the audit."""
        event = None
        with self._lock:
            now = self._clock()
            for key in (("account", account), ("address", address)):
                record = self._record(key)
                record[0] += 1
                failures = record[0]
                if key[0] == "account" and failures >= self.lock_after:
                    record[1] = now + self.lock_seconds
                    event = "locked" if failures == self.lock_after else event
                elif failures > (free := self.free[key[0]]):
                    wait = min(2.0 ** (failures - free - 1), self.max_wait)
                    record[1] = max(record[1], now + wait)
                    event = event or ("throttled" if failures == free + 1 else None)
        return event

    def succeeded(self, account: str, address: str) -> None:
        with self._lock:
            self._records.pop(("account", account), None)
            self._records.pop(("address", address), None)

    def _record(self, key: tuple[str, str]) -> list[float]:
        """[failures in a row, no attempt before this time]."""
        record = self._records.setdefault(key, [0, 0.0])
        self._records.move_to_end(key)
        while len(self._records) > MAX_RECORDS:
            self._records.popitem(last=False)
        return record
