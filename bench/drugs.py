"""Whole-warehouse interaction scan: time and rows/s through DuckDB.

drug_exposure is generated directly with numpy (not the full synthetic
hospital, which is much slower to build): each patient gets 2 to 16
exposures of 30 products (real French labels, ATC concepts; 10 of them in
interacting pairs), starting over 2019-2024 and lasting 1 to 90 days, so
that many exposures overlap. Target: 1,000,000 patients in under 60 s.
Baseline: reading the same rows (a count of drug_exposure by person) in the
same run.

    python bench/drugs.py [--patients 300000] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa

from entrepot.drugs import scan
from entrepot.warehouse import Warehouse
from entrepot.warehouse.vocabulary import local_concept_id

PRODUCTS = [
    ("B01AA03", "COUMADINE 5 mg, comprimé sécable"),
    ("A01AB09", "DAKTARIN 2 %, gel buccal"),
    ("D01AC02", "DAKTARIN 2 %, poudre pour application cutanée"),
    ("N06AB10", "SEROPLEX 10 mg, comprimé pelliculé"),
    ("N05BB01", "ATARAX 25 mg, comprimé pelliculé sécable"),
    ("B01AC06", "KARDEGIC 75 mg, poudre pour solution buvable en sachet-dose"),
    ("M01AE03", "PROFENID 100 mg, comprimé"),
    ("J02AC01", "TRIFLUCAN 100 mg, gélule"),
    ("C07AB03", "TENORMINE 50 mg, comprimé pelliculé sécable"),
    ("C08CA01", "AMLOR 5 mg, gélule"),
    ("N02BE01", "DOLIPRANE 1000 mg, comprimé"),
    ("A02BC01", "MOPRAL 20 mg, gélule gastrorésistante"),
    ("C10AA05", "TAHOR 20 mg, comprimé pelliculé"),
    ("H03AA01", "LEVOTHYROX 75 microgrammes, comprimé sécable"),
    ("N05CF01", "IMOVANE 7,5 mg, comprimé pelliculé sécable"),
    ("C03CA01", "LASILIX 40 mg, comprimé sécable"),
    ("A10BA02", "GLUCOPHAGE 850 mg, comprimé pelliculé"),
    ("C09AA05", "TRIATEC 5 mg, comprimé sécable"),
    ("B01AB05", "LOVENOX 4000 UI/0,4 mL, solution injectable"),
    ("J01CA04", "CLAMOXYL 1 g, comprimé dispersible"),
    ("N02AX02", "TOPALGIC 50 mg, gélule"),
    ("A12AX", "CACIT VITAMINE D3 1000 mg/880 UI, comprimé à sucer"),
    ("N05BA12", "XANAX 0,25 mg, comprimé sécable"),
    ("C01AA05", "DIGOXINE NATIVELLE 0,25 mg, comprimé"),
    ("C01BD01", "CORDARONE 200 mg, comprimé sécable"),
    ("J01EE01", "BACTRIM FORTE 800 mg/160 mg, comprimé"),
    ("L04AX03", "NOVATREX 2,5 mg, comprimé"),
    ("R06AE07", "ZYRTEC 10 mg, comprimé pelliculé sécable"),
    ("A06AD65", "FORLAX 10 g, poudre pour solution buvable en sachet"),
    ("S01ED01", "TIMOPTOL 0,25 %, collyre en solution"),
]
FIRST_DAY = date(2019, 1, 1).toordinal()
DAYS = 6 * 365


def drug_exposure(patients: int, seed: int = 1) -> pa.Table:
    """A drug_exposure table: 2 to 16 exposures per patient, overlapping."""
    rng = np.random.default_rng(seed)
    per_person = rng.integers(2, 17, patients)
    n = int(per_person.sum())
    person = np.repeat(np.arange(1, patients + 1, dtype=np.int64), per_person)
    weights = rng.dirichlet(np.ones(len(PRODUCTS)) * 0.7)
    product = rng.choice(len(PRODUCTS), n, p=weights)
    onset = np.repeat(rng.integers(0, DAYS, patients), per_person)  # a patient's year
    start = onset + rng.integers(0, 180, n)
    length = rng.choice([1, 7, 14, 30, 90], n, p=[0.2, 0.3, 0.2, 0.15, 0.15])
    concepts = np.array([local_concept_id("ATC", c) for c, _ in PRODUCTS], np.int64)
    labels = pa.array([label for _, label in PRODUCTS]).dictionary_encode()
    epoch = date(1970, 1, 1).toordinal()
    return pa.table(
        {
            "drug_exposure_id": pa.array(np.arange(1, n + 1, dtype=np.int64)),
            "person_id": pa.array(person),
            "drug_concept_id": pa.array(concepts[product]),
            "drug_exposure_start_date": pa.array(
                (FIRST_DAY - epoch + start).astype(np.int32), pa.date32()
            ),
            "drug_exposure_end_date": pa.array(
                (FIRST_DAY - epoch + start + length - 1).astype(np.int32), pa.date32()
            ),
            "drug_type_concept_id": pa.array(np.full(n, 32817, np.int64)),
            "route_concept_id": pa.array(np.zeros(n, np.int64)),
            "drug_source_value": pa.DictionaryArray.from_arrays(
                pa.array(product.astype(np.int32)), labels.dictionary
            ).cast(pa.string()),
        }
    )


def run(patients: int, seed: int = 1) -> dict:
    """Generate, load and scan; the figures of the scan."""
    with tempfile.TemporaryDirectory() as tmp:
        wh = Warehouse.create(Path(tmp) / "bench.duckdb", vocabulary=False)
        rows = drug_exposure(patients, seed)
        with wh.store.transaction() as tx:
            tx.append("cdm", "drug_exposure", wh.store.from_arrow(rows))
        began = time.perf_counter()
        de = wh.table("drug_exposure")
        de.group_by("person_id").agg(n=de.count()).count().to_pyarrow()
        baseline = time.perf_counter() - began
        began = time.perf_counter()
        result = scan(wh)
        seconds = time.perf_counter() - began
        wh.close()
    return {
        "patients": patients,
        "rows": rows.num_rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows.num_rows / seconds),
        "baseline": "count of drug_exposure by person, same rows",
        "baseline_seconds": round(baseline, 3),
        "ratio_to_baseline": round(seconds / max(baseline, 1e-9), 1),
        "patients_with_interactions": result.patients,
        "by_level": result.by_level,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=300_000)
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    f = run(args.patients)
    print(
        f"scan of {f['patients']:,} patients ({f['rows']:,} exposures): {f['seconds']} s, "
        f"{f['rows_per_s']:,} rows/s, {f['ratio_to_baseline']}x a plain group-by; "
        f"{f['patients_with_interactions']:,} patients with interacting drugs"
    )
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))


if __name__ == "__main__":
    main()
