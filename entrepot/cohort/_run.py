"""Generating a cohort: compile, compute, write to the results schema, report."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from pathlib import Path

from entrepot.cohort._compiler import compile_definition, resolve
from entrepot.cohort._files import load_definition
from entrepot.cohort._generate import attrition_rows, generate
from entrepot.cohort._model import CohortDefinition
from entrepot.cohort._results import definition_row, next_cohort_id
from entrepot.errors import CohortRunError, EntrepotError
from entrepot.privacy import Decision


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
    decision: Decision | None = None,
) -> CohortResult:
    """Generate a cohort into `results.cohort`, replacing any earlier run of it.

    `definition` is a model or a file (YAML, JSON or Circe JSON). Its criteria
    read the rows `decision` may read (the release gate's rule: within a
    project, only the research studies granted it); without one, every row.
    """
    started = time.perf_counter()
    if not isinstance(definition, CohortDefinition):
        source = source or str(definition)
        definition = load_definition(definition)
    source = source or definition.name
    cohort_id = cohort_id or definition.id or next_cohort_id(wh, definition.name)
    try:
        ctx = resolve(wh, definition, source, decision)
        header = definition_row(cohort_id, definition.model_dump(mode="json"))
        figures = generate(wh, ctx, definition, cohort_id, header)
    except EntrepotError:
        raise
    except Exception as e:  # an engine's error: say which cohort, keep the cause
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise CohortRunError(f"{source}: cohort not generated: {first}") from e
    return CohortResult(
        cohort_definition_id=cohort_id,
        count=figures["count"],
        entries=figures["entries"],
        person_days=figures["person_days"],
        attrition=[
            {k: r[k] for k in ("rule", "persons", "entries")}
            for r in attrition_rows(definition, figures)
        ],
        seconds=round(time.perf_counter() - started, 3),
    )


def count_persons(
    wh, definition: CohortDefinition | str | Path, decision: Decision | None = None
) -> int:
    """Distinct persons a definition selects on the rows `decision` may read
    (as `run_cohort`), computed without writing anything (works on a
    read-only warehouse)."""
    if not isinstance(definition, CohortDefinition):
        definition = load_definition(definition)
    compiled = compile_definition(wh, definition, definition.name, decision)
    periods = compiled.periods()
    return int(periods.person_id.nunique().to_pyarrow().as_py())
