"""The warehouse's notes -> note_nlp, incrementally and on every core.

A note is processed again only when its text or the pipeline changed: each
processed note leaves a fingerprint in `entrepot.note_nlp_state`. Each batch
is written in one transaction (its mentions, with the state of its notes), so
that a run stopped midway leaves note_nlp consistent and the next run goes on
where it stopped.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa

from entrepot.nlp._changes import note_fingerprints, pending, read_notes
from entrepot.nlp._patterns import SECTION_LOINC
from entrepot.nlp._pipeline import VERSION, Pipeline
from entrepot.nlp._text import unreadable
from entrepot.warehouse import among
from entrepot.warehouse._warehouse import BOOKKEEPING

STATE = "note_nlp_state"
STATE_SCHEMA = BOOKKEEPING[STATE]
_CHUNK = 64  # notes sent to a worker at once
_SNIPPET = 120  # characters of context on each side, at most
_SYSTEM = VERSION.split()[0]  # how every nlp_system of this pipeline starts
_VOCABULARIES = {"CIM10": "CIM10", "ATC": "ATC", "LOINC": "LOINC"}
_pipeline: Pipeline | None = None


def system_name(terms: str | os.PathLike | None) -> str:
    """nlp_system: the pipeline's version and, with user terms, their hash."""
    if terms is None:
        return VERSION
    digest = hashlib.sha256(Path(terms).read_bytes()).hexdigest()[:12]
    return f"{VERSION} + terms {digest}"


def _init(terms: str | None) -> None:
    global _pipeline
    _pipeline = Pipeline(terms)  # cheap: the bundled matcher loads once a process


def _process(chunk: list[tuple[int, str | None]]) -> list[tuple[int, str, list[tuple]]]:
    """(note_id, status, mentions) for each note of a chunk (in a worker)."""
    assert _pipeline is not None
    out = []
    for note_id, text in chunk:
        why = unreadable(text)
        if why is not None:
            out.append((note_id, why, []))
            continue
        doc = _pipeline(text)
        mentions = [
            (e.start, e.end, e.text, e.label, e.concept_code, e.negation,
             e.hypothesis, e.family, e.history, e.reported, e.section,
             snippet(text, e.start, e.end))
            for e in doc.entities
        ]  # fmt: skip
        out.append((note_id, "ok", mentions))
    return out


def snippet(text: str, start: int, end: int) -> str:
    """The note's line around a span, with at most a little context each side."""
    a = max(text.rfind("\n", 0, start) + 1, start - _SNIPPET)
    b = text.find("\n", end)
    b = min(b if b >= 0 else len(text), end + _SNIPPET)
    return text[a:b].strip()[:250]


def _modifiers(m: tuple) -> str:
    flags = ("negation", "hypothesis", "family", "history", "reported")
    parts = [f"label={m[3]}"] + [
        f"{name}={'true' if value else 'false'}"
        for name, value in zip(flags, m[5:10], strict=True)
    ]
    if m[10]:
        parts.append(f"section={m[10]}")
    return ",".join(parts)


def _section_concept(concepts: dict[str, int], section: str | None) -> int:
    """The concept of a note section (its LOINC code), 0 when it has none."""
    code = SECTION_LOINC.get(section or "")
    return concepts.get(f"LOINC:{code}", 0) if code else 0


def _state_table(wh):
    if STATE not in wh.store.list_tables("entrepot"):
        wh.store.create_table("entrepot", STATE, STATE_SCHEMA)
    return wh.store.table("entrepot", STATE)


def _concepts(wh) -> dict[str, int]:
    """'CIM10:M34' -> concept_id, for the vocabularies mentions are coded in."""
    c = wh.table("concept")
    rows = (
        c.filter(c.vocabulary_id.isin(list(_VOCABULARIES)))
        .select("vocabulary_id", "concept_code", "concept_id")
        .to_pyarrow()
        .to_pylist()
    )
    return {f"{r['vocabulary_id']}:{r['concept_code']}": r["concept_id"] for r in rows}


def run_nlp(
    wh,
    *,
    terms: str | os.PathLike | None = None,
    workers: int | None = None,
    batch_size: int = 5_000,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:
    """Process new and changed notes into note_nlp; return counts.

    `workers` processes (default: every core; on a Spark warehouse, Spark's
    executors); `progress(label)` is called after each batch is written.
    """
    system = system_name(terms)
    terms_path = None if terms is None else str(terms)
    todo, gone = pending(
        note_fingerprints(wh, ("note_text",), system), _state_table(wh)
    )
    notes = int(todo.count().to_pyarrow().as_py())
    concepts = _concepts(wh)
    workers = max(1, workers or os.cpu_count() or 1)
    _init(terms_path)  # in the parent too: forked workers inherit it loaded
    counts: Counter = Counter()
    next_id = _next_id(wh)
    removed = _forget(wh, gone)
    context = multiprocessing.get_context("fork" if os.name == "posix" else "spawn")
    pool = (
        ProcessPoolExecutor(workers, mp_context=context, initializer=_init,
                            initargs=(terms_path,))
        if workers > 1 and wh.engine != "spark" else None
    )  # fmt: skip
    if wh.engine == "spark":
        from entrepot.nlp._spark import spark_batches

        batches = spark_batches(wh, todo, terms_path, batch_size)
    else:
        batches = _in_pool(pool, read_notes(wh, todo, ("note_text",), batch_size))
    try:
        for processed, prints in batches:
            next_id = _write(wh, processed, prints, system, concepts, next_id)
            for _, status, mentions in processed:
                counts[status] += 1
                counts["mentions"] += len(mentions)
            if progress:
                progress(f"{sum(counts[k] for k in counts if k != 'mentions')} notes")
    finally:
        if pool:
            pool.shutdown(cancel_futures=True)
    skipped = {k: v for k, v in counts.items() if k not in ("ok", "mentions")}
    return {
        "notes": notes,
        "processed": counts["ok"],
        "skipped": sum(skipped.values()),
        "skipped_by_reason": skipped,
        "mentions": counts["mentions"],
        "removed_notes": removed,
        "nlp_system": system,
    }


def _in_pool(
    pool, batches: Iterator[list[dict]]
) -> Iterator[tuple[list, dict[int, str]]]:
    """(note_id, status, mentions) of each batch of notes, in chunks over the
    pool, with the batch's fingerprints."""
    for notes in batches:
        batch = [(n["note_id"], n["note_text"]) for n in notes]
        chunks = [batch[i : i + _CHUNK] for i in range(0, len(batch), _CHUNK)]
        results = pool.map(_process, chunks) if pool else map(_process, chunks)
        prints = {n["note_id"]: n["fingerprint"] for n in notes}
        yield [r for chunk in results for r in chunk], prints


def _next_id(wh) -> int:
    value = wh.table("note_nlp").note_nlp_id.max().to_pyarrow().as_py()
    return (value or 0) + 1


def _forget(wh, gone: ir.Table) -> int:
    """Remove mentions and state of the notes `gone` (note_id), in one
    transaction; how many notes."""
    gone = wh.store.materialize(gone)  # it reads the state replaced below
    count = int(gone.count().to_pyarrow().as_py())
    if not count:
        return 0
    nlp = wh.table("note_nlp")
    state = wh.store.table("entrepot", STATE)
    kept_nlp = wh.store.materialize(nlp.filter(~nlp.note_id.isin(gone.note_id)))
    kept_state = wh.store.materialize(state.filter(~state.note_id.isin(gone.note_id)))
    with wh.store.transaction() as tx:
        tx.replace("cdm", "note_nlp", kept_nlp)
        tx.replace("entrepot", STATE, kept_state)
    return count


def _write(
    wh,
    processed: list,
    fingerprints: dict[int, str],
    system: str,
    concepts: dict[str, int],
    next_id: int,
) -> int:
    """Write one batch: its mentions and states replace the notes' old ones."""
    now = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
    # warehouses created before the spec's quotes were dropped name it '"offset"'
    offset = next(c for c in wh.table("note_nlp").columns if c.strip('"') == "offset")
    texts = {}
    rows, states = [], []
    for note_id, status, mentions in processed:
        for m in mentions:
            rows.append(
                {
                    "note_nlp_id": next_id,
                    "note_id": note_id,
                    "section_concept_id": _section_concept(concepts, m[10]),
                    "snippet": m[11],
                    offset: f"{m[0]}-{m[1]}",
                    "lexical_variant": m[2][:250],
                    "note_nlp_concept_id": concepts.get(m[4] or "", 0),
                    "note_nlp_source_concept_id": 0,
                    "nlp_system": system,
                    "nlp_date": now.date(),
                    "nlp_datetime": now,
                    "term_exists": "N" if m[5] or m[6] or m[7] else "Y",
                    "term_temporal": "past" if m[8] else "present",
                    "term_modifiers": _modifiers(m),
                }
            )
            next_id += 1
        texts[note_id] = status
    for note_id, status, mentions in processed:
        states.append(
            {
                "note_id": note_id,
                "fingerprint": fingerprints[note_id],
                "status": status,
                "mentions": len(mentions),
                "processed_at": now,
            }
        )
    ids = list(texts)
    state = wh.store.table("entrepot", STATE)
    known = state.filter(among(wh, state.note_id, ids)).count().to_pyarrow().as_py()
    nlp_schema = wh.table("note_nlp").schema().to_pyarrow()

    new_rows = wh.store.from_arrow(pa.Table.from_pylist(rows, schema=nlp_schema))
    new_states = wh.store.from_arrow(
        pa.Table.from_pylist(states, schema=STATE_SCHEMA.to_pyarrow())
    )
    if known:  # changed notes: their old mentions go, not other systems' rows
        nlp = wh.table("note_nlp")
        own = nlp.nlp_system.startswith(_SYSTEM).fill_null(False)
        redone = among(wh, nlp.note_id, ids) & own
        kept_nlp = wh.store.materialize(nlp.filter(~redone))
        kept_state = wh.store.materialize(state.filter(~among(wh, state.note_id, ids)))
        with wh.store.transaction() as tx:
            tx.replace("cdm", "note_nlp", kept_nlp)
            tx.append("cdm", "note_nlp", new_rows)
            tx.replace("entrepot", STATE, kept_state)
            tx.append("entrepot", STATE, new_states)
    else:
        with wh.store.transaction() as tx:
            tx.append("cdm", "note_nlp", new_rows)
            tx.append("entrepot", STATE, new_states)
    return next_id
