"""Clusters saved as cohorts in the results schema, one per cluster.

Each cohort holds the cluster's persons inside the caller's perimeter, over
their observation period (first start to last end); a person without one is
left out. A cohort of the same name (`NAME cluster C`) in the project is
replaced, when the caller may change it.
"""

from __future__ import annotations

import ibis
import pyarrow as pa

from entrepot.errors import ParameterError
from entrepot.privacy import Decision
from entrepot.subgroups._cluster import Clustering


def save_clusters(wh, decision: Decision, found: Clustering, name: str) -> list[dict]:
    """Save each cluster of `found` as a cohort: [{cluster, cohort_definition_id,
    name}]."""
    from entrepot.cohort._perimeter import saved_as, unclaim

    try:
        ids = pa.array(found.ids.tolist(), pa.int64())
    except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError):
        raise ParameterError(
            "--save-cohorts: person ids must be the warehouse's (integers)"
        ) from None
    members = wh.store.from_arrow(
        pa.table({"subject_id": ids, "cluster": pa.array(found.labels, pa.int64())})
    )
    op = decision.table(wh, "observation_period")
    periods = op.group_by("person_id").aggregate(
        start=op.observation_period_start_date.min(),
        end=op.observation_period_end_date.max(),
    )
    rows = members.join(periods, members.subject_id == periods.person_id)
    saved = []
    for c in range(1, found.k + 1):
        title = f"{name} cluster {c}"
        cohort_id = saved_as(wh, decision, title)
        try:
            _write(wh, found, rows.filter(rows.cluster == c), cohort_id, title, c)
        except Exception:
            unclaim(wh, cohort_id)
            raise
        saved.append({"cluster": c, "cohort_definition_id": cohort_id, "name": title})
    return saved


def _write(wh, found: Clustering, rows, cohort_id: int, title: str, c: int) -> None:
    from entrepot.cohort._results import (
        RESULTS,
        definition_row,
        header_rows,
        results_table,
        typed_rows,
    )

    found_rows = {
        "cohort_definition_id": ibis.literal(cohort_id, "int64"),
        "subject_id": rows.subject_id,
        "cohort_start_date": rows.start,
        "cohort_end_date": rows.end,
    }
    stored = results_table(wh, "cohort").schema()
    cohort = wh.store.materialize(
        rows.select(*[found_rows[c].cast(t).name(c) for c, t in stored.items()])
    )
    persons = int(cohort.count().to_pyarrow().as_py())
    definition = {
        "name": title,
        "cluster": {"cluster": c, "k": found.k, "method": found.method},
    }
    step = {"rule_sequence": 0, "rule_name": f"cluster {c} of {found.k}"}
    headers = header_rows(
        definition_row(cohort_id, definition),
        [step | {"persons": persons, "entries": persons}],
        cohort_id,
    )
    with wh.store.transaction() as tx:
        for table in ("cohort", *headers):
            tx.delete(RESULTS, table, {"cohort_definition_id": cohort_id})
        tx.append(RESULTS, "cohort", cohort)
        for table, columns in headers.items():
            tx.append(RESULTS, table, typed_rows(table, columns))
