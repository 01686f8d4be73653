"""Characterization: values that add up to the warehouse's own counts, small counts masked."""

from __future__ import annotations

import pytest

from entrepot.privacy import Decision, set_mask_threshold
from entrepot.quality.characterization import describe

from .conftest import TODAY, sql


def _tables(result) -> dict[str, list[dict]]:
    assert not [a for a in result["analyses"] if a.get("error")]
    return {a["name"]: a["rows"] for a in result["analyses"]}


def test_counts_add_up_unmasked(synthetic):
    set_mask_threshold(synthetic, 1)  # the administrator's setting: show every count
    t = _tables(describe(synthetic, today=TODAY))
    persons = synthetic.count("person")
    assert sum(r["persons"] for r in t["persons_by_sex"]) == persons
    assert {r["sex"] for r in t["persons_by_sex"]} == {"FEMALE", "MALE"}
    assert sum(r["persons"] for r in t["persons_by_age_band_and_sex"]) == persons
    assert sum(r["persons"] for r in t["persons_by_year_of_birth"]) == persons
    assert sum(r["persons"] for r in t["observation_time"]) == persons
    per_year = [r for r in t["records_per_year"] if r["domain"] == "measurement"]
    assert sum(r["records"] for r in per_year) == synthetic.count("measurement")
    visits = sql(
        synthetic,
        "SELECT visit_concept_id, count(*) FROM visit_occurrence GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
    )[0]
    top = next(r for r in t["top_concepts"] if r["domain"] == "visit_occurrence")
    assert (top["concept_id"], top["records"]) == visits
    lab = t["lab_distributions"][0]
    assert lab["min"] <= lab["p05"] <= lab["p50"] <= lab["p95"] <= lab["max"]
    coverage = {r["domain"]: r for r in t["mapping_coverage"]}
    zero = sql(
        synthetic, "SELECT count(*) FROM drug_exposure WHERE drug_concept_id = 0"
    )[0][0]
    assert (
        coverage["drug_exposure"]["mapped"] == synthetic.count("drug_exposure") - zero
    )


def test_small_counts_masked_by_default_setting_and_by_a_rule(synthetic):
    born = dict(sql(synthetic, "SELECT year_of_birth, count(*) FROM person GROUP BY 1"))
    result = describe(synthetic, today=TODAY)
    assert result["summary"]["mask_below"] == 10
    shown = {
        r["year_of_birth"]: r["persons"]
        for r in _tables(result)["persons_by_year_of_birth"]
    }
    assert shown == {y: "<10" if n < 10 else n for y, n in born.items()}

    set_mask_threshold(synthetic, 3)  # the warehouse's privacy setting
    try:
        shown = {
            r["year_of_birth"]: r["persons"]
            for r in _tables(describe(synthetic, today=TODAY))[
                "persons_by_year_of_birth"
            ]
        }
    finally:
        set_mask_threshold(synthetic, 10)
    assert shown == {y: "<3" if n < 3 else n for y, n in born.items()}

    # a library caller passes the release gate's decision, which masks
    decided = describe(synthetic, Decision.unscoped(synthetic, 1000), today=TODAY)
    sexes = _tables(decided)["persons_by_sex"]
    assert sexes and all(r["persons"] == "<1000" for r in sexes)


def test_a_library_caller_cannot_unmask_with_a_rule_of_its_own(synthetic):
    """Only the gate decides masking: a rule that shows every count is refused."""
    with pytest.raises(TypeError, match="mask"):
        describe(synthetic, mask=lambda n: n, today=TODAY)


def test_statistics_of_small_groups_are_hidden(synthetic):
    sql(
        synthetic,
        "UPDATE measurement SET unit_concept_id = 0 WHERE measurement_id IN "
        "(SELECT measurement_id FROM measurement WHERE value_as_number IS NOT NULL LIMIT 3)",
    )
    labs = _tables(describe(synthetic, top=1000, today=TODAY))["lab_distributions"]
    small = [r for r in labs if r["n"] == "<10"]
    assert small and all(r["max"] is None and r["p50"] is None for r in small)


def test_eunomia_is_described(eunomia):
    t = _tables(describe(eunomia))  # its counts are all 10 or more
    assert sum(r["persons"] for r in t["persons_by_sex"]) == 2694
    assert t["lab_distributions"] == []  # Eunomia's values are all empty text
    conditions = next(
        r for r in t["mapping_coverage"] if r["domain"] == "condition_occurrence"
    )
    assert conditions["rows"] == 65332


def test_a_caller_may_raise_the_threshold_never_lower_it(synthetic):
    def smallest_sex_count(**asked) -> object:
        rows = _tables(describe(synthetic, today=TODAY, **asked))[
            "persons_by_age_band_and_sex"
        ]
        return [r["persons"] for r in rows]

    default = smallest_sex_count()
    assert "<10" in default
    assert smallest_sex_count(mask_below=1) == default  # asking lower changes nothing
    assert smallest_sex_count(mask_below=0) == default
    raised = smallest_sex_count(mask_below=1000)
    assert raised and all(c in ("<1000", 0) for c in raised)
