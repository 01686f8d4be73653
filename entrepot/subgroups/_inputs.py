"""The files a user brings to `entrepot cluster` and `entrepot profiles`:
clusters (person_id, cluster) and features (person_id, then features),
Parquet or CSV, checked with one-line errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.errors import InputFileError, ParameterError


def read_table(
    path: str | Path, what: str = "features", columns: tuple[str, ...] = ()
) -> pa.Table:
    """A Parquet or CSV file (by its ending) of `what`, that has `columns`
    (one-line errors)."""
    path = Path(path)
    if not path.is_file():
        raise InputFileError(f"{path}: no such {what} file")
    try:
        if path.suffix.lower() == ".csv":
            from pyarrow import csv

            table = csv.read_csv(path)
        else:
            import pyarrow.parquet as pq

            table = pq.read_table(path)
    except (pa.ArrowInvalid, OSError) as e:
        first = (str(e).strip().splitlines() or [type(e).__name__])[0]
        raise InputFileError(f"{path}: not a Parquet or CSV file ({first})") from None
    lacking = [c for c in columns if c not in table.column_names]
    if lacking:
        raise InputFileError(
            f"{path}: a {what} file needs the column(s) {', '.join(columns)}; "
            f"it lacks {', '.join(lacking)}"
        )
    return table


def members_of(clusters: pa.Table) -> tuple[np.ndarray, np.ndarray]:
    """Person ids and their cluster, one each, at least two clusters."""
    if clusters.num_rows == 0:
        raise InputFileError("the clusters file has no rows")
    if clusters["person_id"].null_count or clusters["cluster"].null_count:
        raise InputFileError("the clusters file has empty person_id or cluster cells")
    try:
        ids = clusters["person_id"].cast(pa.int64()).to_numpy()
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputFileError(
            "the clusters file's person_id is not an integer"
        ) from None
    if np.unique(ids).size < ids.size:
        raise InputFileError("the clusters file lists a person_id twice")
    labels = np.array(clusters["cluster"].to_pylist())
    if np.unique(labels).size < 2:
        raise ParameterError(
            "the clusters file has a single cluster: nothing to compare"
        )
    order = np.argsort(labels, kind="stable")
    return ids[order], labels[order]


def aligned(features: pa.Table, ids: np.ndarray) -> pa.Table:
    """The rows of `features` of persons `ids`, in their order (a person
    without a row: every value missing)."""
    if "person_id" not in features.column_names:
        raise InputFileError("the features file has no person_id column")
    try:
        known = features["person_id"].cast(pa.int64())
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        raise InputFileError(
            "the features file's person_id is not an integer"
        ) from None
    return features.take(pc.index_in(pa.array(ids), value_set=known))
