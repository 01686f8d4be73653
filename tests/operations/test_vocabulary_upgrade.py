"""`entrepot vocab upgrade`: a new release, the rows that used a concept it
deprecated remapped, eras rebuilt, the saved cohorts it changes listed, all or
nothing. Release 1 is a tiny Athena download; release 2 deprecates 1001
(mapped to the new 1003), deprecates 1005 with no map, drops 1006 and puts
1002 under 1000."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow as pa
import pytest

from entrepot.cli import main
from entrepot.cohort import CohortDefinition, run_cohort
from entrepot.errors import LoadError
from entrepot.operations import upgrade_vocabulary
from entrepot.privacy import entries
from entrepot.warehouse import Warehouse
from entrepot.warehouse.eras import build_eras
from entrepot.warehouse.vocabulary._athena import load_athena

COLUMNS = {
    "VOCABULARY": "vocabulary_id vocabulary_name vocabulary_reference "
    "vocabulary_version vocabulary_concept_id",
    "DOMAIN": "domain_id domain_name domain_concept_id",
    "CONCEPT_CLASS": "concept_class_id concept_class_name concept_class_concept_id",
    "RELATIONSHIP": "relationship_id relationship_name is_hierarchical "
    "defines_ancestry reverse_relationship_id relationship_concept_id",
    "CONCEPT": "concept_id concept_name domain_id vocabulary_id concept_class_id "
    "standard_concept concept_code valid_start_date valid_end_date invalid_reason",
    "CONCEPT_RELATIONSHIP": "concept_id_1 concept_id_2 relationship_id "
    "valid_start_date valid_end_date invalid_reason",
    "CONCEPT_ANCESTOR": "ancestor_concept_id descendant_concept_id "
    "min_levels_of_separation max_levels_of_separation",
}
ENDO, DIABETES, OBESITY, TYPE2, ASTHMA, HYPO, GOITRE, METFORMIN = (
    1000, 1001, 1002, 1003, 1004, 1005, 1006, 2001,
)  # fmt: skip
CONCEPTS = {  # id: (name, domain, vocabulary, class, code)
    ENDO: ("Maladies endocriniennes", "Condition", "SNOMED", "Clinical Finding", "E"),
    DIABETES: ("Diabète sucré", "Condition", "SNOMED", "Clinical Finding", "E11"),
    OBESITY: ("Obésité", "Condition", "SNOMED", "Clinical Finding", "E66"),
    TYPE2: ("Diabète de type 2", "Condition", "SNOMED", "Clinical Finding", "E11.9"),
    ASTHMA: ("Asthme", "Condition", "SNOMED", "Clinical Finding", "J45"),
    HYPO: ("Hypothyroïdie", "Condition", "SNOMED", "Clinical Finding", "E03"),
    GOITRE: ("Goitre", "Condition", "SNOMED", "Clinical Finding", "E04"),
    METFORMIN: ("metformine", "Drug", "ATC", "ATC 5th", "A10BA02"),
}


def _release(folder: Path, version: str, deprecated: dict[int, int | None]) -> Path:
    """An Athena download: every concept of CONCEPTS (TYPE2 only in the
    second release, GOITRE only in the first), those `deprecated` (-> their
    new concept or None) no longer standard; OBESITY under ENDO in the second
    release."""
    second = bool(deprecated)
    ids = [i for i in CONCEPTS if i != (GOITRE if second else TYPE2)]
    concept, relationship = [], []
    for i in ids:
        name, domain, vocabulary, klass, code = CONCEPTS[i]
        gone = i in deprecated
        concept.append(
            [i, name, domain, vocabulary, klass, "" if gone else "S", code]
            + ["19700101", "20251231" if gone else "20991231", "U" if gone else ""]
        )
        if not gone:
            relationship.append([i, i, "Maps to", "19700101", "20991231", ""])
        elif deprecated[i] is not None:
            relationship.append(
                [i, deprecated[i], "Maps to", "20250101", "20991231", ""]
            )
    below = {DIABETES: ENDO, TYPE2: ENDO} | ({OBESITY: ENDO} if second else {})
    kept = [i for i in ids if i not in deprecated]
    ancestor = [[i, i, 0, 0] for i in kept]
    ancestor += [[up, i, 1, 1] for i, up in below.items() if i in kept]
    rows = {
        "VOCABULARY": [
            ["None", "OMOP Standardized Vocabularies", "OMOP", version, 44819096],
            ["SNOMED", "SNOMED", "SNOMED", version, 44819097],
            ["ATC", "ATC", "WHO", version, 44819117],
        ],
        "DOMAIN": [["Condition", "Condition", 19], ["Drug", "Drug", 13]],
        "CONCEPT_CLASS": [
            ["Clinical Finding", "Clinical Finding", 44819017],
            ["ATC 5th", "ATC 5th", 44819214],
        ],
        "RELATIONSHIP": [["Maps to", "Maps to", 0, 0, "Mapped from", 44818977]],
        "CONCEPT": concept,
        "CONCEPT_RELATIONSHIP": relationship,
        "CONCEPT_ANCESTOR": ancestor,
    }
    folder.mkdir(parents=True)
    for name, header in COLUMNS.items():
        lines = ["\t".join(header.split())]
        lines += ["\t".join(map(str, row)) for row in rows[name]]
        (folder / f"{name}.csv").write_text("\n".join(lines) + "\n")
    return folder


def _definition(name: str, item: dict) -> CohortDefinition:
    return CohortDefinition.model_validate(
        {
            "name": name,
            "concept_sets": {"c": {"items": [item]}},
            "entry": {"events": [{"condition": {"concept_set": "c"}}]},
            "exit": {"offset": {"days": 30}},
        }
    )


CONDITIONS = [  # id, person, concept, start
    (1, 1, DIABETES, date(2015, 3, 1)),
    (2, 1, DIABETES, date(2015, 3, 20)),
    (3, 2, DIABETES, date(2016, 1, 1)),
    (4, 3, OBESITY, date(2017, 1, 1)),
    (5, 4, ASTHMA, date(2018, 1, 1)),
    (6, 4, HYPO, date(2018, 2, 1)),
]


@pytest.fixture
def upgradable(make_warehouse, tmp_path):
    """A warehouse on release 1 whose rows use DIABETES and HYPO, its eras
    built, three saved cohorts; and release 2's folder."""
    wh = make_warehouse()
    load_athena(wh, _release(tmp_path / "release1", "v1", {}))
    persons = [1, 2, 3, 4]
    wh.load(
        {
            "person": pa.table(
                {
                    "person_id": persons,
                    "gender_concept_id": [8532, 8507, 8532, 8507],
                    "year_of_birth": [1950, 1960, 1970, 1980],
                    "race_concept_id": [0] * 4,
                    "ethnicity_concept_id": [0] * 4,
                }
            ),
            "observation_period": pa.table(
                {
                    "observation_period_id": persons,
                    "person_id": persons,
                    "observation_period_start_date": [date(2010, 1, 1)] * 4,
                    "observation_period_end_date": [date(2020, 12, 31)] * 4,
                    "period_type_concept_id": [32817] * 4,
                }
            ),
            "condition_occurrence": pa.table(
                {
                    "condition_occurrence_id": [r[0] for r in CONDITIONS],
                    "person_id": [r[1] for r in CONDITIONS],
                    "condition_concept_id": [r[2] for r in CONDITIONS],
                    "condition_start_date": [r[3] for r in CONDITIONS],
                    "condition_type_concept_id": [32817] * len(CONDITIONS),
                    "condition_source_concept_id": [r[2] for r in CONDITIONS],
                    "condition_source_value": [CONCEPTS[r[2]][4] for r in CONDITIONS],
                }
            ),
            "cdm_source": pa.table(
                {
                    "cdm_source_name": ["CHU"],
                    "cdm_source_abbreviation": ["CHU"],
                    "cdm_holder": ["CHU"],
                    "source_release_date": [date(2026, 1, 1)],
                    "cdm_release_date": [date(2026, 1, 1)],
                    "cdm_version_concept_id": [756265],
                    "vocabulary_version": ["v1"],
                }
            ),
            "drug_exposure": pa.table(
                {
                    "drug_exposure_id": [1],
                    "person_id": [1],
                    "drug_concept_id": [METFORMIN],
                    "drug_exposure_start_date": [date(2015, 3, 1)],
                    "drug_exposure_end_date": [date(2015, 3, 31)],
                    "drug_type_concept_id": [32817],
                }
            ),
        }
    )
    build_eras(wh)
    for cid, (name, item) in enumerate(
        [
            ("endocrine", {"concept_id": ENDO, "descendants": True}),
            ("asthma", {"concept_id": ASTHMA}),
            ("E11", {"concept_id": DIABETES}),
            ("goitre", {"vocabulary": "SNOMED", "code": "E04"}),  # dropped
        ],
        start=1,
    ):
        run_cohort(wh, _definition(name, item), cohort_id=cid)
    release2 = _release(tmp_path / "release2", "v2", {DIABETES: TYPE2, HYPO: None})
    return wh, release2


def _conditions(wh) -> list[tuple]:
    co = wh.table("condition_occurrence").order_by("condition_occurrence_id")
    rows = co.to_pyarrow().to_pylist()
    return [
        (
            r["condition_occurrence_id"],
            r["condition_concept_id"],
            r["condition_source_concept_id"],
            r["condition_source_value"],
        )
        for r in rows
    ]


def _eras(wh) -> list[tuple]:
    era = wh.table("condition_era").order_by("person_id", "condition_concept_id")
    return [
        (r["person_id"], r["condition_concept_id"], r["condition_occurrence_count"])
        for r in era.to_pyarrow().to_pylist()
    ]


REMAPPED = [  # the concept replaced, the source columns as the hospital sent them
    (1, TYPE2, DIABETES, "E11"),
    (2, TYPE2, DIABETES, "E11"),
    (3, TYPE2, DIABETES, "E11"),
    (4, OBESITY, OBESITY, "E66"),
    (5, ASTHMA, ASTHMA, "J45"),
    (6, HYPO, HYPO, "E03"),  # no 'Maps to': left, and counted
]
ERAS = [(1, TYPE2, 2), (2, TYPE2, 1), (3, OBESITY, 1), (4, ASTHMA, 1), (4, HYPO, 1)]


@pytest.mark.parametrize("engine", ["spark"], indirect=True)
@pytest.mark.spark
def test_an_upgrade_on_spark(upgradable):
    wh, release2 = upgradable
    done = upgrade_vocabulary(wh, release2)
    assert (done.previous, done.release) == ("v1", "v2")
    assert (done.remapped, done.left) == (
        {"condition_occurrence": 3},
        {"condition_occurrence": 1},
    )
    assert _conditions(wh) == REMAPPED and _eras(wh) == ERAS
    changed = {
        c.cohort_definition_id: (len(c.before), c.after is not None and len(c.after))
        for c in done.cohorts
    }
    assert changed == {1: (2, 3), 3: (2, 0), 4: (0, False)}


def _cli(capsys, *argv: str, code: int = 0):
    done = main(list(argv))
    out, err = capsys.readouterr()
    assert done == code, err
    return json.loads(out) if code == 0 else err.strip()


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_an_upgrade_remaps_rebuilds_and_lists_the_cohorts(capsys, upgradable):
    wh, release2 = upgradable
    path = str(wh.uri.path)
    wh.close()
    done = _cli(capsys, "vocab", "upgrade", str(release2), "-w", path, "--json")
    assert (done["from"], done["to"]) == ("v1", "v2")
    assert done["remapped"] == {"condition_occurrence": 3}
    assert done["left"] == {"condition_occurrence": 1}
    assert done["concepts"] == {"remapped": 1, "left": 1}
    assert done["vocabulary"]["concept"] == len(CONCEPTS) - 1  # GOITRE dropped
    assert done["eras"] == {"condition_era": len(ERAS), "drug_era": 1}
    assert done["cohorts"] == [
        {
            "id": 1,
            "name": "endocrine",
            "concepts_added": 2,  # OBESITY, now below, and TYPE2
            "concepts_removed": 1,  # DIABETES, deprecated
            "persons_before": 2,
            "persons_after": 3,
            "error": None,
        },
        {  # the same concept, whose rows moved to TYPE2
            "id": 3,
            "name": "E11",
            "concepts_added": 0,
            "concepts_removed": 0,
            "persons_before": 2,
            "persons_after": 0,
            "error": None,
        },
        {  # by a code the new release no longer has
            "id": 4,
            "name": "goitre",
            "concepts_added": 0,
            "concepts_removed": 1,
            "persons_before": 0,
            "persons_after": None,
            "error": "cohort 4: unknown code(s) in the warehouse's vocabulary: "
            "SNOMED E04",
        },
    ]
    with Warehouse.open(path) as wh:
        assert _conditions(wh) == REMAPPED and _eras(wh) == ERAS
        release = wh.table("cdm_source").vocabulary_version.to_pyarrow().to_pylist()
        assert release == ["v2"]
        cohorts = wh.store.table("results", "cohort")
        kept = cohorts.group_by("cohort_definition_id").aggregate(n=cohorts.count())
        rows = kept.to_pyarrow().to_pylist()
        assert {r["cohort_definition_id"]: r["n"] for r in rows} == {1: 2, 2: 1, 3: 2}
        log = [e for e in entries(wh) if e["action"].startswith("vocab.upgrade")]
    assert [e["action"] for e in log] == ["vocab.upgrade", "vocab.upgrade.cohorts"]
    asked = json.loads(log[0]["parameters"])
    assert (asked["from"], asked["to"], log[0]["rows"]) == ("v1", "v2", 3)


@pytest.mark.parametrize("engine", ["duckdb"], indirect=True)
def test_a_broken_release_changes_nothing(capsys, upgradable):
    wh, release2 = upgradable
    path = str(wh.uri.path)
    concept = release2 / "CONCEPT.csv"
    concept.write_text(concept.read_text() + "x\tbroken\n")
    before = (_conditions(wh), _eras(wh), wh.count("concept"))
    with pytest.raises(LoadError, match="the vocabulary was left as it was"):
        upgrade_vocabulary(wh, release2)
    assert (_conditions(wh), _eras(wh), wh.count("concept")) == before
    wh.close()
    (release2 / "CONCEPT.csv").unlink()
    refused = _cli(capsys, "vocab", "upgrade", str(release2), "-w", path, code=2)
    assert refused.endswith("not an Athena download, missing CONCEPT.csv")
    with Warehouse.open(path) as wh:
        assert (_conditions(wh), _eras(wh), wh.count("concept")) == before
        failed = [e for e in entries(wh) if e["action"] == "vocab.upgrade.failed"]
    assert len(failed) == 1
