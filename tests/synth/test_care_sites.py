"""The synthetic CHU's care-site hierarchy (CHU > hôpital > pôle > service >
unité), kept as OMOP keeps it: care_site rows and fact_relationship pairs."""

from __future__ import annotations

from collections import Counter

import pytest

from entrepot.errors import NotFoundError
from entrepot.warehouse import care_site_tree


@pytest.fixture(scope="module")
def tree(hospital):
    return care_site_tree(hospital)


def test_levels_and_their_counts(sql):
    levels = dict(
        sql("SELECT place_of_service_source_value, count(*) FROM care_site GROUP BY 1")
    )
    assert levels == {"CHU": 1, "hôpital": 3, "pôle": 8, "service": 17, "unité": 18}


def test_every_unit_is_under_a_service_a_pole_a_hospital_and_the_chu(tree):
    units = [i for i, s in tree.sites.items() if s.level == "unité"]
    assert units == tree.units(tree.resolve(["CHU de Bellerive"])[0])
    for unit in units:
        levels = [tree.sites[n].level for n in tree.path(unit)]
        assert levels == ["CHU", "hôpital", "pôle", "service", "unité"]
    # the units are exactly the care sites with nothing under them
    assert sorted(units) == sorted(i for i in tree.sites if not tree.children(i))


def test_relationships_go_both_ways_with_the_standard_concepts(sql):
    rows = sql(
        "SELECT relationship_concept_id, count(*) FROM fact_relationship "
        "WHERE domain_concept_id_1 = 57 AND domain_concept_id_2 = 57 GROUP BY 1"
    )
    # 46 sites have a parent: "is part of" (child -> parent) and "contains" back
    assert dict(rows) == {46233688: 46, 46233689: 46}
    unmatched = sql(
        "SELECT count(*) FROM fact_relationship a LEFT JOIN fact_relationship b "
        "ON a.fact_id_1 = b.fact_id_2 AND a.fact_id_2 = b.fact_id_1 "
        "AND b.relationship_concept_id = 46233689 "
        "WHERE a.relationship_concept_id = 46233688 AND b.fact_id_1 IS NULL"
    )
    assert unmatched == [(0,)]


def test_stays_are_in_units_only(sql):
    for table in ("visit_occurrence", "visit_detail"):
        levels = sql(
            f"SELECT DISTINCT c.place_of_service_source_value FROM {table} v "
            "JOIN care_site c USING (care_site_id)"
        )
        assert levels == [("unité",)]


def test_intensive_care_of_cardiology_stays_is_the_usic(sql):
    rows = sql(
        "SELECT c.care_site_source_value, w.care_site_source_value, count(*) "
        "FROM visit_detail d JOIN visit_occurrence v USING (visit_occurrence_id) "
        "JOIN care_site c ON c.care_site_id = d.care_site_id "
        "JOIN care_site w ON w.care_site_id = v.care_site_id "
        "WHERE d.visit_detail_concept_id = 32037 GROUP BY 1, 2"
    )
    where = Counter()
    for icu, ward, n in rows:
        where[icu, ward == "Cardiologie"] += n
    assert set(where) == {("USIC", True), ("Réanimation médicale", False)}


def test_a_node_resolves_to_its_units(tree):
    cardio = tree.resolve(["Service de cardiologie"])
    names = [tree.sites[u].short_name for u in tree.units(cardio[0])]
    assert names == ["Cardiologie", "USIC"]
    pole = tree.resolve(["pôle urgences-réanimation"])[0]  # case ignored
    assert [tree.sites[u].short_name for u in tree.units(pole)] == [
        "Réanimation médicale",
        "Urgences",
    ]
    hospitals = [r for r in tree.listing() if r["level"] == "hôpital"]
    assert {r["name"]: r["units"] for r in hospitals} == {
        "Hôpital Jean-Moulin": 8,
        "Hôpital Louise-Michel": 5,
        "Hôpital Simone-Veil": 5,
    }
    assert tree.resolve(["2", "USIC"]) == [2, 18]


def test_an_unknown_name_is_refused(tree):
    with pytest.raises(NotFoundError, match="care site 'Cuisine': no care sites"):
        tree.resolve(["Cuisine"])
