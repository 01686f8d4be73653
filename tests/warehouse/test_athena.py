"""`vocab load-athena`: a user's own Athena download replaces the bundled vocabulary."""

import pytest

from entrepot.errors import InputFileError
from entrepot.warehouse.vocabulary._athena import load_athena

HEADER = {
    "CONCEPT": "concept_id\tconcept_name\tdomain_id\tvocabulary_id\tconcept_class_id\t"
    "standard_concept\tconcept_code\tvalid_start_date\tvalid_end_date\tinvalid_reason",
    "VOCABULARY": "vocabulary_id\tvocabulary_name\tvocabulary_reference\tvocabulary_version\t"
    "vocabulary_concept_id",
    "DOMAIN": "domain_id\tdomain_name\tdomain_concept_id",
    "CONCEPT_CLASS": "concept_class_id\tconcept_class_name\tconcept_class_concept_id",
    "RELATIONSHIP": "relationship_id\trelationship_name\tis_hierarchical\tdefines_ancestry\t"
    "reverse_relationship_id\trelationship_concept_id",
    "CONCEPT_ANCESTOR": "ancestor_concept_id\tdescendant_concept_id\t"
    "min_levels_of_separation\tmax_levels_of_separation",
}
ROWS = {
    "CONCEPT": [
        "192671\tGastrointestinal hemorrhage\tCondition\tSNOMED\tClinical Finding\tS\t74474003"
        "\t19700101\t20991231\t",
        '4\tSome "quoted" name\tCondition\tSNOMED\tClinical Finding\tS\t1\t19700101\t20991231\t',
    ],
    "VOCABULARY": ["SNOMED\tSystematic Nomenclature\tSNOMED\t2024\t44819097"],
    "DOMAIN": ["Condition\tCondition\t19"],
    "CONCEPT_CLASS": ["Clinical Finding\tClinical Finding\t44819017"],
    "RELATIONSHIP": ["Is a\tIs a\t1\t1\tSubsumes\t44818821"],
    "CONCEPT_ANCESTOR": ["192671\t192671\t0\t0", "192671\t4\t1\t1"],
}


@pytest.fixture
def athena(tmp_path):
    folder = tmp_path / "athena"
    folder.mkdir()
    for name, header in HEADER.items():
        (folder / f"{name}.csv").write_text("\n".join([header, *ROWS[name]]) + "\n")
    return folder


def test_replaces_the_bundled_vocabulary(make_warehouse, athena):
    wh = make_warehouse(vocabulary=True)
    assert wh.count("concept") > 40_000
    counts = load_athena(wh, athena)
    assert counts["concept"] == 2 and counts["concept_ancestor"] == 2
    concept = wh.table("concept").order_by("concept_id").to_pyarrow().to_pylist()
    assert concept[0]["concept_name"] == 'Some "quoted" name'  # Athena does not quote
    assert str(concept[1]["valid_start_date"]) == "1970-01-01"
    assert concept[1]["invalid_reason"] is None
    assert (
        wh.count("concept_relationship") == 0
    )  # not in this download: emptied, not stale


def test_a_folder_that_is_not_an_athena_download(warehouse, athena):
    (athena / "CONCEPT.csv").unlink()
    with pytest.raises(
        InputFileError, match="not an Athena download, missing CONCEPT.csv"
    ):
        load_athena(warehouse, athena)


def test_a_broken_file_leaves_the_vocabulary_as_it_was(make_warehouse, athena):
    wh = make_warehouse(vocabulary=True)
    before = wh.count("concept")
    (athena / "CONCEPT_ANCESTOR.csv").write_text(
        HEADER["CONCEPT_ANCESTOR"] + "\nx\ty\t0\t0\n"
    )
    with pytest.raises(Exception, match="CONCEPT_ANCESTOR|x"):  # noqa: B017
        load_athena(wh, athena)
    assert wh.count("concept") == before
