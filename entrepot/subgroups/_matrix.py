"""A features file read for clustering: ids, and numbers, flags and categories.

The file is Parquet or CSV. Its `person_id` column (otherwise its first
column) is the id; every other column is a feature: a number, a flag
(boolean) or a category (text). Nulls are missing values, kept missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from entrepot.errors import InputFileError

NUMBER, FLAG, CATEGORY = "number", "flag", "category"


@dataclass(frozen=True)
class FeatureMatrix:
    """Features of n persons: `numbers` (n × numeric features, NaN missing)
    and `codes` (n × flags and categories, level index, -1 missing)."""

    ids: np.ndarray
    numeric: tuple[str, ...]
    coded: tuple[str, ...]
    kinds: dict[str, str]  # feature -> number, flag or category
    levels: dict[str, tuple]  # coded feature -> its levels, in code order
    numbers: np.ndarray
    codes: np.ndarray

    @property
    def n(self) -> int:
        return len(self.ids)

    @property
    def features(self) -> tuple[str, ...]:
        return self.numeric + self.coded

    def rows(self, index: np.ndarray) -> FeatureMatrix:
        """The persons at `index` (repeats allowed: a bootstrap resample)."""
        return FeatureMatrix(
            self.ids[index],
            self.numeric,
            self.coded,
            self.kinds,
            self.levels,
            self.numbers[index],
            self.codes[index],
        )

    def columns(self, names: list[str]) -> FeatureMatrix:
        """Only the features `names` (a view of the data)."""
        numeric = tuple(c for c in self.numeric if c in names)
        coded = tuple(c for c in self.coded if c in names)
        return FeatureMatrix(
            self.ids,
            numeric,
            coded,
            {c: self.kinds[c] for c in numeric + coded},
            {c: self.levels[c] for c in coded},
            self.numbers[:, [self.numeric.index(c) for c in numeric]],
            self.codes[:, [self.coded.index(c) for c in coded]],
        )


def feature_matrix(table: pa.Table, source: str = "features") -> FeatureMatrix:
    """The features of an Arrow table: `person_id` (else the first column)
    is the id, every other column a feature typed by its Arrow type."""
    if table.num_columns == 0:
        raise InputFileError(f"{source}: no columns")
    id_column = (
        "person_id" if "person_id" in table.column_names else table.column_names[0]
    )
    names = [c for c in table.column_names if c != id_column]
    if not names:
        raise InputFileError(
            f"{source}: no feature columns (only the id column {id_column!r})"
        )
    if table.num_rows == 0:
        raise InputFileError(f"{source}: no rows")
    kinds = {c: _kind(table.column(c).type) for c in names}
    numeric = tuple(c for c in names if kinds[c] == NUMBER)
    coded = tuple(c for c in names if kinds[c] != NUMBER)
    numbers = np.column_stack(
        [_floats(table.column(c)) for c in numeric] or [np.empty(table.num_rows)]
    )[:, : len(numeric)]
    levels, codes = {}, []
    for c in coded:
        levels[c], column = _encoded(table.column(c), kinds[c])
        codes.append(column)
    codes = np.column_stack(codes or [np.empty(table.num_rows, int)])[:, : len(coded)]
    ids = np.asarray(table.column(id_column).to_pylist(), dtype=object)
    return FeatureMatrix(ids, numeric, coded, kinds, levels, numbers, codes)


def _kind(t: pa.DataType) -> str:
    if pa.types.is_boolean(t):
        return FLAG
    if pa.types.is_integer(t) or pa.types.is_floating(t) or pa.types.is_decimal(t):
        return NUMBER
    return CATEGORY


def _floats(column: pa.ChunkedArray) -> np.ndarray:
    return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)


def _encoded(column: pa.ChunkedArray, kind: str) -> tuple[tuple, np.ndarray]:
    """A flag's or category's levels and each row's code (-1: missing)."""
    if kind == FLAG:
        levels = (False, True)
    else:
        column = pc.cast(column, pa.string())
        levels = tuple(
            sorted(v for v in pc.unique(column).to_pylist() if v is not None)
        )
    codes = pc.index_in(column, value_set=pa.array(levels, column.type))
    return levels, pc.fill_null(codes, -1).to_numpy(zero_copy_only=False).astype(int)
