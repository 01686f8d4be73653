"""A night's delta against a full reload: `entrepot ingest` of change files
(an `op` column: 1 % of the rows of every extract updated or deleted) and of
`--merges` IPP merges (`merges.csv`) on an ingested warehouse, vs a first
ingestion of the same final extracts and merges, in the same run. Both give
the same tables (checked: counts per table). Target (issue 26): the delta ≥
10× faster than the full reload.

    python bench/ingest.py [--patients 300] [--share 0.01] [--merges 0] [--json out.json]
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import tempfile
import time
from pathlib import Path

from entrepot.ingest import ingest_raw
from entrepot.privacy import SecretKey
from entrepot.warehouse import Warehouse

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


def _ingest(wh: Warehouse, folder: Path) -> tuple[float, dict]:
    start = time.perf_counter()
    result = ingest_raw(wh, folder, key=KEY)
    wh.con.raw_sql("CHECKPOINT")
    return time.perf_counter() - start, result.as_dict()


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
            _, loaded = _ingest(wh, first)
            rows = sum(loaded["loaded"].values())
            delta_s, delta = _ingest(wh, tmp / "delta")
            nightly = wh.counts()
        with Warehouse.create(tmp / "reload.duckdb") as wh:
            reload_s, _ = _ingest(wh, tmp / "final")
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
    }


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--share", type=float, default=0.01)
    parser.add_argument("--merges", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
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
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))
    return figures


if __name__ == "__main__":
    main()
