"""The cohort package builds no SQL and knows no engine: the warehouse's Store
owns transactions, temporary tables, drops, deletes and inserts."""

import ast
from pathlib import Path

import entrepot.cohort

PACKAGE = Path(entrepot.cohort.__file__).parent


def _uses(path: Path) -> set[str]:
    """Imported modules and attribute names a module uses."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            found.add(node.module or "")
        elif isinstance(node, ast.Attribute):
            found.add(node.attr)
    return found


def test_no_sql_statement_and_no_engine_in_the_cohort_package():
    banned = {"sqlglot", "sqlglot.expressions", "raw_sql", "con", "compile"}
    offending = {
        str(path.relative_to(PACKAGE)): sorted(_uses(path) & banned)
        for path in sorted(PACKAGE.rglob("*.py"))
        if _uses(path) & banned
    }
    assert offending == {}
