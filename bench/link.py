"""Benchmark of `link deaths`: INSEE death records against the identity vault,
beside a baseline measured in the same run, each figure labelled with its set.

- hand-written people (`tests/linkage/people.py`): patients and strangers
  drawn from hand-written name lists, a share of the patients dead with the
  noise of real files (married names, first names reordered or cut, typos,
  unknown day or month, transposed day and month, merged communes); the
  true pairs are known. Sized by `--patients` and `--records`: the issue's
  target is 1,000,000 records against 100,000 patients in under 5 minutes on
  2 cores with DuckDB.
- synthetic hospital (`--hospital N`, 0 to skip): `entrepot synth --raw`'s
  own INSEE files (deaths outside the hospital with the noise of real
  files, among five times as many non-patients, some sharing a patient's
  name or birth date), linked after `ingest` made the warehouse and its
  vault, scored against `synth_truth`.
- baseline: exact matching on surname and full birth date, the rule a
  spreadsheet applies; it misses married names, typos and unknown parts.

Figures: precision and recall of the accepted links, the grey zone's size,
seconds (reading the file, then linking), records per second and the CPU
time of all threads (on a shared machine, wall time overstates the cost:
CPU time / cores is what a quiet machine would take at best), and the
ratio of each to the baseline's.

    python bench/link.py [--patients 2000] [--records 20000] [--hospital 0]
                         [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests.linkage.people

from entrepot.privacy import SecretKey  # noqa: E402

TARGETS = {"precision": 0.99, "recall": 0.97, "seconds_1m_x_100k": 300}
SET = "hand-written people"
DEAD = 0.08  # the share of patients whose death is in the file


def _scores(found: dict[int, int], truth: dict[int, int]) -> dict:
    right = sum(truth.get(line) == pid for line, pid in found.items())
    return {
        "links": len(found),
        "precision": round(right / len(found), 4) if found else None,
        "recall": round(right / len(truth), 4) if truth else None,
    }


def baseline(records, vault, keys: list | None = None) -> dict:
    """record (its line, or its `keys`) → person_id where the folded surname
    and the full birth date are equal (one person only)."""
    from entrepot.linkage._model import fold

    born = [d.strftime("%Y%m%d") for d in vault["birth_date"].to_pylist()]
    index: dict[tuple, list[int]] = {}
    for name, day, pid in zip(
        fold(vault["surname"]).to_pylist(),
        born,
        vault["person_id"].to_pylist(),
        strict=True,
    ):
        index.setdefault((name, day), []).append(pid)
    out = {}
    for line, name, day in zip(
        keys or records["line"].to_pylist(),
        fold(records["surname"]).to_pylist(),
        records["birth_date"].to_pylist(),
        strict=True,
    ):
        match = index.get((name, day), [])
        if len(match) == 1:
            out[line] = match[0]
    return out


def run(patients: int = 2_000, records: int = 20_000, seed: int = 1) -> dict:
    from entrepot.linkage import link_deaths, read_insee_deaths, write_insee_deaths
    from entrepot.warehouse import Warehouse
    from tests.linkage.people import install, population

    dead = max(1, int(patients * DEAD))
    vault, rows, truth = population(patients, dead, records - dead, seed=seed)
    key = SecretKey(os.urandom(32))
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "deces-2024-m01.txt"
        write_insee_deaths(rows, path)
        with Warehouse.create(Path(tmp) / "eds.duckdb", vocabulary=False) as wh:
            install(wh, key, vault)
            start, cpu = time.perf_counter(), time.process_time()
            read = read_insee_deaths(path).rows
            reading = time.perf_counter() - start
            found = link_deaths(wh, key, read)
            linking = time.perf_counter() - start - reading
            cpu = time.process_time() - cpu
            start = time.perf_counter()
            exact = baseline(read, vault)
            exact_seconds = time.perf_counter() - start
    model = _scores({x["line"]: x["person_id"] for x in found.links}, truth)
    base = _scores(exact, truth)
    seconds = reading + linking
    return {
        "set": SET,
        "patients": patients,
        "records": len(rows),
        "true_links": len(truth),
        "cores": os.cpu_count(),
        "splink": model
        | {
            "review": found.review,
            "threshold": found.threshold,
            "seconds_reading": round(reading, 2),
            "seconds_linking": round(linking, 2),
            "records_per_second": round(len(rows) / seconds),
            "cpu_seconds": round(cpu, 1),
        },
        "baseline_exact_surname_birth_date": base
        | {"seconds": round(exact_seconds, 2)},
        "ratio_to_baseline": {
            "recall": round(model["recall"] / base["recall"], 3)
            if base["recall"]
            else None,
            "seconds": round(seconds / exact_seconds, 1) if exact_seconds else None,
        },
        "targets": TARGETS,
    }


def hospital(patients: int, seed: int = 11) -> dict:
    """Scores on the synthetic hospital's INSEE files, and the baseline's."""
    import pyarrow as pa

    from entrepot.ingest import ingest_raw
    from entrepot.linkage import link_deaths, read_insee_deaths
    from entrepot.privacy import person_id, read_identities
    from entrepot.synth import generate_hospital, patient_ipp
    from entrepot.warehouse import Warehouse

    key = SecretKey(os.urandom(32))
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        generate_hospital(
            str(folder / "synth.duckdb"), patients=patients, seed=seed,
            raw=folder / "raw", notes=False, workers=1,
        )  # fmt: skip
        with Warehouse.open(folder / "synth.duckdb", read_only=True) as synth:
            t = synth.table("synth_truth")
            rows = t.filter(t.module == "insee_deaths").to_pyarrow().to_pylist()
        ipps = patient_ipp([r["person_id"] for r in rows])
        truth = {
            (r["field"], int(r["value"])): person_id(key, ipp)
            for r, ipp in zip(rows, ipps, strict=True)
        }
        records = pa.concat_tables(
            [
                read_insee_deaths(f).rows
                for f in sorted((folder / "raw").glob("deces-*.txt"))
            ]
        )
        with Warehouse.create(folder / "eds.duckdb", vocabulary=False) as wh:
            ingest_raw(wh, folder / "raw", key=key)
            start = time.perf_counter()
            found = link_deaths(wh, key, records)
            seconds = time.perf_counter() - start
            vault = read_identities(wh, key)
    keys = list(
        zip(records["file"].to_pylist(), records["line"].to_pylist(), strict=True)
    )
    exact = baseline(records, vault, keys)
    return {
        "set": "synthetic hospital",
        "patients": patients,
        "records": len(records),
        "true_links": len(truth),
        "splink": _scores(
            {(x["file"], x["line"]): x["person_id"] for x in found.links}, truth
        )  # fmt: skip
        | {"review": found.review, "seconds": round(seconds, 2)},
        "baseline_exact_surname_birth_date": _scores(exact, truth),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=2_000)
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hospital", type=int, default=0, help="synthetic patients")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    figures = run(args.patients, args.records, args.seed)
    m, b = figures["splink"], figures["baseline_exact_surname_birth_date"]
    print(
        f"[{SET}] {figures['records']:,} records x {figures['patients']:,} patients "
        f"({figures['true_links']:,} true links, {figures['cores']} cores)"
    )
    print(
        f"  splink (Fellegi-Sunter): precision {m['precision']}  recall {m['recall']}"
        f"  ({m['links']:,} links, {m['review']:,} to review)"
        f"  read {m['seconds_reading']} s + link {m['seconds_linking']} s"
        f"  = {m['records_per_second']:,} records/s"
        f"  (CPU time of all threads: {m['cpu_seconds']} s)"
    )
    print(
        f"  baseline (exact surname + birth date): precision {b['precision']}"
        f"  recall {b['recall']}  ({b['links']:,} links, {b['seconds']} s)"
    )
    r = figures["ratio_to_baseline"]
    print(
        f"  ratio to baseline: recall x{r['recall']}, time x{r['seconds']}; "
        f"targets: precision >= {TARGETS['precision']}, recall >= "
        f"{TARGETS['recall']}, 1,000,000 x 100,000 in <= "
        f"{TARGETS['seconds_1m_x_100k']} s"
    )
    if args.hospital:
        synthetic = figures["synthetic_hospital"] = hospital(args.hospital)
        m, b = synthetic["splink"], synthetic["baseline_exact_surname_birth_date"]
        print(
            f"[synthetic hospital] {synthetic['records']:,} records x "
            f"{synthetic['patients']:,} patients ({synthetic['true_links']:,} true links)"
        )
        print(
            f"  splink: precision {m['precision']}  recall {m['recall']}  "
            f"({m['links']:,} links, {m['review']:,} to review, {m['seconds']} s)"
        )
        print(
            f"  baseline (exact surname + birth date): precision {b['precision']}"
            f"  recall {b['recall']}  ({b['links']:,} links)"
        )
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
