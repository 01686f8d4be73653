"""Load throughput: `entrepot load` of a measurement Parquet file vs DuckDB's raw insert.

Both write the same file into the same CDM table of a fresh DuckDB warehouse:
the baseline with `INSERT INTO measurement SELECT ... FROM read_parquet(...)`
(no checks), entrepot with every check on (types, required fields, person_id,
duplicate keys, idempotency) and quarantine. Target: ratio >= 0.8.

    python bench/load.py [--rows 10000000] [--persons 100000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from entrepot.ingest import load_directory
from entrepot.warehouse import Warehouse


def make_files(folder: Path, rows: int, persons: int, seed: int = 0) -> Path:
    """persons/person.parquet and measurements/measurement.parquet (`rows` lab results)."""
    rng = np.random.default_rng(seed)
    for sub in ("persons", "measurements"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table(
            {
                "person_id": np.arange(1, persons + 1, dtype=np.int64),
                "gender_concept_id": rng.choice([8507, 8532], persons),
                "year_of_birth": rng.integers(1930, 2020, persons),
                "race_concept_id": np.zeros(persons, dtype=np.int64),
                "ethnicity_concept_id": np.zeros(persons, dtype=np.int64),
            }
        ),
        folder / "persons" / "person.parquet",
    )
    days = rng.integers(0, 365 * 15, rows).astype("int32") + 14610  # since 2010
    table = pa.table(
        {
            "measurement_id": np.arange(1, rows + 1, dtype=np.int64),
            "person_id": rng.integers(1, persons + 1, rows),
            "measurement_concept_id": rng.integers(2_000_000_000, 2_000_000_150, rows),
            "measurement_date": pa.array(days, pa.int32()).cast(pa.date32()),
            "measurement_type_concept_id": np.full(rows, 32856, dtype=np.int64),
            "value_as_number": rng.normal(100, 20, rows).round(1),
            "unit_concept_id": rng.integers(8500, 8600, rows),
            "range_low": np.full(rows, 80.0),
            "range_high": np.full(rows, 120.0),
            "visit_occurrence_id": rng.integers(1, rows // 150 + 2, rows),
            "measurement_source_value": pa.array(
                rng.choice(["GLY", "CREA", "HB", "NA", "K"], rows)
            ),
        }
    )
    pq.write_table(
        table, folder / "measurements" / "measurement.parquet", row_group_size=1_000_000
    )
    return folder


def baseline(folder: Path, db: Path, columns: list[str]) -> float:
    """Seconds for DuckDB's own INSERT ... SELECT FROM read_parquet into the same table."""
    with Warehouse.create(db, vocabulary=False):
        pass
    con = duckdb.connect(str(db))
    cols = ", ".join(columns)
    con.execute(
        "INSERT INTO person BY NAME SELECT * FROM "
        f"read_parquet('{folder / 'persons' / 'person.parquet'}')"
    )
    start = time.perf_counter()
    con.execute(
        f"INSERT INTO measurement ({cols}) SELECT {cols} "
        f"FROM read_parquet('{folder / 'measurements' / 'measurement.parquet'}')"
    )
    con.execute("CHECKPOINT")
    seconds = time.perf_counter() - start
    con.close()
    return seconds


def entrepot_load(folder: Path, db: Path) -> tuple[float, dict]:
    """Seconds for entrepot's validated load of the measurement file."""
    with Warehouse.create(db, vocabulary=False) as wh:
        load_directory(wh, folder / "persons")
        start = time.perf_counter()
        result = load_directory(wh, folder / "measurements")
        wh.con.raw_sql("CHECKPOINT")
        seconds = time.perf_counter() - start
    return seconds, result.as_dict()


def run(rows: int, persons: int, repeat: int = 3) -> dict:
    """Best of `repeat` alternating runs of each (disks here are noisy)."""
    raw, ours = [], []
    with tempfile.TemporaryDirectory() as tmp:
        folder = make_files(Path(tmp) / "files", rows, persons)
        columns = pq.read_schema(folder / "measurements" / "measurement.parquet").names
        for i in range(repeat):
            raw.append(baseline(folder, Path(tmp) / f"raw{i}.duckdb", columns))
            seconds, result = entrepot_load(folder, Path(tmp) / f"entrepot{i}.duckdb")
            assert result["loaded"]["measurement"] == rows, result
            ours.append(seconds)
    best_raw, best_ours = min(raw), min(ours)
    return {
        "rows": rows,
        "repeat": repeat,
        "raw_seconds": round(best_raw, 3),
        "raw_rows_per_s": round(rows / best_raw),
        "entrepot_seconds": round(best_ours, 3),
        "entrepot_rows_per_s": round(rows / best_ours),
        "ratio": round(best_raw / best_ours, 3),
        "target_ratio": 0.8,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument(
        "--repeat", type=int, default=3, help="runs of each; best is kept"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures = run(args.rows, args.persons, args.repeat)
    print(
        f"measurement rows:      {figures['rows']:,} (best of {figures['repeat']} runs)"
    )
    print(
        f"DuckDB raw insert:     {figures['raw_seconds']:.2f} s  "
        f"({figures['raw_rows_per_s']:,} rows/s)"
    )
    print(
        f"entrepot load:         {figures['entrepot_seconds']:.2f} s  "
        f"({figures['entrepot_rows_per_s']:,} rows/s, all checks on)"
    )
    print(f"ratio entrepot / raw:  {figures['ratio']:.2f}  (target >= 0.8)")
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
