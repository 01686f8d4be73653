"""Real ATLAS exports: a sample of OHDSI's PhenotypeLibrary, exactly as it ships
(see phenotype_library/PROVENANCE.md), run on Eunomia and compared with the SQL
circepy generates for each: same rows, persons, entries and person-days."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import duckdb
import pytest

from bench.cohort import circe_rows, circe_sql, entrepot_rows, run_circe
from entrepot.cohort import run_cohort

LIBRARY = Path(__file__).parent / "phenotype_library"
DEFINITIONS = sorted(int(p.stem) for p in LIBRARY.glob("*.json"))
SLOW = {1071}  # circepy's SQL takes a minute to translate to DuckDB
# circepy 0.3.0 fails on these: Eunomia stores measurement.value_as_number as
# text, which its SQL compares with a number. entrepot reads it as a number:
# Eunomia has no value, so no measurement qualifies (figures worked by hand).
CIRCEPY_FAILS = {940: (duckdb.BinderException, (0, 0, 0))}


def figures(rows: list[tuple]) -> tuple[int, int, int]:
    """Persons, entries and person-days of cohort rows."""
    days = sum((end - start).days for _, start, end in rows)
    return len({person for person, _, _ in rows}), len(rows), days


def _param(cohort_id: int):
    marks = [pytest.mark.slow] if cohort_id in SLOW else []
    if cohort_id in CIRCEPY_FAILS:
        error, _ = CIRCEPY_FAILS[cohort_id]
        marks.append(
            pytest.mark.xfail(raises=error, strict=True, reason="circepy 0.3.0's SQL")
        )
    return pytest.param(cohort_id, marks=marks, id=str(cohort_id))


@pytest.mark.parametrize("cohort_id", [_param(i) for i in DEFINITIONS])
def test_same_figures_as_circepy(eunomia, cohort_id):
    path = LIBRARY / f"{cohort_id}.json"
    result = run_cohort(eunomia, path, cohort_id=cohort_id)
    con = eunomia.con.con
    try:
        run_circe(eunomia, circe_sql(json.loads(path.read_text()), cohort_id))
    finally:  # the temporary tables of circepy's statements that ran
        for (table,) in con.execute(
            "SELECT table_name FROM duckdb_tables()"
            " WHERE temporary AND NOT starts_with(table_name, '_entrepot')"
        ).fetchall():
            con.execute(f'DROP TABLE "{table}"')
    expected = circe_rows(eunomia, cohort_id)
    assert entrepot_rows(eunomia, cohort_id) == expected
    assert (result.count, result.entries, result.person_days) == figures(expected)


@pytest.mark.parametrize("cohort_id", list(CIRCEPY_FAILS))
def test_where_circepy_fails_the_figures_worked_by_hand(eunomia, cohort_id):
    result = run_cohort(eunomia, LIBRARY / f"{cohort_id}.json", cohort_id=cohort_id)
    _, expected = CIRCEPY_FAILS[cohort_id]
    assert (result.count, result.entries, result.person_days) == expected


def test_the_sample_is_the_library_s_files_as_exported():
    """Each file is listed with git's object id of the library's file."""
    listed = dict(
        re.findall(r"\| `(\d+\.json)` \|[^|]*\| `([0-9a-f]{40})` \|", _provenance())
    )
    assert sorted(listed) == sorted(f"{i}.json" for i in DEFINITIONS)
    for name, blob in listed.items():
        content = (LIBRARY / name).read_bytes()
        header = f"blob {len(content)}\0".encode()
        assert hashlib.sha1(header + content).hexdigest() == blob, name
        assert json.loads(content)["cdmVersionRange"] == ">=5.0.0"


def _provenance() -> str:
    return (LIBRARY / "PROVENANCE.md").read_text(encoding="utf-8")
