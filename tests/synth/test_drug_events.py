"""Adverse drug events planted in the synthetic hospital: pharmacovigilance's
ground truth, declared in `entrepot/data/synth/drug_events.yaml`."""

from __future__ import annotations

import duckdb
import numpy as np
import pytest
import yaml

from entrepot.errors import ModuleFileError
from entrepot.synth._drug_events import Latency, drug_events
from entrepot.synth._reference import undotted

SPEC = drug_events()


@pytest.fixture(scope="module")
def sql(pv_hospital):
    con = duckdb.connect(str(pv_hospital), read_only=True)
    yield lambda query: con.sql(query).fetchall()
    con.close()


def _persons_with(sql, code: str) -> set[int]:
    return {
        p
        for (p,) in sql(
            "SELECT DISTINCT person_id FROM condition_occurrence "
            f"WHERE condition_source_value = '{code}'"
        )
    }


def _persons_taking(sql, atc: list[str]) -> set[int]:
    listed = ", ".join(f"'{a}'" for a in atc)
    return {
        p
        for (p,) in sql(
            f"""SELECT DISTINCT d.person_id FROM drug_exposure d
                JOIN concept c ON c.concept_id = d.drug_concept_id
                WHERE c.vocabulary_id = 'ATC' AND c.concept_code IN ({listed})"""
        )
    }


def test_the_planted_pairs_and_controls_are_in_synth_truth(sql):
    rows = sql(
        """SELECT subtype, drug_atc, with_atc, event_code, relative_risk,
                  latency_median, latency_shape, latency_min, latency_max
           FROM entrepot.synth_truth
           WHERE module = 'drug_events' AND person_id IS NULL"""
    )
    pairs = {r[1:4]: r[4:] for r in rows if r[0] == "pair"}
    assert len(pairs) == len(SPEC.pairs) == 10
    allopurinol = pairs[("M04AA01", None, "L271")]
    assert allopurinol == (200.0, 21.0, 2.0, 5, 60)
    aki = pairs[("M01AE01", "C03CA01,C03AA03;C09AA05,C09CA03", "N170")]
    assert aki[0] == 2000.0
    assert ("H03BB01", None, "D70") in pairs
    controls = {(r[1], r[3]): r[4] for r in rows if r[0] == "control"}
    assert set(controls) == {
        (c, undotted(e.code))
        for c in ("H03AA01", "A11CC05", "G04CA02", "S01EE01")
        for e in SPEC.events
    }
    assert set(controls.values()) == {1.0}


def test_every_case_is_induced_or_background_and_coded(sql):
    cases = sql(
        """SELECT t.subtype, t.event_code, count(*),
                  count(*) FILTER (WHERE c.person_id IS NULL)
           FROM entrepot.synth_truth t
           LEFT JOIN condition_occurrence c
             ON c.person_id = t.person_id AND c.condition_start_date = t.onset_date
            AND c.condition_source_value = t.event_code
           WHERE t.module = 'drug_events' AND t.person_id IS NOT NULL
           GROUP BY ALL"""
    )
    counts = {(s, e): (n, uncoded) for s, e, n, uncoded in cases}
    for event in ("L271", "N170", "D70"):
        for subtype in ("induced", "background"):
            n, uncoded = counts[(subtype, event)]
            assert n >= 10 and uncoded == 0, (subtype, event)
    # an induced case names its culprit and the culprit's start; a background one neither
    assert sql(
        """SELECT count(*) FROM entrepot.synth_truth
           WHERE module = 'drug_events' AND person_id IS NOT NULL
             AND (subtype = 'induced') <> (drug_atc IS NOT NULL
                                           AND exposure_date IS NOT NULL)"""
    ) == [(0,)]


def test_exposed_patients_have_the_events_more_often(sql):
    [(n,)] = sql("SELECT count(*) FROM person")
    for event in SPEC.events:
        cases = _persons_with(sql, undotted(event.code))
        exposed = set()
        for pair in (p for p in SPEC.pairs if p.event == event.name):
            taking = _persons_taking(sql, [pair.drug])
            for group in pair.with_:  # who ever took one of each group too
                taking &= _persons_taking(sql, group)
            exposed |= taking
        exposed_rate = len(cases & exposed) / len(exposed)
        unexposed_rate = len(cases - exposed) / (n - len(exposed))
        assert unexposed_rate > 0, event.name  # the background exists
        assert exposed_rate > 3 * unexposed_rate, event.name


def test_induced_cases_follow_the_declared_latencies(sql):
    rows = sql(
        """SELECT drug_atc, event_code, date_diff('day', exposure_date, onset_date)
           FROM entrepot.synth_truth
           WHERE module = 'drug_events' AND subtype = 'induced'"""
    )
    pairs = {(p.drug, undotted(SPEC.event(p.event).code)): p for p in SPEC.pairs}
    shares = []
    for drug, event, days in rows:
        latency = pairs[(drug, event)].latency
        assert latency.min <= days <= latency.max
        shares.append(float(latency.share_below(days)))
    # the share of each pair's distribution below each latency is uniform
    assert len(shares) > 80
    assert np.median(shares) == pytest.approx(0.5, abs=0.1)
    assert np.mean(np.array(shares) < 0.25) == pytest.approx(0.25, abs=0.1)


def test_the_controls_show_no_excess(sql):
    [(n,)] = sql("SELECT count(*) FROM person")
    assert sql(
        "SELECT count(*) FROM entrepot.synth_truth WHERE subtype = 'induced' "
        f"AND drug_atc IN ({', '.join(repr(c) for c in SPEC.controls)})"
    ) == [(0,)]
    for event in SPEC.events:
        cases = _persons_with(sql, undotted(event.code))
        for control in SPEC.controls:
            exposed = _persons_taking(sql, [control])
            expected = len(exposed) * len(cases - exposed) / (n - len(exposed))
            observed = len(cases & exposed)
            assert observed <= expected + 3 * expected**0.5 + 2, (control, event.name)


def test_latencies_have_the_declared_median_and_bounds():
    latency = Latency(median=21, shape=2, min=5, max=60)
    days = latency.draw(np.random.default_rng(0), 100_000)
    assert days.min() == 5 and days.max() == 60
    assert np.median(days) == 21
    assert latency.share_below(21) == pytest.approx(0.5, abs=1e-6)
    assert latency.share_below(5) == 0 and latency.share_below(60) == 1


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda d: d["pairs"][0].update(relative_risk=1e6),
            "field (file): Value error, pair M04AA01-toxidermie: the relative risk "
            "makes the probability of an induced event over 1",
        ),
        (
            lambda d: d["pairs"][0].update(event="rash"),
            "pair M04AA01: no event named 'rash'",
        ),
        (
            lambda d: d["controls"].append("M04AA01"),
            "control M04AA01: not a drug of `drugs`, or a culprit",
        ),
        (
            lambda d: d["pairs"][0]["latency"].update(median=90),
            "field pairs.0.latency: Value error, the latency needs min < median < max",
        ),
        (
            lambda d: d["events"][0].update(code="L99.9"),
            "field events.0.code: 'L99.9' unknown",
        ),
        (
            lambda d: d["events"][0].update(unit="Urologie"),
            "field events.0.unit: 'Urologie' is not a unit of units.csv",
        ),
        (
            lambda d: d["drugs"][0].update(added_to="C09AA05"),
            "drug M04AA01: added to no drug declared before it",
        ),
    ],
)
def test_a_bad_drug_events_file_is_a_one_line_error(tmp_path, change, message):
    data = SPEC.model_dump(by_alias=True)
    change(data)
    path = tmp_path / "drug_events.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ModuleFileError) as e:
        drug_events(path)
    assert str(path) in str(e.value) and message in str(e.value)
    assert "\n" not in str(e.value)
