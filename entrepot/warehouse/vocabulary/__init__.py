"""Vocabularies: the bundled one (CIM-10, ATC, LOINC, UCUM, OMOP metadata)."""

from entrepot.warehouse.vocabulary import _standard as standard
from entrepot.warehouse.vocabulary._bundled import bundled_vocabulary
from entrepot.warehouse.vocabulary._cim10 import cim10_domain
from entrepot.warehouse.vocabulary._ids import local_concept_id
from entrepot.warehouse.vocabulary._lab import LabTest, lab_tests
from entrepot.warehouse.vocabulary._labels import with_labels
from entrepot.warehouse.vocabulary._mapping import (
    LOCAL_LAB,
    approve_maps,
    mapping_review,
)

__all__ = [
    "LOCAL_LAB",
    "LabTest",
    "approve_maps",
    "bundled_vocabulary",
    "cim10_domain",
    "lab_tests",
    "local_concept_id",
    "mapping_review",
    "standard",
    "with_labels",
]
