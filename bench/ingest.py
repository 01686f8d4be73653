"""A night's delta against a full reload: `entrepot ingest` of change files
(an `op` column: 1 % of the rows of every extract updated or deleted) and of
`--merges` IPP merges (`merges.csv`) on an ingested warehouse, vs a first
ingestion of the same final extracts and merges, in the same run. Both give
the same tables (checked: counts per table). Target (issue 26): the delta ≥
10× faster than the full reload. Both are split into the phases where their
time went (`entrepot.warehouse.timing`: reading the extracts, the diff, each
table's check, deletes and appends, the IPP merges, ...); `--phases` prints
them (the JSON always has them).

With `--memory`, the peak resident memory of a first ingestion instead, each
in a fresh process, of N and 4N patients, from whole files (one shard) and in
shards of `--patients-per-shard` patients (issue 23: it must not grow with
the extracts beyond the engine's buffers), and the peak before the engine's
load (reading, splitting, building and de-identifying the shards).

    python bench/ingest.py [--patients 300] [--share 0.01] [--merges 0] [--phases]
                           [--json out.json]
    python bench/ingest.py --memory [--patients 300] [--patients-per-shard 100]
"""

from __future__ import annotations

import argparse
import csv
import json
import multiprocessing
import random
import shutil
import tempfile
import time
from pathlib import Path

from entrepot.ingest import ingest_raw
from entrepot.privacy import SecretKey
from entrepot.warehouse import Warehouse, phase, timing

KEY = SecretKey(bytes.fromhex("b3" * 32))
#: A column an update changes in each extract (none of its key columns);
#: pmsi and procedures rows are all key: they are only deleted.
UPDATED = {
    "patients": ("postcode", "75013"),
    "stays": ("discharge", "2024-12-31 10:00:00"),
    "units": ("kind", "ward"),
    "lab": ("high", "999"),
    "drugs": ("dose", "2"),
    "documents": ("text", "Compte rendu corrigé."),
}


def _read(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        return list(reader.fieldnames or []), list(reader)


def _write(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.DictWriter(f, header)
        out.writeheader()
        out.writerows(rows)


def make_night(first: Path, final: Path, delta: Path, share: float, seed: int = 0):
    """`final`: `first` with `share` of each extract's rows updated or deleted
    (half each, where an extract has a column to update); `delta`: those rows
    with their `op`. Returns the rows, and the rows changed, per extract."""
    rng = random.Random(seed)
    final.mkdir()
    delta.mkdir()
    changed, counts = {}, {}
    for path in sorted(first.glob("*.csv")):
        header, rows = _read(path)
        picked = rng.sample(range(len(rows)), max(1, round(share * len(rows))))
        ops, kept = [], []
        gone = set()
        for n, i in enumerate(picked):
            if path.stem in UPDATED and (n % 2 or path.stem == "patients"):
                column, value = UPDATED[path.stem]
                rows[i] = {**rows[i], column: value}
                ops.append({**rows[i], "op": "update"})
            else:
                gone.add(i)
                ops.append({**rows[i], "op": "delete"})
        kept = [r for i, r in enumerate(rows) if i not in gone]
        _write(final / path.name, header, kept)
        _write(delta / path.name, [*header, "op"], ops)
        changed[path.stem] = len(ops)
        counts[path.stem] = len(rows)
    return counts, changed


def add_merges(final: Path, delta: Path, merges: int) -> None:
    """`merges.csv` in both folders: the first `merges` pairs of patients
    still in `final`, the first of each merged into the second."""
    _, patients = _read(final / "patients.csv")
    ipps = [p["ipp"] for p in patients]
    if 2 * merges > len(ipps):
        raise SystemExit(f"--merges {merges}: more than half of {len(ipps)} patients")
    lines = [
        {"old_ipp": ipps[2 * i], "new_ipp": ipps[2 * i + 1], "merged_on": "2024-06-01"}
        for i in range(merges)
    ]
    for folder in (final, delta):
        _write(folder / "merges.csv", ["old_ipp", "new_ipp", "merged_on"], lines)


def _ingest(wh: Warehouse, folder: Path) -> tuple[float, dict, dict]:
    """Seconds, the result, and the seconds of each phase (adding up to them)."""
    with timing() as phases:
        start = time.perf_counter()
        result = ingest_raw(wh, folder, key=KEY)
        with phase("checkpoint"):
            wh.con.raw_sql("CHECKPOINT")
        seconds = time.perf_counter() - start
    return seconds, result.as_dict(), {p: round(s, 3) for p, s in phases.items()}


def run(patients: int, share: float = 0.01, seed: int = 0, merges: int = 0) -> dict:
    """Seconds of the delta and of the full reload, their ratio, and checks."""
    from entrepot.synth import generate_hospital

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        first = tmp / "first"
        generate_hospital(
            tmp / "synth.duckdb", patients=patients, seed=seed, raw=first, workers=1
        )
        counts, changed = make_night(first, tmp / "final", tmp / "delta", share, seed)
        if merges:
            add_merges(tmp / "final", tmp / "delta", merges)
        with Warehouse.create(tmp / "nightly.duckdb") as wh:
            _, loaded, _ = _ingest(wh, first)
            rows = sum(loaded["loaded"].values())
            delta_s, delta, delta_phases = _ingest(wh, tmp / "delta")
            nightly = wh.counts()
        with Warehouse.create(tmp / "reload.duckdb") as wh:
            reload_s, _, reload_phases = _ingest(wh, tmp / "final")
            reloaded = wh.counts()
        shutil.rmtree(first)
    assert nightly == reloaded, "the delta and the reload differ"
    return {
        "patients": patients,
        "share": share,
        "rows": rows,
        "source_rows": counts,
        "source_rows_changed": changed,
        "tables_changed": delta["tables"],
        "merges": delta["merges"],
        "delta_seconds": round(delta_s, 3),
        "reload_seconds": round(reload_s, 3),
        "ratio": round(reload_s / delta_s, 2),
        "target_ratio": 10,
        "phases": {"delta": delta_phases, "reload": reload_phases},
    }


def phase_lines(phases: dict[str, dict[str, float]], share: float = 0.01) -> list[str]:
    """Seconds of each phase of the delta and the reload, the largest first:
    each top phase with what ran inside it, and under it its parts that took
    at least `share` of either run."""
    runs = ("delta", "reload")
    totals = {r: sum(phases[r].values()) for r in runs}
    paths = sorted(set(phases["delta"]) | set(phases["reload"]))
    tops: dict[str, dict[str, float]] = {}
    for path in paths:
        top = tops.setdefault(path.split(" / ")[0], dict.fromkeys(runs, 0.0))
        for r in runs:
            top[r] += phases[r].get(path, 0.0)
    lines = [f"{'phase':<60} {'delta s':>9} {'reload s':>9}"]
    for name, top in sorted(tops.items(), key=lambda t: -t[1]["delta"]):
        lines.append(f"{name:<60} {top['delta']:>9.2f} {top['reload']:>9.2f}")
        parts = [p for p in paths if p.startswith(f"{name} / ")]
        for path in sorted(parts, key=lambda p: -phases["delta"].get(p, 0.0)):
            s = {r: phases[r].get(path, 0.0) for r in runs}
            if any(s[r] >= share * totals[r] for r in runs):
                label = "  " + path.removeprefix(f"{name} / ")
                lines.append(f"{label:<60} {s['delta']:>9.2f} {s['reload']:>9.2f}")
    return lines


def _peak(folder: Path, warehouse: Path, patients_per_shard: int) -> dict:
    """In a fresh process: its resident memory before and after a first
    ingestion of `folder` (the peak), in MB, and the seconds it took."""
    before, built = _high_water_mb(), []
    start = time.perf_counter()
    with Warehouse.create(warehouse) as wh:
        result = ingest_raw(
            wh,
            folder,
            key=KEY,
            patients_per_shard=patients_per_shard,
            progress=lambda _: built or built.append(_high_water_mb()),
        )
    return {
        "rows": sum(result.loaded.values()),
        "seconds": round(time.perf_counter() - start, 2),
        "start_mb": round(before, 1),
        "built_mb": round(built[0], 1),  # the peak before the engine's load
        "peak_mb": round(_high_water_mb(), 1),
    }


def _high_water_mb() -> float:
    """This process's peak resident memory (VmHWM: unlike ru_maxrss, not
    inherited from the process that started it)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise OSError("no VmHWM in /proc/self/status")


def memory(patients: int, patients_per_shard: int, seed: int = 0) -> dict:
    """Peak memory of first ingestions of N and 4N patients, whole and in shards."""
    from entrepot.synth import generate_hospital

    spawn = multiprocessing.get_context("spawn")
    out = {"patients_per_shard": patients_per_shard, "runs": []}
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        for n in (patients, 4 * patients):
            raw = tmp / f"raw{n}"
            generate_hospital(tmp / f"synth{n}.duckdb", patients=n, seed=seed, raw=raw)
            mb = sum(p.stat().st_size for p in raw.glob("*.csv")) / 2**20
            for mode, size in (("whole", 10**12), ("shards", patients_per_shard)):
                with spawn.Pool(1) as pool:
                    run_ = pool.apply(_peak, (raw, tmp / f"{mode}{n}.duckdb", size))
                out["runs"].append(
                    {"patients": n, "csv_mb": round(mb, 1), "mode": mode, **run_}
                )
    return out


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--merges", type=int, default=0)
    parser.add_argument("--phases", action="store_true")
    parser.add_argument("--memory", action="store_true")
    parser.add_argument("--patients-per-shard", type=int, default=100)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    if args.memory:
        figures = memory(args.patients, args.patients_per_shard)
        for r in figures["runs"]:
            print(
                f"{r['patients']:>7,} patients ({r['csv_mb']:,.1f} MB of CSV, "
                f"{r['rows']:,} rows) {r['mode']:<6} peak {r['peak_mb']:>7,.1f} MB, "
                f"before the load {r['built_mb']:>7,.1f} MB "
                f"(at start {r['start_mb']:,.1f} MB) {r['seconds']:>7.1f} s"
            )
        if args.json:
            args.json.write_text(json.dumps(figures, indent=2))
        return figures
    figures = run(args.patients, args.share, merges=args.merges)
    print(
        f"{figures['patients']:,} patients, {figures['rows']:,} OMOP rows; "
        f"{sum(figures['source_rows_changed'].values()):,} source rows changed "
        f"or deleted ({figures['share']:.0%}), {figures['merges']} IPP merges"
    )
    print(f"night's delta   {figures['delta_seconds']:>9.2f} s")
    print(f"full reload     {figures['reload_seconds']:>9.2f} s")
    print(
        f"ratio           {figures['ratio']:>9.1f}x (target ≥ {figures['target_ratio']}x)"
    )
    if args.phases:
        print("\n".join(phase_lines(figures["phases"])))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
