"""Extracts read in chunks and split by patient, so that ingestion holds one
shard of patients at a time, whatever the size of the files.

Each CSV is read in blocks (`block_bytes`) and checked as it goes (columns,
`op` values, with the file and line of a bad one); each row goes to the shard
of its patient (person_id modulo the number of shards) in a file on disk, in
the order of its extract. All of a patient's rows, in every extract, are then
in one shard: what is computed per patient (ids ranked among equal rows, date
shifts, observation periods, the identity a note is de-identified with) is
the same as from whole files.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pv

from entrepot.errors import InputFileError
from entrepot.privacy import SecretKey, person_id

#: Patients in one shard: memory holds about one shard's rows at a time.
PATIENTS_PER_SHARD = 20_000
#: Bytes of CSV read at a time (a row, a note's text included, must fit).
BLOCK_BYTES = 1 << 22
#: The `op` column of a change file (RAW_FORMAT.md): what each row does.
OPS = ("insert", "update", "delete")


def csv_batches(path: Path, block_bytes: int = BLOCK_BYTES) -> Iterator[pa.RecordBatch]:
    """A CSV extract in batches, every column as text (identifiers keep their
    zeros; only an empty field is null: `NA` is sodium's code)."""
    try:
        with path.open("rb") as f:
            header = f.readline().decode("utf-8").strip().split(",")
        reader = pv.open_csv(
            path,
            read_options=pv.ReadOptions(block_size=block_bytes),
            parse_options=pv.ParseOptions(newlines_in_values=True),
            convert_options=pv.ConvertOptions(
                column_types={c.strip('"'): pa.string() for c in header},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
        yield from reader
    except (OSError, UnicodeDecodeError, pa.ArrowInvalid) as e:
        raise InputFileError(f"{path}: cannot be read: {str(e).splitlines()[0]}") from e


def read_csv(path: Path) -> pa.Table:
    """A whole (small) CSV extract, as `csv_batches` reads it."""
    batches = list(csv_batches(path))
    if not batches:  # a header only: pyarrow gives no batch
        return _empty(path)
    return pa.Table.from_batches(batches)


def _empty(path: Path) -> pa.Table:
    with path.open("rb") as f:
        header = f.readline().decode("utf-8").strip().split(",")
    return pa.table({c.strip('"'): pa.array([], pa.string()) for c in header if c})


class Shards:
    """The extracts of one ingestion, split by patient into files under `folder`."""

    def __init__(
        self,
        files: dict[str, Path],
        columns: dict[str, tuple[str, ...]],
        key: SecretKey,
        folder: Path,
        *,
        patients_per_shard: int = PATIENTS_PER_SHARD,
        block_bytes: int = BLOCK_BYTES,
        watched: frozenset[int] = frozenset(),
    ) -> None:
        self.folder = Path(folder)
        #: Which `watched` person_ids (those merges name) the patients give.
        self.arriving: set[int] = set()
        self._watched = watched
        self.block_bytes = block_bytes
        patients = sum(b.num_rows for b in csv_batches(files["patients"], block_bytes))
        self.count = max(1, math.ceil(patients / patients_per_shard))
        self._person = functools.lru_cache(maxsize=1 << 16)(
            functools.partial(person_id, key)
        )
        self.schemas = {
            name: self._split(name, path, columns[name]) for name, path in files.items()
        }

    def shard_of(self, ipp: str | None) -> int:
        """The shard of a patient number (rows without one: the first)."""
        return 0 if ipp is None else self._person(ipp) % self.count

    def _split(self, name: str, path: Path, columns: tuple[str, ...]) -> pa.Schema:
        """Write each row of `path` to its shard's file; check it on the way."""
        writers: dict[int, pa.ipc.RecordBatchFileWriter] = {}
        schema, line = _empty(path).schema, 2
        try:
            for batch in csv_batches(path, self.block_bytes):
                schema = batch.schema
                if line == 2:
                    check_columns(path, batch.schema.names, columns)
                if "op" in schema.names:
                    check_ops(path, batch.column("op"), line)
                line += batch.num_rows
                if name == "patients" and self._watched:
                    self.arriving |= self._watched & {
                        self._person(i) for i in batch.column("ipp").to_pylist() if i
                    }
                shards = np.fromiter(
                    (self.shard_of(i) for i in batch.column("ipp").to_pylist()),
                    np.int64,
                    batch.num_rows,
                )
                order = np.argsort(shards, kind="stable")  # file order within one
                batch = batch.take(pa.array(order))
                found, starts = np.unique(shards[order], return_index=True)
                ends = [*starts[1:], batch.num_rows]
                for shard, start, end in zip(found, starts, ends, strict=True):
                    if shard not in writers:
                        writers[shard] = pa.ipc.new_file(
                            self._file(name, shard), schema
                        )
                    writers[shard].write_batch(batch.slice(start, end - start))
            if line == 2:
                check_columns(path, schema.names, columns)
        finally:
            for writer in writers.values():
                writer.close()
        return schema

    def _file(self, name: str, shard: int) -> Path:
        return self.folder / f"{name}-{shard}.arrow"

    def __iter__(self) -> Iterator[tuple[int, dict[str, pa.Table]]]:
        """Each shard's rows of every extract."""
        for shard in range(self.count):
            out = {}
            for name, schema in self.schemas.items():
                path = self._file(name, shard)
                if path.is_file():
                    with pa.OSFile(str(path)) as source:
                        out[name] = pa.ipc.open_file(source).read_all()
                    path.unlink()  # read once: the disk holds what is left
                else:
                    out[name] = schema.empty_table()
            yield shard, out


def check_columns(path: Path, names: list[str], columns: tuple[str, ...]) -> None:
    missing = [c for c in columns if c not in names]
    if missing:
        raise InputFileError(
            f"{path}: missing column(s) {', '.join(missing)} "
            "(see entrepot/synth/RAW_FORMAT.md)"
        )


def check_ops(path: Path, ops: pa.Array, first_line: int) -> None:
    """Refuse a change file with an `op` other than insert, update or delete."""
    for line, op in enumerate(ops.to_pylist(), start=first_line):
        if op not in OPS:
            raise InputFileError(
                f"{path}: line {line}: op {op!r} is not one of {', '.join(OPS)}; "
                "nothing was ingested"
            )
