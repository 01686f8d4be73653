"""The notes of a Spark warehouse processed on Spark's executors.

Texts stay in Spark: each batch of notes to redo is split into tasks, each task
loads the pipeline once (from the disk cache under $ENTREPOT_CACHE, which the
driver's value is passed on to) and runs the local path's per-note function;
only the mentions come back to the driver, which writes them as the local path
does. The jobs run in the job group `entrepot-nlp` (to watch or cancel them).
"""

from __future__ import annotations

import hashlib
import math
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa

from entrepot.nlp._changes import among, pages
from entrepot.nlp._run import _CHUNK, _init, _process

JOB_GROUP = "entrepot-nlp"
#: the fields of a mention tuple made by `_process`, in order
_MENTION = pa.struct(
    [
        ("start", pa.int64()),
        ("end", pa.int64()),
        ("text", pa.string()),
        ("label", pa.string()),
        ("concept_code", pa.string()),
        ("negation", pa.bool_()),
        ("hypothesis", pa.bool_()),
        ("family", pa.bool_()),
        ("history", pa.bool_()),
        ("reported", pa.bool_()),
        ("section", pa.string()),
        ("snippet", pa.string()),
    ]
)
RESULT = pa.schema(
    [
        ("note_id", pa.int64()),
        ("status", pa.string()),
        ("mentions", pa.list_(_MENTION)),
    ]
)


def spark_batches(
    wh, todo: ir.Table, terms: str | None, size: int
) -> Iterator[tuple[list[tuple[int, str, list[tuple]]], dict[int, str]]]:
    """(note_id, status, mentions) of the notes of `todo` (note_id,
    fingerprint), `size` at a time, with the batch's fingerprints."""
    from pyspark.sql.pandas.types import from_arrow_schema

    session = wh.store.session
    schema = from_arrow_schema(RESULT)
    task = _task(
        None if terms is None else Path(terms).read_bytes(),
        os.environ.get("ENTREPOT_CACHE"),
    )
    note = wh.table("note")
    cores = session.sparkContext.defaultParallelism
    for chunk in pages(wh, todo, size):
        wanted = chunk["note_id"].to_pylist()
        rows = note.filter(among(wh, note.note_id, wanted))
        rows = rows.select("note_id", "note_text")
        waves = math.ceil(len(wanted) / (_CHUNK * cores))  # every core busy each wave
        parts = min(len(wanted), waves * cores)
        frame = wh.store.frame(rows).repartition(parts).mapInArrow(task, schema)
        with _job_group(session.sparkContext, f"entrepot nlp run: {len(wanted)} notes"):
            found = frame.toArrow().to_pylist()
        by_id = {
            r["note_id"]: (
                r["note_id"],
                r["status"],
                [tuple(m.values()) for m in r["mentions"]],
            )
            for r in found
        }
        prints = dict(zip(wanted, chunk["fingerprint"].to_pylist(), strict=True))
        yield [by_id[j] for j in wanted if j in by_id], prints


def _task(
    terms: bytes | None, cache: str | None
) -> Callable[[Iterator[pa.RecordBatch]], Iterator[pa.RecordBatch]]:
    """The function a Spark task runs on its notes (sent to the executors)."""

    def process(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        if cache is not None:  # the driver's cache, not the executor's default
            os.environ["ENTREPOT_CACHE"] = cache
        _init(None if terms is None else _terms_file(terms))
        for batch in batches:
            notes = zip(
                batch.column("note_id").to_pylist(),
                batch.column("note_text").to_pylist(),
                strict=True,
            )
            yield _arrow(_process(list(notes)))

    return process


def _arrow(results: list[tuple[int, str, list[tuple]]]) -> pa.RecordBatch:
    """`_process`'s results as rows of RESULT, built column by column (fast)."""
    flat = [m for _, _, mentions in results for m in mentions]
    columns = list(zip(*flat, strict=True)) or [()] * _MENTION.num_fields
    mentions = pa.StructArray.from_arrays(
        [pa.array(c, f.type) for c, f in zip(columns, _MENTION, strict=True)],
        fields=list(_MENTION),
    )
    offsets = [0]
    for _, _, found in results:
        offsets.append(offsets[-1] + len(found))
    return pa.RecordBatch.from_arrays(
        [
            pa.array([r[0] for r in results], pa.int64()),
            pa.array([r[1] for r in results], pa.string()),
            pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), mentions),
        ],
        schema=RESULT,
    )


def _terms_file(content: bytes) -> str:
    """The user's terms, shipped with the task, as a file on the executor."""
    digest = hashlib.sha256(content).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"entrepot-terms-{digest}.yaml"
    if not path.exists():
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(content)
        partial.replace(path)  # atomic: another task never reads half a file
    return str(path)


@contextmanager
def _job_group(context, description: str) -> Iterator[None]:
    """Run the jobs started inside in the NLP job group, then restore the caller's."""
    keys = ("spark.jobGroup.id", "spark.job.description", "spark.job.interruptOnCancel")
    before = {key: context.getLocalProperty(key) for key in keys}
    context.setJobGroup(JOB_GROUP, description)
    try:
        yield
    finally:
        for key, value in before.items():
            context.setLocalProperty(key, value)
