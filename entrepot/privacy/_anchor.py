"""The audit log's anchor: its successive heads, kept outside the warehouse.

A hash chain alone cannot show that entries were cut from its end, nor that
someone with write access to the warehouse rewrote it from some point on:
what remains is a valid chain. So after each append the new head (how many
entries were ever appended, and the last hash) is appended to an anchor file
that such a person cannot reach (keep it on another disk, or ship its lines
to a log server), and `verify` checks that every head it records is still
in the chain.

The file is `$ENTREPOT_AUDIT_ANCHOR`, else beside the warehouse:
`eds.duckdb.audit-anchor` for `eds.duckdb`, `eds.audit-anchor` for the
folder of `spark:eds`. It is only read by `verify`, so a read-only
warehouse never writes it.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from entrepot.errors import PrivacyError

#: Environment variable naming the anchor file.
ANCHOR_ENV = "ENTREPOT_AUDIT_ANCHOR"
SUFFIX = ".audit-anchor"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Head:
    """The last entry of the log: its seq (entries ever appended) and hash."""

    entries: int
    hash: str

    def as_dict(self) -> dict:
        return {"entries": self.entries, "hash": self.hash}


def anchor_path(wh, environ: dict | None = None) -> Path:
    """Where the warehouse's anchor is kept ($ENTREPOT_AUDIT_ANCHOR, else beside it)."""
    environ = os.environ if environ is None else environ
    if environ.get(ANCHOR_ENV):
        return Path(environ[ANCHOR_ENV]).expanduser()
    path = wh.uri.path  # a DuckDB file or a Spark folder: the anchor sits beside it
    return path.with_name(path.name + SUFFIX)


def record_head(path: Path, head: Head) -> None:
    """Append `head` to the anchor, on disk before returning.

    Called once the entry is committed: an anchor that could not be written
    only lags (the log still verifies), so a failure is logged, not raised,
    as the audited action has already happened.
    """
    at = datetime.now(UTC).replace(microsecond=0).isoformat()
    line = json.dumps(head.as_dict() | {"at": at}) + "\n"
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(line)
            f.flush()
            os.fsync(f.fileno())
    except OSError as e:
        log.warning(
            "audit anchor %s cannot be written (%s): entry %d is not anchored",
            path,
            e.strerror,
            head.entries,
        )


def read_heads(path: Path) -> list[Head]:
    """Every head the anchor recorded, oldest first (none when it does not exist)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    except (OSError, UnicodeDecodeError) as e:
        raise PrivacyError(f"audit anchor {path}: cannot be read ({e})") from None
    heads = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            heads.append(Head(int(item["entries"]), str(item["hash"])))
        except (ValueError, KeyError, TypeError):
            raise PrivacyError(
                f'audit anchor {path} line {number}: expected {{"entries", "hash"}}'
            ) from None
    return heads


def check_heads(
    first: int | None,
    entries: int,
    stored: dict[int, tuple[int, str]],
    heads: list[Head],
) -> int | None:
    """The first position (1-based) where the log disagrees with the recorded
    heads, or None: a head whose entry holds another hash (rewritten), or
    that is past the end (entries cut). `first`: the seq of the first entry
    kept, `entries`: how many are kept, `stored`: seq → (position, hash) of
    those at the heads' seqs. Heads older than the first entry kept were
    removed by retention, and are skipped."""
    bad = []
    for head in heads:
        if head.entries in stored:
            position, value = stored[head.entries]
            if value != head.hash:
                bad.append(position)
        elif first is None or head.entries > first:
            bad.append(entries + 1)
    return min(bad, default=None)
