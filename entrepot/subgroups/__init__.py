"""Patient subgroups: clustering persons described by mixed features."""

from entrepot.subgroups._cluster import DEFAULT_METHOD, Clustering, cluster
from entrepot.subgroups._cohorts import save_clusters
from entrepot.subgroups._files import cluster_file, write_labels
from entrepot.subgroups._matrix import FeatureMatrix, feature_matrix, read_table
from entrepot.subgroups._release import released

__all__ = [
    "DEFAULT_METHOD",
    "Clustering",
    "FeatureMatrix",
    "cluster",
    "cluster_file",
    "feature_matrix",
    "read_table",
    "released",
    "save_clusters",
    "write_labels",
]
