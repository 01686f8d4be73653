"""On Spark, loading, the eras and the quality checks' examples keep rows in
their partitions: no query gathers every row into one task (Spark plans an
`Exchange SinglePartition` for a window without partition or a global sort),
and none streams a table's rows to the driver. The plans are read from
Spark's own record of the queries it ran, with several shuffle partitions
(with one, Spark needs no exchange to gather rows, and plans none)."""

from __future__ import annotations

import re
from contextlib import contextmanager
from datetime import date

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from entrepot.quality import run_checks
from entrepot.warehouse import Warehouse
from entrepot.warehouse.eras import build_eras
from tests.cohort.conftest import write_tables
from tests.conftest import warehouse_uri
from tests.warehouse.test_eras import _clinical, _vocabulary

pytestmark = pytest.mark.spark

#: Operators at the top of a query that bound the rows the driver gets: a
#: write or a view (none), a limit, an aggregate without keys.
BOUNDED = ("Execute ", "CollectLimit", "TakeOrderedAndProject")
AGGREGATES = ("HashAggregate", "ObjectHashAggregate", "SortAggregate")


def _executions(session) -> dict[int, str]:
    """Spark's record of the queries it ran: id → formatted physical plan."""
    store = session._jsparkSession.sharedState().statusStore()
    found, each = {}, store.executionsList().iterator()
    while each.hasNext():
        e = each.next()
        found[e.executionId()] = e.physicalPlanDescription()
    return found


@contextmanager
def recorded(session):
    """The plans of the queries run in the block."""
    before = set(_executions(session))
    plans: list[str] = []
    yield plans
    session.sparkContext._jsc.sc().listenerBus().waitUntilEmpty()  # all recorded
    plans.extend(p for i, p in sorted(_executions(session).items()) if i not in before)


def _operators(plan: str) -> dict[int, str]:
    """Each operator's details in a formatted plan, by its number."""
    return {
        int(m.group(1)): block
        for block in re.split(r"\n(?=\(\d+\) )", plan)
        if (m := re.match(r"\((\d+)\) ", block))
    }


def gathered(plan: str) -> list[str]:
    """The operators whose rows an `Exchange SinglePartition` moves to one
    task, except the partial results of an aggregate without keys (one row
    per partition)."""
    operators, lines, found = _operators(plan), plan.splitlines(), []
    for line, below in zip(lines, lines[1:], strict=False):
        exchange = re.search(r"Exchange \((\d+)\)", line)
        child = re.search(r"\((\d+)\)", below)
        if not exchange or "Arguments: SinglePartition" not in operators.get(
            int(exchange.group(1)), ""
        ):
            continue
        details = operators.get(int(child.group(1)), "") if child else ""
        if not re.search(r"Keys: \[\]\nFunctions \[\d+\]: \[.*partial_", details):
            found.append(details or below)
    return found


def streamed(plan: str) -> str | None:
    """The top operator of a query that brings the driver rows nothing
    bounds (a table streamed to it), or None. With adaptive execution, the
    initial plan's top: the final one hands the top operator to the driver."""
    tree = plan.split("\n\n")[0]
    tree = re.split(r"^\+- == Initial Plan ==$", tree, flags=re.M)[-1]
    top = re.search(
        r"^[ +-]*(?:\* )?(\w[\w ]*?) \((\d+)\)", tree.split("\n", 1)[1], re.M
    )
    if top is None or top.group(1).startswith(BOUNDED):
        return None
    details = _operators(plan).get(int(top.group(2)), "")
    if top.group(1) in AGGREGATES and "\nKeys: []" in details:
        return None
    return top.group(1)


#: Settings of the shared session during the test: every file read in
#: several partitions, every shuffle into 4.
PARTITIONED = {
    "spark.sql.shuffle.partitions": "4",
    "spark.sql.files.maxPartitionBytes": "512",
    "spark.sql.files.openCostInBytes": "0",
}


@pytest.fixture
def partitioned(spark_session):
    """The shared session, with several partitions wherever rows are."""
    conf = spark_session.conf
    was = {name: conf.get(name) for name in PARTITIONED}
    for name, value in PARTITIONED.items():
        conf.set(name, value)
    yield spark_session
    for name, value in was.items():
        conf.set(name, value)


def _persons() -> pa.Table:
    return pa.table(
        {
            "person_id": [1, 2],
            "gender_concept_id": [8507, 8532],
            "year_of_birth": [1950, 1960],
            "race_concept_id": [0, 0],
            "ethnicity_concept_id": [0, 0],
        }
    )


def _sources() -> dict[str, pa.Table]:
    """The hand-written rows of the eras' tests, with the drug end dates the
    CDM requires (those the eras give an open end), and a condition ending
    before it starts (no era: its concept is 0)."""
    tables = {"person": _persons(), **_clinical()}
    ends = {3: date(2020, 2, 11), 4: date(2020, 4, 2)}  # start + supply, + 1 day
    _replace(tables, "drug_exposure", "drug_exposure_end_date", ends)
    _replace(
        tables, "condition_occurrence", "condition_end_date", {5: date(2019, 12, 1)}
    )
    return tables


def _replace(tables: dict, name: str, column: str, values: dict[int, date]) -> None:
    rows = tables[name]
    new = [values.get(i, v) for i, v in enumerate(rows[column].to_pylist(), start=1)]
    at = rows.schema.get_field_index(column)
    tables[name] = rows.set_column(at, column, pa.array(new, pa.date32()))


def test_load_eras_and_examples_keep_rows_in_partitions(partitioned, tmp_path):
    session = partitioned
    with Warehouse.create(warehouse_uri("spark", tmp_path), vocabulary=False) as wh:
        write_tables(wh, _vocabulary())
        sources = _sources()
        for name, rows in sources.items():
            pq.write_table(rows, tmp_path / f"{name}.parquet", row_group_size=2)
        with recorded(session) as load:
            result = wh.load(
                {n: wh.store.read_file(tmp_path / f"{n}.parquet") for n in sources}
            )
        with recorded(session) as eras:
            built = build_eras(wh)
        with recorded(session) as quality:
            report = run_checks(wh, only=["end_before_start"], incremental=False)
    assert result.loaded == {
        "person": 2,
        "condition_occurrence": 5,
        "drug_exposure": 6,
    }
    assert built == {"condition_era": 3, "drug_era": 3}
    failed = [c for c in report.checks if c.status == "fail"]
    assert [(c.id, c.examples) for c in failed] == [
        ("end_before_start:condition_occurrence.condition_end_date", [5])
    ]
    for step, plans in {"load": load, "eras": eras, "quality": quality}.items():
        assert plans, step
        assert [g for p in plans for g in gathered(p)] == [], step
        assert [s for p in plans if (s := streamed(p))] == [], step


def test_batches_reach_the_driver_a_partition_at_a_time(partitioned, tmp_path):
    """`to_pyarrow_batches` on Spark: batches of at most 10 rows of 100, in order, the
    same rows as one read, and no query that brings the whole result back."""
    with Warehouse.create(warehouse_uri("spark", tmp_path), vocabulary=False) as wh:
        persons = pa.table(
            {"person_id": range(100, 0, -1), "gender_concept_id": [8507] * 100,
             "year_of_birth": [1950] * 100, "race_concept_id": [0] * 100,
             "ethnicity_concept_id": [0] * 100}
        )  # fmt: skip
        write_tables(wh, {"person": persons})
        ordered = wh.table("person").order_by("person_id")
        with recorded(partitioned) as plans:
            batches = list(ordered.to_pyarrow_batches(chunk_size=10))
        sizes = [len(b) for b in batches]
        assert sum(sizes) == 100 and max(sizes) == 10
        whole = ordered.to_pyarrow()
        assert pa.Table.from_batches(batches).equals(whole)
        assert whole["person_id"].to_pylist() == list(range(1, 101))
    assert [s for p in plans if (s := streamed(p))] == []
