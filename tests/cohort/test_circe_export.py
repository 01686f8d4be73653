"""Circe export: entrepot definitions written as Circe JSON give, through the
SQL that OHDSI's circepy generates for them, the rows `entrepot cohort run`
gives on the same synthetic hospital; imported back, the same definition; what
Circe cannot express is refused by name."""

from __future__ import annotations

import json
import shutil

import pytest
import yaml

from bench.cohort import circe_rows, circe_sql, entrepot_rows, run_circe
from entrepot.cli import main
from entrepot.cohort import (
    definition_from_data,
    definition_yaml,
    run_cohort,
    to_circe,
)
from entrepot.errors import CirceExportError
from entrepot.privacy import entries
from entrepot.warehouse import Warehouse

from .circe_cases import CASES, DOMAIN_CASES, HAND_WORKED_CASES
from .conftest import HOSPITAL_PATIENTS, build_tiny

#: Definitions as a clinician writes them (codes of the hospital's vocabularies).
DEFINITIONS = {
    "nested groups, exclusion, windows, demographics": """
name: hypertension, nested rules
concept_sets:
  htn: {items: [{vocabulary: CIM10, code: I10, descendants: true}]}
  lipids: {items: [{vocabulary: CIM10, code: E78.5}]}
  diabetes: {items: [{vocabulary: CIM10, code: E11, descendants: true}]}
  ramipril: {items: [{vocabulary: ATC, code: C09AA05}]}
  enoxaparin: {items: [{vocabulary: ATC, code: B01AB05}]}
  systolic: {items: [{vocabulary: LOINC, code: 8480-6}]}
entry:
  events: [{condition: {concept_set: htn, first: true}}]
inclusion_rules:
  - name: women of 50 or more, or ramipril the year before
    criteria:
      type: any
      demographics: [{age: {gte: 50}, gender: [female]}]
      criteria:
        - event: {drug: {concept_set: ramipril}}
          window: {start: -365, end: 0}
  - name: no enoxaparin in the 30 days before
    criteria:
      criteria:
        - event: {drug: {concept_set: enoxaparin}}
          window: {start: -30, end: -1}
          occurrence: {type: at_most, count: 0}
  - name: two of three
    criteria:
      type: at_least
      count: 2
      criteria:
        - event: {condition: {concept_set: lipids}}
          window: {end: 0}
        - event: {measurement: {concept_set: systolic, value: {gt: 140}}}
          window: {start: -365, end: 365}
      groups:
        - type: any
          criteria:
            - event: {condition: {concept_set: diabetes}}
              window: {start: -3650, end: 30}
exit:
  offset: {date: start, days: 365}
  era_pad: 30
""",
    "lab values, inpatient stays, end window, exit after the end": """
name: hyperkalaemia in hospital
concept_sets:
  potassium: {items: [{vocabulary: LOINC, code: 2823-3}]}
  inpatient: {items: [{vocabulary: Visit, code: IP}]}
  furosemide: {items: [{vocabulary: ATC, code: C03CA01}]}
entry:
  events: [{measurement: {concept_set: potassium, value: {gte: 5.5}}}]
  limit: all
  criteria:
    criteria:
      - event: {visit: {concept_set: inpatient}}
        window: {start: -1, end: 0}
        end_window: {start: 0, end: observation_end}
  criteria_limit: first
inclusion_rules:
  - name: furosemide twice in the stay, on different days
    criteria:
      criteria:
        - event: {drug: {concept_set: furosemide}}
          same_visit: true
          occurrence: {type: at_least, count: 2, distinct: start_date}
limit: first
exit:
  offset: {date: end, days: 7}
""",
    "eras, an age range, drug era exit": """
name: paracetamol eras
concept_sets:
  paracetamol: {items: [{vocabulary: ATC, code: N02BE01}]}
  htn: {items: [{vocabulary: CIM10, code: I10, descendants: true}]}
entry:
  events:
    - drug_era:
        concept_set: paracetamol
        length: {gte: 10}
        occurrence_count: {gte: 2}
  prior_days: 30
inclusion_rules:
  - name: a hypertension era before, adults under 65
    criteria:
      demographics: [{age: {gte: 18, lt: 65}}]
      criteria:
        - event: {condition_era: {concept_set: htn}}
          window: {end: 0}
exit:
  drug_era: {concept_set: paracetamol, gap_days: 30, offset: 7}
""",
    "emergency visits: dates, criteria on the visit, censoring": """
name: syncope at the emergency room
concept_sets:
  er: {items: [{vocabulary: Visit, code: ER}]}
  syncope: {items: [{vocabulary: CIM10, code: R55}]}
  pain: {items: [{vocabulary: CIM10, code: R07.4}]}
entry:
  events:
    - visit:
        concept_set: er
        start_date: {gte: 2012-01-01}
        criteria:
          criteria:
            - event: {condition: {concept_set: syncope}}
              same_visit: true
  limit: all
inclusion_rules:
  - name: no chest pain that day or after
    criteria:
      criteria:
        - event: {condition: {concept_set: pain}}
          window: {start: 0, end: observation_end}
          occurrence: {type: exactly, count: 0}
exit:
  offset: {date: end, days: 0}
  censoring: [{death: {}}]
""",
}
#: circepy 0.3.0's SQL for visit details does not run (see circe_cases):
#: intensive care stays are checked by their round trip only.
ICU = """
name: intensive care
concept_sets:
  icu: {items: [{vocabulary: Visit, code: OMOP generated}]}
entry:
  events: [{visit_detail: {concept_set: icu, length: {gte: 2}}}]
  limit: all
exit:
  offset: {date: end, days: 0}
"""
ATLAS = CASES | DOMAIN_CASES | HAND_WORKED_CASES


def _definition(text: str):
    return definition_from_data(yaml.safe_load(text), "cohort.yaml")


@pytest.fixture(scope="module")
def hospital(hospital_folder, tmp_path_factory):
    """A writable copy of the session's synthetic hospital. One thread:
    DuckDB 1.4.5 run with several drops rows of some nested UNION ALL
    (entrepot's concept sets among them), on both routes alike."""
    from bench.cohort import warehouse_path

    path = tmp_path_factory.mktemp("circe-export") / "hospital.duckdb"
    shutil.copy(warehouse_path(hospital_folder, HOSPITAL_PATIENTS), path)
    with Warehouse.open(path) as wh:
        wh.con.con.execute("SET threads = 1")
        yield wh


@pytest.mark.parametrize("name", list(DEFINITIONS))
def test_circepy_gives_the_rows_of_cohort_run(hospital, name):
    cohort_id = list(DEFINITIONS).index(name) + 1
    definition = _definition(DEFINITIONS[name])
    expression = to_circe(hospital, definition, "cohort.yaml")
    result = run_cohort(hospital, definition, cohort_id=cohort_id)
    run_circe(hospital, circe_sql(expression, cohort_id))
    expected = circe_rows(hospital, cohort_id)
    assert entrepot_rows(hospital, cohort_id) == expected
    assert result.entries == len(expected) > 0
    assert result.count == len({person for person, _, _ in expected})
    imported = definition_from_data(expression, "circe.json")
    run_cohort(hospital, imported, cohort_id=cohort_id + 100)
    assert entrepot_rows(hospital, cohort_id + 100) == expected


def test_codes_are_the_warehouses_concept_ids(hospital):
    expression = to_circe(hospital, _definition(DEFINITIONS["eras, an age range, drug era exit"]))  # fmt: skip
    c = hospital.table("concept")
    row = c.filter((c.vocabulary_id == "ATC") & (c.concept_code == "N02BE01"))
    paracetamol = row.concept_id.to_pyarrow().to_pylist()[0]
    (item,) = expression["ConceptSets"][0]["expression"]["items"]
    assert item["concept"]["CONCEPT_ID"] == paracetamol
    assert (item["concept"]["VOCABULARY_ID"], item["concept"]["CONCEPT_CODE"]) == (
        "ATC",
        "N02BE01",
    )
    assert expression["PrimaryCriteria"]["ObservationWindow"] == {
        "PriorDays": 30,
        "PostDays": 0,
    }
    era = expression["PrimaryCriteria"]["CriteriaList"][0]["DrugEra"]
    assert era["EraLength"] == {"Value": 10, "Op": "gte"}
    rule = expression["InclusionRules"][0]["expression"]
    # an open bound of whole years closes one year in: 18 to 64
    assert rule["DemographicCriteriaList"] == [
        {"Age": {"Value": 18, "Op": "bt", "Extent": 64}}
    ]
    assert expression["EndStrategy"] == {
        "CustomEra": {
            "DrugCodesetId": 0,
            "GapDays": 30,
            "Offset": 7,
            "DaysSupplyOverride": None,
        }
    }


@pytest.mark.parametrize("name", list(ATLAS))
def test_an_atlas_export_round_trips(hospital, name):
    """ATLAS's JSON imported, written back and imported again: the same
    definition (the name and metadata aside), and the same JSON written."""
    first = definition_from_data(ATLAS[name], "atlas.json", default_name=name)
    written = to_circe(hospital, first)
    again = definition_from_data(written, "circe.json")
    assert again.model_dump(exclude={"name", "metadata"}) == first.model_dump(
        exclude={"name", "metadata"}
    )
    assert (again.name, to_circe(hospital, again)) == (name, written)


@pytest.mark.parametrize(
    "text", [*DEFINITIONS.values(), ICU], ids=[*DEFINITIONS, "ICU"]
)
def test_a_definition_round_trips(hospital, text):
    """Written as Circe and imported, the codes become the concept ids and the
    concept sets are named by their Circe ids: written again, the same JSON
    (test_circepy_gives_the_rows_of_cohort_run: the same rows). Written as
    YAML (the builder's), the same definition."""
    definition = _definition(text)
    written = to_circe(hospital, definition)
    again = definition_from_data(written, "circe.json")
    assert list(again.concept_sets) == [f"codeset_{i}" for i in range(len(definition.concept_sets))]  # fmt: skip
    renamed = [s | {"name": f"codeset_{s['id']}"} for s in written["ConceptSets"]]
    assert to_circe(hospital, again) == written | {"ConceptSets": renamed}
    assert _definition(definition_yaml(definition)) == definition
    assert _definition(definition_yaml(again)) == again


ENTRY = "entry.events[0]"
REFUSED = [
    (
        "entry: {events: [{note_mention: {label: [DISEASE]}}]}",
        f"{ENTRY} (mentions found in notes: Circe has no such criteria)",
    ),
    (
        "entry: {events: [{extraction: {schema: brain_mri, field: tumour}}]}",
        f"{ENTRY} (fields extracted from notes: Circe has no such criteria)",
    ),
    (
        "entry: {events: [{cohort: {cohort: 3}}]}",
        f"{ENTRY} (membership in a saved cohort: Circe has no such criteria)",
    ),
    (
        "entry: {events: [{visit_detail: {age: {gte: 18}}}]}",
        f"{ENTRY}.age (Circe's VisitDetail criteria have no such attribute)",
    ),
    (
        "entry: {events: [{visit_detail: {type_concept: [32817]}}]}",
        f"{ENTRY}.type_concept (Circe's VisitDetail criteria take a concept set here)",
    ),
    (
        "entry: {events: [{measurement: {value: {gt: 5, lt: 10}}}]}",
        f"{ENTRY}.value (Circe takes one bound, or both ends of a range)",
    ),
    (
        "entry: {events: [{drug_era: {gap_days: {lt: 5}, length: {gte: 30}}}]}",
        f"{ENTRY}.gap_days (Circe compares gap_days with the EraLength range:"
        " length must be the same range, or none)",
    ),
    (
        """entry: {events: [{condition: {}}]}
inclusion_rules:
  - name: r
    criteria:
      groups:
        - criteria:
            - event: {condition: {criteria: {criteria: [{event: {note_mention: {label: [DRUG]}}}]}}}""",
        "inclusion_rules[0].criteria.groups[0].criteria[0].event.criteria"
        ".criteria[0].event (mentions found in notes: Circe has no such criteria)",
    ),
]


@pytest.mark.parametrize(("text", "named"), REFUSED)
def test_what_circe_cannot_express_is_refused_by_name(hospital, text, named):
    definition = _definition(f"name: refused\n{text}\n")
    with pytest.raises(CirceExportError) as refused:
        to_circe(hospital, definition, "cohort.yaml")
    assert str(refused.value) == f"cohort.yaml: not expressible in Circe: {named}"


GI = """\
name: GI bleeds
concept_sets:
  gi: {items: [{vocabulary: CIM10, code: K92, descendants: true}]}
entry:
  events: [{condition: {concept_set: gi}}]
exit:
  offset: {days: 30}
"""


def test_cohort_export_writes_circe_json_on_stdout(tmp_path, capsys):
    uri = str(tmp_path / "eds.duckdb")
    build_tiny(uri).close()
    path = tmp_path / "gi.yaml"
    path.write_text(GI)
    assert main(["cohort", "export", str(path), "--format", "circe", "-w", uri]) == 0
    written = json.loads(capsys.readouterr().out)
    (item,) = written["ConceptSets"][0]["expression"]["items"]
    assert (item["concept"]["CONCEPT_ID"], item["includeDescendants"]) == (100, True)
    assert written["EndStrategy"] == {
        "DateOffset": {"DateField": "StartDate", "Offset": 30}
    }
    argv = ["cohort", "export", str(path), "--format", "circe", "-w", uri, "--json"]
    assert main(argv) == 0
    assert json.loads(capsys.readouterr().out) == written
    with Warehouse.open(uri, read_only=True) as wh:
        log = [(e["user"], e["action"]) for e in entries(wh)][-2:]
    assert log == [("root", "authorise.count"), ("root", "cohort.circe")]
    path.write_text("name: m\nentry: {events: [{note_mention: {label: [DISEASE]}}]}\n")
    assert main(["cohort", "export", str(path), "--format", "circe", "-w", uri]) == 2
    assert capsys.readouterr().err.strip() == (
        f"entrepot: error: {path}: not expressible in Circe: entry.events[0]"
        " (mentions found in notes: Circe has no such criteria)"
    )
