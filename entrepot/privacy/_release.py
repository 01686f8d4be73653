"""Defence against differencing: counts released to a project are remembered.

Two overlapping counts can isolate a person: "patients with X" minus
"patients with X, except the one born on 2 March 1950 in 75013" tells
whether she has X. Every count released exactly to a project stores its set
of persons (`entrepot.released_persons`). Before a new count is shown, the
persons of all released sets and the new one fall into atoms (groups with
the same memberships); if the released counts and the new one would
determine the size of an atom of 1 to threshold - 1 persons, that atom is
moved to the side of the new set where it reveals nothing (the count the
attacker would have got had the person not been there), so the answer is the
same whether the person has X or not. Counts below the threshold are shown
as "<threshold" and are not remembered (they disclose no exact number).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

import ibis.expr.types as ir
import numpy as np
import pyarrow as pa

from entrepot.errors import DisclosureError
from entrepot.privacy._audit import audit
from entrepot.privacy._disclosure import mask_count
from entrepot.privacy._tables import ensure_table

_ROUNDS = 8  # repairs tried before the count is refused


def release_count(
    wh,
    project: str,
    persons: ir.Table | ir.Column | Iterable[int],
    threshold: int,
    **options,
) -> int | str:
    """The number of distinct persons to show a project, safe from
    differencing (`options`: `release_set`'s user, action, parameters)."""
    return release_set(wh, project, persons, threshold, **options)[0]


def release_set(
    wh,
    project: str,
    persons: ir.Table | ir.Column | Iterable[int],
    threshold: int,
    *,
    user: str = "entrepot",
    action: str = "count",
    parameters: dict | None = None,
) -> tuple[int | str, np.ndarray]:
    """`release_count`, with the persons the count shown counts (sorted ids):
    `persons` with the few the defence moved in or out, from which figures
    shown with the count are worked out so that they agree with it."""
    wanted = person_ids(persons)
    with _in_order(wh, project):
        released = _released(wh, project)
        answer, adjusted = _safe_set(wanted, released, threshold)
        shown = _remembered(wh, project, answer, released, threshold)
    audit(
        wh,
        user,
        f"release.{action}",
        {**(parameters or {}), "adjusted": adjusted, "count": len(wanted)},
        project=project,
        persons=len(answer),
    )
    return shown, answer


def release_counts(
    wh, project: str, sets: list[Iterable[int]], threshold: int
) -> list[tuple[int | str, np.ndarray, bool]]:
    """Several counts shown together (a list of cohorts), each safe from
    differencing with the others and every earlier one: (shown, the persons
    it counts, adjusted) each. Not audited: the caller audits what it shows."""
    out = []
    with _in_order(wh, project):
        released = _released(wh, project)
        for persons in sets:
            answer, adjusted = _safe_set(person_ids(persons), released, threshold)
            shown = _remembered(wh, project, answer, released, threshold)
            out.append((shown, answer, adjusted))
    return out


_locks: dict[tuple[str, str], threading.Lock] = {}
_locks_lock = threading.Lock()


def _in_order(wh, project: str) -> threading.Lock:
    """The lock of a project's releases in this process: each is worked out
    on every set released before it (threads of a server release at once)."""
    with _locks_lock:
        return _locks.setdefault((str(wh.uri), project), threading.Lock())


def _remembered(
    wh, project: str, answer: np.ndarray, released: list[np.ndarray], threshold: int
) -> int | str:
    """The count of `answer` as shown, remembered (in `released` too) when it
    is shown exactly and was not shown before (a repeat tells nothing)."""
    shown = mask_count(len(answer), threshold)
    known = any(np.array_equal(answer, r) for r in released)
    if isinstance(shown, int) and shown and not known:
        _remember(wh, project, answer, len(released))
        released.append(answer)
    return shown


def person_ids(persons) -> np.ndarray:
    """Distinct person ids (sorted) of a table's person_id, a column or ids."""
    if isinstance(persons, ir.Table):
        persons = persons.person_id
    if isinstance(persons, ir.Column):
        persons = persons.to_pyarrow().to_pylist()
    ids = np.fromiter((p for p in persons if p is not None), np.int64)
    return np.unique(ids)


def _released(wh, project: str) -> list[np.ndarray]:
    t = ensure_table(wh, "released_persons")
    rows = t.filter(t.project == project).select("release_id", "person_id")
    data = rows.to_pyarrow()
    order = np.lexsort((data["person_id"].to_numpy(), data["release_id"].to_numpy()))
    rid = data["release_id"].to_numpy()[order]
    pid = data["person_id"].to_numpy()[order]
    cuts = np.flatnonzero(np.diff(rid)) + 1
    return [p for p in np.split(pid, cuts) if len(p)]


def _remember(wh, project: str, ids: np.ndarray, release_id: int) -> None:
    rows = pa.table(
        {
            "project": pa.array([project] * len(ids), pa.string()),
            "release_id": pa.array([release_id] * len(ids), pa.int64()),
            "person_id": pa.array(ids, pa.int64()),
        }
    )
    with wh.store.transaction() as tx:
        tx.append("entrepot", "released_persons", wh.store.from_arrow(rows))


def _safe_set(
    wanted: np.ndarray, released: list[np.ndarray], threshold: int
) -> tuple[np.ndarray, bool]:
    """`wanted`, with every small atom it would expose moved in or out of it."""
    answer = wanted
    for _ in range(_ROUNDS):
        if len(answer) < threshold:  # shown as "<threshold", never remembered
            return answer, answer is not wanted
        exposed = exposed_atoms([*released, answer], threshold)
        if not exposed:
            return answer, answer is not wanted
        for atom, inside in exposed:
            answer = np.setdiff1d(answer, atom) if inside else np.union1d(answer, atom)
    raise DisclosureError(
        "this count cannot be shown: with earlier counts of the project it would "
        f"reveal a group of fewer than {threshold} persons"
    )


def exposed_atoms(
    sets: list[np.ndarray], threshold: int
) -> list[tuple[np.ndarray, bool]]:
    """Atoms of 1 to threshold - 1 persons whose size the counts of `sets`
    determine, each with whether it lies in the last set."""
    if not sets or not any(len(s) for s in sets):
        return []
    persons = np.concatenate(sets)
    member = np.concatenate([np.full(len(s), i) for i, s in enumerate(sets)])
    universe, where = np.unique(persons, return_inverse=True)
    matrix = np.zeros((len(universe), len(sets)), dtype=np.int8)
    matrix[where, member] = 1
    signatures, atom_of, sizes = np.unique(
        matrix, axis=0, return_inverse=True, return_counts=True
    )
    atom_of = atom_of.ravel()
    # An atom's size is determined when its indicator lies in the row space
    # of the sets' indicators over atoms (the counts are those rows' sums).
    _, singular, vt = np.linalg.svd(signatures.T.astype(float), full_matrices=False)
    basis = vt[singular > 1e-9 * max(singular.max(), 1.0)]
    determined = np.isclose((basis**2).sum(axis=0), 1.0)
    out = []
    for a in np.flatnonzero(determined & (sizes < threshold)):
        out.append((universe[atom_of == a], bool(signatures[a, -1])))
    return out
