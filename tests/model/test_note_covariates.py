"""Note-mention covariates: mentions found by text processing (note_nlp) on the
tiny warehouse, worked out by hand. Only the mentions that are affirmed and
about the patient, of the default labels, before the index date count."""

from __future__ import annotations

from datetime import date

import pyarrow as pa
import pytest
import yaml

from entrepot.model import load_study, study_data
from entrepot.privacy import Decision
from entrepot.warehouse import Warehouse

from ..cohort.conftest import build_tiny, write_tables
from ..cohort.test_note_mentions import flags, note_table
from .conftest import TINY_STUDY

TOXI, LYELL = 300, 301
#: Index dates (GI bleeds): person 1 on 2015-03-01, 2 on 2012-06-01, 3 on
#: 2019-01-01. (note_id, person, date, concept, term_modifiers)
MENTIONS = [
    (1, 1, date(2015, 2, 1), TOXI, flags()),  # 28 days before: counts
    (2, 1, date(2015, 2, 15), LYELL, flags(negation=True)),
    (3, 2, date(2012, 1, 1), TOXI, flags(family=True)),
    (4, 2, date(2011, 1, 1), LYELL, flags()),  # 517 days before: all time only
    (5, 3, date(2019, 6, 1), TOXI, flags()),  # after the index
    (6, 3, date(2018, 12, 1), TOXI, flags(hypothesis=True)),
    (7, 3, date(2018, 12, 25), LYELL, flags()),  # 7 days before: counts
    (8, 3, date(2018, 12, 20), TOXI, flags("TOXIDERMIE")),  # another label
    (9, 3, date(2019, 1, 1), LYELL, flags(history=True)),  # index day, history
]


def _notes() -> dict[str, pa.Table]:
    ids, persons, dates, concepts, modifiers = zip(*MENTIONS, strict=True)
    n = len(MENTIONS)
    return {
        "concept": pa.table(
            {
                "concept_id": [TOXI, LYELL],
                "concept_name": ["Toxidermie", "Lyell"],
                "domain_id": ["Condition"] * 2,
                "vocabulary_id": ["CIM10"] * 2,
                "concept_class_id": ["Code"] * 2,
                "standard_concept": ["S"] * 2,
                "concept_code": ["L27.0", "L51.2"],
                "valid_start_date": [date(1970, 1, 1)] * 2,
                "valid_end_date": [date(2099, 12, 31)] * 2,
            }
        ),
        "note": note_table(ids, persons, dates, ["Compte rendu d'hospitalisation"] * n),
        "note_nlp": pa.table(
            {
                "note_nlp_id": [10 * i for i in ids],
                "note_id": ids,
                "lexical_variant": ["toxidermie"] * n,
                "note_nlp_concept_id": concepts,
                "nlp_date": [date(2024, 1, 1)] * n,
                "term_modifiers": modifiers,
            }
        ),
    }


@pytest.fixture(scope="module")
def notes_file(tmp_path_factory):
    """The tiny warehouse with its notes processed (read only)."""
    path = tmp_path_factory.mktemp("tiny-notes") / "eds.duckdb"
    with build_tiny(str(path)) as wh:
        write_tables(wh, _notes())
    return path


def test_only_affirmed_mentions_about_the_patient_become_covariates(
    notes_file, tmp_path
):
    data = yaml.safe_load(TINY_STUDY)
    data["covariates"] = {
        "demographics": False,
        **{domain: [] for domain in ("conditions", "drugs", "measurements", "visits")},
        "note_mentions": [30, 365, "all"],
        "min_persons": 1,
    }
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(data))
    loaded = load_study(tmp_path / "s.yaml")
    with Warehouse.open(notes_file, read_only=True) as wh:
        decision = Decision.unscoped(wh)
        population, matrix = study_data(wh, decision, loaded)
    assert population.person_ids.tolist() == [1, 2, 3]
    columns = {name: matrix.column(name).tolist() for name in matrix.names}
    assert columns == {
        "note_mention:300:30d": [1, 0, 0],
        "note_mention:300:365d": [1, 0, 0],
        "note_mention:300:all": [1, 0, 0],
        "note_mention:301:30d": [0, 0, 1],
        "note_mention:301:365d": [0, 0, 1],
        "note_mention:301:all": [0, 1, 1],
    }
    assert matrix.definitions["note_mention:301:365d"] == {
        "analysis": "note_mention",
        "domain": "note_mention",
        "window": "365 days before the index",
        "concept_id": LYELL,
        "concept_name": "Lyell",
    }
