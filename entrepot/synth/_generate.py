"""Generate a whole hospital: chunks in parallel processes, Parquet parts in a
temporary folder, then one atomic, validated load into the warehouse."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from multiprocessing import get_context
from pathlib import Path

import pyarrow.parquet as pq

from entrepot.errors import LoadError, ParameterError
from entrepot.synth._chunk import CHUNK_PATIENTS, Settings, make_chunk
from entrepot.synth._enrich import check_enrichment
from entrepot.synth._modules import load_modules
from entrepot.synth._prediction import HOSPITALS, shift_modules

#: Tables entrepot keeps beside the CDM (schema `entrepot`), replaced whole.
BOOKKEEPING_TABLES = ("synth_truth", "note_annotation")
RAW_PARTS = "raw"
DEATH_FILES = "insee"  # the lines of the INSEE death files, under RAW_PARTS


@dataclass
class SynthResult:
    """What `generate_hospital` made, and how fast."""

    warehouse: str
    patients: int
    seed: int
    years: tuple[int, int]
    notes: bool
    workers: int
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0
    raw: str | None = None
    enrich: dict[str, float] = field(default_factory=dict)

    @property
    def patients_per_minute(self) -> float:
        return self.patients * 60 / self.seconds if self.seconds else 0.0

    @property
    def rows_per_second(self) -> float:
        return sum(self.rows.values()) / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict:
        return asdict(self) | {
            "years": list(self.years),
            "seconds": round(self.seconds, 2),
            "patients_per_minute": round(self.patients_per_minute),
            "rows_per_second": round(self.rows_per_second),
        }


def steps(patients: int, chunk_patients: int = CHUNK_PATIENTS) -> int:
    """How many times `generate_hospital` calls `progress` (for a progress bar)."""
    return -(-patients // chunk_patients) + 1


def generate_hospital(
    warehouse,
    *,
    patients: int = 1_000,
    seed: int = 0,
    years: tuple[int, int] = (2008, 2025),
    notes: bool = True,
    raw: str | os.PathLike | None = None,
    modules: str | os.PathLike | None = None,
    workers: int = 2,
    progress: Callable[[str], None] | None = None,
    chunk_patients: int = CHUNK_PATIENTS,
    enrich: dict[str, float] | None = None,
    prediction: str | None = None,
) -> SynthResult:
    """Fill an empty warehouse (a `Warehouse` or a URI, created when missing)
    with a synthetic French university hospital of `patients` patients.

    `enrich` gives a disease module to a share of the patients (`{"systemic_sclerosis":
    0.77}`), drawn as the module draws its patients; the others are as usual.
    The same arguments give the same tables, byte for byte, whatever `workers`
    (`chunk_patients`, the patients generated together, is part of the output).
    `progress(label)` is called `steps(patients)` times. `prediction` plants the
    risk model of `entrepot/data/synth/hf_mortality.yaml` (death within a year
    of a first heart-failure stay): "main", or "shifted" for a second hospital
    with another case mix and the same true model.
    """
    from entrepot.warehouse import Warehouse

    if patients < 1:
        raise ValueError("patients must be at least 1")
    if not years[0] <= years[1]:
        raise ValueError(f"years {years[0]}-{years[1]}: the first comes after the last")
    loaded = load_modules(modules)
    check_enrichment(enrich or {}, loaded)
    if prediction not in (None, *HOSPITALS):
        raise ParameterError(
            f"prediction {prediction!r}: one of {', '.join(HOSPITALS)}"
        )
    if prediction == "shifted":
        loaded = list(shift_modules(tuple(loaded)))
    settings = Settings(
        patients=patients,
        seed=seed,
        start=_day(date(years[0], 1, 1)),
        end=_day(date(years[1], 12, 31)),
        modules=tuple(loaded),
        notes=notes,
        chunk_patients=chunk_patients,
        enrich=tuple((enrich or {}).items()),
        prediction=prediction,
    )
    started = time.perf_counter()
    own = not isinstance(warehouse, Warehouse)
    wh = Warehouse.create(warehouse) if own else warehouse
    try:
        if (present := wh.count("person")) > 0:
            raise LoadError(
                f"{wh.uri} already holds {present:,} persons: synth fills an empty warehouse"
            )
        with tempfile.TemporaryDirectory(prefix="entrepot-synth-") as tmp:
            folder = Path(tmp)
            _write_chunks(settings, folder, workers, raw is not None, progress)
            if raw is not None:
                _death_files(settings, folder, Path(raw), years)
            if progress:
                progress("loading the warehouse")
            rows = _load(wh, folder)
            if raw is not None:
                from entrepot.synth._raw import write_raw

                write_raw(folder / RAW_PARTS, Path(raw))
    finally:
        if own:
            wh.close()
    return SynthResult(
        warehouse=str(wh.uri),
        patients=patients,
        seed=seed,
        years=tuple(years),
        notes=notes,
        workers=workers,
        rows=rows,
        seconds=time.perf_counter() - started,
        raw=None if raw is None else str(raw),
        enrich=dict(enrich or {}),
    )


def _day(d: date) -> int:
    return (d - date(1970, 1, 1)).days


def _write_chunks(settings, folder: Path, workers: int, raw: bool, progress) -> None:
    chunks = range(settings.chunks())
    if workers <= 1 or len(chunks) == 1:
        done = (_write_chunk(settings, c, folder, raw) for c in chunks)
        for c in done:
            _advance(progress, c, settings)
        return
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(_write_chunk, settings, c, folder, raw) for c in chunks]
        for future in futures:
            _advance(progress, future.result(), settings)


def _advance(progress, chunk: int, settings: Settings) -> None:
    if progress:
        made = min((chunk + 1) * settings.chunk_patients, settings.patients)
        progress(f"generating patients ({made:,}/{settings.patients:,})")


def _write_chunk(settings: Settings, chunk: int, folder: Path, raw: bool) -> int:
    """Generate one chunk and write its tables as Parquet parts; return its number."""
    made = make_chunk(settings, chunk)
    for name, table in made.tables.items():
        _part(folder / name, chunk, table)
    if raw:
        from entrepot.synth._raw import raw_tables

        for name, table in raw_tables(made).items():
            _part(folder / RAW_PARTS / name, chunk, table)
        from entrepot.synth._insee import death_records

        records = death_records(settings, chunk, made)
        _part(folder / RAW_PARTS / DEATH_FILES, chunk, records)
    return chunk


def _death_files(settings: Settings, folder: Path, raw: Path, years) -> None:
    """The INSEE death files of the raw extracts, from the chunks' lines; their
    true links join `synth_truth` as one more part."""
    from entrepot.synth._insee import write_death_files

    truth = write_death_files(folder / RAW_PARTS / DEATH_FILES, raw, years)
    _part(folder / "synth_truth", settings.chunks(), truth)


def _part(folder: Path, chunk: int, table) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, folder / f"part-{chunk:06d}.parquet", compression="lz4")


def _load(wh, folder: Path) -> dict[str, int]:
    """Every table in one validated load, then the eras derived from it;
    entrepot's own tables replaced after them."""
    from entrepot.synth._people import care_site, care_site_relationships, location
    from entrepot.warehouse.eras import build_eras

    names = [
        p.name for p in sorted(folder.iterdir()) if p.is_dir() and p.name != RAW_PARTS
    ]
    sources = {
        n: wh.store.read_file(folder / n) for n in names if n not in BOOKKEEPING_TABLES
    }
    sources |= {
        "location": location(),
        "care_site": care_site(),
        "fact_relationship": care_site_relationships(),
    }
    result = wh.load(sources)
    if any(result.quarantined.values()):
        bad = {k: v for k, v in result.quarantined.items() if v}
        raise LoadError(f"synthetic rows were quarantined (a bug): {bad}")
    eras = build_eras(wh)
    extra = {
        n: wh.store.read_file(folder / n) for n in names if n in BOOKKEEPING_TABLES
    }
    if extra:
        wh.replace_tables(extra)
    return (
        {n: result.loaded[n] for n in sorted(result.loaded)}
        | eras
        | {n: int(t.count().to_pyarrow().as_py()) for n, t in sorted(extra.items())}
    )
