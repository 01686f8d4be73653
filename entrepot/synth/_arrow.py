"""Arrow tables with the exact CDM schemas, built from numpy columns."""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from entrepot.warehouse.cdm import cdm_table

#: Ids of one chunk's rows: chunk * ID_STRIDE + 1, + 2, ... so that they
#: strictly increase from chunk to chunk, whatever process made them.
ID_STRIDE = 100_000_000
DAY_US = 86_400_000_000


def ids(chunk: int, count: int) -> np.ndarray:
    """`count` new ids for table rows of chunk `chunk`."""
    if count >= ID_STRIDE:
        raise ValueError("too many rows in one chunk of patients")
    return chunk * ID_STRIDE + np.arange(1, count + 1, dtype=np.int64)


def dates(days: np.ndarray) -> pa.Array:
    """Days since 1970-01-01 as an Arrow date32 column."""
    return pa.array(np.asarray(days, dtype=np.int32), type=pa.date32())


def datetimes(days: np.ndarray, minutes: np.ndarray | int = 0) -> pa.Array:
    """Days since 1970-01-01 plus minutes of the day, as a timestamp[us] column."""
    us = (
        np.asarray(days, np.int64) * DAY_US + np.asarray(minutes, np.int64) * 60_000_000
    )
    return pa.array(us, type=pa.timestamp("us"))


def strings(values, index: np.ndarray) -> pa.Array:
    """values[index] as an Arrow string column, built in C++ (no Python loop);
    empty strings become nulls."""
    dictionary = pa.array([v or None for v in values], type=pa.string())
    return dictionary.take(pa.array(np.asarray(index, dtype=np.int64)))


def cdm(name: str, columns: dict[str, object]) -> pa.Table:
    """A table with every column of the CDM table `name`; the others are null."""
    schema = cdm_table(name).arrow_schema
    length = len(next(iter(columns.values())))
    arrays = []
    for field in schema:
        value = columns.get(field.name)
        if value is None:
            arrays.append(pa.nulls(length, field.type))
        elif isinstance(value, pa.Array):
            arrays.append(value.cast(field.type))
        else:
            arrays.append(pa.array(value, type=field.type))
    unknown = set(columns) - set(schema.names)
    if unknown:
        raise KeyError(f"{name}: no column(s) {sorted(unknown)}")
    return pa.Table.from_arrays(arrays, schema=schema)
