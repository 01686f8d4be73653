"""Clustering a features file, and writing each person's cluster."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from entrepot.errors import OutputPathError, ParameterError
from entrepot.subgroups._cluster import Clustering, check_method, cluster
from entrepot.subgroups._inputs import read_table
from entrepot.subgroups._matrix import feature_matrix


def parse_k(k: str | int | None) -> int | None:
    """`auto` (None) or a number of clusters."""
    if k is None or str(k).lower() == "auto":
        return None
    try:
        return int(k)
    except ValueError:
        raise ParameterError(f"--k {k}: a number of clusters, or auto") from None


def cluster_file(
    path: str | Path,
    method: str,
    k: str | int | None = None,
    views: str | Path | None = None,
    **options,
) -> Clustering:
    """Cluster the persons of a features file (Parquet or CSV); `views`, a
    YAML file of views, for the multi-view method."""
    check_method(method)
    number = parse_k(k)
    m = feature_matrix(read_table(path), str(path))
    if method == "mvmc":
        from entrepot.subgroups._multiview import read_views

        options["views"] = read_views(views, m)
    elif views is not None:
        raise ParameterError("--views: only for --method mvmc")
    return cluster(m, method, number, **options)


def write_labels(found: Clustering, path: str | Path) -> None:
    """Write `person_id, cluster` to Parquet (or CSV when the name ends .csv)."""
    path = Path(path)
    if not path.parent.is_dir():
        raise OutputPathError(f"{path}: no folder {path.parent}")
    ids = pa.array(found.ids.tolist())
    table = pa.table({"person_id": ids, "cluster": pa.array(found.labels, pa.int64())})
    if path.suffix.lower() == ".csv":
        from pyarrow import csv

        csv.write_csv(table, path)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, path)
