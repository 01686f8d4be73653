"""Clustering speed: `entrepot cluster`'s defaults on mixed features, beside
kmodes' k-prototypes (Huang's algorithm) on the same data in the same run.

The data are planted: `--groups` groups of persons, each shifting some of
the numbers by up to one standard deviation and changing some flags' and
categories' frequencies; a tenth of the values missing. Features: half
numbers, a third flags, the rest categories of 3 to 5 levels. entrepot runs
its defaults (Ward on Gower's distances, k chosen among 2..8 by silhouette
and bootstrap stability, 30 resamples, fitted on 2,000 persons, the others
assigned), then with the planted k. k-prototypes gets the planted k (one
start, as it cannot choose k), missing values imputed (median, most
frequent level): it cannot take them. All are scored against the planted groups (ARI). Target: 100,000
patients × 30 features in under 2 minutes on 2 cores.

    python bench/cluster.py [--patients 100000] [--features 30] [--json out.json]

`--labelled` instead scores every method, k chosen, against the labels of
scikit-learn's wine, iris and breast cancer data sets (ARI).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from entrepot.subgroups import cluster, feature_matrix


def planted(patients: int, features: int, groups: int, seed: int = 0):
    """A features table of mixed types (person_id first) and each person's group."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, groups, patients)
    numbers = features // 2
    flags = features // 3
    categories = features - numbers - flags
    columns = {"person_id": pa.array(np.arange(1, patients + 1))}
    shift = rng.choice([-1.0, 0.0, 1.0], (groups, numbers)) * rng.uniform(0.6, 1.0)
    values = rng.normal(0, 1, (patients, numbers)) + shift[group]
    for j in range(numbers):
        columns[f"lab_{j}"] = pa.array(values[:, j] * 10 + 50)
    prevalence = rng.uniform(0.1, 0.9, (groups, flags))
    drawn = rng.random((patients, flags)) < prevalence[group]
    for j in range(flags):
        columns[f"sign_{j}"] = pa.array(drawn[:, j])
    for j in range(categories):
        levels = np.array([f"l{i}" for i in range(3 + j % 3)])
        odds = rng.dirichlet(np.ones(len(levels)), groups)
        picked = (rng.random(patients)[:, None] > odds.cumsum(1)[group]).sum(1)
        columns[f"type_{j}"] = pa.array(levels[np.minimum(picked, len(levels) - 1)])
    masked = {
        name: (pa.array(col.to_numpy(zero_copy_only=False), mask=rng.random(patients) < 0.1)
               if name != "person_id" else col)
        for name, col in columns.items()
    }  # fmt: skip
    return pa.table(masked), group


def kprototypes_baseline(table: pa.Table, k: int, seed: int):
    """kmodes' KPrototypes on the same features, imputed; (seconds, labels)."""
    from kmodes.kprototypes import KPrototypes

    m = feature_matrix(table)
    numbers = np.where(np.isnan(m.numbers), np.nanmedian(m.numbers, axis=0), m.numbers)
    modes = [np.bincount(c[c >= 0]).argmax() for c in m.codes.T]
    codes = np.where(m.codes < 0, modes, m.codes)
    x = np.hstack([numbers, codes]).astype(object)
    categorical = list(range(numbers.shape[1], x.shape[1]))
    began = time.perf_counter()
    labels = KPrototypes(
        n_clusters=k, n_init=1, init="Cao", random_state=seed
    ).fit_predict(x, categorical=categorical)
    return time.perf_counter() - began, labels


def run(
    patients: int = 10_000,
    features: int = 30,
    groups: int = 4,
    seed: int = 0,
    **options,
) -> dict:
    """Generate, cluster with entrepot and with k-prototypes; the figures."""
    from sklearn.metrics import adjusted_rand_score

    table, truth = planted(patients, features, groups, seed)
    began = time.perf_counter()
    found = cluster(feature_matrix(table), seed=seed, **options)
    seconds = time.perf_counter() - began
    began = time.perf_counter()
    given = cluster(feature_matrix(table), k=groups, seed=seed, **options)
    seconds_given = time.perf_counter() - began
    baseline, labels = kprototypes_baseline(table, groups, seed)
    return {
        "patients": patients,
        "features": features,
        "planted_k": groups,
        "entrepot": {
            "seconds": round(seconds, 2),
            "k": found.k,
            "ari": round(adjusted_rand_score(truth, found.labels), 3),
            "sample": found.sample,
            "mean_stability": found.as_dict()["stability"]["mean"],
        },
        "entrepot_planted_k": {
            "seconds": round(seconds_given, 2),
            "k": given.k,
            "ari": round(adjusted_rand_score(truth, given.labels), 3),
            "mean_stability": given.as_dict()["stability"]["mean"],
        },
        "kprototypes": {
            "seconds": round(baseline, 2),
            "k": groups,
            "ari": round(adjusted_rand_score(truth, labels), 3),
        },
        "baseline": "kmodes KPrototypes (Huang), planted k, one start, same data",
        "ratio": round(seconds / max(baseline, 1e-9), 3),
    }


#: Views for the multi-view method: groups of each data set's own columns.
VIEWS = {
    "wine": {
        "alcohol and acids": [
            "alcohol",
            "malic_acid",
            "ash",
            "alcalinity_of_ash",
            "magnesium",
        ],
        "phenols": [
            "total_phenols",
            "flavanoids",
            "nonflavanoid_phenols",
            "proanthocyanins",
        ],
        "colour": [
            "color_intensity",
            "hue",
            "od280/od315_of_diluted_wines",
            "proline",
        ],
    },
    "iris": {
        "sepal": ["sepal length (cm)", "sepal width (cm)"],
        "petal": ["petal length (cm)", "petal width (cm)"],
    },
}


def labelled(
    sets: tuple[str, ...] = ("wine", "iris", "breast_cancer"),
    methods: tuple[str, ...] = ("ward", "kprototypes", "gmm", "hdbscan", "mvmc"),
    **options,
) -> dict:
    """ARI against the labels of scikit-learn's data sets, per method, k chosen
    (auto) as by default: {set: {method: {"k", "ari", "seconds"}}}."""
    from sklearn import datasets
    from sklearn.metrics import adjusted_rand_score

    found: dict = {}
    for name in sets:
        data = getattr(datasets, f"load_{name}")()
        columns = {"person_id": pa.array(np.arange(1, len(data.target) + 1))}
        columns |= {c: pa.array(data.data[:, j]) for j, c in enumerate(data.feature_names)}  # fmt: skip
        m = feature_matrix(pa.table(columns))
        found[name] = {}
        for method in methods:
            views = _views(name, list(data.feature_names)) if method == "mvmc" else None
            began = time.perf_counter()
            c = cluster(m, method, views=views, **options)
            found[name][method] = {
                "k": c.k,
                "truth_k": len(set(data.target)),
                "ari": round(adjusted_rand_score(data.target, c.labels), 3),
                "seconds": round(time.perf_counter() - began, 1),
            }
    return found


def _views(name: str, columns: list[str]) -> dict[str, list[str]]:
    if name == "breast_cancer":  # the mean, standard error and worst of each measure
        return {
            "mean": [c for c in columns if c.startswith("mean ")],
            "error": [c for c in columns if c.endswith(" error")],
            "worst": [c for c in columns if c.startswith("worst ")],
        }
    return VIEWS[name]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=10_000)
    parser.add_argument("--features", type=int, default=30)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--resamples", type=int, default=30, help="entrepot's bootstrap resamples"
    )
    parser.add_argument(
        "--labelled",
        action="store_true",
        help="instead: ARI per method on scikit-learn's wine, iris, breast cancer",
    )
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.labelled:
        f = labelled(seed=args.seed, resamples=args.resamples)
        for name, methods in f.items():
            for method, r in methods.items():
                print(
                    f"{name} ({r['truth_k']} classes), {method}: k = {r['k']} chosen, "
                    f"ARI {r['ari']} ({r['seconds']} s)"
                )
        if args.json:
            args.json.write_text(json.dumps(f, indent=2))
        return f
    f = run(
        args.patients, args.features, args.groups, args.seed, resamples=args.resamples
    )
    e, g, b = f["entrepot"], f["entrepot_planted_k"], f["kprototypes"]
    print(
        f"{f['patients']:,} patients × {f['features']} mixed features, "
        f"{f['planted_k']} planted groups"
    )
    print(
        f"entrepot cluster (defaults): {e['seconds']} s, k = {e['k']} chosen, "
        f"ARI {e['ari']}, mean stability {e['mean_stability']} "
        f"(fitted on {e['sample']:,}; target < 120 s at 100,000)"
    )
    print(
        f"entrepot cluster --k {g['k']} (the planted k): {g['seconds']} s, "
        f"ARI {g['ari']}, mean stability {g['mean_stability']}"
    )
    print(
        f"baseline, kmodes k-prototypes (k = {b['k']} given, one start): "
        f"{b['seconds']} s, ARI {b['ari']}"
    )
    print(f"ratio entrepot / k-prototypes: {f['ratio']}")
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))
    return f


if __name__ == "__main__":
    main()
