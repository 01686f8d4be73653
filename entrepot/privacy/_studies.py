"""Research databases are seen only by the projects authorised for them.

A study's rows (in `observation` and `measurement`, listed in `study_row` by
whoever loads them) are hidden from every project that was not granted the
study (`study_access`); warehouse-wide decisions (the data office) see them.
The release gate applies it (`Decision.studies`) in `Perimeter.table`, so
exports, timelines and descriptions read within a project never show them,
and to the tables cohorts and features read (`entrepot.cohort`'s context).
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass(frozen=True)
class SeenStudies:
    """The research studies whose rows a reader sees: those in `studies`, or
    every one (`studies` None: warehouse-wide, or no study loaded). Hashable,
    so that statements prepared for one reader are not reused for another."""

    studies: frozenset[str] | None = None

    @classmethod
    def of(cls, wh, project: str | None) -> SeenStudies:
        """What `project` sees (None: a perimeter of no project, no study)."""
        if "study_row" not in wh.tables("entrepot"):
            return cls()
        return cls(frozenset(granted(wh, project) if project is not None else ()))

    def rows(self, wh, rows: ir.Table, name: str) -> ir.Table:
        """`rows` of table `name` less those of the studies not seen."""
        if self.studies is None or name not in STUDY_TABLES:
            return rows
        listed = wh.table("study_row")
        hidden = listed.filter(listed.table_name == name)
        if self.studies:
            hidden = hidden.filter(~hidden.study.isin(sorted(self.studies)))
        return rows.anti_join(hidden, rows[f"{name}_id"] == hidden.row_id)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)
