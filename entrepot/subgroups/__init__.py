"""Patient subgroups: features of a cohort's persons from OMOP (`features`)."""

from entrepot.subgroups._features import FeatureTable, build_features
from entrepot.subgroups._spec import FeatureSpec, load_spec, shipped_specs

__all__ = [
    "FeatureSpec",
    "FeatureTable",
    "build_features",
    "load_spec",
    "shipped_specs",
]
