"""Who runs a command: the command line's user, and the decision it gets.

- The user is `--user NAME` (or `$ENTREPOT_USER`), else the OS account.
- The OS account that owns the warehouse (its DuckDB file, or its Spark
  folder), and root, are the warehouse's administrator: rows and exact
  counts (masked only when asked), every output audited under its name.
- A registered user (`entrepot user add`) gets their role's view through
  `authorise`. An OS account of the same name needs no password; a claim to
  another name is proven by that user's password (`$ENTREPOT_PASSWORD`, or
  asked on a terminal), checked and audited like a web login.
- Anyone else is refused.

The file's permissions stay the real boundary: whoever can read the file can
read it with any tool. This makes the command line, too, a user of the gate.
"""

from __future__ import annotations

import getpass
import os
import pwd
from collections.abc import Callable
from dataclasses import dataclass, replace

from entrepot.errors import AccessDeniedError, AuthenticationError
from entrepot.privacy._access import authenticate, authorise, credentials
from entrepot.privacy._audit import audit
from entrepot.privacy._disclosure import threshold_for
from entrepot.privacy._gate import Decision, Perimeter
from entrepot.privacy._tables import ensure_table
from entrepot.privacy._units import project_units

USER_ENV = "ENTREPOT_USER"
PASSWORD_ENV = "ENTREPOT_PASSWORD"


def os_account() -> str:
    """The name of the process's effective OS account."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:  # a uid with no entry in the password database
        return getpass.getuser()


def is_administrator(wh) -> bool:
    """Whether this process runs as root or as the owner of the warehouse."""
    uid = os.geteuid()
    return uid == 0 or uid == wh.uri.path.stat().st_uid


@dataclass(frozen=True)
class Caller:
    """Who asks, and whether they are the warehouse's administrator."""

    name: str
    administrator: bool

    def decide(
        self,
        wh,
        action: str,
        project: str | None = None,
        *,
        target: str,
        mask_below: int | None = None,
        masked: bool = False,
    ) -> Decision:
        """The decision for `action` (in `project`), audited with `target`.

        The administrator sees exact counts unless `masked` or `mask_below`
        asks otherwise; a registered user's counts are masked by their role
        and project. `mask_below` raises a threshold, never lowers it.
        """
        if not self.administrator:
            decision = authorise(wh, self.name, action, project, target=target)
            if decision.mask_below is not None and mask_below is not None:
                decision = replace(
                    decision, mask_below=max(decision.mask_below, int(mask_below))
                )
            return decision
        perimeter, floor, mode = None, mask_below or 0, "research"
        if project is not None:
            rows = ensure_table(wh, "access_project")
            rows = rows.filter(rows.name == project).to_pyarrow().to_pylist()
            if not rows:
                raise AccessDeniedError(f"project {project!r} does not exist")
            units, mode = project_units(wh, project)
            perimeter = Perimeter.of(rows[-1], units)
            floor = max(floor, rows[-1]["mask_below"] or 0)
        asked = masked or mask_below is not None
        threshold = threshold_for(wh, floor or None) if asked else None
        audit(
            wh,
            self.name,
            f"authorise.{action}",
            {
                "target": target,
                "allowed": True,
                "administrator": True,
                "mask_below": threshold,
            }
            | ({"mode": "care"} if mode == "care" else {}),
            project=project,
        )
        return Decision(self.name, "admin", action, project, perimeter, threshold, mode)


def identify(wh, user: str | None, password: Callable[[str], str | None]) -> Caller:
    """The caller of a command on `wh`: `user` (None: the OS account), its
    claim proven by `password(name)` when it is not the OS account's name.

    Raises AccessDeniedError for an OS account that is neither the
    administrator nor a registered user, and AuthenticationError for a claim
    without the right password.
    """
    account = os_account()
    name = user or account
    if name == account and is_administrator(wh):
        return Caller(name, administrator=True)
    if credentials(wh, name).role is None:
        reason = (
            f"user {name!r} is not registered in this warehouse"
            if user
            else f"OS account {name!r} is neither the warehouse's owner nor a "
            "registered user (--user NAME)"
        )
        audit(wh, name, "caller", {"allowed": False, "os_account": account})
        raise AccessDeniedError(reason)
    if name != account:
        secret = password(name)
        if secret is None:
            raise AuthenticationError(
                f"--user {name}: give the password in ${PASSWORD_ENV} "
                "(or run on a terminal)"
            )
        authenticate(wh, name, secret)  # audited, refused with one line
    return Caller(name, administrator=False)
