"""The hub's side: the nodes' aggregates combined, exactly where they allow it.

Counts, sums and sums of squares add up; histograms and Kaplan-Meier risk
sets add up on the edges every node has; a logistic model's gradients and
Hessians add up to the pooled ones, so that Newton's steps are the pooled
fit's. A node whose cell was masked ("<N") is left out of the combined
figure and named in `suppressed_nodes`, with the bounds that leaves.
"""

from __future__ import annotations

import math

import numpy as np

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
LEFT_OUT = (
    'a node whose figure was masked ("<N": 1 to N-1) is left out of the '
    "combined figure; the true total lies within `bounds`"
)


def combine(analysis: str, answers: dict[str, dict]) -> dict:
    """The combined result of the nodes that answered (`answers`: node name ->
    its `result`)."""
    return _COMBINE[analysis](answers)


def _masked(value) -> int | None:
    """N of a masked "<N", else None."""
    if isinstance(value, str) and value.startswith("<"):
        return int(value[1:])
    return None


def _sum(answers: dict[str, dict], key: str) -> dict:
    """A count summed over nodes, masked ones left out, with its bounds."""
    total, low, high, suppressed = 0, 0, 0, []
    for name, result in answers.items():
        value = result.get(key)
        n = _masked(value)
        if n is not None:
            suppressed.append(name)
            low, high = low + 1, high + n - 1
        elif isinstance(value, int):
            total += value
    return {
        key: total,
        "suppressed_nodes": suppressed,
        "bounds": [total + low, total + high],
    }


def _count(answers: dict[str, dict]) -> dict:
    combined = _sum(answers, "count")
    combined["entries"] = _sum(answers, "entries")["entries"]
    steps = [a["attrition"] for a in answers.values()]
    attrition = []
    for i, step in enumerate(steps[0] if steps else []):
        values = [s[i]["persons"] for s in steps if i < len(s)]
        shown = [v for v in values if isinstance(v, int)]
        attrition.append(
            {
                "rule": step["rule"],
                "persons": sum(shown),
                "nodes_left_out": len(values) - len(shown),
            }
        )
    return combined | {"attrition": attrition, "how_suppressed": LEFT_OUT}


def common_edges(histograms: list[list[list]]) -> list[float]:
    """Edges of a partition each node's bins fit in: every edge of some node
    that falls strictly inside no other node's bin."""
    edges = sorted({e for h in histograms for b in h for e in b[:2]})
    return [e for e in edges if not any(b[0] < e < b[1] for h in histograms for b in h)]


def merge_histograms(histograms: list[list[list]]) -> list[list]:
    """The nodes' histograms added up on their common edges (exact counts)."""
    edges = common_edges(histograms)
    counts = np.zeros(len(edges) - 1, dtype=np.int64)
    for h in histograms:
        for low, _, n in h:
            counts[np.searchsorted(edges, low, side="right") - 1] += n
    return [[edges[i], edges[i + 1], int(n)] for i, n in enumerate(counts) if n]


def quantiles(histogram: list[list], probabilities=QUANTILES) -> list[dict]:
    """Quantiles read off a histogram, values spread evenly in each bin; each
    within the bin it falls in (`low`, `high`: its error bound)."""
    counts = np.array([b[2] for b in histogram], float)
    cumulative = np.cumsum(counts)
    out = []
    for p in probabilities:
        target = p * cumulative[-1]
        i = int(np.searchsorted(cumulative, target))
        i = min(i, len(histogram) - 1)
        low, high, n = histogram[i]
        before = cumulative[i] - n
        value = low + (high - low) * (target - before) / n
        out.append({"p": p, "value": value, "low": low, "high": high})
    return out


def _characterization(answers: dict[str, dict]) -> dict:
    names = {v for a in answers.values() for v in a["variables"]}
    out = {}
    for name in sorted(names):
        found = {k: a["variables"][name] for k, a in answers.items()}
        shown = {k: v for k, v in found.items() if "sum" in v}
        n = sum(v["n"] for v in shown.values())
        total = sum(v["sum"] for v in shown.values())
        squares = sum(v["sum_of_squares"] for v in shown.values())
        variable = {"n": n, "suppressed_nodes": sorted(set(found) - set(shown))}
        if n:
            mean = total / n
            variance = (squares - n * mean * mean) / (n - 1) if n > 1 else 0.0
            histogram = merge_histograms([v["histogram"] for v in shown.values()])
            variable |= {
                "mean": mean,
                "variance": variance,
                "sd": math.sqrt(max(variance, 0.0)),
                "histogram": histogram,
                "quantiles": quantiles(histogram),
            }
        out[name] = variable
    return {
        "variables": out,
        "how_suppressed": LEFT_OUT,
        "how_combined": "n, means and variances from the nodes' sums and sums "
        "of squares (exact); histograms added up on the edges all nodes share; "
        "quantiles read off that histogram, each within its bin [low, high]",
    }


def _incidence(answers: dict[str, dict]) -> dict:
    shown = {k: a for k, a in answers.items() if "person_days" in a}
    events = sum(a["events"] for a in shown.values())
    days = sum(a["person_days"] for a in shown.values())
    years = days / 365.25
    out = {
        "events": events,
        "person_years": years,
        "persons": sum(a["persons"] for a in shown.values()),
        "suppressed_nodes": sorted(set(answers) - set(shown)),
        "how_suppressed": "a node whose persons or events were masked is left out "
        "(its events and person-time both)",
    }
    if years:
        from scipy.stats import chi2

        low = chi2.ppf(0.025, 2 * events) / 2 if events else 0.0
        high = chi2.ppf(0.975, 2 * events + 2) / 2
        out |= {
            "rate_per_1000_person_years": 1000 * events / years,
            "ci95": [1000 * low / years, 1000 * high / years],
        }
    return out


def _km(answers: dict[str, dict]) -> dict:
    shown = {k: a["intervals"] for k, a in answers.items() if a.get("intervals")}
    out = {
        "suppressed_nodes": sorted(set(answers) - set(shown)),
        "how_suppressed": "a node whose intervals could not all pass its "
        "threshold is left out",
    }
    if not shown:
        return out | {"intervals": []}
    starts = set.intersection(*({i["start"] for i in v} for v in shown.values()))
    edges = sorted(starts)
    rows = []
    survival = 1.0
    for j, start in enumerate(edges):
        end = edges[j + 1] if j + 1 < len(edges) else None
        at_risk = events = censored = 0
        for intervals in shown.values():
            for i in intervals:
                if i["start"] == start:
                    at_risk += i["at_risk"]
                if i["start"] >= start and (end is None or i["start"] < end):
                    events += i["events"]
                    censored += i["censored"]
        survival *= 1 - events / at_risk
        rows.append(
            {
                "start": start,
                "end": end,
                "at_risk": at_risk,
                "events": events,
                "censored": censored,
                "survival": survival,
            }
        )
    return out | {
        "intervals": rows,
        "how_combined": "risk sets added up on the interval starts every node "
        "shares; survival at each interval's end is the product of "
        "(1 - events / at risk) so far, as pooled on the same intervals",
    }


def newton_step(beta: np.ndarray, answers: dict[str, dict]) -> dict:
    """One Newton (IRLS) step from the nodes' gradients and Hessians: the new
    coefficients, the step's size, and the combined figures."""
    gradient = sum(np.asarray(a["gradient"]) for a in answers.values())
    hessian = sum(np.asarray(a["hessian"]) for a in answers.values())
    step = np.linalg.solve(hessian, gradient)
    return {
        "beta": beta + step,
        "step": float(np.abs(step).max()),
        "hessian": hessian,
        "loglik": sum(a.get("loglik", 0.0) for a in answers.values()),
    }


_COMBINE = {
    "count": _count,
    "characterization": _characterization,
    "incidence": _incidence,
    "km": _km,
}
