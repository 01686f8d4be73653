"""Clustering mixed features: Gower's distance by hand, the labelled data sets
scikit-learn ships, stability, consensus, sampling and profiles."""

from __future__ import annotations

import math

import numpy as np
import pyarrow as pa
import pytest
from scipy.stats import norm
from sklearn import datasets
from sklearn.metrics import adjusted_rand_score

from entrepot.errors import InputFileError, ParameterError
from entrepot.subgroups import cluster, feature_matrix
from entrepot.subgroups._gower import Scale, embedding, gower
from entrepot.subgroups._latent import RULE as LATENT_RULE
from entrepot.subgroups._latent import Data, _joint

NAN = float("nan")


def labelled(name: str):
    """A scikit-learn data set as a features table (ids 1..n) and its labels."""
    d = getattr(datasets, f"load_{name}")()
    columns = {"person_id": pa.array(range(1, len(d.target) + 1))}
    columns |= {f: pa.array(d.data[:, j]) for j, f in enumerate(d.feature_names)}
    return feature_matrix(pa.table(columns)), d.target


def blobs(n: int, seed: int = 0, missing: float = 0.0):
    """Three groups of persons set apart by a number (overlapping a little),
    a flag (the first group) and a category, values missing at random at
    `missing`; and their group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 3, n)
    age = rng.normal(40 + 15 * group, 4)
    flag = group == 0
    level = np.array(["a", "b", "c"])[group]
    columns = {
        "person_id": pa.array(range(n)),
        "age": pa.array(np.where(rng.random(n) < missing, NAN, age)),
        "flag": pa.array(flag, mask=rng.random(n) < missing),
        "level": pa.array(level, mask=rng.random(n) < missing),
    }
    return feature_matrix(pa.table(columns)), group


def test_gower_by_hand():
    """A number's range is 10, so 2 apart is 0.2; a flag or a category
    differs by 1; a feature missing in either person is left out of the mean."""
    table = pa.table(
        {
            "person_id": [1, 2, 3],
            "age": [30.0, 32.0, 40.0],
            "smoker": pa.array([True, False, None]),
            "subset": ["limited", "limited", "diffuse"],
        }
    )
    m = feature_matrix(table)
    assert (m.numeric, m.coded) == (("age",), ("smoker", "subset"))
    assert m.kinds == {"age": "number", "smoker": "flag", "subset": "category"}
    d = gower(m, m, Scale.of(m))
    assert d[0, 1] == pytest.approx((0.2 + 1 + 0) / 3)
    assert d[0, 2] == pytest.approx((1.0 + 1) / 2)  # smoker unknown for 3
    assert d[1, 2] == pytest.approx((0.8 + 1) / 2)
    assert np.allclose(d, d.T) and np.allclose(np.diag(d), 0)


def test_the_embedding_imputes_and_counts_a_mismatch_as_one():
    table = pa.table(
        {
            "id": [1, 2, 3, 4],
            "x": [0.0, None, 4.0, 10.0],
            "kind": ["a", "b", "c", None],
        }
    )
    m = feature_matrix(table)
    assert list(m.ids) == [1, 2, 3, 4]  # no person_id: the first column
    v = embedding(m, Scale.of(m))
    assert v[:, 0].tolist() == pytest.approx([0.0, 0.4, 0.4, 1.0])  # median 4
    assert np.sum((v[0, 1:] - v[1, 1:]) ** 2) == pytest.approx(1.0)
    assert v[3, 1:].tolist() == v[0, 1:].tolist()  # the most frequent level: a


def test_wine_with_the_defaults():
    """The target: wine's three cultivars found again (ARI >= 0.85), k chosen
    by the rule, a stability with an interval for every cluster."""
    m, truth = labelled("wine")
    found = cluster(m)
    assert (found.method, found.k) == ("lca", 3)
    assert adjusted_rand_score(truth, found.labels) >= 0.85
    result = found.as_dict()
    assert sorted(result["sizes"]) == sorted(np.bincount(found.labels)[1:].tolist())
    assert sum(result["sizes"]) == result["n"] == 178
    stability = result["stability"]["per_cluster_jaccard"]
    assert len(stability) == 3
    for s in stability:
        low, high = s["interval"]
        assert 0.5 < low <= s["mean"] <= high <= 1
    candidates = result["choice"]["candidates"]
    assert [c["k"] for c in candidates] == list(range(2, 9))
    # k = 4 has a lower BIC, but one of its clusters is not stable: k = 3 is kept
    bic = {c["k"]: c["bic"] for c in candidates}
    assert min(bic, key=bic.get) == 4 and bic[3] < bic[5]
    stable = {c["k"]: c["least_stable"] for c in candidates}
    assert stable[4] < 0.75 <= stable[3]
    assert stable[2] is None  # its BIC is higher than k = 3's: not measured
    assert set(result["indices"]) == {
        "silhouette",
        "calinski_harabasz",
        "davies_bouldin",
    }


@pytest.mark.parametrize(
    ("method", "floor"),
    [("lca", 0.85), ("ward", 0.85), ("kprototypes", 0.85), ("gmm", 0.85)],
)
def test_each_method_on_wine_at_three(method, floor):
    m, truth = labelled("wine")
    found = cluster(m, method, 3, resamples=10)
    assert found.k == 3
    assert adjusted_rand_score(truth, found.labels) >= floor


def test_latent_classes_leave_missing_values_out_of_the_likelihood():
    """The log-likelihood by hand: a person's known values only (a number,
    normal; a flag, its probability); one with nothing known has the
    classes' weights alone."""
    table = pa.table(
        {
            "id": [1, 2, 3, 4],
            "x": [1.0, None, 3.0, None],
            "flag": pa.array([True, False, None, None]),
        }
    )
    data = Data.of(feature_matrix(table))
    assert data.x[:, 0].tolist() == [-1.0, 0.0, 1.0, 0.0]  # standardised, 0: missing
    assert data.known[:, 0].tolist() == [1, 0, 1, 0]
    assert data.onehot.tolist() == [[0, 1], [1, 0], [0, 0], [0, 0]]
    weights = np.array([0.25, 0.75])
    means, variances = np.array([[0.0], [1.0]]), np.array([[1.0], [4.0]])
    probabilities = np.array([[0.8, 0.2], [0.4, 0.6]])  # per class: False, True
    joint = _joint(data, weights, means, variances, probabilities)
    expected = np.log(weights) + [
        norm.logpdf(-1.0, [0, 1], [1, 2]) + np.log([0.2, 0.6]),
        np.log([0.8, 0.4]),
        norm.logpdf(1.0, [0, 1], [1, 2]),
        [0, 0],
    ]
    assert joint == pytest.approx(expected)


def test_a_skewed_positive_number_is_modelled_on_its_logarithm():
    rng = np.random.default_rng(0)
    ck = np.exp(rng.normal(5, 0.6, 500))
    table = pa.table({"id": range(500), "ck": ck, "age": rng.normal(50, 10, 500)})
    data = Data.of(feature_matrix(table))
    logged = (np.log(ck) - np.log(ck).mean()) / np.log(ck).std()
    assert data.x[:, 0] == pytest.approx(logged)
    age = table.column("age").to_numpy()
    assert data.x[:, 1] == pytest.approx((age - age.mean()) / age.std())


def test_latent_classes_with_missing_values_and_k_chosen():
    """Three groups, a fifth of the values missing: found again, k = 3 chosen
    (the lowest BIC whose clusters are all stable)."""
    m, truth = blobs(300, missing=0.2)
    found = cluster(m, "lca", resamples=8)
    assert found.k == 3
    assert found.choice["rule"] == LATENT_RULE
    assert adjusted_rand_score(truth, found.labels) >= 0.9
    assert min(s["mean"] for s in found.stability) >= 0.9
    assert cluster(m, "lca", 2, resamples=3).choice["rule"] == "k given"


def test_hdbscan_finds_its_own_number_of_clusters():
    m, truth = blobs(600)
    found = cluster(m, "hdbscan", resamples=5)
    assert found.k == 3
    assert found.choice["rule"] == "found by HDBSCAN"
    assert adjusted_rand_score(truth, found.labels) >= 0.9
    assert found.as_dict()["noise"] >= 0
    with pytest.raises(ParameterError, match="hdbscan finds its own number"):
        cluster(m, "hdbscan", 3)


def test_stable_groups_and_unstable_noise():
    """Well-separated groups are stable (Jaccard near 1); four clusters cut
    in uniform noise are not (Hennig: below 0.75 is no stable cluster)."""
    m, truth = blobs(300)
    found = cluster(m, k=3, resamples=20)
    assert min(s["mean"] for s in found.stability) >= 0.9
    rng = np.random.default_rng(1)
    noise = feature_matrix(
        pa.table({"id": range(300), "x": rng.random(300), "y": rng.random(300)})
    )
    scattered = cluster(noise, "ward", k=6, resamples=20)
    assert min(s["mean"] for s in scattered.stability) < 0.75


def test_fit_on_a_sample_then_assign_with_missing_values():
    """Persons beyond the sample join the cluster of the nearest prototype;
    a fifth of the values missing; the imputation is stated."""
    m, truth = blobs(5000, missing=0.2)
    found = cluster(m, k=3, sample=400, resamples=10)
    result = found.as_dict()
    assert (result["n"], result["sample"]) == (5000, 400)
    assert adjusted_rand_score(truth, found.labels) >= 0.8
    assert "left out of that pair" in result["imputation"]["distances"]
    assert "median" in result["imputation"]["vectors"]
    assert (
        "left out of the person's likelihood" in result["imputation"]["latent classes"]
    )
    assert found.labels.min() == 1 and found.labels.max() == 3


def test_profiles_give_means_prevalences_and_shares():
    table = pa.table(
        {
            "person_id": range(8),
            "age": [20.0, 22.0, 24.0, None, 70.0, 72.0, 74.0, 76.0],
            "smoker": [True, True, False, True, False, False, False, None],
            "subset": ["l", "l", "l", "d", "d", "d", "d", "d"],
        }
    )
    found = cluster(feature_matrix(table), "ward", k=2, resamples=5)
    young, old = sorted(found.profiles, key=lambda p: p["age"]["mean"])
    assert young["age"] == {"mean": 22.0, "missing": 0.25}
    assert young["smoker"] == {"prevalence": 0.75, "missing": 0.0}
    assert young["subset"] == {"shares": {"d": 0.25, "l": 0.75}, "missing": 0.0}
    assert old["age"] == {"mean": 73.0, "missing": 0.0}
    assert old["smoker"]["prevalence"] == 0.0
    assert old["smoker"]["missing"] == 0.25


def test_the_same_seed_gives_the_same_partition():
    m, _ = labelled("iris")
    a, b = (cluster(m, seed=7, resamples=10, k_max=4) for _ in range(2))
    assert a.k == b.k and (a.labels == b.labels).all()
    assert a.stability == b.stability


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pa.table({"person_id": [1, 2]}), "no feature columns"),
        (
            pa.table(
                {"person_id": pa.array([], pa.int64()), "x": pa.array([], pa.float64())}
            ),
            "no rows",
        ),  # fmt: skip
    ],
)
def test_tables_that_cannot_be_clustered(table, message):
    with pytest.raises(InputFileError, match=message):
        feature_matrix(table)


def test_k_and_method_are_checked():
    m, _ = labelled("iris")
    with pytest.raises(ParameterError, match="--k 150: a partition of 150 persons"):
        cluster(m, k=150)
    with pytest.raises(ParameterError, match="unknown method 'kmeans'"):
        cluster(m, "kmeans")
    assert math.isclose(cluster(m, k=2, resamples=3).k, 2)


def test_two_persons_cannot_be_split_automatically():
    two = feature_matrix(pa.table({"id": [1, 2], "x": [1.0, 2.0]}))
    with pytest.raises(ParameterError, match="2 persons cannot be split"):
        cluster(two)
    three = feature_matrix(pa.table({"id": [1, 2, 3], "x": [1.0, 2.0, 9.0]}))
    found = cluster(three, resamples=3)
    assert found.k == 2 and found.choice["rule"].startswith("the k with")
