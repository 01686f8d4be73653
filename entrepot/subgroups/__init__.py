"""Patient subgroups: features of a cohort's persons from OMOP (`features`);
profiles and survival of clusters (`profile_clusters`)."""

from entrepot.subgroups._features import FeatureTable, build_features
from entrepot.subgroups._inputs import read_parquet
from entrepot.subgroups._profiling import profile_clusters
from entrepot.subgroups._report import render_report, write_report
from entrepot.subgroups._spec import (
    FeatureSpec,
    load_spec,
    shipped_specs,
    spec_from_data,
)

__all__ = [
    "FeatureSpec",
    "FeatureTable",
    "build_features",
    "load_spec",
    "profile_clusters",
    "read_parquet",
    "render_report",
    "shipped_specs",
    "spec_from_data",
    "write_report",
]
