"""`entrepot profiles` on the session's synthetic hospital: the planted
systemic sclerosis subtypes (`synth_truth`) of the shipped cohort's persons
as clusters, checked against the warehouse's own rows and lifelines."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from lifelines.statistics import multivariate_logrank_test

from .conftest import cli

#: Each cohort person's subtype, sex and follow-up as the README states the
#: rule: death, else the last observation period's end, else the last date.
TRUTH = """
with c as (select subject_id as person_id, min(cohort_start_date) as start
           from results.cohort where cohort_definition_id = 1 group by 1),
     d as (select person_id, min(death_date) as day from death group by 1),
     o as (select person_id, max(observation_period_end_date) as day
           from observation_period group by 1),
     last as (select greatest(max(d.day), (select max(day) from o)) as day from d)
select c.person_id, t.subtype, p.gender_concept_id,
       greatest(date_diff('day', c.start,
                          coalesce(d.day, o.day, (select day from last))), 0) as days,
       d.day is not null as died
from c join entrepot.synth_truth t on t.person_id = c.person_id
       and t.module = 'systemic_sclerosis'
join person p on p.person_id = c.person_id
left join d on d.person_id = c.person_id left join o on o.person_id = c.person_id
order by c.person_id
"""


@pytest.fixture(scope="module")
def hospital(ssc_cohort, tmp_path_factory) -> tuple[Path, list[tuple]]:
    """A copy of the session's hospital with the shipped cohort (id 1), a
    clusters file of its persons' planted subtypes, and their truth rows."""
    folder = tmp_path_factory.mktemp("profiles-cli")
    copy = folder / "ssc.duckdb"
    shutil.copy(ssc_cohort, copy)
    with duckdb.connect(str(copy), read_only=True) as con:
        rows = con.sql(TRUTH).fetchall()
    pq.write_table(
        pa.table({"person_id": [r[0] for r in rows], "cluster": [r[1] for r in rows]}),
        folder / "clusters.parquet",
    )
    pq.write_table(
        pa.table(
            {
                "person_id": [r[0] for r in rows],
                "female": [r[2] == 8532 for r in rows],
            }
        ),
        folder / "features.parquet",
    )
    return copy, rows


def _run(capsys, copy: Path, *args: str, code: int = 0):
    return cli(capsys, "profiles", *args, "-w", copy, "--json", code=code)


def test_profiles_of_the_planted_subtypes(capsys, hospital, tmp_path):
    copy, rows = hospital
    folder = copy.parent
    report = tmp_path / "report.html"
    found = _run(
        capsys,
        copy,
        str(folder / "clusters.parquet"),
        "--cohort",
        "Systemic sclerosis",
        "--features",
        str(folder / "features.parquet"),
        "--html",
        str(report),
    )
    subtypes = sorted({r[1] for r in rows})
    assert [c["cluster"] for c in found["clusters"]] == subtypes
    size = {s: sum(1 for r in rows if r[1] == s) for s in subtypes}
    women = {s: sum(1 for r in rows if r[1] == s and r[2] == 8532) for s in subtypes}
    deaths = {s: sum(1 for r in rows if r[1] == s and r[4]) for s in subtypes}
    for c in found["clusters"]:
        if size[c["cluster"]] < 10:
            assert c == {"cluster": c["cluster"], "size": "<10"}
        elif isinstance(c["size"], int):
            assert c["size"] == c["table1"]["persons"] == size[c["cluster"]]
            assert c["table1"]["sex"]["female"] in (women[c["cluster"]], "<10", "*")
            assert [f["feature"] for f in c["features"]] in ([], ["female"])
            assert all(n in ("<10", "*", 0) or n >= 10 for n in c["km"]["at_risk"])
            if all(deaths.values()):  # otherwise no Cox model can be fitted
                assert set(c["cox"]) == {"hr", "ci", "p", "reference"}
            else:
                assert c["cox"] is None or c["cox"]["reference"]
    direct = multivariate_logrank_test(
        [r[3] for r in rows], [r[1] for r in rows], [r[4] for r in rows]
    )
    assert found["logrank"]["p"] == pytest.approx(direct.p_value)
    page = report.read_text()
    assert "Profils et survie des sous-groupes" in page and "<svg" in page
    assert "<script" not in page and "http" not in page.replace(
        "http://www.w3.org/2000/svg", ""
    )


def test_bad_input_is_one_line(capsys, hospital, tmp_path):
    copy, rows = hospital
    clusters = str(copy.parent / "clusters.parquet")
    err = _run(capsys, copy, clusters, "--cohort", "nope", code=2)
    assert err == f"entrepot: error: no cohort named 'nope' in warehouse {copy}"
    no_cluster = tmp_path / "ids.parquet"
    pq.write_table(pa.table({"person_id": [1, 2]}), no_cluster)
    err = _run(capsys, copy, str(no_cluster), "--cohort", "1", code=2)
    assert err == (
        f"entrepot: error: {no_cluster}: a clusters file needs the column(s) "
        "person_id, cluster; it lacks cluster"
    )
    outside = tmp_path / "outside.parquet"
    pq.write_table(
        pa.table({"person_id": [rows[0][0], -5], "cluster": [1, 2]}), outside
    )
    err = _run(capsys, copy, str(outside), "--cohort", "1", code=2)
    assert err == (
        "entrepot: error: 1 person(s) of the clusters file are not in cohort 1 "
        "(as this caller sees it)"
    )
    err = _run(capsys, copy, str(tmp_path / "none.parquet"), "--cohort", "1", code=2)
    assert err == f"entrepot: error: {tmp_path / 'none.parquet'}: no such clusters file"
