"""Patient subgroups: features of a cohort's persons from OMOP (`features`);
clusters of persons described by mixed features (`cluster`); profiles and
survival of clusters (`profile_clusters`)."""

from entrepot.subgroups._cluster import DEFAULT_METHOD, Clustering, cluster
from entrepot.subgroups._cohorts import save_clusters
from entrepot.subgroups._features import FeatureTable, build_features, features_at
from entrepot.subgroups._files import cluster_file, write_labels
from entrepot.subgroups._inputs import read_table
from entrepot.subgroups._matrix import FeatureMatrix, feature_matrix
from entrepot.subgroups._profiling import profile_clusters
from entrepot.subgroups._release import released_clustering, released_sizes
from entrepot.subgroups._report import render_report, write_report
from entrepot.subgroups._spec import (
    FeatureSpec,
    load_spec,
    shipped_specs,
    spec_from_data,
)

__all__ = [
    "DEFAULT_METHOD",
    "Clustering",
    "FeatureMatrix",
    "FeatureSpec",
    "FeatureTable",
    "build_features",
    "cluster",
    "cluster_file",
    "feature_matrix",
    "features_at",
    "load_spec",
    "profile_clusters",
    "read_table",
    "released_clustering",
    "released_sizes",
    "render_report",
    "save_clusters",
    "shipped_specs",
    "spec_from_data",
    "write_labels",
    "write_report",
]
