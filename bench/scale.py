"""A scale run of every capability on one synthetic hospital: seconds, memory peak and disk per step.

Builds the hospital (the generator makes it in shards of patients, generated in
parallel, then loaded in one validated load), then times, on that warehouse:
loading, the eras, 5 cohorts (3 shipped ones and 2 Circe JSON ones of
`bench/cohort.py`), all quality checks and characterization, the interaction
scan, the covariates of the shipped heart-failure study, then (last, the
slowest) text processing and search indexing of the notes and 10 searches
(p50/p95). The figures are written after each step, so a run stopped at a time
limit keeps the steps it finished. `--fit` reads several runs' JSON and fits
each step's exponent b of time ~ N^b (least squares on logs).

    python bench/scale.py --patients N [--no-notes] [--engine duckdb|spark]
        [--warehouse PATH] [--shards K] [--json OUT]
    python bench/scale.py --fit A.json B.json ...
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

from bench.cohort import DEFINITIONS as CIRCE_DEFINITIONS
from bench.search import QUERIES

SHIPPED_COHORTS = (
    "systemic_sclerosis",
    "immunosuppressed",
    "skin_reactions_since_2015",
)
CIRCE_COHORTS = (
    "drug era exit (immunosuppressants, 30-day gap)",
    "inclusion rules (COVID-19 on immunosuppressants, adults)",
)
SEARCHES = 10
STUDY = "heart_failure_mortality"


class Peak:
    """The largest resident memory of this process and its children while open,
    sampled every 50 ms (psutil when installed, else the process's own high-water mark)."""

    def __init__(self) -> None:
        self.bytes = 0
        self._stop = threading.Event()
        try:
            import psutil
        except ImportError:
            self._process = None
        else:
            self._process = psutil.Process()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _rss(self) -> int:
        if self._process is None:
            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
        total = self._process.memory_info().rss
        for child in self._process.children(recursive=True):
            try:
                total += child.memory_info().rss
            except Exception:  # a child that ended between listing and reading
                continue
        return total

    def _sample(self) -> None:
        while not self._stop.wait(0.05):
            self.bytes = max(self.bytes, self._rss())

    def __enter__(self) -> Peak:
        self.bytes = self._rss()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.bytes = max(self.bytes, self._rss())


def disk_bytes(path: str) -> int:
    """Bytes of a warehouse: its file or folder and its siblings (`.wal`, `.search`)."""
    target = Path(path)
    total = 0
    for p in target.parent.glob(f"{target.name}*"):
        files = [p] if p.is_file() else [f for f in p.rglob("*") if f.is_file()]
        total += sum(f.stat().st_size for f in files)
    return total


@contextmanager
def _step(figures: dict, name: str, path: str, save: Callable[[dict], None]):
    """Time one step into figures["steps"][name] with its memory peak and disk
    after, then `save` the figures (a run stopped later keeps them)."""
    extra: dict = {}
    with Peak() as peak:
        started = time.perf_counter()
        yield extra
        seconds = time.perf_counter() - started
    figures["steps"][name] = {
        "seconds": round(seconds, 3),
        "peak_rss_mb": round(peak.bytes / 2**20, 1),
        "disk_mb": round(disk_bytes(path) / 2**20, 1),
    } | extra
    save(figures)


def build(path: str, patients: int, notes: bool, shards: int | None, workers: int):
    """Generate the hospital; seconds generating and seconds loading it (eras included)."""
    from entrepot.synth import generate_hospital

    marks: list[float] = []

    def progress(label: str) -> None:
        if label == "loading the warehouse":
            marks.append(time.perf_counter())

    chunk = {} if shards is None else {"chunk_patients": -(-patients // shards)}
    started = time.perf_counter()
    result = generate_hospital(
        path, patients=patients, seed=1, notes=notes, workers=workers,
        progress=progress, **chunk,
    )  # fmt: skip
    ended = time.perf_counter()
    return result, marks[0] - started, ended - marks[0]


def run(
    patients: int,
    *,
    notes: bool = True,
    engine: str = "duckdb",
    warehouse: str | None = None,
    shards: int | None = None,
    workers: int = 2,
    say: Callable[[str], None] = lambda _: None,
    save: Callable[[dict], None] = lambda _: None,
) -> dict:
    """Build (or reuse) a warehouse of `patients` patients and time every step."""
    with tempfile.TemporaryDirectory(prefix="entrepot-scale-") as tmp:
        path = warehouse or str(
            Path(tmp) / ("scale.duckdb" if engine == "duckdb" else "scale")
        )
        uri = path if engine == "duckdb" else f"spark:{path}"
        return _run(uri, path, patients, notes, engine, shards, workers, say, save)


def _run(uri, path, patients, notes, engine, shards, workers, say, save) -> dict:
    from entrepot.cohort import definition_from_data, run_cohort, shipped_definitions
    from entrepot.drugs import scan
    from entrepot.model import load_study, study_data
    from entrepot.nlp import run_nlp
    from entrepot.privacy import Decision
    from entrepot.quality import run_checks
    from entrepot.quality.characterization import describe
    from entrepot.search import SearchFilters, search_notes, update_index
    from entrepot.warehouse import Warehouse
    from entrepot.warehouse.eras import build_eras

    figures: dict = {
        "patients": patients,
        "notes": notes,
        "engine": engine,
        "shards": shards,
        "workers": workers,
        "cpus": os.cpu_count(),
        "loadavg_before": list(os.getloadavg()),
        "steps": {},
    }
    reused = _persons(uri) if Path(path).exists() else 0
    figures["reused_warehouse"] = bool(reused)
    if not reused:
        say("generating and loading")
        with Peak() as peak:
            result, generating, loading = build(uri, patients, notes, shards, workers)
        figures["rows"] = sum(result.rows.values())
        figures["steps"]["generation"] = {
            "seconds": round(generating, 3),
            "peak_rss_mb": round(peak.bytes / 2**20, 1),
            "disk_mb": 0.0,
        }
        figures["steps"]["loading (eras included)"] = {
            "seconds": round(loading, 3),
            "peak_rss_mb": round(peak.bytes / 2**20, 1),
            "disk_mb": round(disk_bytes(path) / 2**20, 1),
        }
        save(figures)
    with Warehouse.open(uri) as wh:
        figures["persons"] = wh.count("person")
        say("eras")
        with _step(figures, "eras", path, save) as extra:
            extra["rows"] = sum(build_eras(wh).values())
        say("cohorts")
        with _step(figures, "5 cohorts", path, save) as extra:
            shipped = shipped_definitions()
            persons = {}
            for i, name in enumerate(SHIPPED_COHORTS, start=1):
                persons[name] = run_cohort(wh, shipped[name], cohort_id=i).count
            for i, name in enumerate(CIRCE_COHORTS, start=len(SHIPPED_COHORTS) + 1):
                circe = definition_from_data(CIRCE_DEFINITIONS[name], name)
                persons[name] = run_cohort(wh, circe, cohort_id=i).count
            extra["persons"] = persons
        say("quality checks and characterization")
        with _step(figures, "quality and characterization", path, save) as extra:
            report = run_checks(wh, incremental=False)
            describe(wh)
            extra["checks"] = report.summary["checks"]
        say("interaction scan")
        with _step(figures, "interaction scan", path, save) as extra:
            extra["patients_found"] = scan(wh).patients
        say("model covariates")
        with _step(figures, "model covariates", path, save) as extra:
            loaded = load_study(STUDY)
            decision = Decision.unscoped(wh)
            population, matrix = study_data(wh, decision, loaded)
            extra["persons"] = len(population.person_ids)
            extra["covariates"] = len(matrix.names)
        if notes:
            say("text processing")
            with _step(figures, "text processing", path, save) as extra:
                extra["notes"] = run_nlp(wh, workers=workers, progress=say)["processed"]
            say("search indexing")
            with _step(figures, "search indexing", path, save) as extra:
                extra["notes"] = update_index(wh, workers=workers, progress=say)[
                    "indexed"
                ]
            say("searches")
            with _step(figures, f"{SEARCHES} searches", path, save) as extra:
                latencies = []
                for i in range(SEARCHES):
                    text, filters = QUERIES[i % len(QUERIES)]
                    started = time.perf_counter()
                    search_notes(wh, text, SearchFilters(**filters))
                    latencies.append((time.perf_counter() - started) * 1000)
                extra["p50_ms"] = round(statistics.median(latencies), 1)
                extra["p95_ms"] = round(_percentile(latencies, 0.95), 1)
    figures["disk_mb"] = round(disk_bytes(path) / 2**20, 1)
    figures["peak_rss_mb"] = round(
        max(s["peak_rss_mb"] for s in figures["steps"].values()), 1
    )
    figures["loadavg_after"] = list(os.getloadavg())
    save(figures)
    return figures


def _persons(uri: str) -> int:
    from entrepot.warehouse import Warehouse

    with Warehouse.open(uri) as wh:
        return wh.count("person") if wh.has_table("person") else 0


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.ceil(q * len(ordered)) - 1)]


def fit(runs: list[dict]) -> dict[str, float]:
    """Each step's exponent b in seconds ~ N^b, least squares on logs, over every
    run that timed it (repeats included; steps timed at under two sizes left out)."""
    exponents = {}
    for name in dict.fromkeys(s for r in runs for s in r["steps"]):
        points = [
            (r["patients"], r["steps"][name]["seconds"])
            for r in runs
            if name in r["steps"] and r["steps"][name]["seconds"] > 0
        ]
        if len({n for n, _ in points}) < 2:
            continue
        xs = [math.log(n) for n, _ in points]
        ys = [math.log(s) for _, s in points]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sum(
            (x - mx) ** 2 for x in xs
        )
        exponents[name] = round(slope, 2)
    return exponents


def table(figures: dict) -> str:
    """The steps as a text table."""
    lines = [f"{'step':<30} {'seconds':>9} {'peak RSS MB':>12} {'disk MB':>9}  details"]
    for name, s in figures["steps"].items():
        details = ", ".join(
            f"{k}={v}"
            for k, v in s.items()
            if k not in ("seconds", "peak_rss_mb", "disk_mb")
        )
        lines.append(
            f"{name:<30} {s['seconds']:>9.2f} {s['peak_rss_mb']:>12.1f} "
            f"{s['disk_mb']:>9.1f}  {details}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=1_000)
    parser.add_argument("--notes", action=argparse.BooleanOptionalAction, default=True)
    parser.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    parser.add_argument("--warehouse", help="build here, or reuse it when it exists")
    parser.add_argument("--shards", type=int, help="generate the patients in K shards")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument(
        "--fit", nargs="+", type=Path, metavar="JSON", help="fit exponents of runs"
    )
    args = parser.parse_args(argv)
    if args.fit:
        runs = [json.loads(p.read_text()) for p in args.fit]
        exponents = fit(runs)
        sizes = ", ".join(f"{n:,}" for n in sorted({r["patients"] for r in runs}))
        print(f"time ~ N^b over {sizes} patients")
        for name, b in exponents.items():
            print(f"{name:<30} b = {b:.2f}")
        return exponents
    figures = run(
        args.patients, notes=args.notes, engine=args.engine,
        warehouse=args.warehouse, shards=args.shards, workers=args.workers,
        say=lambda step: print(f"{time.strftime('%H:%M:%S')} ... {step}", flush=True),
        save=lambda f: args.json and args.json.write_text(json.dumps(f, indent=2)),
    )  # fmt: skip
    print(
        f"{figures['patients']:,} patients ({'with' if args.notes else 'without'} notes, "
        f"{args.engine}), load average before {figures['loadavg_before']}"
    )
    print(table(figures))
    print(f"warehouse on disk: {figures['disk_mb']} MB")
    return figures


if __name__ == "__main__":
    main()
