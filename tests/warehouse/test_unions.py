"""Reads of nested unions give every row: DuckDB 1.4.5 dropped rows of a
nested UNION ALL fetched from a prepared result with several threads (concept
sets resolved empty, cohorts wrong without an error); 1.5 does not."""

import ibis

from entrepot.warehouse import Warehouse


def test_a_nested_union_is_read_whole(tmp_path):
    with Warehouse.open(tmp_path / "eds.duckdb", create=True) as wh:
        wh.store.con.raw_sql(
            "CREATE TABLE c AS SELECT range::BIGINT AS concept_id FROM range(100000)"
        )
        c = wh.store.con.table("c")

        def one(name: str, concept: int):
            return c.filter(c.concept_id == concept).mutate(s=ibis.literal(name))

        nested = one("a", 5).union(one("b", 70_000).union(one("c", 99_999)))
        for rows in (nested, wh.store.prepare(nested)):  # Ibis's read, and ours
            for _ in range(5):
                assert sorted(wh.store.fetch(rows)["s"].to_pylist()) == ["a", "b", "c"]
