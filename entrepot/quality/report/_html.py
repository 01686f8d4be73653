"""One self-contained HTML file: summary, failing checks with examples, plots."""

from __future__ import annotations

import os
from collections import defaultdict
from html import escape
from pathlib import Path

from entrepot.errors import OutputPathError
from entrepot.quality._model import CATEGORIES
from entrepot.quality._runner import QualityReport
from entrepot.quality.report import _svg

_STYLE = """
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:1000px;color:#222;line-height:1.4}
h1{font-size:1.6rem}h2{margin-top:2rem;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;font-size:.9rem}
td,th{border-bottom:1px solid #eee;padding:.3rem .5rem;text-align:left;vertical-align:top}
.cards{display:flex;gap:1rem;flex-wrap:wrap}.card{border:1px solid #ddd;border-radius:6px;padding:.6rem 1rem}
.card b{font-size:1.4rem;display:block}.fail{color:#b3261e}.pass{color:#2e7d32}.error{color:#8e24aa}
.muted{color:#666;font-size:.85rem}code{font-size:.85rem}
"""

_DOMAIN_LABELS = {
    "visit_occurrence": "visits",
    "condition_occurrence": "diagnoses",
    "drug_exposure": "drugs",
    "procedure_occurrence": "procedures",
    "measurement": "lab results and vital signs",
    "observation": "observations",
    "note": "reports",
    "death": "deaths",
}


def _summary(report: QualityReport) -> str:
    s = report.summary
    cards = "".join(
        f'<div class="card {k}"><b>{s[k]}</b>{label}</div>'
        for k, label in (
            ("pass", "checks passed"),
            ("fail", "checks failed"),
            ("error", "could not run"),
            ("not_applicable", "not applicable (no data)"),
        )
    )
    rows = "".join(
        f"<tr><td>{cat}</td>"
        + "".join(
            f"<td>{s['by_category'][cat][k]}</td>"
            for k in ("pass", "fail", "error", "not_applicable")
        )
        + "</tr>"
        for cat in CATEGORIES
    )
    return (
        f'<div class="cards">{cards}</div>'
        "<p class='muted'>Conformance: is the data stored as the OMOP model says? "
        "Completeness: is what should be there filled? Plausibility: is it believable "
        "(no event before birth, no lab value a living patient cannot have)?</p>"
        "<table><tr><th>category</th><th>passed</th><th>failed</th><th>could not run</th>"
        f"<th>not applicable</th></tr>{rows}</table>"
    )


def _failing(report: QualityReport) -> str:
    failing = report.failing
    if not failing:
        return "<p class='pass'>Every check passed.</p>"
    rows = []
    for c in sorted(
        failing,
        key=lambda c: (CATEGORIES.index(c.category), -(c.violating_percent or 0)),
    ):
        found = (
            f"{c.violating_rows:,} of {c.rows:,} rows ({c.violating_percent:.2f}%, "
            f"allowed {c.threshold:g}%)"
            if c.status == "fail"
            else escape(c.reason or "")
        )
        examples = ", ".join(escape(str(e)) for e in c.examples)
        rows.append(
            f"<tr><td class='{c.status}'>{c.status}</td><td>{c.category}</td>"
            f"<td>{escape(c.description)}<br><code class='muted'>{escape(c.id)}</code></td>"
            f"<td>{found}</td><td><code>{examples}</code></td></tr>"
        )
    return (
        "<table><tr><th></th><th>category</th><th>what is checked</th><th>found</th>"
        f"<th>example row ids</th></tr>{''.join(rows)}</table>"
    )


def _plots(description: dict) -> str:
    tables = {a["name"]: a["rows"] for a in description["analyses"]}
    parts = []
    if tables.get("persons_by_age_band_and_sex"):
        parts.append(
            "<h3>Persons by age and sex</h3>"
            + _svg.age_pyramid(tables["persons_by_age_band_and_sex"])
        )
    series: dict[str, list] = defaultdict(list)
    for r in tables.get("records_per_year", []):
        series[_DOMAIN_LABELS.get(r["domain"], r["domain"])].append(
            (r["year"], r["records"])
        )
    if series:
        parts.append(
            "<h3>Records per year</h3>"
            + _svg.lines(series, "Records per year", "records")
        )
    if tables.get("lab_distributions"):
        parts.append(
            "<h3>Lab results: spread of values</h3><p class='muted'>Box: middle half of "
            "the values; black bar: median; line: 5th to 95th percentile.</p>"
            + _svg.box_plots(tables["lab_distributions"], "Lab value distributions")
        )
    mask = description["summary"]["mask_below"]
    parts.append(
        f"<p class='muted'>Counts under {mask} are hidden (shown as &lt;{mask}, drawn as 0).</p>"
    )
    return "".join(parts)


def render_html(report: QualityReport, description: dict) -> str:
    """The report as one HTML page, with no external resource."""
    s = report.summary
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>Data quality: {escape(s['warehouse'])}</title><style>{_STYLE}</style></head><body>"
        f"<h1>Data quality of the warehouse</h1><p class='muted'>{escape(s['warehouse'])} "
        f"({s['engine']}), checked on {s['checked_at']}: {s['checks']} checks in "
        f"{s['seconds']:.1f} s; {description['summary']['persons']} persons.</p>"
        f"<h2>Summary</h2>{_summary(report)}"
        f"<h2>Checks that failed</h2>{_failing(report)}"
        f"<h2>What the warehouse holds</h2>{_plots(description)}"
        "</body></html>"
    )


def check_target(path: str | os.PathLike) -> Path:
    """The report's path, refused before any work if a file cannot be written there."""
    path = Path(path)
    if path.is_dir():
        raise OutputPathError(f"cannot write {path}: it is a folder")
    if not path.parent.is_dir():
        raise OutputPathError(
            f"cannot write {path}: folder {path.parent} does not exist"
        )
    return path


def write_report(
    report: QualityReport, description: dict, path: str | os.PathLike
) -> Path:
    """Write the HTML report to `path`; return it."""
    path = check_target(path)
    path.write_text(render_html(report, description), encoding="utf-8")
    return path
