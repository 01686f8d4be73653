"""Who may see what: users, roles, projects and their authorised perimeter.

Every output path (CLI, server, exports) calls `authorise(wh, user, action,
project)`: it refuses with `AccessDeniedError`, or returns a `Decision`, the
release gate (`_gate`) through which the caller reads and releases. Each decision, allowed or refused, is written
to the audit log. Passwords are stored as argon2id hashes of the user's name
and password, so a hash copied onto another user does not open it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pyarrow as pa
from argon2 import PasswordHasher
from argon2.exceptions import Argon2Error, InvalidHashError

from entrepot.errors import (
    AccessDeniedError,
    AuthenticationError,
    ConflictError,
    NotFoundError,
    PrivacyError,
)
from entrepot.privacy._audit import audit
from entrepot.privacy._disclosure import mask_threshold
from entrepot.privacy._gate import Decision, Perimeter
from entrepot.privacy._tables import ensure_table
from entrepot.privacy._units import (
    Units,
    project_units_chosen,
    set_project_units,
    units_model,
)

ROLES = ("admin", "data_engineer", "researcher", "viewer", "data_office")
#: count: aggregate counts; read: rows; export: files leaving the warehouse;
#: write: save cohorts, searches and jobs; ingest: load data; manage: users
#: and projects; request: ask the data office for a project; approve:
#: approve, amend or refuse requests and extracts (the data office alone).
ACTIONS = (
    "count", "read", "export", "write", "ingest", "manage", "request", "approve"
)  # fmt: skip
PERMISSIONS = {
    "admin": frozenset(ACTIONS) - {"approve"},
    "data_engineer": frozenset(
        {"count", "read", "export", "write", "ingest", "request"}
    ),
    "researcher": frozenset({"count", "read", "export", "write", "request"}),
    "viewer": frozenset({"count"}),
    "data_office": frozenset({"approve"}),
}
#: Roles that may act on the whole warehouse, outside any project.
WAREHOUSE_WIDE = frozenset({"admin", "data_engineer"})
#: Actions about no project's data (asking for a project, deciding on one).
UNSCOPED = frozenset({"request", "approve"})
_hasher = PasswordHasher()


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None, microsecond=0)


def _role(role: str) -> str:
    name = role.strip().lower().replace("-", "_").replace(" ", "_")
    if name not in ROLES:
        raise PrivacyError(f"role: {role!r} is not one of {', '.join(ROLES)}")
    return name


def _append(wh, name: str, rows: list[dict]) -> None:
    schema = ensure_table(wh, name).schema().to_pyarrow()
    table = pa.Table.from_pylist(rows, schema=schema)
    with wh.store.transaction() as tx:
        tx.append("entrepot", name, wh.store.from_arrow(table))


def _rows(wh, table: str, **where) -> list[dict]:
    t = ensure_table(wh, table)
    for column, value in where.items():
        t = t.filter(t[column] == value)
    return t.to_pyarrow().to_pylist()


# -- users and projects ------------------------------------------------------
def add_user(
    wh,
    name: str,
    role: str,
    password: str,
    *,
    projects: Iterable[str] = (),
    by: str = "entrepot",
) -> dict:
    """Create a user (argon2id-hashed password), member of `projects`."""
    role = _role(role)
    if not _plain(name) or not name.strip():
        raise PrivacyError(
            f"user: {name!r} is not a printable name of 1 to 200 characters"
        )
    if _rows(wh, "access_user", name=name):
        raise ConflictError(f"user: {name!r} exists already")
    if len(password) < 8:
        raise PrivacyError("password: at least 8 characters are needed")
    hashed = _hasher.hash(_secret(name, password))
    _append(
        wh,
        "access_user",
        [{"name": name, "role": role, "password_hash": hashed, "created_at": _now()}],
    )
    for project in projects:
        add_member(wh, name, project, by=by)
    audit(wh, by, "user.add", {"name": name, "role": role})
    return {"name": name, "role": role, "projects": list(projects)}


def _secret(name: str, password: str) -> bytes:
    """What is hashed: the name and the password (any string, even one that
    is not valid Unicode text)."""
    return f"{name}\x00{password}".encode("utf-8", "surrogatepass")


def add_member(wh, user: str, project: str, *, by: str = "entrepot") -> None:
    """Give a user access to a project."""
    if not _rows(wh, "access_project", name=project):
        raise PrivacyError(f"project: no project {project!r}")
    if not _rows(wh, "access_member", user_name=user, project=project):
        _append(wh, "access_member", [{"user_name": user, "project": project}])
        audit(wh, by, "project.member", {"user": user}, project=project)


def list_users(wh) -> list[dict]:
    """Users with their role and projects (never their hashes)."""
    members: dict[str, list[str]] = {}
    for row in _rows(wh, "access_member"):
        members.setdefault(row["user_name"], []).append(row["project"])
    return [
        {
            "name": u["name"],
            "role": u["role"],
            "projects": sorted(members.get(u["name"], [])),
        }
        for u in sorted(_rows(wh, "access_user"), key=lambda u: u["name"])
    ]


def add_project(
    wh,
    name: str,
    *,
    cohort_id: int | None = None,
    domains: Iterable[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    mask_below: int | None = None,
    units: Iterable[str | int] | None = None,
    mode: str = "research",
    by: str = "entrepot",
) -> dict:
    """Create a project with its perimeter: a cohort, and/or tables and dates,
    and/or care units (names or ids of care sites: the patients who stayed
    there within the dates), in `mode` research or care (`_units`)."""
    if not name.strip():
        raise PrivacyError("project: the name is empty")
    if _rows(wh, "access_project", name=name):
        raise ConflictError(f"project: {name!r} exists already")
    if start and end and end < start:
        raise PrivacyError(f"project {name}: end {end} is before start {start}")
    if mask_below is not None and mask_below < 1:
        raise PrivacyError(f"project {name}: mask_below must be at least 1")
    if mode != "research" and not units:
        raise PrivacyError(f"project {name}: a {mode}-mode project needs care units")
    if units:
        units = set_project_units(wh, name, units, mode, by=by)
    row = {
        "name": name,
        "cohort_id": cohort_id,
        "domains": ",".join(domains) if domains else None,
        "start_date": start,
        "end_date": end,
        "mask_below": mask_below,
        "created_at": _now(),
    }
    _append(wh, "access_project", [row])
    audit(wh, by, "project.add", {k: v for k, v in row.items() if k != "created_at"})
    return row | ({"units": units, "mode": mode} if units else {})


def update_project(
    wh, name: str, units: Iterable[str | int], mode: str = "research", *, by: str
) -> list[int]:
    """Make `units` (care-site names or ids) and `mode` an existing project's
    perimeter of care units (audited); the care-site ids kept."""
    if not _rows(wh, "access_project", name=name):
        raise NotFoundError(f"project: no project {name!r}")
    return set_project_units(wh, name, units, mode, by=by)


def list_projects(wh) -> list[dict]:
    """Projects with their perimeter, their care units (None: none) and mode."""
    chosen = project_units_chosen(wh)
    out = []
    for p in sorted(_rows(wh, "access_project"), key=lambda p: p["name"]):
        units, mode = chosen.get(p["name"], (None, "research"))
        out.append(p | {"units": units, "mode": mode})
    return out


# -- deciding ----------------------------------------------------------------
def _plain(name: str) -> bool:
    """A user name is printable text of at most 200 characters."""
    return 0 < len(name) <= 200 and name.isprintable()


@dataclass(frozen=True)
class Credentials:
    """What a login is checked against: a user's password hash and role (or
    none, for an unknown or unprintable name)."""

    name: str
    password_hash: str | None
    role: str | None


def credentials(wh, name: str) -> Credentials:
    """The stored credentials of `name` (a quick read; nothing is checked)."""
    if not _plain(name):  # no such user can exist; never sent to the engine
        return Credentials("(unprintable name)", None, None)
    users = _rows(wh, "access_user", name=name)
    last = users[-1] if users else {}
    return Credentials(name, last.get("password_hash"), last.get("role"))


def check_password(found: Credentials, password: str) -> str:
    """The role when the password is right; else AuthenticationError. The
    slow part of a login, and it needs no warehouse: a server runs it outside
    its lock. It takes as long whether the user exists or not."""
    try:
        if found.password_hash is None:
            _hasher.hash(_secret(found.name, password))
            raise AuthenticationError("unknown user or wrong password")
        _hasher.verify(found.password_hash, _secret(found.name, password))
    except (Argon2Error, InvalidHashError):
        raise AuthenticationError("unknown user or wrong password") from None
    return found.role


def audit_call(wh, user: str, target: str) -> None:
    """The audit entry of a call that reads no patient data (the vocabulary,
    a prescription typed in)."""
    audit(wh, user, "web.call", {"target": target})


def audit_login(wh, name: str, allowed: bool, **details) -> None:
    """The audit entry of a login attempt (and of throttling, when it started)."""
    audit(wh, name, "login", {"allowed": allowed} | details)


def authenticate(wh, name: str, password: str) -> str:
    """The user's role when the password is right; else AuthenticationError.
    Audited either way."""
    found = credentials(wh, name)
    try:
        role = check_password(found, password)
    except AuthenticationError:
        audit_login(wh, found.name, False)
        raise
    audit_login(wh, found.name, True)
    return role


def authorise(
    wh,
    user: str,
    action: str,
    project: str | None = None,
    *,
    target: str | None = None,
    model: AccessModel | None = None,
) -> Decision:
    """Decide what `user` may see doing `action` in `project`; audited, with
    `target` (what was asked: a command, an endpoint) when given; `model`:
    the access tables already read (`access_model`), else they are read now.

    Raises AccessDeniedError for an unknown user or action, a role without
    the right, a project the user is not a member of, or (for researchers
    and viewers) no project at all.
    """
    asked = {"target": target} if target else {}
    try:
        decision = _decide(model or access_model(wh), user, action, project)
    except AccessDeniedError as e:
        audit(
            wh,
            user,
            f"authorise.{action}",
            asked | {"allowed": False, "reason": str(e)},
            project=project,
        )
        raise
    audit(
        wh,
        user,
        f"authorise.{action}",
        asked
        | {"allowed": True, "mask_below": decision.mask_below}
        | ({"mode": "care"} if decision.mode == "care" else {}),
        project=project,
    )
    return decision


@dataclass(frozen=True)
class AccessModel:
    """The access tables at one moment: roles, projects, members, threshold.

    A server reads it once and passes it to `authorise` until users or
    projects change; each decision is still audited.
    """

    roles: dict[str, str]
    projects: dict[str, dict]
    members: frozenset[tuple[str, str]]
    threshold: int
    units: Units = Units({}, {})


def access_model(wh) -> AccessModel:
    """Read the access tables (the last row of a name wins)."""
    return AccessModel(
        {u["name"]: u["role"] for u in _rows(wh, "access_user")},
        {p["name"]: p for p in _rows(wh, "access_project")},
        frozenset((m["user_name"], m["project"]) for m in _rows(wh, "access_member")),
        mask_threshold(wh),
        units_model(wh),
    )


def _decide(model: AccessModel, user: str, action: str, project: str | None):
    role = model.roles.get(user)
    if role is None:
        raise AccessDeniedError(f"user {user!r} is not known")
    if action not in PERMISSIONS.get(role, ()):
        raise AccessDeniedError(f"a {role} may not {action}")
    if project is None:
        if role not in WAREHOUSE_WIDE and action not in UNSCOPED:
            raise AccessDeniedError(f"a {role} acts only within a project")
        return Decision(user, role, action, None, None, _mask(model, action, None))
    row = model.projects.get(project)
    if role != "admin" and (user, project) not in model.members:
        # the same answer whether the project exists or not: outsiders learn no names
        raise AccessDeniedError(f"user {user!r} is not a member of project {project!r}")
    if row is None:
        raise AccessDeniedError(f"project {project!r} does not exist")
    units, mode = model.units.projects.get(project, (None, "research"))
    if mode == "care":
        model.units.check_care(user, action, project)
    mask = None if mode == "care" else _mask(model, action, row)
    return Decision(user, role, action, project, Perimeter.of(row, units), mask, mode)


def _mask(model: AccessModel, action: str, project: dict | None) -> int | None:
    """Rows are read as they are; every count or export leaving is masked."""
    if action in ("read", "ingest", "manage", *UNSCOPED):
        return None
    if project is not None and project["mask_below"]:
        return int(project["mask_below"])
    return model.threshold
