"""Research databases are seen only by the projects authorised for them.

A study's rows (in `observation` and `measurement`, listed in `study_row` by
whoever loads them) are hidden from every project that was not granted the
study (`study_access`); warehouse-wide decisions (the data office) see them.
The release gate applies it in `Perimeter.table`, so exports, timelines and
descriptions read within a project never show them.
"""

from __future__ import annotations

from datetime import UTC, datetime

import ibis.expr.types as ir
import pyarrow as pa

from entrepot.errors import PrivacyError
from entrepot.privacy._audit import audit
from entrepot.privacy._tables import ensure_table

#: The tables a study's rows go to (id column: `<table>_id`).
STUDY_TABLES = frozenset({"observation", "measurement"})


def studies(wh) -> list[dict]:
    """The studies loaded (the last row of a name wins), with their consent."""
    rows = {r["name"]: r for r in ensure_table(wh, "study").to_pyarrow().to_pylist()}
    return [rows[name] for name in sorted(rows)]


def grant_study(wh, project: str, study: str, *, by: str = "entrepot") -> None:
    """Authorise `project` to see `study`'s rows (audited)."""
    projects = ensure_table(wh, "access_project")
    if not projects.filter(projects.name == project).count().to_pyarrow().as_py():
        raise PrivacyError(f"project: no project {project!r}")
    if study not in {s["name"] for s in studies(wh)}:
        raise PrivacyError(f"study: no study {study!r} was loaded")
    if study in granted(wh, project):
        return
    row = {"project": project, "study": study, "granted_at": _now()}
    schema = ensure_table(wh, "study_access").schema().to_pyarrow()
    with wh.store.transaction() as tx:
        tx.append(
            "entrepot",
            "study_access",
            wh.store.from_arrow(pa.Table.from_pylist([row], schema=schema)),
        )
    audit(wh, by, "study.grant", {"study": study}, project=project)


def granted(wh, project: str) -> set[str]:
    """The studies `project` may see."""
    t = ensure_table(wh, "study_access")
    return set(t.filter(t.project == project).study.to_pyarrow().to_pylist())


def without_studies(wh, rows: ir.Table, name: str, project: str | None) -> ir.Table:
    """`rows` of table `name` less those of studies `project` was not granted."""
    if name not in STUDY_TABLES or "study_row" not in wh.tables("entrepot"):
        return rows
    listed = wh.table("study_row")
    allowed = sorted(granted(wh, project)) if project is not None else []
    hidden = listed.filter(listed.table_name == name)
    if allowed:
        hidden = hidden.filter(~hidden.study.isin(allowed))
    return rows.anti_join(hidden, rows[f"{name}_id"] == hidden.row_id)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
