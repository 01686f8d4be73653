"""Care-unit perimeters: a project's care sites, its mode, the care teams.

A project's perimeter may be a set of care sites (any node of the hierarchy:
`entrepot.warehouse.care_site_tree`): it then holds the patients who had a
stay or a visit (`visit_occurrence` or `visit_detail`) in them or under them,
within the project's dates. Its mode is `research` (pseudonymised rows, masked
counts, as any project) or `care`: the patients of a clinician's own units,
for their care team only. Care mode is off until the warehouse's setting
`care_mode` is on; its members must be on the care team of every care site of
the perimeter (`care_team`: a user on a node's team is on every unit under
it), and everything it shows is audited with the mode (a patient viewed: the
entry names the patient).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa

from entrepot.errors import AccessDeniedError, PrivacyError
from entrepot.privacy._audit import audit
from entrepot.privacy._settings import get_setting, set_setting
from entrepot.privacy._tables import ensure_table

MODES = ("research", "care")
CARE_MODE = "care_mode"


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _tree(wh):
    from entrepot.warehouse import care_site_tree

    return care_site_tree(wh)


def care_mode_enabled(wh) -> bool:
    """Whether care mode may be used in this warehouse (off by default)."""
    return get_setting(wh, CARE_MODE) == "on"


def set_care_mode(wh, on: bool, *, by: str = "entrepot") -> None:
    """Allow care-mode projects (or stop them: their members are refused)."""
    set_setting(wh, CARE_MODE, "on" if on else "off")
    audit(wh, by, "privacy.care_mode", {"on": on})


def set_project_units(
    wh,
    project: str,
    units: Iterable[str | int],
    mode: str = "research",
    *,
    by: str = "entrepot",
) -> list[int]:
    """Make `units` (care-site names or ids, any level) the project's care
    sites, in `mode`; the care-site ids kept."""
    if mode not in MODES:
        raise PrivacyError(f"mode: {mode!r} is not one of {', '.join(MODES)}")
    ids = _tree(wh).resolve(units)
    if not ids:
        raise PrivacyError(f"project {project}: no care units given")
    table = ensure_table(wh, "access_units")
    new = pa.table(
        {
            "project": [project] * len(ids),
            "care_site_id": ids,
            "mode": [mode] * len(ids),
            "set_at": [_now()] * len(ids),
        },
        schema=table.schema().to_pyarrow(),
    )
    kept = table.filter(table.project != project)
    rows = wh.store.materialize(kept.union(wh.store.from_arrow(new)))
    with wh.store.transaction() as tx:
        tx.replace("entrepot", "access_units", rows)
    audit(wh, by, "project.units", {"units": ids, "mode": mode}, project=project)
    return ids


def add_care_team(
    wh, user: str, units: Iterable[str | int], *, by: str = "entrepot"
) -> list[int]:
    """Put `user` on the care team of `units` (names or ids, any level)."""
    ids = _tree(wh).resolve(units)
    table = ensure_table(wh, "care_team")
    rows = pa.table(
        {
            "user_name": [user] * len(ids),
            "care_site_id": ids,
            "added_at": [_now()] * len(ids),
        },
        schema=table.schema().to_pyarrow(),
    )
    with wh.store.transaction() as tx:
        tx.append("entrepot", "care_team", wh.store.from_arrow(rows))
    audit(wh, by, "care_team.add", {"user": user, "units": ids})
    return ids


@dataclass(frozen=True)
class Units:
    """The care-unit side of the access tables at one moment: each project's
    care sites (with everything under them) and mode, each user's care
    sites, and whether care mode is on."""

    projects: dict[str, tuple[frozenset[int], str]]
    teams: dict[str, frozenset[int]]
    care_mode: bool = False

    def check_care(self, user: str, action: str, project: str) -> None:
        """Refuse a care-mode decision that is not allowed."""
        if not self.care_mode:
            raise AccessDeniedError(
                f"project {project!r} is in care mode, which is off in this warehouse"
            )
        if action not in ("count", "read", "write"):
            raise AccessDeniedError(f"a care-mode project may not {action}")
        sites, _ = self.projects[project]
        if not sites <= self.teams.get(user, frozenset()):
            raise AccessDeniedError(
                f"user {user!r} is not on the care team of project {project!r}'s units"
            )


def project_units_chosen(wh) -> dict[str, tuple[list[int], str]]:
    """Each project's care sites as chosen (not expanded) and its mode."""
    found: dict[str, tuple[list[int], str]] = {}
    for r in _read(wh, "access_units"):
        found.setdefault(r["project"], ([], r["mode"]))[0].append(r["care_site_id"])
    return {p: (sorted(ids), mode) for p, (ids, mode) in found.items()}


def _read(wh, name: str) -> list[dict]:
    """A care-unit table's rows; none in a warehouse made before it (read as
    it is, nothing created)."""
    return wh.table(name).to_pyarrow().to_pylist() if wh.has_table(name) else []


def units_model(wh) -> Units:
    """Read the care-unit tables (the hierarchy only when a project has units)."""
    chosen = project_units_chosen(wh)
    if not chosen:
        return Units({}, {}, care_mode_enabled(wh))
    tree = _tree(wh)

    def below(ids) -> frozenset[int]:
        return frozenset().union(*(tree.below(i) for i in ids if i in tree.sites))

    teams: dict[str, set[int]] = {}
    for r in _read(wh, "care_team"):
        teams.setdefault(r["user_name"], set()).add(r["care_site_id"])
    return Units(
        {p: (below(ids), mode) for p, (ids, mode) in chosen.items()},
        {u: below(ids) for u, ids in teams.items()},
        care_mode_enabled(wh),
    )


def project_units(wh, project: str) -> tuple[frozenset[int] | None, str]:
    """A project's care sites (with everything under them; None: no units)
    and its mode."""
    return units_model(wh).projects.get(project, (None, "research"))
