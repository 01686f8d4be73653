"""A small pseudonymised hospital to link data to: 30 patients in four
communes (one with too few patients), the INTEGRA example's four patients
among them, on either engine."""

from __future__ import annotations

import os
from datetime import date
from importlib.resources import files
from pathlib import Path

import pyarrow as pa

from entrepot.privacy import check_date_shifting, check_key, person_id, read_key_file
from entrepot.warehouse.cdm import cdm_table

EXAMPLES = files("entrepot.data.linkage")
AREAS = Path(str(EXAMPLES / "paris_areas.csv"))
EXPORT = Path(str(EXAMPLES / "integra_export.csv"))
DICTIONARY = Path(str(EXAMPLES / "integra_dictionary.csv"))
#: The synthetic hospital's patients 1 to 4: the INTEGRA example's IPPs.
INTEGRA = ["3654435761", "6308871522", "8963307283", "2617743044"]
IPPS = INTEGRA + [f"70000000{i:02d}" for i in range(26)]
#: (commune, postcode, patients living there), in the order of IPPS; the
#: last patient has no location.
HOMES = [("75111", "75011", 12), ("75112", "75012", 10), ("75101", "75001", 3),
         ("93066", "93200", 4)]  # fmt: skip


def key_file(folder: Path) -> Path:
    path = folder / "key"
    path.write_text("ab" * 32 + "\n")
    os.chmod(path, 0o600)
    return path


def _rows(name: str, rows: list[dict]) -> pa.Table:
    return pa.Table.from_pylist(rows, schema=cdm_table(name).arrow_schema)


def fill(wh, key: Path, *, shift: bool = True) -> dict[str, int]:
    """Patients, their communes and observation periods; pseudonyms and date
    shifting as `ingest` leaves them. {IPP: person_id}."""
    secret = read_key_file(key)
    ids = {ipp: person_id(secret, ipp) for ipp in IPPS}
    homes = [i + 1 for i, (_, _, n) in enumerate(HOMES) for _ in range(n)] + [None]
    location = [
        {"location_id": i + 1, "zip": postcode, "location_source_value": commune}
        for i, (commune, postcode, _) in enumerate(HOMES)
    ]
    person = [
        {"person_id": ids[ipp], "gender_concept_id": 8507, "year_of_birth": 1960,
         "race_concept_id": 0, "ethnicity_concept_id": 0, "location_id": home}
        for ipp, home in zip(IPPS, homes, strict=True)
    ]  # fmt: skip
    period = [
        {"observation_period_id": i + 1, "person_id": ids[ipp],
         "observation_period_start_date": date(2000, 1, 1),
         "observation_period_end_date": date(2030, 12, 31),
         "period_type_concept_id": 32817}
        for i, ipp in enumerate(IPPS)
    ]  # fmt: skip
    with wh.store.transaction() as tx:
        for name, rows in (
            ("location", location),
            ("person", person),
            ("observation_period", period),
        ):
            tx.append("cdm", name, wh.store.from_arrow(_rows(name, rows)))
    check_key(wh, secret)
    check_date_shifting(wh, shift)
    return ids
