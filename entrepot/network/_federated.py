"""FedAvg and FedProx on entrepot's own hub<->node rounds (no Flower).

Node side (`fedavg_round`): the study's logistic design, split into a
training and a test part by each person's hash (`test_split`, the same
split wherever it is worked out); from the hub's weights, E epochs of
mini-batch SGD on the node's training persons, with FedProx's proximal term
mu/2·||w - w_global||² when `mu` > 0; it answers its weights and its number
of training persons only. With `parameters.update_privacy`, the update
(w - w_global) is clipped to norm C and Gaussian noise of standard deviation
z·2C added: replacing or removing one person changes the clipped update by
2C at most. On the last round it answers its test AUROC and AUPRC, and its test
scores as counts of positives and negatives per score bin, bins merged
until each count is 0 or >= T (`score_bins`).

Hub side: the answers averaged weighted by n (`average`); the test metrics
(`test_metrics`); the ε of the
Gaussian mechanism composed over the rounds by Rényi DP (`epsilon`).
"""

from __future__ import annotations

import hashlib

import numpy as np

#: Base score bins of the test evaluation (merged at each node up to T).
SCORE_BINS = 100
#: Orders of the Rényi DP accountant (those of Opacus' default list).
ORDERS = [1 + x / 10.0 for x in range(1, 100)] + list(range(12, 64)) + [128, 256]


def test_split(persons: np.ndarray, seed: int, fraction: float) -> np.ndarray:
    """True for the persons in the test part: a keyed hash of (seed, person)
    below `fraction`, so the same person falls on the same side at every
    node and in a pooled run."""
    out = np.empty(len(persons), bool)
    for i, person in enumerate(np.asarray(persons).tolist()):
        digest = hashlib.blake2b(f"{seed}:{person}".encode(), digest_size=8).digest()
        out[i] = int.from_bytes(digest, "big") / 2.0**64 < fraction
    return out


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1 / (1 + np.exp(-np.clip(z, -30, 30)))


def local_sgd(x, y, start, parameters: dict, rng, round_: int = 0) -> np.ndarray:
    """E epochs of mini-batch SGD on the mean log-loss from `start`, with
    the proximal term mu/2·||w - start||² (FedProx; mu = 0 is FedAvg), at
    the learning rate decayed by `learning_rate_decay` each round."""
    w = np.array(start, float)
    anchor = w.copy()
    rate = parameters["learning_rate"] * parameters["learning_rate_decay"] ** round_
    mu = parameters["mu"]
    size = parameters["batch_size"]
    for _ in range(parameters["local_epochs"]):
        order = rng.permutation(len(y))
        for first in range(0, len(y), size):
            batch = order[first : first + size]
            residual = _sigmoid(x[batch] @ w) - y[batch]
            gradient = x[batch].T @ residual / len(batch) + mu * (w - anchor)
            w -= rate * gradient
    return w


def privatise(update: np.ndarray, noise: dict, rng) -> np.ndarray:
    """The update clipped to norm C, plus Gaussian noise of sd z·2C."""
    clip = noise["clip"]
    norm = float(np.linalg.norm(update))
    clipped = update * min(1.0, clip / norm) if norm else update
    return clipped + rng.normal(0, noise["noise_multiplier"] * 2 * clip, update.shape)


def fedavg_round(data, parameters: dict, weights, round_: int) -> list:
    """The node's weights after local training from the hub's `weights`
    (batches shuffled by the study's seed and the round; the privacy noise
    drawn from the system's entropy, which the hub cannot know)."""
    x, y, persons = data
    train = ~test_split(persons, parameters["seed"], parameters["test_fraction"])
    rng = np.random.default_rng([parameters["seed"], round_])
    start = np.asarray(weights, float)
    w = local_sgd(x[train], y[train], start, parameters, rng, round_)
    noise = parameters.get("update_privacy")
    if noise:
        w = start + privatise(w - start, noise, np.random.default_rng())
    return w.tolist()


def score_bins(scores: np.ndarray, y: np.ndarray, threshold: int) -> list[dict]:
    """[{low, high, positives, negatives}] on base bins of [0, 1], adjacent
    bins merged until each count is 0 or >= `threshold`; [] when no such
    bins exist."""
    k = np.minimum((scores * SCORE_BINS).astype(np.int64), SCORE_BINS - 1)
    pos = np.bincount(k[y == 1], minlength=SCORE_BINS)
    neg = np.bincount(k[y == 0], minlength=SCORE_BINS)

    def passes(bin_: list) -> bool:
        return all(n == 0 or n >= threshold for n in bin_[2:])

    bins: list[list] = []
    for i in range(SCORE_BINS):
        if pos[i] + neg[i] == 0:
            continue
        if bins and not passes(bins[-1]):
            bins[-1][1:] = [i + 1, bins[-1][2] + int(pos[i]), bins[-1][3] + int(neg[i])]
        else:
            bins.append([i, i + 1, int(pos[i]), int(neg[i])])
    while len(bins) > 1 and not passes(bins[-1]):
        last = bins.pop()
        bins[-1][1:] = [last[1], bins[-1][2] + last[2], bins[-1][3] + last[3]]
    if not bins or not passes(bins[-1]):
        return []
    return [
        {
            "low": lo / SCORE_BINS,
            "high": hi / SCORE_BINS,
            "positives": p,
            "negatives": n,
        }
        for lo, hi, p, n in bins
    ]


def auroc(scores: np.ndarray, y: np.ndarray) -> float:
    """Area under the ROC curve (Mann-Whitney, ties counting half)."""
    from scipy.stats import rankdata

    ranks = rankdata(scores)
    positives = int(y.sum())
    negatives = len(y) - positives
    return float(
        (ranks[y == 1].sum() - positives * (positives + 1) / 2)
        / (positives * negatives)
    )


def average_precision(scores: np.ndarray, y: np.ndarray) -> float:
    """Area under the precision-recall curve as average precision, one
    threshold per distinct score (as scikit-learn's)."""
    order = np.argsort(-scores, kind="stable")
    s, t = scores[order], y[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # end of each tie
    tp = np.cumsum(t)[last]
    precision = tp / (last + 1)
    recall = tp / t.sum()
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def evaluation(data, parameters: dict, weights, threshold: int) -> dict:
    """The node's test persons under `weights`: their numbers of positives
    and negatives, AUROC and AUPRC (when both are >= `threshold`), and their
    scores as `score_bins`."""
    x, y, persons = data
    test = test_split(persons, parameters["seed"], parameters["test_fraction"])
    scores, yt = _sigmoid(x[test] @ np.asarray(weights, float)), y[test]
    positives, negatives = int(yt.sum()), int(len(yt) - yt.sum())
    out = {"score_bins": score_bins(scores, yt, threshold)}
    if min(positives, negatives) >= threshold:
        out["test"] = {
            "positives": positives,
            "negatives": negatives,
            "auroc": auroc(scores, yt),
            "auprc": average_precision(scores, yt),
        }
    return out


def average(answers: dict[str, dict]) -> np.ndarray:
    """The nodes' weights averaged, each weighted by its n."""
    n = np.array([a["n"] for a in answers.values()], float)
    w = np.array([a["weights"] for a in answers.values()], float)
    return (n[:, None] * w).sum(axis=0) / n.sum()


def test_metrics(answers: dict[str, dict]) -> dict:
    """The nodes' test AUROC and AUPRC, each node's and their mean weighted
    by test persons, with the pooled metrics estimated from the score bins
    added up (`binned_metrics`)."""
    each = {k: a["test"] for k, a in answers.items() if "test" in a}
    weight = {k: t["positives"] + t["negatives"] for k, t in each.items()}
    total = sum(weight.values())
    mean = {
        m: sum(weight[k] * t[m] for k, t in each.items()) / total if total else None
        for m in ("auroc", "auprc")
    }
    binned = binned_metrics({k: a.get("score_bins", []) for k, a in answers.items()})
    return {
        "nodes": each,
        "mean_over_nodes": mean,
        "binned": binned,
        "how": "each node's AUROC and AUPRC on its own test persons, and their "
        "mean weighted by test persons (the pooled metrics need the rows in one "
        "place); `binned`: the pooled metrics estimated from the nodes' counts "
        "per score bin, each 0 or >= T, added up on the edges all share",
    }


def binned_metrics(answers: dict[str, list[dict]]) -> dict:
    """Test AUROC and AUPRC from the nodes' score bins added up on the edges
    they all share (scores tied within a bin: AUROC counts half, AUPRC takes
    the bin as one threshold)."""
    from entrepot.network._combine import common_edges

    shown = [b for b in answers.values() if b]
    edges = common_edges([[[b["low"], b["high"], 0] for b in s] for s in shown])
    pos = np.zeros(max(len(edges) - 1, 0))
    neg = np.zeros_like(pos)
    for bins in shown:
        for b in bins:
            i = int(np.searchsorted(edges, b["low"], side="right")) - 1
            pos[i] += b["positives"]
            neg[i] += b["negatives"]
    if not pos.sum() or not neg.sum():
        return {"auroc": None, "auprc": None, "bins": len(pos)}
    pos, neg = pos[::-1], neg[::-1]  # highest scores first
    tp, fp = np.cumsum(pos), np.cumsum(neg)
    negatives_below = neg.sum() - fp
    auroc = float((pos * (negatives_below + neg / 2)).sum() / (pos.sum() * neg.sum()))
    recall = tp / pos.sum()
    precision = tp / (tp + fp)
    auprc = float(np.sum(np.diff(np.concatenate([[0.0], recall])) * precision))
    return {
        "auroc": auroc,
        "auprc": auprc,
        "bins": len(pos),
        "positives": int(pos.sum()),
        "negatives": int(neg.sum()),
    }


def epsilon(noise_multiplier: float, rounds: int, delta: float) -> tuple[float, float]:
    """ε (and the Rényi order reached) of `rounds` Gaussian mechanisms of
    noise multiplier z (sd over L2 sensitivity), by Rényi DP: each is
    (α, α/2z²)-RDP, they add up, and ε = RDP + log(1/δ)/(α-1) (Mironov 2017),
    minimised over the orders α."""
    best = min(
        (rounds * a / (2 * noise_multiplier**2) + np.log(1 / delta) / (a - 1), a)
        for a in ORDERS
    )
    return float(best[0]), float(best[1])
