"""The process that keeps a DuckDB file is named as its user typed it."""

import pytest

from entrepot.warehouse._connect import _command


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
