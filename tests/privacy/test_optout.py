import pyarrow as pa

from entrepot.ingest import ingest_raw, read_extract
from entrepot.privacy import (
    on_optout,
    optout_add,
    optout_list,
    optout_remove,
    person_id,
)
from tests.privacy.conftest import KEY


def _rows_of(wh, pid: int) -> dict[str, int]:
    out = {}
    for name in ("person", "visit_occurrence", "measurement", "note", "drug_exposure"):
        t = wh.table(name)
        out[name] = int(t.filter(t.person_id == pid).count().execute())
    return out


def _busy_patient(hospital) -> str:
    docs = read_extract(hospital / "raw" / "documents.csv")
    return max(set(docs["ipp"].to_pylist()), key=docs["ipp"].to_pylist().count)


def test_an_opted_out_patient_is_erased_everywhere_and_never_comes_back(
    hospital, ingested
):
    ipp = _busy_patient(hospital)
    pid = person_id(KEY, ipp)
    notes = ingested.table("note")
    note_ids = notes.filter(notes.person_id == pid).note_id.to_pyarrow().to_pylist()
    cohort = pa.table(
        {
            "cohort_definition_id": pa.array([1, 1], pa.int64()),
            "subject_id": pa.array([pid, 7], pa.int64()),
            "cohort_start_date": pa.array([None, None], pa.date32()),
            "cohort_end_date": pa.array([None, None], pa.date32()),
        }
    )
    with ingested.store.transaction() as tx:
        tx.append("results", "cohort", ingested.store.from_arrow(cohort))
    called = []
    on_optout(lambda wh, ids: called.append(ids))
    assert all(_rows_of(ingested, pid).values())

    result = optout_add(ingested, KEY, [ipp], user="dpo")
    assert result["patients"] == 1 and result["rows_removed"]["note"] == len(note_ids)
    assert not any(_rows_of(ingested, pid).values())
    assert ingested.count("cohort") == 1
    assert called[-1] == [pid]
    assert [r["person_id"] for r in optout_list(ingested)] == [pid]
    assert ipp not in str(optout_list(ingested))

    ingest_raw(ingested, hospital / "raw", key=KEY)  # a later reload
    assert not any(_rows_of(ingested, pid).values())
    actions = ingested.table("audit_log").action.to_pyarrow().to_pylist()
    assert "optout.add" in actions

    optout_remove(ingested, KEY, [ipp], user="dpo")
    ingest_raw(ingested, hospital / "raw", key=KEY)
    assert _rows_of(ingested, pid)["note"] == len(note_ids)
