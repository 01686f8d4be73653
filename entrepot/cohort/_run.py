"""Generating a cohort: compile, compute, write to the results schema, report."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

import ibis

from entrepot.cohort._compiler import compile_definition
from entrepot.cohort._files import load_definition
from entrepot.cohort._model import CohortDefinition
from entrepot.cohort._results import next_cohort_id, replace_cohort
from entrepot.errors import CohortRunError, EntrepotError


@dataclass
class CohortResult:
    """What a run produced (the CLI's `--json`)."""

    cohort_definition_id: int
    count: int  # distinct persons
    entries: int
    person_days: int  # sum of end minus start, in days
    attrition: list[dict]
    seconds: float

    def as_dict(self) -> dict:
        return asdict(self)


def run_cohort(
    wh,
    definition: CohortDefinition | str | Path,
    *,
    cohort_id: int | None = None,
    source: str | None = None,
) -> CohortResult:
    """Generate a cohort into `results.cohort`, replacing any earlier run of it.

    `definition` is a model or a file (YAML, JSON or Circe JSON).
    """
    started = time.perf_counter()
    if not isinstance(definition, CohortDefinition):
        source = source or str(definition)
        definition = load_definition(definition)
    source = source or definition.name
    cohort_id = cohort_id or definition.id or next_cohort_id(wh, definition.name)
    try:
        compiled = compile_definition(wh, definition, source, wh.store.materialize)
        flagged = wh.store.materialize(compiled.flagged)
        attrition = _attrition(compiled, flagged)
        periods = wh.store.materialize(compiled.periods(flagged))
        figures = _figures(periods)
        rows = periods.select(
            cohort_definition_id=ibis.literal(cohort_id, type="int64"),
            subject_id=periods.person_id,
            cohort_start_date=periods.start_date,
            cohort_end_date=periods.end_date,
        )
        replace_cohort(
            wh,
            cohort_id,
            rows,
            definition.model_dump(mode="json"),
            [row | {"cohort_definition_id": cohort_id} for row in attrition],
        )
    except EntrepotError:
        raise
    except Exception as e:  # an engine's error: say which cohort, keep the cause
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CohortRunError(f"{source}: cohort not generated: {first}") from e
    return CohortResult(
        cohort_definition_id=cohort_id,
        attrition=[
            {k: r[k] for k in ("rule", "persons", "entries")} for r in attrition
        ],
        seconds=round(time.perf_counter() - started, 3),
        **figures,
    )


def _attrition(compiled, flagged) -> list[dict]:
    row = compiled.attrition(flagged).to_pyarrow().to_pylist()[0]
    names = ["entry events"] + [r.name for r in compiled.definition.inclusion_rules]
    return [
        {
            "rule_sequence": i,
            "rule_name": name,
            "rule": name,
            "persons": int(row[f"persons_{i}"] or 0),
            "entries": int(row[f"entries_{i}"] or 0),
        }
        for i, name in enumerate(names)
    ]


def _figures(periods) -> dict:
    row = (
        periods.aggregate(
            count=periods.person_id.nunique(),
            entries=periods.count(),
            person_days=periods.end_date.delta(periods.start_date, unit="day").sum(),
        )
        .to_pyarrow()
        .to_pylist()[0]
    )
    return {k: int(v or 0) for k, v in row.items()}


def count_persons(wh, definition: CohortDefinition | str | Path) -> int:
    """Distinct persons a definition selects, computed without writing anything
    (works on a read-only warehouse)."""
    if not isinstance(definition, CohortDefinition):
        definition = load_definition(definition)
    periods = compile_definition(wh, definition, definition.name).periods()
    return int(periods.person_id.nunique().to_pyarrow().as_py())
