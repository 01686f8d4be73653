"""The process that keeps a DuckDB file is named as its user typed it."""

import pytest

from entrepot.warehouse._connect import _command, _let_go


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (["/venv/bin/python", "-m", "entrepot", "serve"], "entrepot serve"),
        (
            ["/usr/bin/python3.11", "/venv/bin/entrepot", "load", "x/"],
            "entrepot load x/",
        ),
        (["/usr/bin/python3", "-c", "import time"], "python3 -c import time"),
        (["/usr/local/bin/duckdb", "eds.duckdb"], "duckdb eds.duckdb"),
    ],
)
def test_command_lines_are_named_as_typed(argv, named):
    assert _command(argv) == named


def test_a_log_removed_by_the_process_letting_the_file_go_is_waited_for(tmp_path):
    """The error a server met in CI while a backup's process closed the file
    (its write-ahead log seen, then gone): waited for as a lock is; another
    file missing is not."""
    path = tmp_path / "eds.duckdb"
    gone = f'IO Error: Cannot open file "{path}.wal": No such file or directory'
    assert _let_go(path, gone)
    assert _let_go(path, "IO Error: Could not set lock on file")
    other = (
        f'IO Error: Cannot open file "{tmp_path}/x.parquet": No such file or directory'
    )
    assert not _let_go(path, other)
