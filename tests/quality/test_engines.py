"""The same checks give the same results on DuckDB and on Spark."""

from __future__ import annotations

import pyarrow as pa
import pytest

from entrepot.quality import run_checks
from entrepot.quality.characterization import describe
from entrepot.warehouse.cdm import CLINICAL_TABLES

from ..conftest import warehouse_uri
from .conftest import TODAY, sql


@pytest.mark.spark
@pytest.mark.slow
def test_same_results_on_duckdb_and_spark(
    synthetic, spark_session, tmp_path, new_warehouse
):
    sql(  # one planted defect, to compare examples too
        synthetic,
        "UPDATE measurement SET measurement_date = DATE '1900-01-01' WHERE measurement_id = 1",
    )
    with new_warehouse(
        warehouse_uri("spark", tmp_path, "copy"), vocabulary=True
    ) as spark:
        filled = [t for t in CLINICAL_TABLES if synthetic.count(t)]
        spark.replace_tables({t: synthetic.table(t).to_pyarrow() for t in filled})
        on_spark = run_checks(spark, today=TODAY, incremental=False)
        described = describe(spark, today=TODAY)
    on_duckdb = run_checks(synthetic, today=TODAY, incremental=False)
    assert on_spark.summary["error"] == 0, [
        c for c in on_spark.checks if c.status == "error"
    ]

    def results(report):
        return {
            c.id: (c.status, c.violating_rows, c.rows, c.examples)
            for c in report.checks
        }

    assert results(on_spark) == results(on_duckdb)
    found = on_spark.by_id()["before_birth:measurement.measurement_date"]
    assert (found.status, found.violating_rows, found.examples) == ("fail", 1, [1])
    spark_tables = {a["name"]: a for a in described["analyses"]}
    duck_tables = {a["name"]: a for a in describe(synthetic, today=TODAY)["analyses"]}
    assert not [a for a in spark_tables.values() if a.get("error")]
    for name in ("persons_by_age_band_and_sex", "records_per_year", "top_concepts"):
        assert spark_tables[name]["rows"] == duck_tables[name]["rows"], name


@pytest.mark.spark
def test_incremental_rerun_on_spark_sees_an_update(
    synthetic, spark_session, tmp_path, new_warehouse
):
    """Spark hashes rows too: same count and largest id, one value changed."""
    person = synthetic.table("person").to_pyarrow()
    with new_warehouse(
        warehouse_uri("spark", tmp_path, "copy"), vocabulary=True
    ) as spark:
        spark.replace_tables({"person": person})
        first = run_checks(spark, only=["age_over_120"], today=TODAY)
        again = run_checks(spark, only=["age_over_120"], today=TODAY)
        years = person["year_of_birth"].to_pylist()
        spark.replace_tables(
            {"person": person.set_column(
                person.schema.get_field_index("year_of_birth"),
                "year_of_birth",
                pa.array([1800, *years[1:]], person.schema.field("year_of_birth").type),
            )}
        )  # fmt: skip
        third = run_checks(spark, only=["age_over_120"], today=TODAY)
    check = "age_over_120:person.year_of_birth"
    assert first.by_id()[check].status == "pass"
    assert again.summary["incremental"]["reused_tables"] == ["person"]
    found = third.by_id()[check]
    assert (found.status, found.violating_rows, found.reused) == ("fail", 1, False), (
        found.reason
    )
