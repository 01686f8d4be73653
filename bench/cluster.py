"""Clustering speed: `entrepot cluster`'s defaults on mixed features, beside
kmodes' k-prototypes (Huang's algorithm) on the same data in the same run.

The data are planted: `--groups` groups of persons, each shifting some of
the numbers by up to one standard deviation and changing some flags' and
categories' frequencies; a tenth of the values missing. Features: half
numbers, a third flags, the rest categories of 3 to 5 levels. entrepot runs
its defaults (lca, the latent class model: k chosen among 2..8 by BIC and
bootstrap stability, 30 resamples, fitted on 2,000 persons, the others
assigned), then with the planted k. k-prototypes gets the planted k (one
start, as it cannot choose k), missing values imputed (median, most
frequent level): it cannot take them. All are scored against the planted groups (ARI). Target: 100,000
patients × 30 features in under 2 minutes on 2 cores.

    python bench/cluster.py [--patients 100000] [--features 30] [--json out.json]

`--labelled` instead scores every method, k chosen, against the labels of
scikit-learn's wine, iris and breast cancer data sets (ARI).

`--ceiling` instead simulates studies (`--patients`, 2,000) of the systemic
sclerosis module's documented generating model and scores the Bayes
classifier, which knows the true parameters: the best ARI any partition can
reach on that model.

`--synthetic` instead runs the study on synthetic hospitals, one per seed,
`--patients` of them with systemic sclerosis given to `--share` of them
(`entrepot synth --enrich systemic_sclerosis=SHARE`, no notes): the shipped
cohort, `entrepot features` with the shipped `systemic_sclerosis` spec,
`entrepot cluster` with each method's defaults (k auto), scored against the
planted subtypes of `entrepot.synth_truth` (ARI, k chosen); and `entrepot
profiles` of the planted subtypes: the log-rank test of their survival.
Targets: ARI ≥ 0.80 with the default method, k = 6 chosen in 8 seeds of 10,
log-rank p < 0.01.

    python bench/cluster.py --synthetic --seeds 0-9 [--patients 2600]
        [--share 0.77] [--hospitals DIR] [--methods ward,gmm]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa

from entrepot.subgroups import cluster, feature_matrix

METHODS = ("lca", "ward", "kprototypes", "gmm", "hdbscan", "mvmc")


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
    methods: tuple[str, ...] = METHODS,
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


#: Views of the shipped systemic sclerosis features, for the multi-view method.
SSC_VIEWS = {
    "skin and vessels": [
        "diffuse_skin",
        "raynaud",
        "digital_ulcers",
        "pitting_scars",
        "telangiectasia",
        "contractures",
        "calcinosis",
    ],
    "serology": ["anticentromere", "anti_scl70", "anti_rna_pol3"],
    "lung": ["lung_fibrosis", "fvc", "dlco", "pulmonary_hypertension"],
    "heart": [
        "heart_involvement",
        "diastolic_dysfunction",
        "lvef",
        "conduction_blocks",
    ],
    "kidney": ["renal_crisis", "creatinine", "proteinuria"],
    "muscles, joints, gut": [
        "creatine_kinase",
        "myositis",
        "muscle_atrophy",
        "synovitis",
        "tendon_friction_rubs",
        "oesophagus",
        "stomach",
        "intestine",
        "crp",
    ],
}


def entrepot(*argv) -> dict:
    """`entrepot ARGV --json`: its last JSON line (it must succeed)."""
    from entrepot.cli import main as cli

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli([*map(str, argv), "--json"])
    if code != 0:
        raise RuntimeError(f"entrepot {' '.join(map(str, argv))}: exit {code}")
    return json.loads(out.getvalue().splitlines()[-1])


def hospital(folder: Path, patients: int, share: float, seed: int) -> Path:
    """A synthetic hospital with systemic sclerosis given to `share` of its
    patients (no notes), generated once into `folder` and kept there."""
    from entrepot.synth import generate_hospital

    path = folder / f"ssc-{patients}-{share}-{seed}.duckdb"
    if not path.exists():
        part = folder / f"ssc-{patients}-{share}-{seed}.part.duckdb"
        part.unlink(missing_ok=True)
        generate_hospital(
            str(part),
            patients=patients,
            seed=seed,
            notes=False,
            workers=1,
            enrich={"systemic_sclerosis": share},
        )
        part.rename(path)
    return path


def planted_subtypes(warehouse: Path) -> dict[int, str]:
    """Each patient's planted subtype (entrepot.synth_truth)."""
    from entrepot.warehouse import Warehouse

    with Warehouse.open(str(warehouse), read_only=True) as wh:
        t = wh.table("synth_truth")
        rows = (
            t.filter(t.module == "systemic_sclerosis")
            .select("person_id", "subtype")
            .to_pyarrow()
            .to_pydict()
        )
    return dict(zip(rows["person_id"], rows["subtype"], strict=True))


def study(
    warehouse: Path,
    seed: int,
    methods: tuple[str, ...] = METHODS,
    folder: Path | None = None,
    **options,
) -> dict:
    """The study on a copy of a synthetic hospital: cohort, features, clusters
    per method (ARI against the planted subtypes, k chosen), and the log-rank
    test of the planted subtypes' survival."""
    import pyarrow.parquet as pq
    from sklearn.metrics import adjusted_rand_score

    from entrepot.subgroups import cluster_file, write_labels

    with tempfile.TemporaryDirectory(dir=folder) as work:
        work = Path(work)
        w = ["-w", work / "ssc.duckdb"]
        shutil.copy(warehouse, w[1])
        entrepot("cohort", "run", "systemic_sclerosis", "--id", 1, *w)
        features = work / "features.parquet"
        made = entrepot(
            "features", 1, "--spec", "systemic_sclerosis", "--out", features, *w
        )
        persons = pq.read_table(features).column("person_id").to_pylist()
        subtypes = planted_subtypes(w[1])
        names = sorted(set(subtypes.values()))
        scored = np.array([p in subtypes for p in persons])
        truth = [names.index(subtypes[p]) for p in np.array(persons)[scored].tolist()]
        planted = work / "planted.parquet"
        pq.write_table(
            pa.table(
                {
                    "person_id": np.array(persons)[scored],
                    "cluster": np.array(truth) + 1,
                }
            ),
            planted,
        )
        survival = entrepot("profiles", planted, "--cohort", 1, *w)
        (work / "views.yaml").write_text(json.dumps(SSC_VIEWS))
        found = {}
        for method in methods:
            views = work / "views.yaml" if method == "mvmc" else None
            began = time.perf_counter()
            c = cluster_file(features, method, "auto", views, seed=seed, **options)
            seconds = time.perf_counter() - began
            write_labels(c, work / f"{method}.parquet")
            found[method] = {
                "k": c.k,
                "ari": round(adjusted_rand_score(truth, c.labels[scored]), 3),
                "seconds": round(seconds, 1),
                "mean_stability": c.as_dict()["stability"]["mean"],
            }
    return {
        "seed": seed,
        "persons": len(persons),
        "without_subtype": int((~scored).sum()),
        "planted_k": len(names),
        "missing": round(np.mean([f["missing"] for f in made["features"].values()]), 3),
        "logrank_p": survival["logrank"]["p"],
        "methods": found,
    }


def synthetic(
    seeds: list[int],
    patients: int = 2600,
    share: float = 0.77,
    hospitals: Path | None = None,
    methods: tuple[str, ...] = METHODS,
    shown=None,
    **options,
) -> dict:
    """`study` on one synthetic hospital per seed (each shown by `shown` as
    it ends), and the summary per method: mean ARI, the seeds where the
    planted k was chosen."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(hospitals or scratch)
        folder.mkdir(parents=True, exist_ok=True)
        runs = []
        for seed in seeds:
            began = time.perf_counter()
            path = hospital(folder, patients, share, seed)
            generated = time.perf_counter() - began
            runs.append(study(path, seed, methods, **options))
            runs[-1]["generated_seconds"] = round(generated, 1)
            if shown:
                shown(runs[-1])
    summary = {
        m: {
            "mean_ari": round(float(np.mean([r["methods"][m]["ari"] for r in runs])), 3),
            "min_ari": min(r["methods"][m]["ari"] for r in runs),
            "right_k": sum(r["methods"][m]["k"] == r["planted_k"] for r in runs),
        }
        for m in methods
    }  # fmt: skip
    return {
        "patients": patients,
        "share": share,
        "seeds": seeds,
        "runs": runs,
        "summary": summary,
        "logrank_below_0.01": sum(r["logrank_p"] < 0.01 for r in runs),
        "targets": {"ari": 0.8, "right_k": "8 of 10 seeds", "logrank_p": 0.01},
    }


def generating_model():
    """The systemic sclerosis module's subtypes as its documented latent class
    model: their weights, and per variable (skin extent, each complication,
    each test of the subtypes) its kind ("flag": a probability per subtype;
    "number": a mean and an SD per subtype) and the share of patients in whom
    it is recorded. Complications' own lab effects are not in it."""
    from entrepot.synth import load_modules

    module = next(m for m in load_modules() if m.name == "systemic_sclerosis")
    subtypes = module.subtypes
    skin = [s.code_share for s in subtypes]
    variables = {
        "diffuse_skin": (
            "flag",
            [[c["M34.0"] / (c["M34.0"] + c["M34.1"])] for c in skin],
            1 - skin[0]["M34.9"],
        )
    }
    for c in module.complications:
        chances = [[s.complications.get(c.name, c.probability)] for s in subtypes]
        variables[c.name] = ("flag", chances, 1.0)
    for j, lab in enumerate(subtypes[0].labs):
        effects = [s.labs[j] for s in subtypes]
        if lab.value is None:
            variables[lab.loinc] = ("flag", [[e.positive] for e in effects], lab.share)
        else:
            spread = [[e.value.mean, e.value.sd] for e in effects]
            variables[lab.loinc] = ("number", spread, lab.share)
    weights = np.array([s.weight for s in subtypes])
    return weights / weights.sum(), variables


def ceiling(studies: int = 20, patients: int = 2000, seed: int = 0) -> dict:
    """The best any partition can do on the module's generating model: in
    `studies` simulated studies, the ARI (and accuracy) of the Bayes
    classifier, each patient given their most probable subtype under the true
    parameters, missing values left out."""
    from sklearn.metrics import adjusted_rand_score

    weights, variables = generating_model()
    rng = np.random.default_rng(seed)
    ari, accuracy = [], []
    for _ in range(studies):
        truth = rng.choice(len(weights), patients, p=weights)
        posterior = np.tile(np.log(weights), (patients, 1))
        for kind, parameters, share in variables.values():
            parameters = np.array(parameters)
            known = rng.random(patients) < share
            if kind == "flag":
                p = parameters[:, 0]
                x = rng.random(patients) < p[truth]
                fit = np.where(x[:, None], np.log(p), np.log1p(-p))
            else:
                mean, sd = parameters[:, 0], parameters[:, 1]
                x = rng.normal(mean[truth], sd[truth])
                fit = -0.5 * ((x[:, None] - mean) / sd) ** 2 - np.log(sd)
            posterior[known] += fit[known]
        found = posterior.argmax(axis=1)
        ari.append(adjusted_rand_score(truth, found))
        accuracy.append(float((found == truth).mean()))
    return {
        "studies": studies,
        "patients": patients,
        "variables": len(variables),
        "mean_ari": round(float(np.mean(ari)), 3),
        "min_ari": round(min(ari), 3),
        "max_ari": round(max(ari), 3),
        "accuracy": round(float(np.mean(accuracy)), 3),
    }


def _print_run(r: dict) -> None:
    print(
        f"seed {r['seed']}: {r['persons']:,} persons in the cohort, "
        f"{r['planted_k']} planted subtypes, {r['missing']:.0%} missing; "
        f"planted subtypes' log-rank p = {r['logrank_p']:.2g}"
    )
    for method, m in r["methods"].items():
        print(
            f"  {method}: k = {m['k']} chosen, ARI {m['ari']}, mean stability "
            f"{m['mean_stability']} ({m['seconds']} s)",
            flush=True,
        )


def _print_synthetic(f: dict) -> None:
    for method, s in f["summary"].items():
        print(
            f"{method}: mean ARI {s['mean_ari']} (lowest {s['min_ari']}), right k "
            f"in {s['right_k']} of {len(f['runs'])} seeds (target: ARI ≥ 0.80, "
            f"8 of 10)"
        )
    print(
        f"planted subtypes' survival differs (log-rank p < 0.01) in "
        f"{f['logrank_below_0.01']} of {len(f['runs'])} seeds; load {_load()}"
    )


def _load() -> str:
    """The machine's load averages (1, 5, 15 minutes)."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def _seeds(text: str) -> list[int]:
    """`0-9` or `0,3,5`."""
    if "-" in text:
        low, high = map(int, text.split("-"))
        return list(range(low, high + 1))
    return [int(s) for s in text.split(",")]


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, help="10,000 (--synthetic: 2,600)")
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
    parser.add_argument(
        "--synthetic",
        action="store_true",
        help="instead: the study on synthetic hospitals, scored against their "
        "planted systemic sclerosis subtypes",
    )
    parser.add_argument(
        "--ceiling",
        action="store_true",
        help="instead: the Bayes classifier's ARI on the systemic sclerosis "
        "module's generating model (simulated studies of --patients)",
    )
    parser.add_argument("--seeds", type=_seeds, default=[0], help="0-9 or 0,3,5")
    parser.add_argument("--share", type=float, default=0.77)
    parser.add_argument(
        "--hospitals", type=Path, help="keep the generated hospitals there"
    )
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args(argv)
    if args.ceiling:
        f = ceiling(patients=args.patients or 2000, seed=args.seed)
        print(
            f"Bayes classifier on the module's model, {f['studies']} studies of "
            f"{f['patients']:,} patients, {f['variables']} variables: ARI "
            f"{f['mean_ari']} ({f['min_ari']}–{f['max_ari']}), accuracy "
            f"{f['accuracy']}"
        )
        if args.json:
            args.json.write_text(json.dumps(f, indent=2))
        return f
    if args.synthetic:
        print(
            f"synthetic hospitals: {args.patients or 2600:,} patients, systemic "
            f"sclerosis given to {args.share}; seeds "
            f"{', '.join(map(str, args.seeds))}; load {_load()}"
        )
        f = synthetic(
            args.seeds,
            args.patients or 2600,
            args.share,
            args.hospitals,
            tuple(args.methods.split(",")),
            _print_run,
            resamples=args.resamples,
        )
        _print_synthetic(f)
        if args.json:
            args.json.write_text(json.dumps(f, indent=2))
        return f
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
        args.patients or 10_000,
        args.features,
        args.groups,
        args.seed,
        resamples=args.resamples,
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
