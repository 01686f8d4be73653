"""The people of a task, their index date and their hidden label.

Each builder reads the synthetic hospital (and its ground truth,
`synth_truth`) as Ibis expressions and returns an Arrow table `person_id`,
`index_date` (null: nothing is cut) and `label` (text), sorted by person.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pyarrow as pa

from entrepot.datathon._task import Task

SKIN_EVENT = "L271"  # drug_events' toxidermie, undotted as synth_truth keeps it


def _truth(wh, module: str) -> ir.Table:
    t = wh.table("synth_truth")
    return t.filter(t.module == module)


def heart_failure_stay(wh, task: Task) -> ir.Table:
    """Alive at the end of a first stay coded I50 (the index date), with a
    full horizon of follow-up in the hospital's years; label 1 when they die
    within the horizon."""
    cond, concept, visit = (
        wh.table(n) for n in ("condition_occurrence", "concept", "visit_occurrence")
    )
    hf = cond.join(concept, cond.condition_concept_id == concept.concept_id)
    hf = hf.filter(concept.concept_code.startswith("I50"))
    stays = hf.join(visit, hf.visit_occurrence_id == visit.visit_occurrence_id)
    first = stays.group_by(person_id=hf.person_id).aggregate(
        index_date=visit.visit_end_date.min()
    )
    period = wh.table("observation_period")
    last = period.observation_period_end_date.max().as_scalar()
    death = wh.table("death").select("person_id", "death_date")
    rows = first.left_join(death, "person_id")
    horizon = ibis.interval(days=task.labels.horizon_days)
    rows = rows.filter(
        rows.death_date.isnull() | (rows.death_date > rows.index_date),
        rows.index_date + horizon <= last,
    )
    died = rows.death_date.notnull() & (rows.death_date <= rows.index_date + horizon)
    return rows.select(
        "person_id", "index_date", label=died.cast("int8").cast("string")
    )


def skin_reaction_notes(wh, task: Task) -> ir.Table:
    """Everyone with a note; label 1 for a drug-induced skin reaction (the
    module's patients, and drug_events' induced toxidermies)."""
    note = wh.table("note")
    people = note.select("person_id").distinct()
    module = _truth(wh, "drug_skin_reaction").select("person_id")
    events = _truth(wh, "drug_events")
    events = events.filter(events.subtype == "induced", events.event_code == SKIN_EVENT)
    cases = (
        module.union(events.select("person_id")).distinct().mutate(case=ibis.literal(1))
    )
    rows = people.left_join(cases, "person_id")
    label = rows.case.notnull().cast("int8").cast("string")
    return rows.select(rows.person_id, index_date=ibis.null("date"), label=label)


def module(wh, task: Task) -> ir.Table:
    """The patients of a disease module; label their planted subtype."""
    t = _truth(wh, task.cohort.module)
    rows = t.group_by("person_id").aggregate(label=t.subtype.min())
    return rows.select("person_id", index_date=ibis.null("date"), label=rows.label)


def brain_mri(wh, task: Task) -> ir.Table:
    """The patients with a brain MRI report; label the fields true in their
    first report, sorted and joined by ';' (empty: none)."""
    t = _truth(wh, "brain_mri")
    first = t.group_by("person_id").aggregate(first=t.note_id.min())
    t = t.join(first, (t.person_id == first.person_id) & (t.note_id == first.first))
    true = t.filter(t.value == "true")
    fields = true.group_by("person_id").aggregate(
        label=true.field.collect(order_by=true.field)
    )
    rows = first.left_join(fields, "person_id")
    label = ibis.coalesce(rows.label.join(";"), ibis.literal(""))
    return rows.select(rows.person_id, index_date=ibis.null("date"), label=label)


BUILDERS = {
    "heart_failure_stay": heart_failure_stay,
    "skin_reaction_notes": skin_reaction_notes,
    "module": module,
    "brain_mri": brain_mri,
}


def task_cohort(wh, task: Task) -> pa.Table:
    """The task's people, index dates and labels, sorted by person."""
    rows = BUILDERS[task.cohort.kind](wh, task).order_by("person_id")
    return rows.to_pyarrow()


def mri_fields(wh) -> list[str]:
    """Every field of the brain MRI reports' gold values."""
    t = _truth(wh, "brain_mri")
    return sorted(t.select("field").distinct().to_pyarrow()["field"].to_pylist())
