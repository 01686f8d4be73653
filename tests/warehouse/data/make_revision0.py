"""Make `revision0.duckdb.gz`: a warehouse as entrepot 0.1.0 wrote it before
schema revisions were recorded (the fixture of tests/warehouse/test_revision.py).

Run with entrepot at commit 24b5c39 (main before revisions), from the
repository root:

    git worktree add /tmp/rev0 24b5c39
    PYTHONPATH=/tmp/rev0 python tests/warehouse/data/make_revision0.py OUT_FOLDER

It runs `entrepot init` and `entrepot synth -n 10 --years 2020-2022 --seed 0`,
adds a researcher, then, with DuckDB alone, keeps only the concepts the
hospital's rows use and empties the other vocabulary tables (the bundled
vocabulary is 17 MB), compacts the file with COPY FROM DATABASE and
gzips it (8 MB of mostly empty blocks: 116 kB). The audit anchor written
beside it is kept as `revision0.duckdb.audit-anchor`.
"""

import gzip
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

VOCABULARY_EMPTIED = ("concept_ancestor", "concept_relationship", "concept_synonym")


def main(out: Path) -> None:
    work = out / "work"
    work.mkdir(parents=True)
    full = work / "revision0.duckdb"
    entrepot = [sys.executable, "-m", "entrepot"]
    subprocess.run([*entrepot, "init", "-w", full, "-q"], check=True)
    subprocess.run(
        [*entrepot, "synth", "-n", "10", "--years", "2020-2022", "--seed", "0",
         "--workers", "1", "-w", full, "-q"],
        check=True,
    )  # fmt: skip
    from entrepot.privacy import add_user
    from entrepot.warehouse import Warehouse

    with Warehouse.open(full) as wh:
        add_user(wh, "rita", "researcher", "correct horse battery")
    con = duckdb.connect(str(full))
    used = " UNION ".join(
        f'SELECT "{column}" FROM "{table}" WHERE "{column}" IS NOT NULL'
        for table, column in con.sql(
            "SELECT table_name, column_name FROM information_schema.columns "
            "WHERE table_schema = 'main' AND column_name LIKE '%concept_id' "
            "AND table_name NOT LIKE 'concept%' AND table_name NOT IN "
            "('vocabulary', 'domain', 'relationship', 'source_to_concept_map', "
            "'drug_strength')"
        ).fetchall()
    )
    con.execute(f"DELETE FROM concept WHERE concept_id NOT IN ({used})")
    for table in VOCABULARY_EMPTIED:
        con.execute(f"DELETE FROM {table}")
    con.close()
    small = out / "revision0.duckdb"
    con = duckdb.connect()
    con.execute(f"ATTACH '{full}' AS full_db (READ_ONLY)")
    con.execute(f"ATTACH '{small}' AS small_db")
    con.execute("COPY FROM DATABASE full_db TO small_db")
    con.close()
    shutil.copy(f"{full}.audit-anchor", f"{small}.audit-anchor")
    with small.open("rb") as raw, gzip.open(f"{small}.gz", "wb", 9) as packed:
        shutil.copyfileobj(raw, packed)
    small.unlink()
    shutil.rmtree(work)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
