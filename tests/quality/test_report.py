"""The HTML report: one file, no external resource, failing checks with examples, plots."""

from __future__ import annotations

import re

from entrepot.quality import run_checks
from entrepot.quality.characterization import describe
from entrepot.quality.report import write_report

from .conftest import TODAY, sql


def test_report_is_self_contained_and_shows_failures(synthetic, tmp_path):
    sql(
        synthetic,
        "UPDATE person SET year_of_birth = 1800, birth_datetime = NULL WHERE person_id = 3",
    )
    report = run_checks(
        synthetic, only=["age_over_120", "end_before_start"], today=TODAY
    )
    path = write_report(
        report, describe(synthetic, today=TODAY), tmp_path / "report.html"
    )
    html = path.read_text()
    assert "<script" not in html and not re.search(r"(src|href)=", html)
    assert html.count("<svg") == 3  # age pyramid, records per year, lab values
    assert "age_over_120:person.year_of_birth" in html
    assert "1 of 300 rows" in html and "<code>3</code>" in html
    assert "Counts under 10 are hidden" in html
