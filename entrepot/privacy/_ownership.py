"""Who owns a cohort: the project it was made in and the user who made it.

Cohorts (and searches saved as cohorts) are stored warehouse-wide in the
results schema; the `cohort_owner` bookkeeping table records each one's
project and user. The rules, for a `Decision` from `authorise`:

- within a project, only that project's cohorts (and its perimeter, when a
  cohort) are seen; a decision without a project (administrators and data
  engineers warehouse-wide, the CLI) sees every cohort. A cohort out of
  sight answers as one that does not exist;
- names are unique within a project (`next_cohort_id`): an id is claimed
  with its name before the cohort is generated, and released if it fails;
- a cohort is replaced or deleted only by its owner or an administrator (a
  project's other researchers see it, and may not change it); a cohort of no
  owner (made by the CLI, or before owners were recorded) only by an
  administrator;
- viewers never write: their role lacks the `write` right.
"""

from __future__ import annotations

from dataclasses import dataclass

from entrepot.errors import AccessDeniedError
from entrepot.privacy._access import _append, _now, _rows
from entrepot.privacy._audit import audit
from entrepot.privacy._gate import Decision

OWNERS = "cohort_owner"


@dataclass(frozen=True)
class Owner:
    project: str | None
    user: str
    name: str  # the name the id was claimed under (a cohort's own may differ)


def cohort_owners(wh) -> dict[int, Owner]:
    """Every recorded cohort id → its owner (claimed ids included: a cohort
    still being generated)."""
    return {
        r["cohort_definition_id"]: Owner(r["project"], r["owner"], r["name"])
        for r in _rows(wh, OWNERS)
    }


def cohort_visible(decision: Decision, cohort_id: int, owner: Owner | None) -> bool:
    """Whether a cohort (of that owner) is seen under the decision: every
    one warehouse-wide; in a project, its own and its perimeter."""
    perimeter = decision.perimeter
    return (
        decision.project is None
        or (owner is not None and owner.project == decision.project)
        or (perimeter is not None and perimeter.cohort_id == cohort_id)
    )


def check_cohort_change(
    wh, decision: Decision, cohort_id: int, owner: Owner | None
) -> None:
    """Refuse (AccessDeniedError, audited) to replace or delete a seen cohort
    unless the decision's user owns it or is an administrator."""
    if decision.role == "admin" or (owner is not None and owner.user == decision.user):
        return
    holder = owner.user if owner else "no one"
    audit(
        wh,
        decision.user,
        "cohort.change",
        {"cohort_definition_id": cohort_id, "allowed": False, "owner": holder},
        project=decision.project,
    )
    raise AccessDeniedError(
        f"cohort {cohort_id} belongs to {holder}: only its owner or an administrator"
        " may change it"
    )


def claim_cohort(wh, decision: Decision, cohort_id: int, name: str) -> None:
    """Record the decision's project and user as the owner of a new cohort
    named `name`, before it is generated (a cohort that has one keeps it)."""
    if not _rows(wh, OWNERS, cohort_definition_id=cohort_id):
        row = {
            "cohort_definition_id": cohort_id,
            "project": decision.project,
            "owner": decision.user,
            "name": name,
            "created_at": _now(),
        }
        _append(wh, OWNERS, [row])


def release_cohort(wh, cohort_id: int) -> None:
    """Forget a cohort's owner (a claim whose cohort was never generated)."""
    with wh.store.transaction() as tx:
        tx.delete("entrepot", OWNERS, {"cohort_definition_id": cohort_id})
