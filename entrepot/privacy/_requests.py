"""Projects asked of the data office: a researcher's request, then its
approval, amendment or refusal.

A request names the project, summarises its protocol, gives its legal basis
and asks for a perimeter (a cohort's persons, tables, dates) and members.
The data office (the `approve` right) amends it (with a comment), refuses
it (with a reason) or approves it, which creates the project with that
perimeter and those members. Each step is a row of `project_request` (the
last one of a request is its state) and an audit entry; the requester sees
every step and its comment.
"""

from __future__ import annotations

import re
from datetime import date

from entrepot.errors import (
    AccessDeniedError,
    ConflictError,
    NotFoundError,
    PrivacyError,
)
from entrepot.privacy._access import _append, _now, _rows, add_member, add_project
from entrepot.privacy._audit import audit
from entrepot.privacy._gate import Decision

TABLE = "project_request"
#: MR-001/003/004: the CNIL's reference methodologies (MR-004: research on data
#: already collected); CNIL: an authorisation of its own; consent: the patients'.
LEGAL_BASES = ("MR-004", "MR-001", "MR-003", "CNIL", "consent")
#: A project's name names its workspace folder: no path, nothing hidden.
PROJECT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: What the data office may change in a request.
AMENDABLE = (
    "summary",
    "legal_basis",
    "cohort_id",
    "domains",
    "start",
    "end",
    "members",
)
_STATE = {"requested": "pending", "amended": "pending"}


def _needs(decision: Decision, action: str) -> None:
    if decision.action != action:
        raise AccessDeniedError(f"a decision to {decision.action} does not {action}")


def _request(wh, request_id: int) -> list[dict]:
    steps = _rows(wh, TABLE, request_id=request_id)
    if not steps:
        raise NotFoundError(f"request {request_id}: no such request")
    return sorted(steps, key=lambda s: s["step"])


def _state(steps: list[dict]) -> str:
    """Where a request or an extract stands, from its last step."""
    last = steps[-1]["event"]
    return _STATE.get(last, last)


def shown_steps(steps: list[dict]) -> list[dict]:
    """Each step of a request or an extract as its requester sees it."""
    return [
        {"event": s["event"], "by": s["by"], "at": s["at"], "comment": s["comment"]}
        for s in steps
    ]


def _check(wh, fields: dict) -> None:
    """Refuse a perimeter or members that do not exist, or dates reversed."""
    if not (fields["summary"] or "").strip():
        raise PrivacyError("summary: the protocol's summary is empty")
    if fields["legal_basis"] not in LEGAL_BASES:
        raise PrivacyError(
            f"legal_basis: {fields['legal_basis']!r} is not one of "
            + ", ".join(LEGAL_BASES)
        )
    start, end = fields["start"], fields["end"]
    if start and end and end < start:
        raise PrivacyError(f"dates: end {end} is before start {start}")
    unknown = [d for d in fields["domains"] or () if not wh.has_table(d)]
    if unknown:
        raise PrivacyError(f"domains: no table {', '.join(map(repr, unknown))}")
    users = {u["name"] for u in _rows(wh, "access_user")}
    strangers = [m for m in fields["members"] if m not in users]
    if strangers:
        raise PrivacyError(f"members: no user {', '.join(map(repr, strangers))}")
    cohort = fields["cohort_id"]
    if cohort is not None:
        c = wh.table("cohort_definition")
        if not c.filter(c.cohort_definition_id == cohort).count().to_pyarrow().as_py():
            raise PrivacyError(f"cohort_id: no cohort {cohort}")


def _row(
    request_id: int, step: int, event: str, fields: dict, by: str, comment
) -> dict:
    return {
        "request_id": request_id,
        "step": step,
        "event": event,
        "name": fields["name"],
        "summary": fields["summary"],
        "legal_basis": fields["legal_basis"],
        "cohort_id": fields["cohort_id"],
        "domains": ",".join(fields["domains"]) if fields["domains"] else None,
        "start_date": fields["start"],
        "end_date": fields["end"],
        "members": ",".join(fields["members"]),
        "requested_by": fields["requested_by"],
        "by": by,
        "at": _now(),
        "comment": comment,
    }


def _fields(row: dict) -> dict:
    return {
        "name": row["name"],
        "summary": row["summary"],
        "legal_basis": row["legal_basis"],
        "cohort_id": row["cohort_id"],
        "domains": row["domains"].split(",") if row["domains"] else None,
        "start": row["start_date"],
        "end": row["end_date"],
        "members": row["members"].split(",") if row["members"] else [],
        "requested_by": row["requested_by"],
    }


def request_project(
    wh,
    decision: Decision,
    name: str,
    summary: str,
    legal_basis: str,
    *,
    cohort_id: int | None = None,
    domains: list[str] | None = None,
    start: date | None = None,
    end: date | None = None,
    members: list[str] = (),
) -> dict:
    """Ask the data office for project `name` (the requester is a member)."""
    _needs(decision, "request")
    if not PROJECT_NAME.fullmatch(name):
        raise PrivacyError(
            f"name: {name!r} is not 1 to 100 letters, digits, '.', '-' or '_' "
            "(it names the project's workspace folder)"
        )
    if _rows(wh, "access_project", name=name) or any(
        r["state"] == "pending" and r["name"] == name for r in list_requests(wh)
    ):
        raise ConflictError(f"name: project {name!r} exists or is asked for already")
    user = decision.user
    fields = {
        "name": name,
        "summary": summary,
        "legal_basis": legal_basis,
        "cohort_id": cohort_id,
        "domains": list(domains) if domains else None,
        "start": start,
        "end": end,
        "members": _with(user, members),
        "requested_by": user,
    }
    _check(wh, fields)
    ids = [r["request_id"] for r in _rows(wh, TABLE)]
    request_id = max(ids, default=0) + 1
    _append(wh, TABLE, [_row(request_id, 1, "requested", fields, user, None)])
    audit(wh, user, "request.submit", {"request_id": request_id} | _plain(fields))
    return request_of(wh, request_id)


def _with(requester: str, members) -> list[str]:
    """The members, the requester first (always one)."""
    return [requester, *(m for m in dict.fromkeys(members) if m != requester)]


def _plain(fields: dict) -> dict:
    return {k: v for k, v in fields.items() if k != "requested_by"}


def _pending(wh, decision: Decision, request_id: int, verb: str) -> list[dict]:
    """The steps of a pending request the data office may `verb`."""
    _needs(decision, "approve")
    steps = _request(wh, request_id)
    state = _state(steps)
    if state != "pending":
        raise ConflictError(
            f"request {request_id} is {state} already: it cannot be {verb}"
        )
    if steps[0]["requested_by"] == decision.user:
        raise AccessDeniedError(
            f"request {request_id}: {decision.user} asked for it and cannot "
            f"decide on it"
        )
    return steps


def _comment(comment: str | None, what: str) -> str:
    if not comment or not comment.strip():
        raise PrivacyError(f"comment: {what} needs a comment")
    return comment.strip()


def amend_request(
    wh, decision: Decision, request_id: int, changes: dict, comment: str
) -> dict:
    """Change fields of a pending request (`AMENDABLE`), saying why."""
    steps = _pending(wh, decision, request_id, "amended")
    comment = _comment(comment, "an amendment")
    odd = sorted(set(changes) - set(AMENDABLE))
    if odd or not changes:
        raise PrivacyError(
            f"changes: {', '.join(odd) or 'nothing'} (amendable: "
            + ", ".join(AMENDABLE)
            + ")"
        )
    fields = _fields(steps[-1]) | changes
    fields["members"] = _with(fields["requested_by"], fields["members"] or [])
    _check(wh, fields)
    _append(
        wh,
        TABLE,
        [_row(request_id, len(steps) + 1, "amended", fields, decision.user, comment)],
    )
    audit(
        wh,
        decision.user,
        "request.amend",
        {"request_id": request_id, "changes": changes, "comment": comment},
    )
    return request_of(wh, request_id)


def approve_request(
    wh, decision: Decision, request_id: int, comment: str | None = None
) -> dict:
    """Approve a pending request: the project is created with its perimeter
    and members."""
    steps = _pending(wh, decision, request_id, "approved")
    fields = _fields(steps[-1])
    if _rows(wh, "access_project", name=fields["name"]):
        raise ConflictError(f"request {request_id}: project {fields['name']!r} exists")
    _check(wh, fields)
    by = decision.user
    add_project(
        wh,
        fields["name"],
        cohort_id=fields["cohort_id"],
        domains=fields["domains"],
        start=fields["start"],
        end=fields["end"],
        by=by,
    )
    for member in fields["members"]:
        add_member(wh, member, fields["name"], by=by)
    _append(
        wh, TABLE, [_row(request_id, len(steps) + 1, "approved", fields, by, comment)]
    )
    audit(
        wh,
        by,
        "request.approve",
        {"request_id": request_id, "comment": comment},
        project=fields["name"],
    )
    return request_of(wh, request_id)


def refuse_request(wh, decision: Decision, request_id: int, comment: str) -> dict:
    """Refuse a pending request, saying why."""
    steps = _pending(wh, decision, request_id, "refused")
    comment = _comment(comment, "a refusal")
    fields = _fields(steps[-1])
    _append(
        wh,
        TABLE,
        [_row(request_id, len(steps) + 1, "refused", fields, decision.user, comment)],
    )
    audit(
        wh,
        decision.user,
        "request.refuse",
        {"request_id": request_id, "comment": comment},
    )
    return request_of(wh, request_id)


def _summary(steps: list[dict]) -> dict:
    fields = _fields(steps[-1])
    return {
        "request_id": steps[0]["request_id"],
        "state": _state(steps),
        **fields,
        "requested_at": steps[0]["at"],
        "steps": shown_steps(steps),
    }


def request_of(wh, request_id: int) -> dict:
    """A request as it stands, with its steps and their comments."""
    return _summary(_request(wh, request_id))


def list_requests(wh, user: str | None = None) -> list[dict]:
    """Every request as it stands (those `user` asked for or is a member of,
    when given), newest first."""
    by_id: dict[int, list[dict]] = {}
    for row in sorted(_rows(wh, TABLE), key=lambda r: (r["request_id"], r["step"])):
        by_id.setdefault(row["request_id"], []).append(row)
    found = [_summary(steps) for steps in by_id.values()]
    if user is not None:
        found = [r for r in found if r["requested_by"] == user or user in r["members"]]
    return sorted(found, key=lambda r: -r["request_id"])
