"""DuckDB statements compiled once per shape: the same expression with other
values (compared literals, `isin` lists of any length, temporary tables)
compiles nothing new, and its SQL is the text Ibis's own compile gives."""

from entrepot.warehouse import Warehouse, prepared_held


def test_other_values_reuse_the_shape_and_give_ibis_sql(tmp_path):
    with Warehouse.open(tmp_path / "eds.duckdb", create=True) as wh:
        store = wh.store
        store.con.raw_sql(
            "CREATE TABLE c AS SELECT range::BIGINT AS concept_id, "
            "(range % 7)::DOUBLE AS value FROM range(1000)"
        )
        c = store.con.table("c")
        with store.temporary() as scratch:

            def counted(ids: list[int], low: float, high: int, kept: str, above=False):
                value = c.value > low if above else c.value >= low
                rows = c.filter(c.concept_id.isin(ids), value)
                other = scratch.keep(kept, rows.filter(rows.concept_id < high))
                joined = rows.semi_join(other, "concept_id")
                statement = store.prepare(joined.aggregate(n=joined.count()))
                assert statement.sql == store.con.compile(
                    joined.aggregate(n=joined.count())
                )
                return store.fetch(statement)["n"].to_pylist()

            assert counted([1, 2, 3, 700], 2.0, 500, "_kept_a") == [2]  # 2, 3
            held = prepared_held(store)
            # a list of another length, other bounds, another temporary table
            assert counted([5, 6, 13, 20, 27, 600], 6.0, 300, "_kept_b") == [4]
            assert prepared_held(store) == held
            assert counted([5], 0.5, 400, "_kept_c") == [1]
            assert prepared_held(store) == held
            # another comparison is another shape
            assert counted([1, 2, 3, 700], 2.0, 500, "_kept_d", above=True) == [1]
            assert prepared_held(store) == held + 1


def test_hostile_strings_stay_literals(tmp_path):
    """A string kept in the shape that looks like a slot's marker, and a
    compared string with quotes and SQL, come back as written."""
    import ibis

    with Warehouse.open(tmp_path / "eds.duckdb", create=True) as wh:
        store = wh.store
        hostile = "x'); DROP TABLE c; --"
        store.con.raw_sql(
            "CREATE TABLE c AS SELECT range::BIGINT AS concept_id, "
            "CASE WHEN range = 3 THEN 'x''); DROP TABLE c; --' ELSE 'y' END AS label "
            "FROM range(10)"
        )
        c = store.con.table("c")
        for marker in ("__entrepot_slot_0__", "__entrepot_slot_1__"):
            rows = c.filter(c.concept_id.isin([1, 3]), c.label == hostile)
            rows = rows.select("concept_id", "label", tag=ibis.literal(marker))
            statement = store.prepare(rows)
            assert statement.sql == store.con.compile(rows)
            assert store.fetch(statement).to_pylist() == [
                {"concept_id": 3, "label": hostile, "tag": marker}
            ]
        assert store.con.table("c").count().execute() == 10
