"""Patient subgroups: clustering persons described by mixed features."""

from entrepot.subgroups._cluster import DEFAULT_METHOD, Clustering, cluster
from entrepot.subgroups._matrix import FeatureMatrix, feature_matrix, read_table

__all__ = [
    "DEFAULT_METHOD",
    "Clustering",
    "FeatureMatrix",
    "cluster",
    "feature_matrix",
    "read_table",
]
