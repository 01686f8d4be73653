"""Commands of privacy and governance: ingest, deid, optout, audit, users,
projects, k-anonymity, key rotation."""

from __future__ import annotations

import json
import sys
from contextlib import suppress
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from entrepot.cli._common import (
    CallerOption,
    JsonOption,
    QuietOption,
    WarehouseOption,
    decide,
    emit,
    open_warehouse,
    progress,
    stdout,
)
from entrepot.errors import MissingDependencyError

KeyFileOption = Annotated[
    Path | None,
    typer.Option(
        "--key-file",
        help="Secret key file (mode 600) [default: $ENTREPOT_KEY_FILE, or $ENTREPOT_KEY].",
        show_default=False,
    ),
]


def _manager(wh, user: str | None, target: str):
    """The decision of a governance command: the administrator, or a
    registered user who may manage (refused otherwise)."""
    return decide(wh, user, "manage", None, target)


def _key(path: Path | None):
    from entrepot.privacy import load_key

    return load_key(path)


def ingest(
    source_dir: Annotated[Path, typer.Argument(help="Folder of raw extracts (CSV).")],
    warehouse: WarehouseOption = None,
    key_file: KeyFileOption = None,
    shift_dates: Annotated[
        bool | None,
        typer.Option(
            "--shift-dates/--no-shift-dates",
            help="Shift each patient's dates secretly [default: the warehouse's "
            "choice; on for a new warehouse].",
            show_default=False,
        ),
    ] = None,
    surrogates: Annotated[
        bool, typer.Option("--surrogates", help="Fake names in notes instead of tags.")
    ] = False,
    snapshot: Annotated[
        bool,
        typer.Option(
            "--snapshot",
            help="Files without an op column hold every row of their source: "
            "rows ingested before and missing from them are deleted.",
        ),
    ] = False,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Pseudonymise, de-identify and load identified extracts, or a night's
    changes to them (atomic, idempotent); the administrator or a registered
    user who may ingest."""
    from entrepot.ingest import ingest_raw
    from entrepot.privacy import DeidConfig

    with suppress(MissingDependencyError):  # the search index forgets patients
        import entrepot.search  # noqa: F401  whose pending opt-out is applied

    key = _key(key_file)
    config = DeidConfig(mode="surrogate" if surrogates else "tag")
    with open_warehouse(warehouse) as wh, progress(quiet) as step:
        who = decide(wh, user, "ingest", None, "ingest").user
        result = ingest_raw(
            wh,
            source_dir,
            key=key,
            shift_dates=shift_dates,
            deid=config,
            user=who,
            progress=step,
            snapshot=snapshot,
        )
    data = result.as_dict()
    emit(data, as_json, lambda: _print_ingest(data, quiet))


def _print_ingest(data: dict, quiet: bool) -> None:
    if quiet:
        return
    for table, n in data["loaded"].items():
        stdout.print(
            f"{table:<22} {n:>9,} loaded  {data['skipped'][table]:>9,} already there  "
            f"{data['quarantined'][table]:>5,} quarantined"
        )
    stdout.print(
        f"{data['notes_deidentified']:,} notes de-identified "
        f"({data['identifiers_removed']:,} identifiers removed); "
        f"{data['opted_out_rows']:,} rows of opted-out patients left out "
        f"({data['optout_requests']:,} pending opt-out request(s) applied first)"
    )
    for table, n in data["tables"].items():
        if n["updated"] or n["deleted"]:
            stdout.print(
                f"{table:<22} {n['updated']:>9,} updated  {n['deleted']:>9,} deleted"
            )
    if data["stale_cohorts"]:
        stdout.print(
            "cohorts with changed members, to run again: "
            + ", ".join(map(str, data["stale_cohorts"]))
        )


def deid(
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines in and out (the only format).")
    ] = True,
    surrogates: Annotated[
        bool, typer.Option("--surrogates", help="Fake names instead of tags.")
    ] = False,
    quiet: QuietOption = False,
) -> None:
    """De-identify texts: JSON lines {"id","text","patient"?} on stdin → {"id","text","spans"}."""
    from entrepot.errors import InputFileError
    from entrepot.privacy.deid import DeidConfig, Identity, deidentify

    config = DeidConfig(mode="surrogate" if surrogates else "tag")
    for number, line in enumerate(sys.stdin, start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
        except (ValueError, KeyError, TypeError):
            raise InputFileError(
                f'stdin line {number}: expected a JSON object with a "text" field'
            ) from None
        patient = item.get("patient")
        who = Identity.from_record(patient) if isinstance(patient, dict) else None
        result = deidentify(text, who, config)
        out = {"id": item.get("id"), "text": result.text, "spans": result.spans}
        sys.stdout.write(json.dumps(out, ensure_ascii=False) + "\n")


optout_app = typer.Typer(help="Patients who object (IPPs stored as pseudonyms).")


@optout_app.command("add")
def optout_add(
    ipp: Annotated[list[str], typer.Argument(help="Patient numbers (IPP).")],
    warehouse: WarehouseOption = None,
    key_file: KeyFileOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Register objections and erase these patients' data from every table now."""
    from entrepot.privacy import optout_add as add

    _erase(
        warehouse,
        user,
        "optout add",
        lambda wh, who: add(wh, _key(key_file), ipp, user=who),
        lambda data: (
            f"{data['patients']} patient(s) opted out; "
            f"rows removed: {data['rows_removed']}"
        ),
        as_json,
        quiet,
    )


def _erase(warehouse, user, target: str, erase, message, as_json, quiet) -> None:
    """Run `erase(wh, manager)`, an opt-out command that erases patients, for a
    caller who may manage; the search index, when installed, is told through
    its opt-out hook."""
    with suppress(MissingDependencyError):
        import entrepot.search  # noqa: F401

    with open_warehouse(warehouse) as wh:
        who = _manager(wh, user, target).user
        data = erase(wh, who)
    emit(data, as_json, lambda: quiet or stdout.print(message(data)))


@optout_app.command("keys")
def optout_keys(
    warehouse: WarehouseOption = None,
    key_file: KeyFileOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Publish the public key that seals opt-out requests for this key (a server
    without the key can then take objections); ingestion publishes it too."""
    from entrepot.privacy import publish_optout_key

    with open_warehouse(warehouse) as wh:
        _manager(wh, user, "optout keys")
        public = publish_optout_key(wh, _key(key_file))
    emit(
        {"public_key": public},
        as_json,
        lambda: quiet or stdout.print(f"opt-out requests are sealed for {public}"),
    )


@optout_app.command("apply")
def optout_apply(
    warehouse: WarehouseOption = None,
    key_file: KeyFileOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Open the pending opt-out requests, register them and erase those patients."""
    from entrepot.privacy import apply_optout_requests

    _erase(
        warehouse,
        user,
        "optout apply",
        lambda wh, who: apply_optout_requests(wh, _key(key_file), user=who),
        lambda data: (
            f"{data['requests']} request(s) applied: {data['patients']} "
            f"patient(s) opted out; rows removed: {data['rows_removed']}"
        ),
        as_json,
        quiet,
    )


@optout_app.command("pending")
def optout_pending(
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Opt-out requests not applied yet (sealed: no IPP is shown or readable)."""
    from entrepot.privacy import pending_optouts

    with open_warehouse(warehouse) as wh:
        decision = _manager(wh, user, "optout pending")
        rows = pending_optouts(wh)
        decision.released(wh, "optout.pending", rows=len(rows))
    emit(
        rows,
        as_json,
        lambda: [
            stdout.print(f"{r['request_id']}  {r['requested_at']}  {r['requested_by']}")
            for r in rows
        ],
    )


@optout_app.command("remove")
def optout_remove(
    ipp: Annotated[list[str], typer.Argument(help="Patient numbers (IPP).")],
    warehouse: WarehouseOption = None,
    key_file: KeyFileOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Withdraw objections: later ingestions load these patients again."""
    from entrepot.privacy import optout_remove as remove

    with open_warehouse(warehouse) as wh:
        who = _manager(wh, user, "optout remove").user
        n = remove(wh, _key(key_file), ipp, user=who)
    emit(
        {"removed": n},
        as_json,
        lambda: quiet or stdout.print(f"{n} objection(s) withdrawn"),
    )


@optout_app.command("list")
def optout_list(
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Registered objections (pseudonyms, never IPPs)."""
    from entrepot.privacy import optout_list as listed

    with open_warehouse(warehouse) as wh:
        decision = _manager(wh, user, "optout list")
        rows = listed(wh)
        decision.released(wh, "optout.list", rows=len(rows), persons=len(rows))
    emit(
        rows,
        as_json,
        lambda: [
            stdout.print(f"{r['person_id']}  {r['added_at']}  {r['added_by']}")
            for r in rows
        ],
    )


audit_app = typer.Typer(help="The append-only, hash-chained audit log.")


AnchorOption = Annotated[
    Path | None,
    typer.Option(
        "--anchor",
        help="Anchor file of recorded heads [default: $ENTREPOT_AUDIT_ANCHOR, "
        "else beside the warehouse].",
        show_default=False,
    ),
]


@audit_app.command("verify")
def audit_verify(
    warehouse: WarehouseOption = None,
    expect_head: Annotated[
        str | None,
        typer.Option(help="A head hash recorded earlier: it must still be in the log."),
    ] = None,
    anchor: AnchorOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Check the chain and the anchor: any modified, deleted, reordered or cut
    entry is found (exit 1)."""
    from entrepot.privacy import verify

    with open_warehouse(warehouse) as wh:
        _manager(wh, user, "audit verify")
        data = verify(wh, expect_head=expect_head, anchor=anchor)
    emit(data, as_json, lambda: _print_verified(data))
    if not data["ok"]:
        raise typer.Exit(1)


def _print_verified(data: dict) -> None:
    if not data["ok"]:
        cut = data["first_bad"] > data["entries"]
        stdout.print(
            f"audit log BROKEN: entries missing after entry {data['entries']}"
            if cut
            else f"audit log BROKEN at entry {data['first_bad']} of {data['entries']}"
        )
        return
    anchor = data["anchor"]
    stdout.print(
        f"audit log intact: {data['entries']} entries, "
        + (
            f"up to the anchor's last head ({anchor['entries']})"
            if anchor["ok"]
            else f"no anchor at {anchor['file']}: entries cut from the end "
            "would not be seen"
        )
    )


@audit_app.command("head")
def audit_head(
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """The log's head (entries appended, last hash), to record somewhere else."""
    from entrepot.privacy import audit_head as last

    with open_warehouse(warehouse) as wh:
        _manager(wh, user, "audit head")  # the entry of this look is the head
        data = last(wh).as_dict()
    emit(data, as_json, lambda: stdout.print(f"{data['entries']} {data['hash']}"))


@audit_app.command("show")
def audit_show(
    warehouse: WarehouseOption = None,
    by: Annotated[
        str | None, typer.Option("--by", help="Only entries of this user.")
    ] = None,
    action: Annotated[
        str | None, typer.Option(help="Only actions starting so.")
    ] = None,
    project: Annotated[str | None, typer.Option(help="Only this project.")] = None,
    limit: Annotated[int | None, typer.Option(help="The last N entries.")] = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Entries of the audit log, filtered."""
    from entrepot.privacy import entries

    asked = {"by": by, "action": action, "project": project, "limit": limit}
    with open_warehouse(warehouse) as wh:
        decision = _manager(wh, user, "audit show")
        rows = entries(wh, user=by, action=action, project=project, limit=limit)
        decision.released(wh, "audit.show", asked, rows=len(rows))
    emit(
        rows,
        as_json,
        lambda: [
            stdout.print(
                f"{r['seq']:>5} {r['at']} {r['user']:<12} {r['action']:<14} "
                f"{r['project'] or '-':<10} rows={r['rows']} persons={r['persons']} "
                f"{r['parameters']}"
            )
            for r in rows
        ],
    )


@audit_app.command("retention")
def audit_retention(
    days: Annotated[int, typer.Argument(help="Days to keep entries (0: forever).")],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Set the retention and remove older entries (the chain still verifies)."""
    from entrepot.privacy import prune, set_retention

    with open_warehouse(warehouse) as wh:
        who = _manager(wh, user, "audit retention").user
        set_retention(wh, days or None)
        removed = prune(wh, who)
    emit(
        {"retention_days": days or None, "removed": removed},
        as_json,
        lambda: (
            quiet or stdout.print(f"retention {days or 'forever'}; {removed} removed")
        ),
    )


privacy_app = typer.Typer(help="Disclosure control, k-anonymity and key rotation.")


@privacy_app.command("kanon")
def privacy_kanon(
    file: Annotated[Path, typer.Argument(help="Extract (CSV with a header).")],
    quasi: Annotated[
        str, typer.Option("--quasi", help="Quasi-identifier columns, comma-separated.")
    ],
    k: Annotated[int, typer.Option("--k", help="Smallest class size wanted.")],
    sensitive: Annotated[
        str | None, typer.Option("--sensitive", help="Sensitive column (for l).")
    ] = None,
    generalise: Annotated[
        Path | None,
        typer.Option("--generalise", help="Write a k-anonymous copy to this CSV."),
    ] = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """k, l, classes and rows below k of an extract; --generalise to reach k."""
    from entrepot.privacy import _kanon

    columns = [c.strip() for c in quasi.split(",") if c.strip()]
    table = _kanon.read_csv(file)
    if generalise is None:
        data = _kanon.kanon(table, columns, k, sensitive, source=str(file))
    else:
        result = _kanon.generalise(table, columns, k, sensitive, source=str(file))
        _kanon.write_csv(result.table, generalise)
        data = result.report
    emit(data, as_json, lambda: stdout.print(json.dumps(data, indent=2)))


@privacy_app.command("mask-below")
def privacy_mask_below(
    threshold: Annotated[int, typer.Argument(help="Counts below it show as <N.")],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Set the warehouse's small-count threshold (default 10)."""
    from entrepot.errors import PrivacyError
    from entrepot.privacy import set_mask_threshold

    if threshold < 1:
        raise PrivacyError(f"mask-below: must be at least 1 (got {threshold})")
    with open_warehouse(warehouse) as wh:
        decision = _manager(wh, user, "privacy mask-below")
        set_mask_threshold(wh, threshold)
        decision.released(wh, "privacy.mask-below", {"threshold": threshold})
    emit(
        {"mask_below": threshold},
        as_json,
        lambda: quiet or stdout.print(f"<{threshold}"),
    )


@privacy_app.command("care-mode")
def privacy_care_mode(
    state: Annotated[str, typer.Argument(help="on or off.")],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Allow care-mode projects (a care team's own units' patients), or not
    (the default)."""
    from entrepot.errors import PrivacyError
    from entrepot.privacy import set_care_mode

    if state not in ("on", "off"):
        raise PrivacyError(f"care-mode: on or off (got {state!r})")
    with open_warehouse(warehouse) as wh:
        who = _manager(wh, user, "privacy care-mode").user
        set_care_mode(wh, state == "on", by=who)
    emit({"care_mode": state}, as_json, lambda: quiet or stdout.print(state))


@privacy_app.command("rotate-key")
def privacy_rotate_key(
    old_key_file: Annotated[Path, typer.Option(help="The key in use (mode 600).")],
    new_key_file: Annotated[Path, typer.Option(help="The new key (mode 600).")],
    source: Annotated[
        Path, typer.Option(help="The identified extracts the warehouse was made of.")
    ],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Re-key every pseudonym of the warehouse, and move shifted dates to the
    new key's shifts, atomically."""
    from entrepot.ingest import raw_files, read_extract, rekey_maps
    from entrepot.privacy import read_key_file, rotate_key

    old, new = read_key_file(old_key_file), read_key_file(new_key_file)
    maps = rekey_maps(source, old, new)
    ipps = read_extract(raw_files(source)["patients"])["ipp"].to_pylist()
    with open_warehouse(warehouse) as wh:
        who = _manager(wh, user, "privacy rotate-key").user
        counts = rotate_key(wh, old, new, maps, ipps=ipps, user=who)
    data = {"rewritten": counts, "fingerprint": new.fingerprint}
    emit(
        data,
        as_json,
        lambda: (
            quiet
            or stdout.print(
                f"{sum(counts.values()):,} rows re-keyed in {len(counts)} tables"
            )
        ),
    )


user_app = typer.Typer(help="Users and their roles (admin, data_engineer, ...).")


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="User name.")],
    role: Annotated[
        str, typer.Option(help="admin, data_engineer, researcher, viewer, data_office.")
    ],
    project: Annotated[
        list[str] | None, typer.Option(help="Project the user may work in.")
    ] = None,
    care_unit: Annotated[
        list[str] | None,
        typer.Option(help="Care site (name or id) whose care team the user is on."),
    ] = None,
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Create a user; the password is read from the first line of stdin."""
    from entrepot.privacy import add_care_team, add_user

    password = sys.stdin.readline().rstrip("\r\n")
    with open_warehouse(warehouse) as wh:
        who = _manager(wh, user, "user add").user
        data = add_user(wh, name, role, password, projects=project or [], by=who)
        if care_unit:
            data["care_units"] = add_care_team(wh, name, care_unit, by=who)
    emit(
        data,
        as_json,
        lambda: quiet or stdout.print(f"user {name} ({data['role']}) added"),
    )


@user_app.command("list")
def user_list(
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Users, roles and projects (never password hashes)."""
    from entrepot.privacy import list_users

    with open_warehouse(warehouse) as wh:
        _manager(wh, user, "user list")
        rows = list_users(wh)
    emit(
        rows,
        as_json,
        lambda: [
            stdout.print(f"{r['name']:<16} {r['role']:<14} {','.join(r['projects'])}")
            for r in rows
        ],
    )


project_app = typer.Typer(help="Projects and their authorised perimeter.")
UnitsOption = Annotated[
    list[str] | None,
    typer.Option(
        help="Care site (name or id, any level): the patients who stayed there "
        "within the dates."
    ),
]
ModeOption = Annotated[
    str,
    typer.Option(help="research, or care: the care team's own patients."),
]


@project_app.command("add")
def project_add(
    name: Annotated[str, typer.Argument(help="Project name.")],
    cohort: Annotated[
        int | None, typer.Option(help="Cohort id: only its persons are seen.")
    ] = None,
    domains: Annotated[
        str | None, typer.Option(help="Tables seen, comma-separated [default: all].")
    ] = None,
    start: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="First date seen.")
    ] = None,
    end: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="Last date seen.")
    ] = None,
    mask_below: Annotated[
        int | None, typer.Option(help="This project's small-count threshold.")
    ] = None,
    units: UnitsOption = None,
    mode: ModeOption = "research",
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Create a project with its perimeter (a cohort and/or tables and dates,
    and/or care units)."""
    from entrepot.privacy import add_project

    with open_warehouse(warehouse) as wh:
        who = _manager(wh, user, "project add").user
        data = add_project(
            wh,
            name,
            cohort_id=cohort,
            domains=[d.strip() for d in domains.split(",")] if domains else None,
            start=start.date() if start else None,
            end=end.date() if end else None,
            mask_below=mask_below,
            units=units,
            mode=mode,
            by=who,
        )
    emit(data, as_json, lambda: quiet or stdout.print(f"project {name} added"))


@project_app.command("update")
def project_update(
    name: Annotated[str, typer.Argument(help="Project name.")],
    units: UnitsOption = None,
    mode: ModeOption = "research",
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Change a project's care units and mode."""
    from entrepot.errors import PrivacyError
    from entrepot.privacy import update_project

    if not units:
        raise PrivacyError("project update: --units is needed")
    with open_warehouse(warehouse) as wh:
        who = _manager(wh, user, "project update").user
        ids = update_project(wh, name, units, mode, by=who)
    data = {"name": name, "units": ids, "mode": mode}
    emit(data, as_json, lambda: quiet or stdout.print(f"project {name} updated"))


@project_app.command("care-sites")
def project_care_sites(
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """The care-site hierarchy (CHU > hôpital > pôle > service > unité) from
    which a project's units are chosen."""
    from entrepot.warehouse import care_site_tree

    with open_warehouse(warehouse) as wh:
        _manager(wh, user, "project care-sites")
        rows = care_site_tree(wh).listing()
    emit(
        rows,
        as_json,
        lambda: [
            stdout.print(
                f"{'  ' * r['depth']}{r['name']} ({r['level'] or '-'}, "
                f"id {r['care_site_id']}, {r['units']} units)",
                markup=False,
            )
            for r in rows
        ],
    )


@project_app.command("list")
def project_list(
    user: CallerOption = None,
    warehouse: WarehouseOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Projects and their perimeters."""
    from entrepot.privacy import list_projects

    with open_warehouse(warehouse) as wh:
        _manager(wh, user, "project list")
        rows = list_projects(wh)
    emit(rows, as_json, lambda: [stdout.print(str(r)) for r in rows])


@project_app.command("workspaces")
def project_workspaces(
    folder: Annotated[
        Path, typer.Argument(help="Where each project's workspace folder is made.")
    ],
    warehouse: WarehouseOption = None,
    user: CallerOption = None,
    as_json: JsonOption = False,
    quiet: QuietOption = False,
) -> None:
    """Set the folder of projects' workspaces, where approved extracts are
    written (default: beside the warehouse, `eds.duckdb.workspaces`)."""
    from entrepot.privacy import set_workspaces

    with open_warehouse(warehouse) as wh:
        decision = _manager(wh, user, "project workspaces")
        path = set_workspaces(wh, folder)
        decision.released(wh, "project.workspaces", {"folder": str(path)})
    data = {"workspaces": str(path)}
    emit(data, as_json, lambda: quiet or stdout.print(str(path)))


def register(app: typer.Typer) -> None:
    """Add these commands to the `entrepot` command."""
    app.command()(ingest)
    app.command()(deid)
    app.add_typer(optout_app, name="optout")
    app.add_typer(audit_app, name="audit")
    app.add_typer(privacy_app, name="privacy")
    app.add_typer(user_app, name="user")
    app.add_typer(project_app, name="project")
