"""The web builder's live counts: a nested definition with 8 criteria and 2
temporal constraints counted part by part (`POST /api/cohorts/count`'s work:
the entry events, each rule, group, criterion and demographic, the attrition
and the cohort) on a synthetic hospital. Target: under 1 s at 100,000
patients, with cold parameters (every value new: the statements' shapes
compiled before, `new_values_seconds`); the first count of a process
compiles them too (`cold_seconds`). Baseline, measured in the same run:
counting the cohort's persons alone (`count_persons`, one query);
`new_values_ratio` and `ratio` are those times over it.

    python bench/builder.py [--patients 100000] [--repeat 3] [--folder F]
                            [--warehouse eds.duckdb] [--json out.json]

`--warehouse` measures on an existing warehouse (opened read-only: the
counts write only temporary tables), `--patients` then being its size.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path

from entrepot.cohort import count_persons
from entrepot.cohort._counts import count_parts
from entrepot.cohort._files import definition_from_data
from entrepot.warehouse import Warehouse

TARGET_SECONDS = 1.0


def _codes(vocabulary: str, *codes: str) -> dict:
    return {
        "items": [
            {"vocabulary": vocabulary, "code": c, "descendants": True} for c in codes
        ]
    }


def _in(event: dict, start: int | str, end: int | str, **more) -> dict:
    """A criterion: `event` from `start` to `end` days around the index."""
    return {"event": event, "window": {"start": start, "end": end}, **more}


#: Hypertension, treated (an ACE inhibitor or sartan; or furosemide with a
#: potassium test within 7 days after starting it), with at least 2 of: a
#: systolic pressure of 140 or more around the index, a low sodium, a lipid
#: disorder; adult, never diabetic, and a hospital stay in the year after or
#: chest pain with a heart rate taken the same day or the next.
NESTED = {
    "name": "hypertension, treated, checked, not diabetic",
    "concept_sets": {
        "htn": _codes("CIM10", "I10"),
        "raas": _codes("ATC", "C09"),
        "furosemide": _codes("ATC", "C03CA01"),
        "potassium": _codes("LOINC", "2823-3"),
        "systolic": _codes("LOINC", "8480-6"),
        "sodium": _codes("LOINC", "2951-2"),
        "lipids": _codes("CIM10", "E78"),
        "diabetes": _codes("CIM10", "E11"),
        "inpatient": {"items": [{"concept_id": 9201}]},
        "chest_pain": _codes("CIM10", "R07.4"),
        "heart_rate": _codes("LOINC", "8867-4"),
    },
    "entry": {"events": [{"condition": {"concept_set": "htn", "first": True}}]},
    "inclusion_rules": [
        {
            "name": "treated",
            "criteria": {
                "type": "any",
                "criteria": [
                    _in({"drug": {"concept_set": "raas"}}, -365, 365),
                    _in(
                        {
                            "drug": {
                                "concept_set": "furosemide",
                                "criteria": {
                                    "criteria": [
                                        _in(
                                            {
                                                "measurement": {
                                                    "concept_set": "potassium"
                                                }
                                            },
                                            0,
                                            7,
                                        )
                                    ]
                                },
                            }
                        },
                        -365,
                        365,
                    ),
                ],
            },
        },
        {
            "name": "checked",
            "criteria": {
                "type": "at_least",
                "count": 2,
                "criteria": [
                    _in(
                        {
                            "measurement": {
                                "concept_set": "systolic",
                                "value": {"gte": 140},
                            }
                        },
                        -30,
                        30,
                    ),
                    _in(
                        {
                            "measurement": {
                                "concept_set": "sodium",
                                "value": {"lt": 135},
                            }
                        },
                        "observation_start",
                        "observation_end",
                    ),
                    {"event": {"condition": {"concept_set": "lipids"}}},
                ],
            },
        },
        {
            "name": "adult, never diabetic, a stay or chest pain",
            "criteria": {
                "criteria": [
                    {
                        "event": {"condition": {"concept_set": "diabetes"}},
                        "occurrence": {"type": "at_most", "count": 0},
                    }
                ],
                "demographics": [{"age": {"gte": 18}}],
                "groups": [
                    {
                        "type": "any",
                        "criteria": [
                            _in({"visit": {"concept_set": "inpatient"}}, 0, 365),
                            {
                                "event": {
                                    "condition": {
                                        "concept_set": "chest_pain",
                                        "criteria": {
                                            "criteria": [
                                                _in(
                                                    {
                                                        "measurement": {
                                                            "concept_set": "heart_rate"
                                                        }
                                                    },
                                                    0,
                                                    1,
                                                )
                                            ]
                                        },
                                    }
                                }
                            },
                        ],
                    }
                ],
            },
        },
    ],
}


def definition():
    """The nested definition, validated."""
    return definition_from_data(NESTED, "bench/builder.py")


def _new_values(k: int):
    """The nested definition with every value new (its windows, thresholds
    and age moved by `k`): cold parameters, as clinicians editing the
    builder send, with the criteria of a definition counted before."""
    data = json.loads(json.dumps(NESTED))
    treated, checked, rest = (r["criteria"] for r in data["inclusion_rules"])
    treated["criteria"][0]["window"] = {"start": -365 - k, "end": 365 + k}
    inner = treated["criteria"][1]["event"]["drug"]["criteria"]["criteria"][0]
    inner["window"]["end"] = 7 + k
    systolic, sodium = checked["criteria"][0], checked["criteria"][1]
    systolic["event"]["measurement"]["value"] = {"gte": 140 + k}
    systolic["window"] = {"start": -30 - k, "end": 30 + k}
    sodium["event"]["measurement"]["value"] = {"lt": 135 - k}
    rest["demographics"][0]["age"] = {"gte": 18 + k}
    rest["groups"][0]["criteria"][0]["window"]["end"] = 365 + k
    return definition_from_data(data, "bench/builder.py")


def _timed(work) -> tuple[float, object]:
    started = time.perf_counter()
    found = work()
    return time.perf_counter() - started, found


def measure(wh: Warehouse, repeat: int = 3) -> dict:
    """Times of the live counts: cold (the first count of the process:
    every part built and compiled), on another connection to the same
    warehouse (as a server reader counts what another counted), with every
    value new (cold parameters: the parts built again, their statements'
    shapes compiled before; the median of `repeat`), warm (the same
    definition again); and of the baseline, the cohort's persons alone."""
    nested = definition()
    count_persons(wh, definition_from_data(NESTED | {"inclusion_rules": []}, "x"))
    cold, counts = _timed(lambda: count_parts(wh, nested))
    reader = wh.reader()  # another connection, as the server's readers are
    elsewhere = _timed(lambda: count_parts(reader, nested))[0] if reader else None
    new_values, warm, baseline = [], float("inf"), float("inf")
    for i in range(repeat):
        other = _new_values(1 + i)
        new_values.append(_timed(lambda: count_parts(wh, other))[0])  # noqa: B023
        warm = min(warm, _timed(lambda: count_parts(wh, nested))[0])
        seconds, persons = _timed(lambda: count_persons(wh, nested))
        baseline = min(baseline, seconds)
    return {
        "criteria": 8,
        "temporal_constraints": 2,
        "parts": len(counts.persons),
        "persons": len(counts.persons["cohort"]),
        "persons_baseline": persons,
        "attrition": [s["persons"] for s in counts.attrition],
        "cold_seconds": round(cold, 4),
        "new_values_seconds": round(statistics.median(new_values), 4),
        "other_connection_seconds": elsewhere and round(elsewhere, 4),
        "seconds": round(warm, 4),
        "baseline_seconds": round(baseline, 4),
        "ratio": round(cold / baseline, 3),
        "new_values_ratio": round(statistics.median(new_values) / baseline, 3),
        "target_seconds": TARGET_SECONDS,
    }


def run(
    patients: int = 100_000,
    repeat: int = 3,
    seed: int = 7,
    folder: Path | None = None,
    warehouse: Path | None = None,
) -> dict:
    """Build a synthetic hospital (or reuse one in `folder`, or measure on
    `warehouse`), then measure."""
    from bench.cohort import warehouse_path
    from entrepot.synth import generate_hospital

    if warehouse is not None:
        with Warehouse.open(warehouse, read_only=True) as wh:
            persons = wh.table("person").count().to_pyarrow().as_py()
            return {"patients": persons} | measure(wh, repeat)
    with tempfile.TemporaryDirectory() as scratch:
        path = warehouse_path(Path(folder or scratch), patients)
        if not path.exists():
            generate_hospital(str(path), patients=patients, seed=seed, notes=False)
        with Warehouse.open(path) as wh:
            return {"patients": patients} | measure(wh, repeat)


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--patients", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--folder", type=Path, help="keep the warehouse here")
    parser.add_argument("--warehouse", type=Path, help="measure on this warehouse")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args(argv)
    f = run(args.patients, args.repeat, folder=args.folder, warehouse=args.warehouse)
    target = f["target_seconds"]

    def verdict(seconds: float) -> str:
        return "met" if seconds < target else "MISSED"

    print(
        f"nested definition ({f['criteria']} criteria, {f['temporal_constraints']} "
        f"temporal constraints, {f['parts']} parts counted) at {f['patients']:,} "
        f"patients (target {target:.0f} s): {f['new_values_seconds']:.3f} s with "
        f"every value new ({verdict(f['new_values_seconds'])}), "
        f"{f['cold_seconds']:.3f} s cold, first in the process "
        f"({verdict(f['cold_seconds'])}), {f['other_connection_seconds'] or 0:.3f} "
        f"s on another connection, {f['seconds']:.3f} s warm; the cohort's "
        f"persons alone (baseline) {f['baseline_seconds']:.3f} s, ratio "
        f"new values/baseline {f['new_values_ratio']:.2f}, cold/baseline "
        f"{f['ratio']:.2f}; {f['persons']:,} persons, attrition {f['attrition']}"
    )
    if args.json:
        args.json.write_text(json.dumps(f, indent=2))
    return f


if __name__ == "__main__":
    main()
