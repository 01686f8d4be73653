"""Extracts of a cohort's data asked by a project, checked, approved by the
data office, then produced through the release gate.

A project member asks for chosen columns of tables about persons, for the
persons of a cohort the project sees. The extract is checked at once for
k-anonymity: each of its persons is described by the quasi-identifiers it
would release (`QUASI_IDENTIFIERS`: birth year, month and day, sex, race,
ethnicity, residence (`location_id`, the postcode's row), death date) and k
is the size of the smallest group of persons sharing the same values; it
must reach the project's masking threshold. The data office sees the
result and approves (only an extract that reaches it) or refuses. A member
then produces it: `Decision.export` writes the rows inside the perimeter
(persons already pseudonymised, dates as the warehouse holds them) to the
project's workspace folder, and audits what left. Every step is a row of
`project_extract` and an audit entry.
"""

from __future__ import annotations

import json
from pathlib import Path

from entrepot.errors import (
    AccessDeniedError,
    ConflictError,
    NotFoundError,
    PrivacyError,
)
from entrepot.privacy._access import _append, _now, _rows
from entrepot.privacy._audit import audit
from entrepot.privacy._gate import Decision, Perimeter
from entrepot.privacy._kanon import anonymity
from entrepot.privacy._ownership import cohort_owners, cohort_visible
from entrepot.privacy._requests import (
    PROJECT_NAME,
    _comment,
    _needs,
    _state,
    shown_steps,
)
from entrepot.privacy._settings import get_setting, set_setting

TABLE = "project_extract"
FORMATS = ("parquet", "csv")
#: Columns that tell who a person is to someone who knows them, by table.
QUASI_IDENTIFIERS = {
    "person": (
        "year_of_birth",
        "month_of_birth",
        "day_of_birth",
        "birth_datetime",
        "gender_concept_id",
        "race_concept_id",
        "ethnicity_concept_id",
        "location_id",
    ),
    "death": ("death_date", "death_datetime"),
}
WORKSPACES = "workspaces"  # the privacy setting: the folder of projects' folders


def set_workspaces(wh, folder: str | Path) -> Path:
    """Where projects' workspace folders are made (default: beside the
    warehouse, `eds.duckdb.workspaces`)."""
    path = Path(folder).resolve()
    set_setting(wh, WORKSPACES, str(path))
    return path


def workspace(wh, project: str) -> Path:
    """The project's workspace folder (its name checked: never a path)."""
    if not PROJECT_NAME.fullmatch(project) or project in (".", ".."):
        raise PrivacyError(
            f"project {project!r}: its name cannot name a workspace folder"
        )
    root = Path(get_setting(wh, WORKSPACES) or f"{wh.uri.path}.workspaces")
    folder = (root / project).resolve()
    if folder.parent != root.resolve():
        raise PrivacyError(f"project {project!r}: its folder leaves the workspaces")
    return folder


def _extract(wh, extract_id: int) -> list[dict]:
    steps = _rows(wh, TABLE, extract_id=extract_id)
    if not steps:
        raise NotFoundError(f"extract {extract_id}: no such extract")
    return sorted(steps, key=lambda s: s["step"])


def _checked_columns(wh, decision: Decision, columns: dict[str, list[str]]) -> None:
    if not columns or not all(columns.values()):
        raise PrivacyError("columns: choose at least one column of each table")
    for table, chosen in columns.items():
        have = decision.table(wh, table).columns  # refuses a table outside
        if "person_id" not in have:
            raise PrivacyError(f"columns: table {table} holds no persons' rows")
        unknown = [c for c in chosen if c not in have]
        if unknown:
            raise PrivacyError(
                f"columns: {table} has no column {', '.join(map(repr, unknown))}"
            )


def k_anonymity(
    wh, decision: Decision, cohort_id: int, columns: dict[str, list[str]]
) -> dict:
    """The k-anonymity of an extract: its quasi-identifiers, `k` (the
    smallest group of its persons sharing their values), the groups, the
    persons and those in groups smaller than `required` (the project's
    masking threshold), and whether k reaches it."""
    quasi = [
        (table, c)
        for table, chosen in columns.items()
        for c in chosen
        if c in QUASI_IDENTIFIERS.get(table, ())
    ]
    people = Perimeter(cohort_id).narrow(
        wh, decision.table(wh, "person"), "person_id", None
    )
    rows = people.select("person_id")
    for table in dict.fromkeys(t for t, _ in quasi):
        values = decision.table(wh, table)
        keep = [c for t, c in quasi if t == table]
        values = values.group_by(qid=values.person_id).aggregate(
            **{f"{table}.{c}": values[c].min() for c in keep}
        )
        rows = rows.left_join(values, rows.person_id == values.qid).drop("qid")
    found = rows.to_pyarrow()
    names = [f"{t}.{c}" for t, c in quasi]
    tuples = list(zip(*(found[n].to_pylist() for n in names), strict=True))
    if not names:
        tuples = [()] * found.num_rows
    required = decision.mask_below or 1
    result = anonymity(tuples, None, required)
    return {
        "quasi_identifiers": names,
        "k": result["k"],
        "groups": result["classes"],
        "persons": found.num_rows,
        "persons_below_k": result["rows_below_k"],
        "required": required,
        "reached": result["k"] >= required,
    }


def _row(extract_id: int, step: int, event: str, first: dict, by: str, **more):
    return {
        "extract_id": extract_id,
        "step": step,
        "event": event,
        "project": first["project"],
        "cohort_id": first["cohort_id"],
        "columns": first["columns"],
        "format": first["format"],
        "kanon": more.get("kanon"),
        "files": more.get("files"),
        "requested_by": first["requested_by"],
        "by": by,
        "at": _now(),
        "comment": more.get("comment"),
    }


def request_extract(
    wh,
    decision: Decision,
    cohort_id: int,
    columns: dict[str, list[str]],
    format: str = "parquet",
) -> dict:
    """Ask for `columns` ({table: [column, ...]}) of a cohort's persons
    within the decision's project; checked for k-anonymity at once."""
    _needs(decision, "export")
    if decision.project is None:
        raise PrivacyError("project: an extract is asked for within a project")
    if format not in FORMATS:
        raise PrivacyError(f"format: {format!r} is not one of {', '.join(FORMATS)}")
    owners = cohort_owners(wh)
    c = wh.table("cohort_definition")
    exists = c.filter(c.cohort_definition_id == cohort_id).count().to_pyarrow()
    if not exists.as_py() or not cohort_visible(
        decision, cohort_id, owners.get(cohort_id)
    ):
        raise NotFoundError(f"cohort {cohort_id}: no such cohort in the project")
    _checked_columns(wh, decision, columns)
    kanon = k_anonymity(wh, decision, cohort_id, columns)
    ids = [r["extract_id"] for r in _rows(wh, TABLE)]
    extract_id = max(ids, default=0) + 1
    first = {
        "project": decision.project,
        "cohort_id": cohort_id,
        "columns": json.dumps(columns),
        "format": format,
        "requested_by": decision.user,
    }
    row = _row(
        extract_id, 1, "requested", first, decision.user, kanon=json.dumps(kanon)
    )
    _append(wh, TABLE, [row])
    asked = {"extract_id": extract_id, "cohort_id": cohort_id, "columns": columns}
    audit(wh, decision.user, "extract.request", asked | {"format": format},
          project=decision.project)  # fmt: skip
    audit(wh, decision.user, "extract.kanon", {"extract_id": extract_id} | kanon,
          project=decision.project, persons=kanon["persons"])  # fmt: skip
    return extract_of(wh, extract_id)


def _pending(wh, decision: Decision, extract_id: int, verb: str) -> list[dict]:
    _needs(decision, "approve")
    steps = _extract(wh, extract_id)
    state = _state(steps)
    if state != "pending":
        raise ConflictError(
            f"extract {extract_id} is {state} already: it cannot be {verb}"
        )
    if steps[0]["requested_by"] == decision.user:
        raise AccessDeniedError(
            f"extract {extract_id}: {decision.user} asked for it and cannot "
            "decide on it"
        )
    return steps


def approve_extract(
    wh, decision: Decision, extract_id: int, comment: str | None = None
) -> dict:
    """Approve a pending extract whose k-anonymity reaches the threshold."""
    steps = _pending(wh, decision, extract_id, "approved")
    kanon = json.loads(steps[0]["kanon"])
    if not kanon["reached"]:
        raise PrivacyError(
            f"extract {extract_id}: k = {kanon['k']} is below {kanon['required']}: "
            "refuse it, or ask for fewer quasi-identifiers"
        )
    return _step(wh, decision, steps, "approved", comment=comment)


def refuse_extract(wh, decision: Decision, extract_id: int, comment: str) -> dict:
    """Refuse a pending extract, saying why."""
    steps = _pending(wh, decision, extract_id, "refused")
    return _step(wh, decision, steps, "refused", comment=_comment(comment, "a refusal"))


def _step(wh, decision: Decision, steps: list[dict], event: str, **more) -> dict:
    first = steps[0]
    extract_id = first["extract_id"]
    _append(wh, TABLE, [_row(extract_id, len(steps) + 1, event, first, decision.user, **more)])  # fmt: skip
    verb = {"approved": "approve", "refused": "refuse", "produced": "produce"}[event]
    details = {k: json.loads(v) if k == "files" else v for k, v in more.items()}
    audit(wh, decision.user, f"extract.{verb}", {"extract_id": extract_id} | details,
          project=first["project"])  # fmt: skip
    return extract_of(wh, extract_id)


def produce_extract(wh, decision: Decision, extract_id: int) -> dict:
    """Write an approved extract into the project's workspace folder through
    the gate (`Decision.export`): `{..., "folder", "files": {file: rows}}`."""
    _needs(decision, "export")
    steps = _extract(wh, extract_id)
    first = steps[0]
    if first["project"] != decision.project:
        raise NotFoundError(f"extract {extract_id}: no such extract in the project")
    state = _state(steps)
    if state != "approved":
        said = {
            "pending": "the data office has not approved it",
            "refused": "the data office refused it",
            "produced": "it was produced already",
        }[state]
        raise ConflictError(f"extract {extract_id} is {state}: {said}")
    columns = json.loads(first["columns"])
    folder = workspace(wh, decision.project) / f"extract-{extract_id}"
    if folder.exists():
        raise ConflictError(f"extract {extract_id}: {folder} exists already")
    folder.mkdir(parents=True)
    written = decision.export(
        wh,
        list(columns),
        folder,
        first["format"],
        {"extract_id": extract_id},
        columns=columns,
        cohort_id=first["cohort_id"],
    )
    files = {f"{t.lower()}.{first['format']}": n for t, n in written.items()}
    return _step(wh, decision, steps, "produced", files=json.dumps(files),
                 comment=str(folder))  # fmt: skip


def _summary(steps: list[dict]) -> dict:
    first = steps[0]
    produced = [s for s in steps if s["event"] == "produced"]
    return {
        "extract_id": first["extract_id"],
        "state": _state(steps),
        "project": first["project"],
        "cohort_id": first["cohort_id"],
        "columns": json.loads(first["columns"]),
        "format": first["format"],
        "kanon": json.loads(first["kanon"]),
        "requested_by": first["requested_by"],
        "requested_at": first["at"],
        "folder": produced[0]["comment"] if produced else None,
        "files": json.loads(produced[0]["files"]) if produced else None,
        "steps": shown_steps(steps),
    }


def extract_of(wh, extract_id: int) -> dict:
    """An extract as it stands, with its k-anonymity and its steps."""
    return _summary(_extract(wh, extract_id))


def list_extracts(wh, project: str | None = None) -> list[dict]:
    """Every extract as it stands (of `project`, when given), newest first."""
    by_id: dict[int, list[dict]] = {}
    for row in sorted(_rows(wh, TABLE), key=lambda r: (r["extract_id"], r["step"])):
        by_id.setdefault(row["extract_id"], []).append(row)
    found = [_summary(steps) for steps in by_id.values()]
    if project is not None:
        found = [e for e in found if e["project"] == project]
    return sorted(found, key=lambda e: -e["extract_id"])
