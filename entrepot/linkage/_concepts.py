"""Concepts that linked data brings: a local vocabulary named after its source.

OMOP keeps 2,000,000,000 and above for local concepts; each gets its id from
its vocabulary and code (`local_concept_id`), the same on every load, with its
label in `concept` so that cohorts and feature specs name it as
`{vocabulary: NAME, code: CODE}`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pyarrow as pa

from entrepot.errors import InputFileError, ParameterError
from entrepot.warehouse.cdm import cdm_table
from entrepot.warehouse.vocabulary import local_concept_id

_VALID = (date(1970, 1, 1), date(2099, 12, 31))
#: OMOP's vocabulary_id and concept_class_id are 20 characters at most.
_ID_LENGTH = 20


@dataclass(frozen=True)
class LocalConcept:
    code: str
    name: str
    domain: str  # Observation or Measurement
    concept_class: str

    def id(self, vocabulary: str) -> int:
        return local_concept_id(vocabulary, self.code)


def vocabulary_name(name: str, what: str) -> str:
    """A source's name as an OMOP vocabulary_id (letters, digits, _ and -)."""
    cleaned = name.strip()
    if not (0 < len(cleaned) <= _ID_LENGTH) or not all(
        c.isascii() and (c.isalnum() or c in "_-") for c in cleaned
    ):
        raise InputFileError(
            f"{what}: {cleaned[:40]!r} is not a vocabulary name (1 to 20 "
            "letters, digits, _ or -)"
        )
    return cleaned


def check_vocabulary(wh, vocabulary: str, reference: str, what: str) -> None:
    """Refuse to replace a vocabulary that another source brought (LOINC,
    CIM10, a study where an area table is loaded...): only one that the same
    kind of linkage (`reference`) wrote, or a new one."""
    v = wh.table("vocabulary")
    found = v.filter(v.vocabulary_id == vocabulary).vocabulary_reference
    found = set(found.to_pyarrow().to_pylist())
    concept = wh.table("concept")
    if found - {reference} or (
        not found
        and concept.filter(concept.vocabulary_id == vocabulary)
        .count()
        .to_pyarrow()
        .as_py()
    ):
        raise ParameterError(
            f"{what}: {vocabulary} is a vocabulary of the warehouse that "
            f"`{reference}` did not write; choose another name"
        )


def concept_rows(vocabulary: str, concepts: list[LocalConcept]) -> pa.Table:
    """`concept` rows of a local vocabulary's concepts."""
    rows = [
        {
            "concept_id": c.id(vocabulary),
            "concept_name": c.name[:255],
            "domain_id": c.domain,
            "vocabulary_id": vocabulary,
            "concept_class_id": c.concept_class[:_ID_LENGTH],
            "concept_code": c.code[:50],
            "valid_start_date": _VALID[0],
            "valid_end_date": _VALID[1],
        }
        for c in concepts
    ]
    return pa.Table.from_pylist(rows, schema=cdm_table("concept").arrow_schema)


def vocabulary_row(vocabulary: str, name: str, reference: str) -> pa.Table:
    row = {
        "vocabulary_id": vocabulary,
        "vocabulary_name": name[:255],
        "vocabulary_reference": reference[:255],
        "vocabulary_version": date.today().isoformat(),
        "vocabulary_concept_id": 0,
    }
    return pa.Table.from_pylist([row], schema=cdm_table("vocabulary").arrow_schema)


def replace_vocabulary(wh, tx, vocabulary: str, concepts: pa.Table, row: pa.Table):
    """Within transaction `tx`: the vocabulary's concepts and its row, in place
    of any earlier load's."""
    tx.delete("cdm", "concept", {"vocabulary_id": vocabulary})
    tx.append("cdm", "concept", wh.store.from_arrow(concepts))
    tx.delete("cdm", "vocabulary", {"vocabulary_id": vocabulary})
    tx.append("cdm", "vocabulary", wh.store.from_arrow(row))
