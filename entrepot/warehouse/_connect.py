"""Opening a DuckDB file that another process may keep for a moment.

DuckDB lets one process write a file. The server keeps it only while it
answers, and a command only while it runs: whoever comes next waits a while,
and is then told which process keeps it.
"""

from __future__ import annotations

import os
import re
import time
from contextlib import suppress
from pathlib import Path

import duckdb
import ibis

from entrepot.errors import ParameterError, WarehouseBusyError

#: Seconds to wait for a file that another process keeps ($ENTREPOT_LOCK_WAIT).
LOCK_WAIT = 10.0
LOCK_WAIT_ENV = "ENTREPOT_LOCK_WAIT"


#: DuckDB's memory cap ($ENTREPOT_DUCKDB_MEMORY, e.g. 4GB; DuckDB's default:
#: 80 % of the machine's): beyond it, DuckDB spills to `<file>.tmp/`.
MEMORY_ENV = "ENTREPOT_DUCKDB_MEMORY"
_MEMORY = re.compile(r"\d+(\.\d+)?\s*[KMGT]i?B", re.IGNORECASE)

#: A process waiting for the file says so in this file beside it, refreshed at
#: each try, so that a server holding it lets it go at once (`someone_waits`).
WAITING_SUFFIX = ".waiting"
RETRY_SECONDS = 0.05


def connect(path: Path, read_only: bool) -> ibis.BaseBackend:
    """A connection to the file, waiting a while for another process (a server
    answering a request, a command) to let it go: DuckDB has one writer."""
    config = _config()
    deadline = time.monotonic() + _lock_wait()
    waiting = _waiting_file(path)
    asked = False
    try:
        while True:
            try:
                return ibis.duckdb.connect(str(path), read_only=read_only, **config)
            except duckdb.IOException as e:
                if not _let_go(path, str(e)):
                    raise
                if time.monotonic() >= deadline:
                    raise WarehouseBusyError(
                        f"{path} is in use by {_holder(str(e))}: "
                        "try again when it is done"
                    ) from None
            with suppress(OSError):
                waiting.touch()
                asked = True
            time.sleep(RETRY_SECONDS)
    finally:
        if asked:
            waiting.unlink(missing_ok=True)


def _let_go(path: Path, message: str) -> bool:
    """Whether the error is another process keeping the file, or letting it
    go: its write-ahead log seen, then removed by that process's last
    checkpoint before DuckDB could open it."""
    wal = f"{path.name}.wal"
    return "Could not set lock" in message or (
        wal in message and "No such file" in message
    )


def someone_waits(path: Path) -> bool:
    """Whether another process is trying to open the file now."""
    try:
        asked = _waiting_file(path).stat().st_mtime
    except FileNotFoundError:
        return False
    return time.time() - asked < 20 * RETRY_SECONDS  # else left by a killed process


def _waiting_file(path: Path) -> Path:
    return path.with_name(path.name + WAITING_SUFFIX)


def _lock_wait() -> float:
    text = os.environ.get(LOCK_WAIT_ENV, "")
    try:
        return float(text) if text else LOCK_WAIT
    except ValueError:
        raise ParameterError(
            f"{LOCK_WAIT_ENV}={text!r}: give seconds, e.g. 10"
        ) from None


def _config() -> dict[str, str]:
    """DuckDB's settings from the environment (`MEMORY_ENV`)."""
    limit = os.environ.get(MEMORY_ENV, "").strip()
    if not limit:
        return {}
    if not _MEMORY.fullmatch(limit):
        raise ParameterError(
            f"{MEMORY_ENV}={limit!r}: give a size with its unit, e.g. 4GB"
        )
    return {"memory_limit": limit}


def _holder(message: str) -> str:
    """The process DuckDB names in its lock error, with its command line."""
    found = re.search(r"held in (.*?) \(PID (\d+)\)", message)
    if found is None:
        return "another process"
    program, pid = found.groups()
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:  # not Linux, or not ours to read
        return f"PID {pid} ({program})"
    return f"PID {pid} ({_command(args.rstrip(chr(0)).split(chr(0)))[:120]})"


def _command(args: list[str]) -> str:
    """A command line as typed: `entrepot serve`, not `/usr/bin/python3
    /venv/bin/entrepot serve` or `python -m entrepot serve`."""
    if Path(args[0]).name.startswith("python") and len(args) > 1:
        if args[1] == "-m":
            args = args[2:]
        elif not args[1].startswith("-"):
            args = args[1:]
    return " ".join([Path(args[0]).name, *args[1:]])
