"""One patient's timeline (stays, diagnoses, drugs, labs, notes), read within a
project's perimeter: a person outside it does not exist there."""

from __future__ import annotations

from collections import Counter

from entrepot.errors import NotFoundError
from entrepot.privacy import Decision
from entrepot.warehouse.vocabulary import standard, with_labels

MAX_LABS = 12  # tests shown: the most frequent ones
EXCERPT = 300  # characters of each note in the timeline


def _named(wh, t, column: str, *keep):
    """Rows of `t` with the name (and code) of the concept in `column`."""
    return with_labels(wh, t, column).select(*keep, "concept_name", "concept_code")


def _rows(expr, order: str) -> list[dict]:
    return expr.order_by(order).to_pyarrow().to_pylist()


def _day(value) -> str | None:
    return value.isoformat() if value is not None else None


def _person(wh, decision: Decision, person_id: int) -> dict:
    t = decision.table(wh, "person")
    t = t.filter(t.person_id == person_id)
    rows = _rows(
        _named(wh, t, "gender_concept_id", "person_id", "year_of_birth"), "person_id"
    )
    if not rows:
        raise NotFoundError(f"person {person_id}: no such patient in this project")
    row = rows[0]
    return {
        "person_id": row["person_id"],
        "year_of_birth": row["year_of_birth"],
        "sex": row["concept_code"] or None,
    }


def _of(wh, decision: Decision, name: str, person_id: int):
    t = decision.table(wh, name)
    return t.filter(t.person_id == person_id)


def _visits(wh, decision, person_id) -> list[dict]:
    t = _of(wh, decision, "visit_occurrence", person_id)
    rows = _rows(
        _named(wh, t, "visit_concept_id", "visit_occurrence_id",
               "visit_start_date", "visit_end_date"),
        "visit_start_date",
    )  # fmt: skip
    return [
        {
            "id": r["visit_occurrence_id"],
            "start": _day(r["visit_start_date"]),
            "end": _day(r["visit_end_date"]),
            "type": r["concept_name"],
        }
        for r in rows
    ]


def _conditions(wh, decision, person_id) -> list[dict]:
    t = _of(wh, decision, "condition_occurrence", person_id)
    rows = _rows(
        _named(wh, t, "condition_concept_id", "condition_start_date",
               "condition_source_value", "visit_occurrence_id"),
        "condition_start_date",
    )  # fmt: skip
    return [
        {
            "date": _day(r["condition_start_date"]),
            "code": r["concept_code"] or r["condition_source_value"],
            "name": r["concept_name"],
            "visit_id": r["visit_occurrence_id"],
        }
        for r in rows
    ]


def _drugs(wh, decision, person_id) -> list[dict]:
    t = _of(wh, decision, "drug_exposure", person_id)
    rows = _rows(
        _named(wh, t, "drug_concept_id", "drug_exposure_start_date",
               "drug_exposure_end_date", "drug_source_value",
               "visit_occurrence_id"),
        "drug_exposure_start_date",
    )  # fmt: skip
    return [
        {
            "start": _day(r["drug_exposure_start_date"]),
            "end": _day(r["drug_exposure_end_date"]),
            "name": r["concept_name"] or r["drug_source_value"],
            "atc": r["concept_code"],
            "label": r["drug_source_value"],
            "visit_id": r["visit_occurrence_id"],
        }
        for r in rows
    ]


def _labs(wh, decision, person_id) -> list[dict]:
    """Lab results per stay, each stay with its own dates (a 5-day stay is not
    a line on a 10-year axis): one series per test of the patient's most
    frequent MAX_LABS, named in French where the vocabulary has the name."""
    t = _of(wh, decision, "measurement", person_id)
    t = t.filter(t.value_as_number.notnull())
    named = with_labels(wh, t, "measurement_concept_id", language=standard.FRENCH)
    rows = _rows(
        named.select("measurement_concept_id", "visit_occurrence_id",
                     "measurement_date", "value_as_number", "unit_source_value",
                     "range_low", "range_high", "concept_name", "concept_code"),
        "measurement_date",
    )  # fmt: skip
    counts = Counter(r["measurement_concept_id"] for r in rows)
    kept = {c: i for i, (c, _) in enumerate(counts.most_common(MAX_LABS))}
    stays: dict[int | None, dict] = {}
    for r in rows:
        c = r["measurement_concept_id"]
        if c not in kept:
            continue
        stay = stays.setdefault(r["visit_occurrence_id"], {})
        if c not in stay:
            stay[c] = {
                "concept_id": c,
                "name": r["concept_name"] or r["concept_code"] or str(c),
                "unit": r["unit_source_value"],
                "low": r["range_low"],
                "high": r["range_high"],
                "points": [],
            }
        stay[c]["points"].append([_day(r["measurement_date"]), r["value_as_number"]])
    spans = _spans(wh, decision, person_id)
    found = [_stay(v, series, spans, kept) for v, series in stays.items()]
    return sorted(found, key=lambda s: (s["start"], s["end"]))


def _spans(wh, decision, person_id) -> dict[int, tuple[str, str | None]]:
    """Each stay's dates, where the perimeter shows stays."""
    if decision.visible(wh, "visit_occurrence") is None:
        return {}
    return {v["id"]: (v["start"], v["end"]) for v in _visits(wh, decision, person_id)}


def _stay(visit, series: dict, spans: dict, order: dict) -> dict:
    """One stay's lab series and its dates: the stay's, else its results' (no
    stay recorded, or one outside the perimeter)."""
    days = [d for s in series.values() for d, _ in s["points"]]
    start, end = spans.get(visit, (min(days), max(days)))
    return {
        "visit_id": visit,
        "start": start,
        "end": end or max(days),
        "series": sorted(series.values(), key=lambda s: order[s["concept_id"]]),
    }


def _notes(wh, decision, person_id) -> list[dict]:
    t = _of(wh, decision, "note", person_id)
    t = t.select(
        "note_id", "note_date", "note_title", text=t.note_text.substr(0, EXCERPT)
    )
    return [
        {"id": r["note_id"], "date": _day(r["note_date"]), "title": r["note_title"],
         "text": r["text"]}
        for r in _rows(t, "note_date")
    ]  # fmt: skip


SECTIONS = {
    "visits": ("visit_occurrence", _visits),
    "conditions": ("condition_occurrence", _conditions),
    "drugs": ("drug_exposure", _drugs),
    "labs": ("measurement", _labs),
    "notes": ("note", _notes),
}


def timeline(wh, decision: Decision, person_id: int) -> dict:
    """The patient's data in the perimeter; sections of tables the project may
    not see are null."""
    found = {"person": _person(wh, decision, person_id)}
    for key, (table, read) in SECTIONS.items():
        found[key] = (
            read(wh, decision, person_id)
            if decision.visible(wh, table) is not None
            else None
        )
    return found


def patient_note(
    wh, decision: Decision, person_id: int, note_id: int, query: str | None = None
) -> dict:
    """One note of the patient, whole (NotFoundError outside the perimeter),
    with where `query`'s words are (`highlights`: [start, end]) and its
    passages that a search leaves out by default (`passages`: start, end and
    context: negated, hypothesis or family), as offsets into its text."""
    from entrepot.search import DEFAULT_EXCLUDE, contexts, highlights

    _person(wh, decision, person_id)
    t = _of(wh, decision, "note", person_id)
    rows = t.filter(t.note_id == note_id).to_pyarrow().to_pylist()
    if not rows:
        raise NotFoundError(f"note {note_id}: no such note of this patient")
    r = rows[0]
    text = r["note_text"] or ""
    return {
        "id": note_id,
        "date": _day(r["note_date"]),
        "title": r["note_title"],
        "text": r["note_text"],
        "highlights": [list(h) for h in highlights(text, query)] if query else [],
        "passages": [
            {"start": a, "end": b, "context": c}
            for a, b, c in contexts(text)
            if c in DEFAULT_EXCLUDE
        ],
    }
