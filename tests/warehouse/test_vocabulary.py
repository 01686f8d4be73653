"""The bundled vocabulary: CIM-10, ATC, LOINC, UCUM and OMOP's own concepts."""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from datetime import date

import pytest

from entrepot.warehouse.cdm import cdm_table
from entrepot.warehouse.vocabulary import (
    bundled_vocabulary,
    lab_tests,
    local_concept_id,
)

FRENCH = 4180190
TABLES = {
    "vocabulary",
    "domain",
    "concept_class",
    "relationship",
    "concept",
    "concept_relationship",
    "concept_ancestor",
    "concept_synonym",
}


@pytest.fixture(scope="module")
def vocabulary():
    return bundled_vocabulary()


@pytest.fixture(scope="module")
def rows(vocabulary):
    return {name: table.to_pylist() for name, table in vocabulary.items()}


@pytest.fixture(scope="module")
def by_code(rows):
    """(vocabulary_id, concept_code) -> concept row."""
    return {(c["vocabulary_id"], c["concept_code"]): c for c in rows["concept"]}


@pytest.fixture(scope="module")
def by_id(rows):
    return {c["concept_id"]: c for c in rows["concept"]}


@pytest.fixture(scope="module")
def parents(rows):
    """concept_id -> ids of the concepts it `Is a`."""
    out = defaultdict(list)
    for r in rows["concept_relationship"]:
        if r["relationship_id"] == "Is a":
            out[r["concept_id_1"]].append(r["concept_id_2"])
    return out


@pytest.fixture(scope="module")
def ancestors(rows):
    """descendant id -> {ancestor id: (min, max levels of separation)}."""
    out = defaultdict(dict)
    for r in rows["concept_ancestor"]:
        levels = (r["min_levels_of_separation"], r["max_levels_of_separation"])
        out[r["descendant_concept_id"]][r["ancestor_concept_id"]] = levels
    return out


def test_tables_have_the_cdm_schemas(vocabulary):
    assert set(vocabulary) == TABLES
    for name, table in vocabulary.items():
        assert table.schema == cdm_table(name).arrow_schema, name


def test_counts_per_vocabulary_and_class(rows):
    counts = Counter(
        (c["vocabulary_id"], c["concept_class_id"]) for c in rows["concept"]
    )
    assert counts[("CIM10", "CIM10 Chapter")] == 22
    assert counts[("CIM10", "CIM10 Block")] == 264
    assert counts[("CIM10", "CIM10 Category")] == 2063
    assert counts[("CIM10", "CIM10 Code")] == 40823
    assert counts[("ATC", "ATC 1st")] == 14
    assert counts[("ATC", "ATC 2nd")] == 94
    assert counts[("ATC", "ATC 3rd")] == 239
    assert counts[("ATC", "ATC 4th")] == 623
    assert counts[("ATC", "ATC 5th")] == 1847
    assert counts[("LOINC", "Lab Test")] == 110
    vitals, lungs_heart, sections = 12, 3, 13  # lungs_heart: FVC, DLCO, LVEF
    assert counts[("LOINC", "Clinical Observation")] == vitals + lungs_heart + sections
    assert counts[("UCUM", "Unit")] == 70
    assert len(rows["vocabulary"]) == 15
    assert len(rows["relationship"]) == 4


def test_every_cim10_category_is_in_one_block_and_one_chapter(rows, by_id, parents):
    categories = [
        c for c in rows["concept"] if c["concept_class_id"] == "CIM10 Category"
    ]
    for category in categories:
        (block_id,) = parents[category["concept_id"]]
        block = by_id[block_id]
        assert block["concept_class_id"] == "CIM10 Block"
        first, last = block["concept_code"].split("-")
        assert first <= category["concept_code"] <= last
        (chapter_id,) = parents[block_id]
        assert by_id[chapter_id]["concept_class_id"] == "CIM10 Chapter"


@pytest.mark.parametrize(
    ("code", "parent"),
    [
        ("M34.0", "M34"),
        ("E11.00", "E11.0"),
        ("U07.10", "U07.1"),
        ("C16.9+0", "C16.9"),  # ATIH extension of a 4-character code
        ("B24.+0", "B24"),  # ATIH extension of a category
        ("Z04.800", "Z04.8"),  # Z04.80 does not exist
    ],
)
def test_a_code_is_a_its_longest_existing_prefix(code, parent, by_code, by_id, parents):
    (parent_id,) = parents[by_code[("CIM10", code)]["concept_id"]]
    assert by_id[parent_id]["concept_code"] == parent


def test_cim10_labels_classes_and_domains(by_code):
    m340 = by_code[("CIM10", "M34.0")]
    assert m340["concept_name"] == "Sclérodermie systémique progresssive"  # sic
    assert (m340["domain_id"], m340["standard_concept"]) == ("Condition", "S")
    assert by_code[("CIM10", "XIII")]["standard_concept"] == "C"
    assert by_code[("CIM10", "M30-M36")]["concept_name"] == (
        "Affections disséminées du tissu conjonctif"
    )
    assert by_code[("CIM10", "Z51.1")]["domain_id"] == "Observation"
    assert by_code[("CIM10", "V01")]["domain_id"] == "Observation"
    assert by_code[("CIM10", "XXI")]["domain_id"] == "Observation"
    assert by_code[("CIM10", "U07.1")]["domain_id"] == "Condition"


def test_codes_removed_by_atih_are_deprecated(by_code, ancestors):
    dengue = by_code[("CIM10", "A90")]  # "*** SU17 *** Dengue [dengue classique]"
    assert dengue["concept_name"] == "Dengue [dengue classique]"
    assert dengue["invalid_reason"] == "D"
    assert dengue["standard_concept"] is None
    assert dengue["valid_end_date"] == date(2016, 12, 31)
    assert dengue["concept_id"] not in ancestors


def test_cim10_short_label_is_a_french_synonym(rows, by_code):
    cholera = by_code[("CIM10", "A00.9")]["concept_id"]
    synonyms = {
        (s["concept_synonym_name"], s["language_concept_id"])
        for s in rows["concept_synonym"]
        if s["concept_id"] == cholera
    }
    assert synonyms == {("CHOLERA, SAI", FRENCH)}


def _ancestor_codes(code, vocabulary, by_code, by_id, ancestors):
    concept_id = by_code[(vocabulary, code)]["concept_id"]
    return {
        by_id[a]["concept_code"]: levels for a, levels in ancestors[concept_id].items()
    }


def test_m34_0_ancestors(by_code, by_id, ancestors):
    assert _ancestor_codes("M34.0", "CIM10", by_code, by_id, ancestors) == {
        "M34.0": (0, 0),
        "M34": (1, 1),
        "M30-M36": (2, 2),
        "XIII": (3, 3),
    }


def test_azathioprine_ancestors_and_brand(rows, by_code, by_id, ancestors):
    assert _ancestor_codes("L04AX01", "ATC", by_code, by_id, ancestors) == {
        "L04AX01": (0, 0),
        "L04AX": (1, 1),
        "L04A": (2, 2),
        "L04": (3, 3),
        "L": (4, 4),
    }
    azathioprine = by_code[("ATC", "L04AX01")]["concept_id"]
    brands = {
        s["concept_synonym_name"]
        for s in rows["concept_synonym"]
        if s["concept_id"] == azathioprine
    }
    assert brands == {"IMUREL"}


@pytest.mark.parametrize(
    ("code", "name"),
    [
        ("L04AX01", "azathioprine"),
        ("L04AA06", "mycophenolique acide"),
        ("L04AX03", "methotrexate (formes orales)"),
        ("L01BA01", "methotrexate"),
        ("M04AA01", "allopurinol"),
        ("N03AF01", "carbamazepine"),
        ("N03AX09", "lamotrigine"),
        ("J01CA04", "amoxicilline"),
        ("B01AA03", "warfarine"),
        ("B01AA12", "fluindione"),  # not in edsnlp: added by entrepot
        ("N02BE01", "paracétamol"),  # edsnlp's lower-case name is garbled
        ("J05AX09", "maraviroc"),  # "JO5AX09" in edsnlp
    ],
)
def test_common_hospital_drugs(code, name, by_code):
    drug = by_code[("ATC", code)]
    assert drug["concept_name"] == name
    assert (drug["domain_id"], drug["concept_class_id"]) == ("Drug", "ATC 5th")
    assert drug["standard_concept"] == "S"


def test_atc_groups_are_classifications_with_french_names(rows, by_code):
    assert (
        by_code[("ATC", "L")]["concept_name"] == "Antinéoplasiques et immunomodulateurs"
    )
    assert by_code[("ATC", "L04")]["concept_name"] == "Immunosuppresseurs"
    assert by_code[("ATC", "L04AX")]["concept_name"].startswith("Immunosuppresseurs (")
    standard = {
        c["concept_class_id"]: c["standard_concept"]
        for c in rows["concept"]
        if c["vocabulary_id"] == "ATC"
    }
    assert standard == {
        "ATC 1st": "C",
        "ATC 2nd": "C",
        "ATC 3rd": "C",
        "ATC 4th": "C",
        "ATC 5th": "S",
    }


def test_ids_are_unique_local_ones_follow_the_formula(rows):
    ids = [c["concept_id"] for c in rows["concept"]]
    assert len(ids) == len(set(ids))
    official = {c for c in ids if c < 2_000_000_000}
    assert {8507, 8532, 9201, 9202, 9203, 0} <= official
    for c in rows["concept"]:
        if c["concept_id"] >= 2_000_000_000:
            expected = local_concept_id(c["vocabulary_id"], c["concept_code"])
            assert c["concept_id"] == expected
    # the same on every machine and every run
    assert local_concept_id("CIM10", "M34.0") == 2_032_531_626


def test_local_ids_are_32_bit_in_omops_local_range_and_registered(rows):
    """OHDSI's tools read concept ids as 32-bit integers; OMOP reserves
    2,000,000,000-2,147,483,647 for local concepts."""
    from entrepot.warehouse.vocabulary._bundled import parts
    from entrepot.warehouse.vocabulary._ids import UNREGISTERED, registered

    local = [c for c in rows["concept"] if c["concept_id"] >= 2_000_000_000]
    assert len(local) > 46_000
    assert max(c["concept_id"] for c in local) <= 2_147_483_647
    UNREGISTERED.clear()  # codes other tests met (a study's own) are not bundled
    parts()
    assert not UNREGISTERED, "run python -m entrepot.warehouse.vocabulary._ids"
    taken = set(registered().values())
    assert len(taken) == len(registered())  # collisions were moved on
    unbundled = local_concept_id("CIM10", "not-a-code")
    assert 2_000_000_000 <= unbundled <= 2_147_483_647 and unbundled not in taken


def test_a_fresh_build_gives_the_same_tables_fast(vocabulary):
    from entrepot.warehouse.vocabulary._bundled import _build  # bypass the cache

    start = time.perf_counter()
    fresh = _build.__wrapped__()
    assert time.perf_counter() - start < 10
    for name in TABLES:
        assert fresh[name].equals(vocabulary[name]), name


def test_every_id_refers_to_a_concept(rows, by_id):
    referring = [
        ("concept_relationship", "concept_id_1"),
        ("concept_relationship", "concept_id_2"),
        ("concept_ancestor", "ancestor_concept_id"),
        ("concept_ancestor", "descendant_concept_id"),
        ("concept_synonym", "concept_id"),
        ("concept_synonym", "language_concept_id"),
        ("vocabulary", "vocabulary_concept_id"),
        ("domain", "domain_concept_id"),
        ("concept_class", "concept_class_concept_id"),
        ("relationship", "relationship_concept_id"),
    ]
    for table, column in referring:
        missing = {r[column] for r in rows[table]} - set(by_id)
        assert not missing, (table, column)


def test_every_vocabulary_domain_class_and_relationship_is_described(rows):
    for table in ("vocabulary", "domain", "concept_class"):
        described = {r[f"{table}_id"] for r in rows[table]}
        assert {c[f"{table}_id"] for c in rows["concept"]} <= described
    relationships = {r["relationship_id"] for r in rows["relationship"]}
    assert {r["relationship_id"] for r in rows["concept_relationship"]} == relationships


def test_standard_concepts_map_to_themselves(rows):
    maps = Counter(
        (r["concept_id_1"], r["relationship_id"])
        for r in rows["concept_relationship"]
        if r["concept_id_1"] == r["concept_id_2"]
    )
    for c in rows["concept"]:
        expected = int(c["standard_concept"] == "S" and c["invalid_reason"] is None)
        assert maps[(c["concept_id"], "Maps to")] == expected
        assert maps[(c["concept_id"], "Mapped from")] == expected


def test_ancestry_is_closed_with_self_rows(rows, ancestors, parents):
    in_hierarchy = {
        c["concept_id"]
        for c in rows["concept"]
        if c["standard_concept"] in ("S", "C") and c["invalid_reason"] is None
    }
    assert set(ancestors) == in_hierarchy
    for concept_id, above in ancestors.items():
        assert above[concept_id] == (0, 0)
        for parent in parents[concept_id]:  # the parent's ancestors, one level up
            for ancestor, (low, high) in ancestors[parent].items():
                assert above[ancestor] == (low + 1, high + 1)


def test_hierarchy_relationships_come_in_pairs(rows):
    pairs = Counter(
        (r["concept_id_1"], r["concept_id_2"])
        if r["relationship_id"] == "Is a"
        else (r["concept_id_2"], r["concept_id_1"])
        for r in rows["concept_relationship"]
        if r["relationship_id"] in ("Is a", "Subsumes")
    )
    assert set(pairs.values()) == {2}


def test_names_fit_their_columns(rows):
    assert all(0 < len(c["concept_name"]) <= 255 for c in rows["concept"])
    assert all(len(s["concept_synonym_name"]) <= 1000 for s in rows["concept_synonym"])
    assert {s["language_concept_id"] for s in rows["concept_synonym"]} == {FRENCH}


def test_every_lab_unit_is_a_ucum_concept(by_code):
    for test in lab_tests():
        if test.unit is not None:
            unit = by_code[("UCUM", test.unit)]
            assert unit["concept_id"] == test.unit_concept_id
            assert unit["domain_id"] == "Unit"


def test_lab_tests_are_loinc_concepts_with_sane_ranges(rows, by_code):
    tests = lab_tests()
    assert len(tests) == 125
    for test in tests:
        concept = by_code[("LOINC", test.loinc)]
        assert concept["concept_id"] == test.concept_id
        assert concept["concept_name"] == test.name
        assert concept["concept_class_id"] == test.concept_class
        bounds = [test.minimum, test.low, test.high, test.maximum]
        known = [b for b in bounds if b is not None]
        assert known == sorted(known), test.loinc
    hemoglobin = next(t for t in tests if t.loinc == "718-7")
    assert (hemoglobin.unit, hemoglobin.low, hemoglobin.high) == ("g/dL", 12, 17)
    synonyms = {
        s["concept_synonym_name"]
        for s in rows["concept_synonym"]
        if s["concept_id"] == hemoglobin.concept_id
    }
    assert synonyms == {"Hémoglobine"}


@pytest.mark.parametrize(
    ("loinc", "unit"),
    [
        ("8867-4", "/min"),
        ("8480-6", "mm[Hg]"),
        ("8462-4", "mm[Hg]"),
        ("8310-5", "Cel"),
        ("59408-5", "%"),
        ("29463-7", "kg"),
        ("8302-2", "cm"),
        ("39156-5", "kg/m2"),
        ("9279-1", "/min"),
    ],
)
def test_vital_signs(loinc, unit, by_code):
    (test,) = [t for t in lab_tests() if t.loinc == loinc]
    assert (test.concept_class, test.unit) == ("Clinical Observation", unit)
    assert by_code[("LOINC", loinc)]["domain_id"] == "Measurement"


@pytest.mark.parametrize(
    ("concept_id", "name", "vocabulary_id", "standard"),
    [
        (0, "No matching concept", "None", None),
        (8507, "MALE", "Gender", "S"),
        (8532, "FEMALE", "Gender", "S"),
        (9201, "Inpatient Visit", "Visit", "S"),
        (9202, "Outpatient Visit", "Visit", "S"),
        (9203, "Emergency Room Visit", "Visit", "S"),
        (262, "Emergency Room and Inpatient Visit", "Visit", "S"),
        (32817, "EHR", "Type Concept", "S"),
        (32856, "Lab", "Type Concept", "S"),
        (32902, "Primary diagnosis", "Condition Status", "S"),
        (32908, "Secondary diagnosis", "Condition Status", "S"),
        (32678, "UTF-8", "None", None),
        (4180190, "French language", "SNOMED", "S"),
        (4132161, "Oral", "SNOMED", "S"),
        (4171047, "Intravenous", "SNOMED", "S"),
        (44814637, "Discharge summary", "Note Type", None),  # deprecated in 2020
    ],
)
def test_official_omop_concepts(concept_id, name, vocabulary_id, standard, by_id):
    concept = by_id[concept_id]
    assert (concept["concept_name"], concept["vocabulary_id"]) == (name, vocabulary_id)
    assert concept["standard_concept"] == standard


def test_metadata_tables_use_official_ids(rows):
    vocabularies = {r["vocabulary_id"]: r for r in rows["vocabulary"]}
    assert vocabularies["ATC"]["vocabulary_concept_id"] == 44819117
    assert vocabularies["LOINC"]["vocabulary_concept_id"] == 44819102
    assert vocabularies["CIM10"]["vocabulary_concept_id"] == local_concept_id(
        "Vocabulary", "CIM10"
    )
    assert vocabularies["CIM10"]["vocabulary_version"] == (
        "entrepot 0.1.0 (CIM-10 from edsnlp 0.23.0)"
    )
    relationships = {r["relationship_id"]: r for r in rows["relationship"]}
    assert relationships["Is a"]["relationship_concept_id"] == 44818821
    assert relationships["Subsumes"]["defines_ancestry"] == "1"
    assert relationships["Maps to"]["reverse_relationship_id"] == "Mapped from"
    domains = {r["domain_id"]: r["domain_concept_id"] for r in rows["domain"]}
    assert [domains[d] for d in ("Condition", "Drug", "Measurement")] == [19, 13, 21]
