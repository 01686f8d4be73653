"""What every part of the bundled vocabulary shares: concepts, local ids, data files."""

from __future__ import annotations

import csv
import gzip
import io
from dataclasses import dataclass, field
from datetime import date
from importlib.resources import files

from entrepot.warehouse.vocabulary._ids import local_concept_id

FRENCH = 4180190  # language_concept_id of French
VALID_START = date(1970, 1, 1)
VALID_END = date(2099, 12, 31)
NAME_LENGTH = 255  # concept.concept_name is varchar(255)
SYNONYM_LENGTH = 1000  # concept_synonym.concept_synonym_name is varchar(1000)


@dataclass(frozen=True, slots=True)
class Concept:
    """One row of the OMOP concept table (valid from 1970-01-01)."""

    concept_id: int
    concept_name: str
    domain_id: str
    vocabulary_id: str
    concept_class_id: str
    standard_concept: str | None
    concept_code: str
    valid_end_date: date = VALID_END
    invalid_reason: str | None = None

    @property
    def in_hierarchy(self) -> bool:
        """Whether OMOP puts the concept in concept_ancestor: valid standard or
        classification concepts."""
        return self.standard_concept in ("S", "C") and self.invalid_reason is None


def local_concept(
    vocabulary_id: str,
    concept_code: str,
    name: str,
    domain_id: str,
    concept_class_id: str,
    standard_concept: str | None,
) -> Concept:
    """A local concept, its id derived from its vocabulary and code."""
    return Concept(
        concept_id=local_concept_id(vocabulary_id, concept_code),
        concept_name=clip(name),
        domain_id=domain_id,
        vocabulary_id=vocabulary_id,
        concept_class_id=concept_class_id,
        standard_concept=standard_concept,
        concept_code=concept_code,
    )


@dataclass
class Part:
    """What one vocabulary adds: concepts, hierarchy and names in other words."""

    concepts: list[Concept] = field(default_factory=list)
    parents: list[tuple[int, int]] = field(default_factory=list)  # (child, parent)
    synonyms: list[tuple[int, str, int]] = field(default_factory=list)  # id, name, lang

    def add_synonym(self, concept_id: int, name: str, language: int = FRENCH) -> None:
        self.synonyms.append((concept_id, clip(name, SYNONYM_LENGTH), language))


def clip(text: str, length: int = NAME_LENGTH) -> str:
    """The text cut to fit a varchar(length) column."""
    return text if len(text) <= length else text[: length - 1] + "…"


def read_text(name: str) -> str:
    """A file of entrepot/data/vocabulary, gunzipped when its name ends in .gz."""
    data = files("entrepot.data.vocabulary").joinpath(name).read_bytes()
    if name.endswith(".gz"):
        data = gzip.decompress(data)
    return data.decode("utf-8")


def read_csv(name: str) -> list[dict[str, str]]:
    """The rows of a CSV file of entrepot/data/vocabulary."""
    return list(csv.DictReader(io.StringIO(read_text(name), newline="")))
