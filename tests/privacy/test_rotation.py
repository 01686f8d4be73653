import pyarrow as pa
import pytest

from entrepot.errors import KeyFileError
from entrepot.ingest import ingest_raw, read_extract
from entrepot.ingest._raw import rekey_maps
from entrepot.privacy import SecretKey, optout_add, person_id, rotate_key
from tests.privacy.conftest import KEY

NEW = SecretKey(bytes.fromhex("51" * 32))


def _ints(wh) -> set[int]:
    """Every integer stored anywhere in the warehouse, quarantined JSON included."""
    out = set()
    for schema in ("cdm", "results", "entrepot"):
        for name in wh.tables(schema):
            t = wh.table(name)
            ints = [c for c, typ in t.schema().items() if typ.is_integer()]
            for column in t.select(*ints).to_pyarrow().columns if ints else []:
                out.update(v for v in column.to_pylist() if v is not None)
    for record in wh.table("quarantine").record.to_pyarrow().to_pylist():
        out.update(int(w) for w in record.replace(",", " ").split() if w.isdigit())
    return out


def test_rotation_leaves_no_old_pseudonym_and_keeps_joins(hospital, ingested):
    raw = hospital / "raw"
    ipps = read_extract(raw / "patients.csv")["ipp"].to_pylist()
    optout_add(ingested, KEY, [ipps[0]])
    bad = pa.table(
        {
            "person_id": [person_id(KEY, ipps[1])],
            "measurement_id": [1],
            "measurement_concept_id": [0],
            "measurement_date": ["soon"],
            "measurement_type_concept_id": [0],
        }
    )
    ingested.load({"measurement": bad})
    before = ingested.counts()
    maps = rekey_maps(raw, KEY, NEW)
    old_ids = {v for m in maps.values() for v in m["old"].to_pylist()}
    assert old_ids & _ints(ingested)

    rotate_key(ingested, KEY, NEW, maps, user="dpo")
    assert not old_ids & _ints(ingested)
    assert ingested.counts() == before
    persons = set(ingested.table("person").person_id.to_pyarrow().to_pylist())
    assert persons == {person_id(NEW, i) for i in ipps[1:]}
    assert ingested.table("optout").person_id.to_pyarrow().to_pylist() == [
        person_id(NEW, ipps[0])
    ]
    for table in ("visit_occurrence", "measurement", "note", "condition_occurrence"):
        t = ingested.table(table)
        assert set(t.person_id.to_pyarrow().to_pylist()) <= persons
    visits = ingested.table("visit_occurrence")
    c = ingested.table("condition_occurrence")
    assert c.anti_join(visits, "visit_occurrence_id").count().execute() == 0

    assert sum(ingest_raw(ingested, raw, key=NEW).loaded.values()) == 0
    with pytest.raises(KeyFileError, match="another key"):
        ingest_raw(ingested, raw, key=KEY)


def test_rotation_with_the_wrong_old_key_changes_nothing(hospital, ingested):
    before = ingested.table("person").person_id.to_pyarrow().to_pylist()
    with pytest.raises(KeyFileError, match="old key"):
        rotate_key(ingested, NEW, KEY, rekey_maps(hospital / "raw", NEW, KEY))
    assert ingested.table("person").person_id.to_pyarrow().to_pylist() == before
