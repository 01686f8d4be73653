"""Synthetic hospital throughput: patients per minute and rows per second.

Generates a hospital into a fresh DuckDB warehouse, without and with clinical
notes. Synthea, the reference generator, is reported at about 1,000 patients
per minute: that published figure is printed as context, never divided by (it
is not run here, on other hardware, with other content).
Targets on a 2-core machine: >= 50,000 patients/min without notes, >= 10,000
with notes. `--patients 1000000` is the scale run (slow).

    python bench/synth.py [--patients 20000] [--workers 2] [--no-notes] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from entrepot.synth import generate_hospital

#: Synthea's reported speed: a published figure, not measured here.
PUBLISHED_FIGURE = {
    "generator": "Synthea",
    "patients_per_minute": 1_000,
    "measured_here": False,
}


def run(
    patients: int, workers: int = 2, notes: tuple[bool, ...] = (False, True)
) -> dict:
    """Figures of one generation per value of `notes`."""
    figures: dict = {
        "patients": patients,
        "workers": workers,
        "published_figure": PUBLISHED_FIGURE,
    }
    for with_notes in notes:
        with tempfile.TemporaryDirectory() as tmp:
            result = generate_hospital(
                str(Path(tmp) / "bench.duckdb"),
                patients=patients,
                seed=1,
                notes=with_notes,
                workers=workers,
            )
        figures["with_notes" if with_notes else "without_notes"] = {
            "seconds": round(result.seconds, 2),
            "patients_per_minute": round(result.patients_per_minute),
            "rows": sum(result.rows.values()),
            "rows_per_second": round(result.rows_per_second),
            "rows_per_table": result.rows,
        }
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=20_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--no-notes", action="store_true", help="skip the run with notes"
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    figures = run(
        args.patients, args.workers, (False,) if args.no_notes else (False, True)
    )
    for label in ("without_notes", "with_notes"):
        if label in figures:
            f = figures[label]
            print(
                f"{label.replace('_', ' '):>13}: {args.patients:,} patients in {f['seconds']} s, "
                f"{f['patients_per_minute']:,} patients/min, {f['rows_per_second']:,} rows/s"
            )
    print(
        f"published figure (not measured here): {PUBLISHED_FIGURE['generator']} "
        f"~{PUBLISHED_FIGURE['patients_per_minute']:,} patients/min"
    )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
