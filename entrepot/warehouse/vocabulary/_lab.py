"""Common lab tests and vital signs (LOINC) and their units (UCUM)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from entrepot.warehouse.vocabulary._concept import (
    Part,
    local_concept,
    local_concept_id,
    read_csv,
)


@dataclass(frozen=True)
class LabTest:
    """A lab test or vital sign with its usual unit and ranges, for adults.

    `low`..`high` is the reference range; `minimum`..`maximum` the values a
    living patient can have (beyond them a value is an error, not a finding).
    Qualitative tests have no unit and no ranges.
    """

    loinc: str
    name: str  # LOINC long common name
    name_fr: str
    concept_class: str  # "Lab Test" or "Clinical Observation" (vitals, lung, heart)
    category: str  # in French: hématologie, biochimie, signes vitaux...
    unit: str | None  # UCUM code
    low: float | None
    high: float | None
    minimum: float | None
    maximum: float | None

    @property
    def concept_id(self) -> int:
        """The test's concept_id in the bundled vocabulary."""
        return local_concept_id("LOINC", self.loinc)

    @property
    def unit_concept_id(self) -> int | None:
        """The unit's concept_id in the bundled vocabulary, if the test has one."""
        return None if self.unit is None else local_concept_id("UCUM", self.unit)


def _number(text: str) -> float | None:
    return float(text) if text else None


@cache
def _lab_tests() -> tuple[LabTest, ...]:
    return tuple(
        LabTest(
            loinc=r["loinc"],
            name=r["name"],
            name_fr=r["name_fr"],
            concept_class=r["concept_class"],
            category=r["category"],
            unit=r["unit"] or None,
            low=_number(r["low"]),
            high=_number(r["high"]),
            minimum=_number(r["min"]),
            maximum=_number(r["max"]),
        )
        for r in read_csv("lab_tests.csv")
    )


def lab_tests() -> list[LabTest]:
    """The lab tests and vital signs of the bundled LOINC subset."""
    return list(_lab_tests())


def loinc_part() -> Part:
    """LOINC concepts, French names as synonyms: lab tests and vital signs
    (domain Measurement) and the sections of clinical notes (Observation),
    which note_nlp.section_concept_id points to."""
    part = Part()
    rows = [
        (t.loinc, t.name, t.name_fr, "Measurement", t.concept_class)
        for t in _lab_tests()
    ] + [
        (r["loinc"], r["name"], r["name_fr"], "Observation", "Clinical Observation")
        for r in read_csv("loinc_sections.csv")
    ]
    for code, name, name_fr, domain, concept_class in rows:
        concept = local_concept("LOINC", code, name, domain, concept_class, "S")
        part.concepts.append(concept)
        part.add_synonym(concept.concept_id, name_fr)
    return part


def ucum_part() -> Part:
    """UCUM units (standard, domain Unit), French names as synonyms."""
    part = Part()
    for row in read_csv("ucum_units.csv"):
        concept = local_concept("UCUM", row["code"], row["name"], "Unit", "Unit", "S")
        part.concepts.append(concept)
        part.add_synonym(concept.concept_id, row["name_fr"])
    return part
