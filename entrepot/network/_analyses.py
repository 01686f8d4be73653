"""What a node computes for a study: aggregates only, each cell passing its
release gate's threshold (`Decision.mask_below`, T below).

- count: persons, entries and attrition, masked ("<T");
- characterization: per variable n, sum and sum of squares (released when
  n >= T), and a histogram whose base bins are widened until each holds T
  persons at least;
- incidence: persons at risk (no outcome before the index), events and
  person-days;
- km: persons at risk, events and censored per interval of follow-up,
  intervals widened so that every released cell is 0 or >= T (the last one
  open-ended);
- logistic: for the hub's coefficients, the gradient and Hessian of the
  log-likelihood summed over the node's persons (`logistic_round`);
- fedavg: for the hub's weights, the node's weights after local training
  and its number of training persons; on the last round, its test AUROC
  and AUPRC and its test scores as counts per score bin (`fedavg_answer`,
  `_federated`).

Person-level rows are read here, on the node, and never leave it. The
persons each study counts go through the gate's differencing defence, with
those of every study the node answered: a count's figures are worked out on
the persons its count shown counts; the other analyses, whose figures are
worked out on the cohort's own persons, are refused when the defence had to
change who they count (`_release`).
"""

from __future__ import annotations

import numpy as np

from entrepot.errors import DisclosureError
from entrepot.network._study import VARIABLES

MALE = 8507  # OMOP gender concept
#: The largest value of each column of the design (the intercept, age in
#: decades, clipped, and male): the noise's bounds rest on these, not on data.
RANGE = {"intercept": 1.0, "age": 12.0, "male": 1.0}


def _definition(data: dict, source: str):
    from entrepot.cohort import definition_from_data

    return definition_from_data(data, source)


def _compiled(wh, data: dict, source: str):
    from entrepot.cohort import compile_definition

    definition = _definition(data, source)
    return compile_definition(wh, definition, source)


def periods(wh, study: dict):
    """The target cohort's periods with age, sex and the first outcome date."""
    target = _compiled(wh, study["cohort"], "cohort").periods()
    person = wh.table("person")
    rows = target.join(person, "person_id").select(
        target.person_id,
        target.start_date,
        target.end_date,
        age=(target.start_date.year() - person.year_of_birth).cast("float64"),
        male=(person.gender_concept_id == MALE).cast("int64"),
    )
    outcome = study["parameters"].get("outcome")
    if outcome is not None:
        o = _compiled(wh, outcome, "parameters.outcome").periods()
        first = o.group_by("person_id").aggregate(outcome_date=o.start_date.min())
        rows = rows.left_join(first, "person_id").drop("person_id_right")
    return rows


def count(wh, study: dict, decision) -> dict:
    from entrepot.cohort import attrition_rows

    definition = _definition(study["cohort"], "cohort")
    compiled = _compiled(wh, study["cohort"], "cohort")
    persons = np.asarray(compiled.periods().person_id.to_pyarrow(), np.int64)
    shown, ids = decision.release(wh, persons, "network.count", _asked(study))
    entries = _entries(persons, ids)
    figures = compiled.attrition().to_pyarrow().to_pylist()[0]
    attrition = [
        {k: r[k] for k in ("rule", "persons", "entries")}
        for r in attrition_rows(definition, figures)
    ]
    return {
        "count": shown,
        "entries": decision.mask(entries),
        "attrition": decision.attrition(attrition, len(ids), entries),
    }


def _entries(persons: np.ndarray, counted: np.ndarray) -> int:
    """The entries (periods, one per row of `persons`) of the persons a count
    released by the gate counts: a person the defence moved out is left
    out, one it moved in counts one entry."""
    moved_in = np.setdiff1d(counted, persons)
    return int(np.isin(persons, counted).sum()) + len(moved_in)


def _release(wh, decision, persons, what: str, parameters: dict) -> int | str:
    """The number of distinct `persons` as the gate shows it, audited as
    `release.network.WHAT`; refused (DisclosureError) when the differencing
    defence had to move persons in or out: the figures shown beside it are
    worked out on the study's own persons and would give them back."""
    wanted = np.unique(np.asarray(persons, np.int64))
    shown, counted = decision.release(wh, wanted, f"network.{what}", parameters)
    if not np.array_equal(counted, wanted):
        raise DisclosureError(
            "refused by the differencing defence: with the studies this node "
            f"answered before, its figures would reveal a group of fewer than "
            f"{decision.mask_below} persons"
        )
    return shown


def characterization(wh, study: dict, decision) -> dict:
    rows = periods(wh, study).to_pyarrow()
    _release(wh, decision, rows["person_id"], "characterization", _asked(study))
    values = {
        "age": np.asarray(rows["age"], float),
        "follow_up_days": _days(rows["end_date"], rows["start_date"]),
    }
    threshold = decision.mask_below or 1
    bins = study["parameters"].get("bins", {})
    out = {}
    for name in study["parameters"].get("variables", ["age"]):
        x = values[name][~np.isnan(values[name])]
        if len(x) < threshold:
            out[name] = {"n": decision.mask(len(x))}
            continue
        width = float(bins.get(name, VARIABLES[name]))
        out[name] = {
            "n": len(x),
            "sum": float(x.sum()),
            "sum_of_squares": float((x * x).sum()),
            "histogram": widened_histogram(x, width, threshold),
        }
    return {"variables": out}


def widened_histogram(x: np.ndarray, width: float, threshold: int) -> list[list]:
    """[[low, high, count]] on edges that are multiples of `width`, adjacent
    bins merged until each holds `threshold` values at least."""
    base = np.floor(x / width).astype(np.int64)
    keys, counts = np.unique(base, return_counts=True)
    bins: list[list] = []
    for key, n in zip(keys.tolist(), counts.tolist(), strict=True):
        if bins and bins[-1][2] < threshold:
            bins[-1][1], bins[-1][2] = (key + 1) * width, bins[-1][2] + n
        else:
            bins.append([key * width, (key + 1) * width, n])
    if len(bins) > 1 and bins[-1][2] < threshold:
        last = bins.pop()
        bins[-1][1], bins[-1][2] = last[1], bins[-1][2] + last[2]
    return bins


def _days(end, start) -> np.ndarray:
    e = np.asarray(end, dtype="datetime64[D]")
    s = np.asarray(start, dtype="datetime64[D]")
    return (e - s).astype(float)


def follow_up(rows) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For periods with no outcome before their start: days of follow-up (to
    the outcome or the period's end), whether it ended with the outcome, and
    the mask of periods kept."""
    start = np.asarray(rows["start_date"], dtype="datetime64[D]")
    end = np.asarray(rows["end_date"], dtype="datetime64[D]")
    outcome = np.asarray(rows["outcome_date"], dtype="datetime64[D]")
    has = ~np.isnat(outcome)
    kept = ~(has & (outcome < start))
    event = has & (outcome >= start) & (outcome <= end)
    stop = np.where(event, outcome, end)
    days = (stop - start).astype(float)
    return days[kept], event[kept], kept


def incidence(wh, study: dict, decision) -> dict:
    rows = periods(wh, study).to_pyarrow()
    days, event, kept = follow_up(rows)
    ids = np.asarray(rows["person_id"])[kept]
    shown = _release(wh, decision, ids, "incidence", _asked(study))
    events = int(event.sum())
    masked = decision.mask(events)
    out = {"persons": shown, "events": masked}
    if (
        isinstance(shown, int)
        and shown >= (decision.mask_below or 1)
        and masked == events
    ):
        out["person_days"] = float(days.sum())
    return out


def km(wh, study: dict, decision) -> dict:
    rows = periods(wh, study).to_pyarrow()
    days, event, kept = follow_up(rows)
    width = int(study["parameters"].get("interval_days", 365))
    _release(wh, decision, np.asarray(rows["person_id"])[kept], "km", _asked(study))
    intervals = risk_sets(days, event, width, decision.mask_below or 1)
    if intervals is None:
        return {"persons": decision.mask(len(days)), "intervals": None}
    return {"persons": len(days), "intervals": intervals}


def risk_sets(days, event, width: int, threshold: int) -> list[dict] | None:
    """[{start, end, at_risk, events, censored}] on multiples of `width` days,
    widened so that each cell is 0 or >= `threshold` (the last interval's end
    is None: open); None when no such intervals exist."""
    if len(days) < threshold:
        return None
    k = (days // width).astype(np.int64)
    last = int(k.max()) + 1
    d = np.bincount(k[event], minlength=last)
    c = np.bincount(k[~event], minlength=last)
    at_risk = len(days) - np.concatenate([[0], np.cumsum(d + c)[:-1]])

    def passes(n: int) -> bool:
        return n == 0 or n >= threshold

    groups: list[list[int]] = []  # [first base interval, events, censored]
    for i in range(last):
        if groups and not (passes(groups[-1][1]) and passes(groups[-1][2])):
            groups[-1][1] += int(d[i])
            groups[-1][2] += int(c[i])
        elif at_risk[i] >= threshold or not groups:
            groups.append([i, int(d[i]), int(c[i])])
        else:
            groups[-1][1] += int(d[i])
            groups[-1][2] += int(c[i])
    while len(groups) > 1 and not (passes(groups[-1][1]) and passes(groups[-1][2])):
        tail = groups.pop()
        groups[-1][1] += tail[1]
        groups[-1][2] += tail[2]
    if not (passes(groups[-1][1]) and passes(groups[-1][2])):
        return None
    starts = [g[0] for g in groups]
    return [
        {
            "start": s * width,
            "end": starts[j + 1] * width if j + 1 < len(groups) else None,
            "at_risk": int(at_risk[s]),
            "events": g[1],
            "censored": g[2],
        }
        for j, (s, g) in enumerate(zip(starts, groups, strict=True))
    ]


def design(wh, study: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The logistic model's design matrix (an intercept, then the study's
    covariates: age in decades, male), outcome and person, one row per
    period with no outcome before its start."""
    rows = periods(wh, study).to_pyarrow()
    days, event, kept = follow_up(rows)
    window = study["parameters"].get("window_days")
    y = event & (days <= window) if window else event
    columns = [np.ones(int(kept.sum()))]
    for name in study["parameters"].get("covariates", ["age", "male"]):
        x = np.asarray(rows[name], float)[kept]
        columns.append(np.clip(x / 10, 0, RANGE["age"]) if name == "age" else x)
    persons = np.asarray(rows["person_id"], np.int64)[kept]
    return np.column_stack(columns), y.astype(float), persons


def logistic_round(wh, study: dict, decision, data, beta: list[float]) -> dict:
    """Gradient and Hessian of the log-likelihood at `beta`, summed over the
    node's persons; refused (masked counts) when the persons, the events or
    the non-events are fewer than T. With `parameters.privacy`, noise is
    added to both (`_noisy`)."""
    x, y, persons = data
    threshold = decision.mask_below or 1
    n, events = len(y), int(y.sum())
    _release(wh, decision, persons, "logistic", _asked(study) | {"beta": beta})
    if min(n, events, n - events) < threshold:
        return {"n": decision.mask(n), "events": decision.mask(events)}
    b = np.asarray(beta, float)
    if b.shape != (x.shape[1],):
        from entrepot.errors import StudyError

        raise StudyError(f"beta: {x.shape[1]} coefficients expected")
    p = 1 / (1 + np.exp(-(x @ b)))
    gradient = x.T @ (y - p)
    hessian = (x * (p * (1 - p))[:, None]).T @ x
    eps = 1e-300
    loglik = float(np.sum(y * np.log(p + eps) + (1 - y) * np.log(1 - p + eps)))
    out = {"n": n, "events": events}
    noise = study["parameters"].get("privacy")
    if noise:
        names = ["intercept", *study["parameters"].get("covariates", ["age", "male"])]
        top = np.array([RANGE[k] for k in names])
        gradient, hessian, stated = _noisy(top, gradient, hessian, noise)
        out["privacy"] = stated
    else:
        out["loglik"] = loglik
    return out | {"gradient": gradient.tolist(), "hessian": hessian.tolist()}


def _noisy(top: np.ndarray, gradient, hessian, noise: dict):
    """Gradient and Hessian with Gaussian or Laplace noise, for an
    (epsilon, delta) per round split evenly between them. Replacing one
    person changes the gradient by at most 2‖x‖ and the Hessian by at most
    ‖x‖²/2 (L2 norms for Gaussian noise, L1 for Laplace), x being the largest
    row the design allows (`top`, from `RANGE`)."""
    rng = np.random.default_rng(noise.get("seed"))
    bound = float(np.linalg.norm(top, ord=1 if noise["mechanism"] == "laplace" else 2))
    epsilon, delta = noise["epsilon"] / 2, noise.get("delta", 1e-5) / 2
    out = []
    for value, sensitivity in ((gradient, 2 * bound), (hessian, bound**2 / 2)):
        if noise["mechanism"] == "laplace":
            draw = rng.laplace(0, sensitivity / epsilon, value.shape)
        else:
            sigma = sensitivity * np.sqrt(2 * np.log(1.25 / delta)) / epsilon
            draw = rng.normal(0, sigma, value.shape)
        out.append(value + draw)
    hessian = (out[1] + out[1].T) / 2
    stated = {
        "mechanism": noise["mechanism"],
        "epsilon": noise["epsilon"],
        "delta": noise.get("delta", 1e-5) if noise["mechanism"] == "gaussian" else 0,
    }
    return out[0], hessian, stated


def fedavg_answer(wh, study: dict, decision, data, asked: dict) -> dict:
    """One FedAvg round: the node's number of training persons and events,
    and its weights trained from `asked["weights"]` (none asked: the
    figures only; `asked["last"]`: its test figures instead). A node
    whose training persons, events or non-events are fewer than T takes no
    part: it answers them masked, and says so."""
    from entrepot.errors import StudyError
    from entrepot.network._federated import evaluation, fedavg_round, test_split

    x, y, persons = data
    parameters = study["parameters"]
    threshold = decision.mask_below or 1
    train = ~test_split(persons, parameters["seed"], parameters["test_fraction"])
    n, events = int(train.sum()), int(y[train].sum())
    _release(
        wh, decision, persons, "fedavg", _asked(study) | {"round": asked.get("round")}
    )
    if min(n, events, n - events) < threshold:
        return {
            "n": decision.mask(n),
            "events": decision.mask(events),
            "detail": f"fewer than {threshold} training persons, events or "
            "non-events: this node takes no part",
        }
    out = {"n": n, "events": events}
    weights = asked.get("weights")
    if weights is None:
        return out
    round_ = asked.get("round", 0)
    if not (
        isinstance(weights, list)
        and len(weights) == x.shape[1]
        and all(isinstance(w, int | float) for w in weights)
        and isinstance(round_, int)
    ):
        raise StudyError(f"weights: {x.shape[1]} numbers expected, and a round")
    if asked.get("last"):
        return out | evaluation(data, parameters, weights, threshold)
    return out | {"weights": fedavg_round(data, parameters, weights, round_)}


def _asked(study: dict) -> dict:
    return {"study": study.get("study_id"), "name": study.get("name")}


ANALYSES = {
    "count": count,
    "characterization": characterization,
    "incidence": incidence,
    "km": km,
}
