"""What entrepot writes beside a warehouse is never committed by accident."""

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.skipif(
    shutil.which("git") is None or not (ROOT / ".git").exists(),
    reason="not a git checkout",
)
def test_files_beside_a_warehouse_are_ignored():
    beside = [
        "entrepot-demo.duckdb",
        "entrepot-demo.duckdb.wal",
        "entrepot-demo.duckdb.waiting",  # a command waiting for a server
        "entrepot-demo.duckdb.credentials",  # the demo's login
        "entrepot-demo.duckdb.audit-anchor",  # the audit log's anchor
        "entrepot-demo.duckdb.search/entrepot.json",  # the search index
    ]
    done = subprocess.run(
        ["git", "check-ignore", "--no-index", *beside],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.stdout.split() == beside
