"""Safety signals (`entrepot pv signals`, `pv drug`) against the adverse drug
events planted in a synthetic hospital (`synth_truth`, module drug_events)."""

from __future__ import annotations

import json
import shutil

import pytest

from entrepot.cli import main
from entrepot.cohort import ConceptSet
from entrepot.drugs import drug_events as drug_events_after
from entrepot.drugs import onset_days, sccs, signals
from entrepot.drugs._onset import onset_days_each
from entrepot.drugs._sccs import sccs_each
from entrepot.errors import DrugInputError
from entrepot.privacy import add_user, entries
from entrepot.synth._drug_events import drug_events
from entrepot.warehouse import Warehouse
from tests.drugs.simulated import load
from tests.drugs.test_sccs import simulate

SPEC = drug_events()
CONTROLS = set(SPEC.controls)
EVENTS = {
    "toxidermie": "L27.1",
    "acute_kidney_injury": "N17.0",
    "agranulocytosis": "D70",
}
#: exposed cases a median onset needs to be compared with the planted one
ONSET_CASES = 20


def _codes(code: str) -> ConceptSet:
    return ConceptSet(items=[{"vocabulary": "CIM10", "code": code}])


@pytest.fixture(scope="module")
def screened(pv_hospital):
    """Each event's signals, the controls screened like any drug (no
    calibration): the scores the AUC is taken on."""
    with Warehouse.open(str(pv_hospital), read_only=True) as wh:
        return {
            e: signals(wh, _codes(c), name=e, controls=()) for e, c in EVENTS.items()
        }


@pytest.fixture(scope="module")
def copy(pv_hospital, tmp_path_factory):
    path = tmp_path_factory.mktemp("pv-cli") / "pv.duckdb"
    shutil.copy(pv_hospital, path)
    with Warehouse.open(str(path)) as wh:
        add_user(wh, "dora", "data_engineer", "dora password")
    return path


def _cli(capsys, *argv: str, code: int = 0):
    done = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out) if code == 0 else err.strip()


def _auc(positives: list[float], negatives: list[float]) -> float:
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def _score(result, atc: str) -> float:
    """What the verdict reads without calibration: the lower bound of the ROR's
    and IRR's intervals, the lower of the two (the ROR's alone when the case
    series gives no IRR; 0 when the drug is not screened)."""
    found = [s for s in result.signals if s.atc == atc]
    if not found:
        return 0.0
    s = found[0]
    return min(s.ror_ci[0], s.irr_ci[0]) if s.irr_ci else s.ror_ci[0]


def test_planted_pairs_are_told_from_negative_controls(screened):
    planted = [_score(screened[p.event], p.drug) for p in SPEC.pairs]
    controls = [_score(r, c) for r in screened.values() for c in sorted(CONTROLS)]
    assert _auc(planted, controls) >= 0.9
    flagged = {s.atc for r in screened.values() for s in r.signals if s.signal}
    assert not flagged & CONTROLS


def test_median_onsets_of_planted_pairs_are_near_the_planted_ones(screened):
    compared = 0
    for p in SPEC.pairs:
        found = [s for s in screened[p.event].signals if s.atc == p.drug]
        if found and found[0].cases_exposed >= ONSET_CASES:
            assert found[0].median_onset_days == pytest.approx(
                p.latency.median, rel=0.2
            ), p.drug
            compared += 1
    assert compared >= 1


def test_toxidermie_culprits_are_flagged_and_small_counts_masked(
    capsys, copy, monkeypatch
):
    """As a data engineer (counts only, masked): the shipped skin-reaction
    cohort's culprits are flagged, the controls calibrate and are not listed."""
    monkeypatch.setenv("ENTREPOT_PASSWORD", "dora password")
    out = _cli(capsys, "pv", "signals", "--outcome", "skin_reactions_since_2015", "--user", "dora", "-w", str(copy))  # fmt: skip
    assert out["outcome"] == "Drug-induced skin reactions since 2015"
    assert list(out) == ["outcome", "cases", "signals"]
    assert list(out["signals"][0]) == [
        "drug", "atc", "cases_exposed", "ror", "ror_ci", "irr", "irr_ci",
        "calibrated_ci", "median_onset_days", "signal",
    ]  # fmt: skip
    flagged = {s["atc"] for s in out["signals"] if s["signal"]}
    assert flagged == {p.drug for p in SPEC.pairs if p.event == "toxidermie"}
    assert not {s["atc"] for s in out["signals"]} & CONTROLS
    shown = [s["cases_exposed"] for s in out["signals"]]
    assert "<10" in shown
    assert all(n == "<10" or (isinstance(n, int) and n >= 10) for n in shown)
    derived = ("ror", "ror_ci", "irr", "irr_ci", "calibrated_ci", "median_onset_days")
    for s in out["signals"]:  # what would give a masked count back is hidden too
        few = s["cases_exposed"] == "<10"
        assert all((s[k] == "*") == few for k in derived), s
    drug = _cli(capsys, "pv", "drug", "M04AA01", "--user", "dora", "-w", str(copy))
    assert drug["drug"] == "allopurinol"
    eruptions = [e for e in drug["events"] if "due à des médicaments" in e["concept"]]
    assert eruptions and all(e["signal"] for e in eruptions)
    assert "<10" in {e["cases_exposed"] for e in drug["events"]}
    for e in drug["events"]:
        few = e["cases_exposed"] == "<10"
        assert all((e[k] == "*") == few for k in ("ror", "ror_ci")), e
    with Warehouse.open(str(copy), read_only=True) as wh:
        actions = [(e["user"], e["action"]) for e in entries(wh)]
    assert ("dora", "pv.signals") in actions and ("dora", "pv.drug") in actions


def test_events_after_a_drug_get_the_case_series_where_the_ror_screens_them(
    pv_hospital,
):
    """Allopurinol's planted toxidermie (L27.1): over-represented, and the case
    series' first window (the one `sccs` gives) confirms it; an event the ROR
    does not screen gets no case series."""
    with Warehouse.open(str(pv_hospital), read_only=True) as wh:
        found = drug_events_after(wh, "M04AA01")
        eruption = next(
            e for e in found.events if e.concept.startswith("Éruption localisée")
        )
        outcome = ConceptSet(items=[{"concept_id": eruption.concept_id}])
        window = sccs(wh, outcome, "M04AA01").windows[0]
    assert eruption.irr == window.irr and eruption.irr_ci == window.ci
    assert eruption.irr_ci[0] > 1 and eruption.signal
    unscreened = [e for e in found.events if e.ror_ci[0] <= 1]
    assert unscreened and all(e.irr is None and not e.signal for e in unscreened)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["pv", "drug", "Z99ZZ99"], "entrepot: error: no ATC code 'Z99ZZ99' in the vocabulary"),
        (["pv", "signals", "--outcome", "nosuch"], "entrepot: error: no cohort named 'nosuch' in warehouse"),
    ],
)  # fmt: skip
def test_a_bad_outcome_or_drug_is_one_line(capsys, copy, argv, message):
    err = _cli(capsys, *argv, "-w", str(copy), code=2)
    assert err.startswith(message) and "\n" not in err


@pytest.mark.spark
def test_pv_signals_is_the_same_on_spark(
    capsys, spark_session, tmp_path, new_duckdb, new_warehouse
):
    rows, _ = simulate(40, seed=3)
    cohort = tmp_path / "toxidermie.yaml"
    cohort.write_text(
        "name: toxidermie\nconcept_sets:\n  t: {items: [{vocabulary: CIM10, code: L27.0}]}\n"
        "entry:\n  events: [{condition: {concept_set: t}}]\n"
    )
    duck = new_duckdb(tmp_path / "eds.duckdb")
    spark = new_warehouse(f"spark:{tmp_path / 'spark'}", vocabulary=True)
    for wh in (duck, spark):
        load(wh, rows)
        wh.close()
    outs = [
        _cli(capsys, "pv", "signals", "--outcome", str(cohort), "-w", uri)
        for uri in (str(tmp_path / "eds.duckdb"), f"spark:{tmp_path / 'spark'}")
    ]
    assert [s["atc"] for s in outs[0]["signals"]] == ["J01CA04"]
    assert outs[1] == outs[0]
    events = [
        _cli(capsys, "pv", "drug", "J01CA04", "-w", uri)
        for uri in (str(tmp_path / "eds.duckdb"), f"spark:{tmp_path / 'spark'}")
    ]
    assert len(events[0]["events"]) == 2  # every person has both conditions
    assert events[1] == events[0]


def test_every_drug_in_one_pass_gives_each_drugs_own_case_series(pv_hospital):
    """The case series and onsets of all screened drugs and controls, computed
    in one pass of the engine, are those of each drug's own run (checked on
    two culprits, a control and a drug that is no signal)."""
    outcome = _codes("L27.1")
    with Warehouse.open(str(pv_hospital), read_only=True) as wh:
        found = signals(wh, outcome, name="toxidermie")
        drugs = sorted({s.atc for s in found.signals} | CONTROLS)
        suspects = found.adjusted_for  # the culprits, each adjusted for the others
        assert set(suspects) == {p.drug for p in SPEC.pairs if p.event == "toxidermie"}
        together = sccs_each(wh, outcome, drugs, adjust=suspects)
        other = next(s.atc for s in found.signals if not s.signal)
        checked = ["M04AA01", "J01CA04", "H03AA01", other]
        for atc in checked:
            try:
                alone = sccs(wh, outcome, atc, adjust=suspects)
            except DrugInputError as e:
                assert isinstance(together[atc], DrugInputError), atc
                assert str(together[atc]) == str(e)
                continue
            one = together[atc]
            assert (one.cases, one.cases_exposed) == (alone.cases, alone.cases_exposed)
            for a, b in zip(one.windows, alone.windows, strict=True):
                assert (a.events, a.days) == (b.events, b.days), atc
                assert a.irr == pytest.approx(b.irr, rel=1e-9, abs=1e-12), atc
                assert (a.ci is None) == (b.ci is None), atc
                if a.ci:
                    assert a.ci == pytest.approx(b.ci, rel=1e-9), atc
        onsets = onset_days_each(wh, outcome, drugs)
        assert {a: onsets[a] for a in checked} == {
            a: onset_days(wh, outcome, a) for a in checked
        }
    for s in found.signals:  # signals reads those
        if s.irr is not None:
            assert s.irr == pytest.approx(together[s.atc].irr, rel=1e-9)


def test_a_case_series_without_finite_irr_gives_its_lower_bound(pv_hospital):
    """Agranulocytosis (D70): every case exposed to cotrimoxazole had it in
    days 1-30, those exposed to thiamazole in days 1-90 (no finite IRR):
    the IRR is null, its CI's lower bound (profile likelihood) above 1 and
    upper bound null, and both planted culprits are flagged; allopurinol's
    generalised eruption (L27.0, an event of `pv drug`) the same."""
    with Warehouse.open(str(pv_hospital), read_only=True) as wh:
        found = signals(wh, _codes("D70"), name="agranulocytosis", controls=())
        eruptions = drug_events_after(wh, "M04AA01").events
    by_atc = {s.atc: s for s in found.signals}
    for atc in ("J01EE01", "H03BB01"):
        s = by_atc[atc]
        assert s.irr is None and s.irr_ci[1] is None and s.irr_ci[0] > 1, s
        assert s.signal
    generalised = next(
        e for e in eruptions if e.concept.startswith("Éruption générali")
    )
    assert generalised.irr is None and generalised.irr_ci[1] is None
    assert generalised.irr_ci[0] > 1 and generalised.signal
    assert json.loads(json.dumps(found.to_dict(), allow_nan=False))  # valid JSON


def test_the_coverage_benchmark_scores_the_planted_truth(pv_hospital):
    """bench/pv.py --coverage on acute kidney injury (N17.0) of the tests'
    hospital: a row per planted pair and control, their true IRRs, and
    coverage and AUC as counted from those rows."""
    from bench import pv

    with Warehouse.open(str(pv_hospital), read_only=True) as wh:
        found = pv.truth_coverage(wh, ["N170"])
    rows = found["rows"]
    pairs = [p for p in SPEC.pairs if p.event == "acute_kidney_injury"]
    assert (found["pairs"], found["controls"]) == (len(pairs), len(CONTROLS))
    assert {r["atc"] for r in rows} == {p.drug for p in pairs} | CONTROLS
    for r in rows:
        if r["kind"] == "control":
            assert r["true_irr"] == 1.0
        else:  # diluted by the window's days without effect and the starts not at risk
            pair = next(p for p in pairs if p.drug == r["atc"])
            most = pair.latency.window_days / 30 * (pair.relative_risk - 1) + 1
            assert 1 < r["true_irr"] < most, r
    for key in ("irr_ci", "calibrated_ci"):
        have = [r for r in rows if r[key] is not None]
        covered = [
            r
            for r in have
            if r[key][0] <= r["true_irr"]
            and (r[key][1] is None or r["true_irr"] <= r[key][1])
        ]
        assert found[key]["estimated"] == len(have)
        assert found[key]["covered"] == len(covered)
    assert found["irr_ci"]["estimated"] >= 4  # both NSAIDs and two controls
    assert found["irr_ci"]["auc"] >= 0.9  # the target
