"""Ecological data: values of an area (commune, postcode) given to its patients.

An open data table (a deprivation index, air quality, density by commune) is
joined to the patients through their `location`: the commune code the
synthetic hospital keeps in `location_source_value`, or the postcode (`zip`)
that both it and `ingest` keep. Each value becomes an OMOP `observation` of
each patient living there, under a local concept of a vocabulary named after
the table: OMOP CDM 5.4 has no table of area attributes, and the OHDSI
conventions for social determinants of health record them as observations of
the person. So cohorts (an observation criterion on a value), feature specs
and models read them as they read any result, with no new code.

Only area-level values enter, never an address; and an area with fewer
patients than the release gate's threshold gets no values, so that no output
(a feature table, a cohort's count by value) can single out its few patients.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from datetime import date
from hashlib import blake2b
from pathlib import Path

import pyarrow as pa

from entrepot.errors import InputFileError, ParameterError
from entrepot.linkage._concepts import (
    LocalConcept,
    check_vocabulary,
    concept_rows,
    replace_vocabulary,
    vocabulary_name,
    vocabulary_row,
)
from entrepot.linkage._tabular import CsvFile, number, read_csv, shown
from entrepot.privacy import Decision
from entrepot.warehouse.cdm import cdm_table

#: The `location` column holding each level's code.
LEVELS = {"commune": "location_source_value", "postcode": "zip"}
REFERENCE = "entrepot link area"  # the vocabulary_reference of its vocabularies
REGISTRY = 32879  # Type Concept: Registry (data linked from outside the hospital)
_LISTED = 20  # unmatched codes listed in a report


@dataclass(frozen=True)
class AreaLink:
    """What `link_area` did: the file read, the areas matched, the rows written."""

    vocabulary: str
    level: str
    rows: int
    variables: list[str]
    ignored_columns: list[str]
    areas: int
    matched: int
    unmatched: int
    unmatched_codes: list[str]
    withheld: int
    threshold: int
    persons: int
    observations: int
    rejected: list[dict]

    def summary(self) -> dict:
        return asdict(self)


def link_area(
    wh,
    path: str | Path,
    level: str,
    key: str,
    *,
    source: str | None = None,
    on: date | None = None,
    min_persons: int | None = None,
    columns: list[str] | None = None,
) -> AreaLink:
    """Join the area table at `path` (one row per area, its code in column
    `key`) to the patients living there, as observations dated `on` (the
    figures' reference date, default today) of vocabulary `source` (default
    the file's name). Loading replaces the vocabulary's earlier rows, in one
    transaction. Areas with fewer patients than the warehouse's threshold
    (or `min_persons`, when higher) are withheld. `columns`: the figures
    loaded (default: every column of numbers beside the key)."""
    if level not in LEVELS:
        raise ParameterError(f"--level: {level!r} is not one of {', '.join(LEVELS)}")
    file = read_csv(Path(path))
    key = file.column(key, "--key")
    vocabulary = vocabulary_name(source or Path(path).stem, "--source")
    check_vocabulary(wh, vocabulary, REFERENCE, "--source")
    variables, ignored = _variables(file, key, columns)
    values, rejected = _values(file, key, level, variables)
    found = _persons(wh, level, sorted(values))
    threshold = Decision.unscoped(wh, min_persons).mask_below
    counts = Counter(code for _, code in found)
    kept = {code for code, n in counts.items() if n >= threshold}
    concepts = [LocalConcept(v, v, "Observation", "Area attribute") for v in variables]
    ids = {c.code: c.id(vocabulary) for c in concepts}
    on = on or date.today()
    rows = [
        _observation(person, ids[v], value, on)
        for person, code in found
        if code in kept
        for v, value in values[code].items()
    ]
    earlier = _concept_ids(wh, vocabulary)
    with wh.store.transaction() as tx:
        replace_vocabulary(
            wh,
            tx,
            vocabulary,
            concept_rows(vocabulary, concepts),
            vocabulary_row(
                vocabulary, f"{level} figures of {file.path.name}", REFERENCE
            ),
        )
        gone = pa.table({"observation_concept_id": sorted(earlier | set(ids.values()))})
        tx.delete_in(
            "cdm", "observation", "observation_concept_id", wh.store.from_arrow(gone)
        )
        table = pa.Table.from_pylist(rows, schema=cdm_table("observation").arrow_schema)
        tx.append("cdm", "observation", wh.store.from_arrow(table))
    unmatched = sorted(set(values) - set(counts))
    return AreaLink(
        vocabulary=vocabulary,
        level=level,
        rows=len(file.rows),
        variables=variables,
        ignored_columns=ignored,
        areas=len(values),
        matched=len(counts),
        unmatched=len(unmatched),
        unmatched_codes=unmatched[:_LISTED],
        withheld=len(counts) - len(kept),
        threshold=threshold,
        persons=sum(counts[c] for c in kept if values[c]),
        observations=len(rows),
        rejected=rejected,
    )


def _variables(file: CsvFile, key: str, columns: list[str] | None):
    """The columns of figures (those asked for, else those beside the key
    holding numbers), and the others (labels, other codes)."""
    others = [c for c in file.header if c != key]
    numeric = [
        c for c in others if any(number(row[c]) is not None for _, row in file.rows)
    ]
    if columns:
        numeric = [file.column(c, "--value") for c in dict.fromkeys(columns)]
        if key in numeric:
            raise ParameterError("--value: the key column holds codes, not figures")
    if not numeric:
        raise InputFileError(f"{file.path}: no column of numbers beside the key")
    return numeric, [c for c in others if c not in numeric]


def _code(text: str, level: str) -> str | None:
    """An area code as the warehouse writes it (a leading zero a spreadsheet
    dropped put back), or None when it is not one."""
    code = text.strip().upper()
    if code.isascii() and code.isdigit() and len(code) == 4:
        code = "0" + code
    digits = code[2:] if level == "commune" and code[:2] in ("2A", "2B") else code
    ok = len(code) == 5 and digits.isascii() and digits.isdigit()
    return code if ok else None


def _values(file: CsvFile, key: str, level: str, variables: list[str]):
    """{code: {variable: value}}, and the cells kept aside with their reason."""
    values: dict[str, dict[str, float]] = {}
    first: dict[str, int] = {}
    rejected = []
    for line, row in file.rows:
        code = _code(row[key], level)
        if code is None:
            reason = f"not a {level} code: {shown(row[key])}"
            rejected.append({"line": line, "column": key, "reason": reason})
            continue
        if code in first:
            reason = f"code {code} already given on line {first[code]}"
            rejected.append({"line": line, "column": key, "reason": reason})
            continue
        first[code] = line
        values[code] = {}
        for v in variables:
            if not row[v].strip():
                continue
            value = number(row[v])
            if value is None:
                reason = f"not a number: {shown(row[v])}"
                rejected.append({"line": line, "column": v, "reason": reason})
            else:
                values[code][v] = value
    return values, rejected


def _persons(wh, level: str, codes: list[str]) -> list[tuple[int, str]]:
    """(person_id, area code) of the patients living in one of `codes`."""
    if not codes:
        return []
    person, location = wh.table("person"), wh.table("location")
    wanted = wh.store.from_arrow(pa.table({"code": codes}))
    areas = location.select("location_id", area=location[LEVELS[level]].strip())
    areas = areas.semi_join(wanted, areas.area == wanted.code)
    located = person.join(areas, person.location_id == areas.location_id)
    found = located.select("person_id", "area").to_pyarrow()
    return list(
        zip(found["person_id"].to_pylist(), found["area"].to_pylist(), strict=True)
    )


def _concept_ids(wh, vocabulary: str) -> set[int]:
    concept = wh.table("concept")
    rows = concept.filter(concept.vocabulary_id == vocabulary).concept_id
    return set(rows.to_pyarrow().to_pylist())


def _observation(person: int, concept: int, value: float, on: date) -> dict:
    key = f"area|{person}|{concept}".encode()
    return {
        "observation_id": int.from_bytes(blake2b(key, digest_size=8).digest()) >> 2,
        "person_id": person,
        "observation_concept_id": concept,
        "observation_date": on,
        "observation_type_concept_id": REGISTRY,
        "value_as_number": value,
        "observation_source_concept_id": concept,
    }
