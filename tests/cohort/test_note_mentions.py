"""Mentions found in notes (note_nlp) as cohort events: hand-written mentions
worked out by hand on each engine, then the real text pipeline end to end."""

from __future__ import annotations

import json
from datetime import date

import pyarrow as pa
import pytest

from entrepot.cohort import CohortDefinition, load_definition, run_cohort
from entrepot.errors import CohortDefinitionError
from entrepot.warehouse import Warehouse

from ..conftest import ENGINES, warehouse_uri
from .conftest import OBSERVED, write_tables
from .test_run import rows

TOXI, LYELL, DRUG = 300, 301, 200
CONSULT, STAY = "Compte rendu de consultation", "Compte rendu d'hospitalisation"
STAFF = "Synthèse du staff"  # ends in "f", which Ibis's PySpark `strip` removes
PERSONS = [1, 2, 3, 4, 5, 6]


def flags(label: str = "DISEASE", **on: bool) -> str:
    """term_modifiers as `entrepot nlp run` writes them."""
    names = ("negation", "hypothesis", "family", "history", "reported")
    return ",".join(
        [f"label={label}"] + [f"{n}={'true' if on.get(n) else 'false'}" for n in names]
    )


def note_table(ids, persons, dates, titles) -> pa.Table:
    """Notes of `persons` on `dates` (their texts do not matter: the mentions
    are in note_nlp); `titles`, one per note."""
    n = len(ids)
    return pa.table(
        {
            "note_id": ids,
            "person_id": persons,
            "note_date": dates,
            "note_title": titles,
            "note_type_concept_id": [32817] * n,
            "note_class_concept_id": [0] * n,
            "note_text": ["(text)"] * n,
            "encoding_concept_id": [0] * n,
            "language_concept_id": [0] * n,
        }
    )


#: (note_id, person, date, title, concept, term_modifiers)
MENTIONS = [
    (1, 1, date(2015, 3, 1), CONSULT, TOXI, flags()),
    (2, 2, date(2016, 1, 1), STAY, TOXI, flags(negation=True)),
    (3, 3, date(2017, 1, 1), STAY, LYELL, flags(family=True)),
    (4, 4, date(2018, 5, 1), CONSULT, LYELL, flags()),
    (5, 4, date(2018, 2, 1), STAY, TOXI, flags(negation=True)),
    (6, 5, date(2019, 1, 1), STAY, TOXI, flags(hypothesis=True)),
    (7, 5, date(2019, 6, 1), STAY, TOXI, flags(history=True)),
    (8, 6, date(2012, 1, 1), STAFF, 0, flags("TOXIDERMIE")),
]


def tables() -> dict[str, pa.Table]:
    notes = list(zip(*MENTIONS, strict=True))
    n = len(MENTIONS)
    return {
        "concept": pa.table(
            {
                "concept_id": [TOXI, LYELL, DRUG],
                "concept_name": ["Toxidermie", "Lyell", "Drug A"],
                "domain_id": ["Condition", "Condition", "Drug"],
                "vocabulary_id": ["CIM10", "CIM10", "ATC"],
                "concept_class_id": ["Code", "Code", "ATC 5th"],
                "standard_concept": ["S", "S", "S"],
                "concept_code": ["L27.0", "L51.2", "X01"],
                "valid_start_date": [date(1970, 1, 1)] * 3,
                "valid_end_date": [date(2099, 12, 31)] * 3,
            }
        ),
        "person": pa.table(
            {
                "person_id": PERSONS,
                "gender_concept_id": [8532] * 6,
                "year_of_birth": [1970] * 6,
                "race_concept_id": [0] * 6,
                "ethnicity_concept_id": [0] * 6,
            }
        ),
        "observation_period": pa.table(
            {
                "observation_period_id": PERSONS,
                "person_id": PERSONS,
                "observation_period_start_date": [OBSERVED[0]] * 6,
                "observation_period_end_date": [OBSERVED[1]] * 6,
                "period_type_concept_id": [32817] * 6,
            }
        ),
        "note": note_table(*notes[:4]),
        "note_nlp": pa.table(
            {
                "note_nlp_id": [10 * i for i in notes[0]],
                "note_id": notes[0],
                "lexical_variant": ["toxidermie"] * n,
                "note_nlp_concept_id": notes[4],
                "nlp_date": [date(2024, 1, 1)] * n,
                "term_modifiers": notes[5],
            }
        ),
        "drug_exposure": pa.table(
            {
                "drug_exposure_id": [1, 2],
                "person_id": [1, 4],
                "drug_concept_id": [DRUG, DRUG],
                "drug_exposure_start_date": [date(2015, 2, 1), date(2010, 6, 1)],
                "drug_exposure_end_date": [date(2015, 2, 10), date(2010, 6, 10)],
                "drug_type_concept_id": [32817, 32817],
            }
        ),
    }


@pytest.fixture(scope="module", params=ENGINES)
def notes_wh(request, tmp_path_factory):
    if request.param == "spark":
        request.getfixturevalue("spark_session")
    uri = warehouse_uri(request.param, tmp_path_factory.mktemp("mentions"))
    with Warehouse.create(uri, vocabulary=False) as wh:
        write_tables(wh, tables())
        yield wh


SETS = {
    "toxidermies": {
        "items": [
            {"vocabulary": "CIM10", "code": "L27.0"},
            {"vocabulary": "CIM10", "code": "L51.2"},
        ]
    },
    "drug": {"items": [{"concept_id": DRUG}]},
}


def mentioned(cohort_id: int, wh, **mention) -> list[tuple]:
    """Persons' first counted mention: (person, start date)."""
    definition = CohortDefinition.model_validate(
        {
            "name": "mentions",
            "concept_sets": SETS,
            "entry": {"events": [{"note_mention": mention}]},
            "exit": {"offset": {"days": 0}},
        }
    )
    run_cohort(wh, definition, cohort_id=cohort_id)
    return [(person, start) for person, start, _ in rows(wh, cohort_id)]


def test_negated_hypothetical_and_family_mentions_do_not_count(notes_wh):
    """Person 2's only mention is negated, 3's is family, 4's first is negated
    (the affirmed one comes later), 5's first is hypothetical (then history)."""
    assert mentioned(1, notes_wh, concept_set="toxidermies", first=True) == [
        (1, date(2015, 3, 1)),
        (4, date(2018, 5, 1)),
        (5, date(2019, 6, 1)),
    ]


def test_every_mention_counts_when_nothing_is_excluded(notes_wh):
    assert mentioned(2, notes_wh, concept_set="toxidermies", exclude=[]) == [
        (1, date(2015, 3, 1)),
        (2, date(2016, 1, 1)),
        (3, date(2017, 1, 1)),
        (4, date(2018, 2, 1)),
        (5, date(2019, 1, 1)),
    ]


def test_note_title_history_and_user_labels(notes_wh):
    in_letters = mentioned(
        3,
        notes_wh,
        concept_set="toxidermies",
        note_title=[" compte rendu de CONSULTATION"],
    )
    assert in_letters == [(1, date(2015, 3, 1)), (4, date(2018, 5, 1))]
    present = ["negated", "hypothesis", "family", "history"]
    assert mentioned(4, notes_wh, concept_set="toxidermies", exclude=present) == [
        (1, date(2015, 3, 1)),
        (4, date(2018, 5, 1)),
    ]
    assert mentioned(5, notes_wh, label=["TOXIDERMIE"]) == [(6, date(2012, 1, 1))]
    in_staff = mentioned(
        9, notes_wh, label=["TOXIDERMIE"], note_title=[" synthèse du STAFF"]
    )
    assert in_staff == [(6, date(2012, 1, 1))]


def test_a_mention_as_an_inclusion_rule(notes_wh):
    """Drug A started; a toxidermie mentioned within 60 days after: person 1
    (28 days), not person 4 (years later)."""
    definition = CohortDefinition.model_validate(
        {
            "name": "drug then toxidermie",
            "concept_sets": SETS,
            "entry": {"events": [{"drug": {"concept_set": "drug"}}]},
            "inclusion_rules": [
                {
                    "name": "toxidermie mentioned after",
                    "criteria": {
                        "criteria": [
                            {
                                "event": {
                                    "note_mention": {"concept_set": "toxidermies"}
                                },
                                "window": {"start": 0, "end": 60},
                            }
                        ]
                    },
                }
            ],
        }
    )
    result = run_cohort(notes_wh, definition, cohort_id=6)
    assert result.attrition[1] == {
        "rule": "toxidermie mentioned after",
        "persons": 1,
        "entries": 1,
    }
    assert [r[0] for r in rows(notes_wh, 6)] == [1]


@pytest.mark.parametrize(
    ("event", "message"),
    [
        (
            {"condition": {"concept_set": "drug", "exclude": []}},
            "only for note_mention",
        ),
        ({"note_mention": {"first": True}}, "needs a concept_set or a label"),
        ({"note_mention": {"label": ["X"], "exclude": ["denied"]}}, "exclude"),
    ],
)
def test_mention_fields_are_checked(tmp_path, event, message):
    path = tmp_path / "cohort.json"
    path.write_text(
        json.dumps({"name": "x", "concept_sets": SETS, "entry": {"events": [event]}})
    )
    with pytest.raises(CohortDefinitionError, match=f"{path}.*{message}"):
        load_definition(path)


TEXTS = {
    1: "Toxidermie au cotrimoxazole. Arrêt du traitement.",
    2: "Pas de toxidermie. Pas de fièvre.",
    3: "Antécédents familiaux : sa mère a eu un syndrome de Lyell.",
    4: "Suspicion de syndrome de Lyell ? Biopsie cutanée demandée.",
    5: "Syndrome de Stevens-Johnson sous lamotrigine.",
}


def test_mentions_found_by_the_text_pipeline(tmp_path, monkeypatch):
    """Real notes through `nlp run`, then a cohort on CIM-10 L27 and L51 with
    descendants from the bundled vocabulary: persons 1 and 5 only."""
    from entrepot.nlp import run_nlp

    monkeypatch.setenv("ENTREPOT_CACHE", str(tmp_path / "cache"))
    ids = list(TEXTS)
    with Warehouse.create(tmp_path / "eds.duckdb") as wh:
        write_tables(
            wh,
            {
                "person": tables()["person"],
                "observation_period": tables()["observation_period"],
                "note": pa.table(
                    {
                        "note_id": ids,
                        "person_id": ids,
                        "note_date": [date(2016, 1, i) for i in ids],
                        "note_title": [CONSULT] * len(ids),
                        "note_type_concept_id": [32817] * len(ids),
                        "note_class_concept_id": [0] * len(ids),
                        "note_text": list(TEXTS.values()),
                        "encoding_concept_id": [0] * len(ids),
                        "language_concept_id": [0] * len(ids),
                    }
                ),
            },
        )
        run_nlp(wh, workers=1)
        definition = CohortDefinition.model_validate(
            {
                "name": "toxidermies in reports",
                "concept_sets": {
                    "toxidermies": {
                        "items": [
                            {"vocabulary": "CIM10", "code": c, "descendants": True}
                            for c in ("L27", "L51")
                        ]
                    }
                },
                "entry": {"events": [{"note_mention": {"concept_set": "toxidermies"}}]},
            }
        )
        result = run_cohort(wh, definition, cohort_id=1)
        assert [r[:2] for r in rows(wh, 1)] == [
            (1, date(2016, 1, 1)),
            (5, date(2016, 1, 5)),
        ]
        assert (result.count, result.entries) == (2, 2)
