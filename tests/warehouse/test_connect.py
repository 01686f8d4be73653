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


def test_duckdbs_memory_is_capped_from_the_environment(tmp_path, monkeypatch):
    """$ENTREPOT_DUCKDB_MEMORY caps what DuckDB holds before it spills; a
    size without its unit is refused, naming the variable."""
    from entrepot.errors import ParameterError
    from entrepot.warehouse._connect import MEMORY_ENV, connect

    monkeypatch.setenv(MEMORY_ENV, "300MB")
    con = connect(tmp_path / "eds.duckdb", read_only=False)
    limit = con.raw_sql("SELECT current_setting('memory_limit')").fetchone()[0]
    con.disconnect()
    assert limit == "286.1 MiB"  # 300 * 10**6 bytes
    monkeypatch.setenv(MEMORY_ENV, "300")
    with pytest.raises(ParameterError, match="ENTREPOT_DUCKDB_MEMORY='300': give"):
        connect(tmp_path / "eds.duckdb", read_only=False)
