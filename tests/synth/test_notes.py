"""Synthetic French clinical notes and their gold annotations."""

from __future__ import annotations

import re
import time
from datetime import date, datetime

import pyarrow as pa
import pytest

from entrepot.synth.notes import write_notes
from entrepot.synth.notes._lexicon import SYMPTOMS
from entrepot.synth.notes._text import NEGATED, Doc, Span, compile_template
from entrepot.warehouse.cdm import cdm_table
from entrepot.warehouse.vocabulary import local_concept_id

PRINCIPAL, ASSOCIATED = 32902, 32908


def _table(name: str, rows: list[dict]) -> pa.Table:
    """A CDM table from a few rows; columns not given are null."""
    schema = cdm_table(name).arrow_schema
    return pa.table(
        {f.name: [r.get(f.name) for r in rows] for f in schema}, schema=schema
    )


PEOPLE = [
    # person_id, sex, first, last, birth, ipp, nir
    (1, "F", "Martine", "Dubreuil", date(1968, 4, 2), "8000000011", "268047511234567"),
    (2, "M", "Gérard", "Lemaire", date(1955, 11, 23), "8000000022", "155119312345621"),
    (3, "F", "Inès", "Benhamou", date(1990, 7, 14), "8000000033", "290077505412388"),
]
# visit_id, person_id, kind, start, end, unit
STAYS = [
    (10, 1, "CONSULT", date(2019, 6, 3), date(2019, 6, 3), "Médecine interne"),
    (11, 1, "MCO", date(2021, 3, 10), date(2021, 3, 15), "Médecine interne"),
    (20, 2, "CONSULT", date(2021, 12, 1), date(2021, 12, 1), "Rhumatologie"),
    (21, 2, "URG", date(2022, 1, 4), date(2022, 1, 4), "Urgences"),
    (22, 2, "MCO", date(2022, 1, 5), date(2022, 1, 9), "Dermatologie"),
    (30, 3, "HDJ", date(2023, 5, 2), date(2023, 5, 2), "Neurologie"),
    (31, 3, "MCO", date(2023, 9, 1), date(2023, 9, 3), "Neurologie"),
]
DIAGNOSES = {  # visit_id -> [(CIM-10 code, principal?)]
    10: [("M34.0", True)],
    11: [("M34.0", True), ("I10", False), ("E78.0", False)],
    20: [("M10.9", True)],
    21: [("L27.0", True)],
    22: [("L27.0", True), ("M10.9", False), ("D72.1", False)],
    30: [("G43.0", True)],
    31: [("R51", True), ("G43.0", False)],
}
DRUGS = {  # visit_id -> [(ATC, product label)]
    10: [("L04AX01", "IMUREL 50 mg, comprimé pelliculé")],
    11: [
        ("L04AX01", "IMUREL 50 mg, comprimé pelliculé"),
        ("C08CA01", "AMLOR 5 mg, gélule"),
    ],
    20: [("M04AA01", "ZYLORIC 100 mg, comprimé")],
    22: [("D07AD01", "DERMOVAL 0,05 %, crème")],
    30: [("N02CC01", "IMIGRANE 50 mg, comprimé pelliculé")],
    31: [("N02BE01", "DOLIPRANE 1000 mg, comprimé")],
}
LABS = [  # LOINC, unit, value
    ("718-7", "g/dL", 11.2),
    ("1988-5", "mg/L", 42.0),
    ("14682-9", "umol/L", 88.0),
    ("711-2", "10*9/L", 1.9),
    ("8480-6", "mm[Hg]", 132.0),
    ("8462-4", "mm[Hg]", 78.0),
    ("8310-5", "Cel", 37.9),
    ("29463-7", "kg", 64.0),
]


def _chunk() -> tuple[dict[str, pa.Table], pa.Table, pa.Table]:
    people = {p[0]: p for p in PEOPLE}
    identities = pa.table(
        {
            "person_id": [p[0] for p in PEOPLE],
            "ipp": [p[5] for p in PEOPLE],
            "nir": [p[6] for p in PEOPLE],
            "sex": [p[1] for p in PEOPLE],
            "first_name": [p[2] for p in PEOPLE],
            "last_name": [p[3] for p in PEOPLE],
            "birth_date": pa.array([p[4] for p in PEOPLE], pa.date32()),
            "street": ["12 rue des Lilas", "3 avenue Jean Jaurès", "45 bd Voltaire"],
            "postcode": ["75010", "93100", "75011"],
            "city": ["Paris", "Montreuil", "Paris"],
            "phone": ["06 12 34 56 78", "01 48 57 22 10", "07 81 90 12 34"],
            "email": [
                "m.dubreuil@exemple.fr",
                "glemaire@exemple.fr",
                "ines.b@exemple.fr",
            ],
            "mother_first_name": ["Jeanne", "Odette", "Samia"],
            "mother_last_name": ["Morel", "Lemaire", "Haddad"],
            "gp_name": ["Dr Paul Lefèvre", "Dr Anne Caron", "Dr Hugo Petitjean"],
        }
    )
    stays = pa.table(
        {
            "visit_occurrence_id": [s[0] for s in STAYS],
            "person_id": [s[1] for s in STAYS],
            "nda": [f"21{s[0]:08d}" for s in STAYS],
            "hospital": ["Hôpital Saint-Antoine"] * 5 + ["Hôpital Lariboisière"] * 2,
            "unit": [s[5] for s in STAYS],
            "physician": ["Dr Julie Ferrand", "Dr Marc Vidal", "Pr Alain Roche"]
            + ["Dr Léa Simon"] * 4,
            "kind": [s[2] for s in STAYS],
        }
    )
    visits = _table(
        "visit_occurrence",
        [
            {"visit_occurrence_id": v, "person_id": p, "visit_start_date": s,
             "visit_end_date": e, "visit_start_datetime": datetime(s.year, s.month, s.day)}
            for v, p, _, s, e, _ in STAYS
        ],
    )  # fmt: skip
    stay_of = {s[0]: s for s in STAYS}
    conditions = _table(
        "condition_occurrence",
        [
            {"condition_occurrence_id": 100 * v + i, "person_id": stay_of[v][1],
             "condition_concept_id": local_concept_id("CIM10", code),
             "condition_source_value": code.replace(".", ""),
             "condition_start_date": stay_of[v][3], "visit_occurrence_id": v,
             "condition_status_concept_id": PRINCIPAL if main else ASSOCIATED}
            for v, codes in DIAGNOSES.items()
            for i, (code, main) in enumerate(codes)
        ],
    )  # fmt: skip
    drugs = _table(
        "drug_exposure",
        [
            {"drug_exposure_id": 100 * v + i, "person_id": stay_of[v][1],
             "drug_concept_id": local_concept_id("ATC", atc), "drug_source_value": label,
             "drug_exposure_start_date": stay_of[v][3], "visit_occurrence_id": v}
            for v, items in DRUGS.items()
            for i, (atc, label) in enumerate(items)
        ],
    )  # fmt: skip
    measurements = _table(
        "measurement",
        [
            {"measurement_id": 100 * v + i, "person_id": p, "visit_occurrence_id": v,
             "measurement_source_value": loinc, "unit_source_value": unit,
             "value_as_number": value, "measurement_date": s}
            for v, p, _, s, _, _ in STAYS
            for i, (loinc, unit, value) in enumerate(LABS)
        ]
        + [{"measurement_id": 99, "person_id": 1, "visit_occurrence_id": 11,
            "measurement_source_value": "5348-8", "value_source_value": "positif"}],
    )  # fmt: skip
    tables = {
        "person": _table("person", [{"person_id": p} for p in people]),
        "visit_occurrence": visits,
        "condition_occurrence": conditions,
        "drug_exposure": drugs,
        "measurement": measurements,
        "death": _table("death", [{"person_id": 3, "death_date": date(2023, 9, 3)}]),
    }
    return tables, identities, stays


@pytest.fixture(scope="module")
def written() -> tuple[pa.Table, pa.Table]:
    tables, identities, stays = _chunk()
    note, annotations, _ = write_notes(
        tables, identities, stays, seed=7, first_note_id=1000
    )
    return note, annotations


@pytest.fixture(scope="module")
def rows(written) -> tuple[list[dict], list[dict]]:
    note, annotations = written
    return note.to_pylist(), annotations.to_pylist()


def _spans(annotations: list[dict], note_id: int, **where) -> list[dict]:
    return [
        a
        for a in annotations
        if a["note_id"] == note_id and all(a[k] == v for k, v in where.items())
    ]


def test_schemas(written):
    from entrepot.warehouse._warehouse import BOOKKEEPING

    note, annotations = written
    assert note.schema == cdm_table("note").arrow_schema
    assert annotations.schema.names == list(BOOKKEEPING["note_annotation"].names)
    assert note.num_rows > 20 and annotations.num_rows > 300


def test_note_fields(rows):
    notes, _ = rows
    ids = [n["note_id"] for n in notes]
    assert ids == list(range(1000, 1000 + len(notes)))
    assert {n["note_type_concept_id"] for n in notes} == {32817}
    assert {n["encoding_concept_id"] for n in notes} == {32678}
    assert {n["language_concept_id"] for n in notes} == {4180190}
    assert {n["note_class_concept_id"] for n in notes} == {0}
    stays = {s[0]: s for s in STAYS}
    for n in notes:
        _, person, _, start, end, _ = stays[n["visit_occurrence_id"]]
        assert n["person_id"] == person
        assert start <= n["note_date"] <= end
        assert n["note_datetime"].date() == n["note_date"]


def test_documents_per_stay(rows):
    notes, _ = rows
    kinds: dict[int, list[str]] = {}
    for n in notes:
        kinds.setdefault(n["visit_occurrence_id"], []).append(n["note_source_value"])
    assert kinds[11].count("CRH") == 1 and kinds[11].count("ORDONNANCE") == 1
    assert kinds[11].count("NOTE-IDE") == 5  # one a day, six days
    assert "CR-ANAPATH" in kinds[11] and "CR-ANAPATH" in kinds[22]  # M34.0, L27.0
    assert "CR-IRM" in kinds[31] and "CR-IRM" in kinds[30]  # headache, migraine
    assert "CR-IRM" not in kinds[11]
    assert "CR-CONSULT" in kinds[10] and "CR-HDJ" in kinds[30]
    assert "CR-URG" in kinds[21]
    assert "ORDONNANCE" not in kinds[31]  # died on the last day of the stay


def test_a_recorded_brain_mri_has_its_report_and_gold_values():
    """A stay with a brain MRI (CCAM ACQN001) and no headache code gets the
    report, on the procedure's day, with the four gold values of brain_mri."""
    tables, identities, stays = _chunk()
    day = date(2022, 1, 7)
    tables["procedure_occurrence"] = _table(
        "procedure_occurrence",
        [{"procedure_occurrence_id": 1, "person_id": 2, "visit_occurrence_id": 22,
          "procedure_source_value": "ACQN001", "procedure_date": day}],
    )  # fmt: skip
    note, _, truth = write_notes(tables, identities, stays, seed=7, first_note_id=1)
    mris = {n["visit_occurrence_id"]: n for n in note.to_pylist()
            if n["note_source_value"] == "CR-IRM"}  # fmt: skip
    assert sorted(mris) == [22, 30, 31] and mris[22]["note_date"] == day
    rows = [r for r in truth.to_pylist() if r["note_id"] == mris[22]["note_id"]]
    assert sorted(r["field"] for r in rows) == [
        "abnormal", "contrast", "explains_headache", "headache"
    ]  # fmt: skip
    assert {(r["person_id"], r["module"], r["onset_date"]) for r in rows} == {
        (2, "brain_mri", day)
    }
    assert truth.num_rows == 4 * len(mris)


def test_death_in_discharge_letter(rows):
    notes, annotations = rows
    crh = next(n for n in notes if n["note_source_value"] == "CRH"
               and n["visit_occurrence_id"] == 31)  # fmt: skip
    assert "décéd" in crh["note_text"] or "décès" in crh["note_text"]
    assert "Traitement de sortie" not in crh["note_text"]
    dates = {a["text"] for a in _spans(annotations, crh["note_id"], label="DATE")}
    assert dates & {"03/09/2023", "3 septembre 2023"}


def test_spans_match_text(rows):
    notes, annotations = rows
    text = {n["note_id"]: n["note_text"] for n in notes}
    for a in annotations:
        assert a["text"] == text[a["note_id"]][a["start"] : a["end"]]
        assert a["start"] < a["end"]
    assert {a["kind"] for a in annotations} == {"entity", "identifier"}


#: Findings a patient may present with, affirmed without being coded.
FELT = {f"CIM10:{c}" for codes in SYMPTOMS.values() for c in codes}


def test_coded_diagnoses_affirmed_in_discharge_letter(rows):
    """Every coded diagnosis, and besides them only the 1 or 2 findings the
    patient presented with."""
    notes, annotations = rows
    presented = 0
    for n in notes:
        if n["note_source_value"] != "CRH":
            continue
        affirmed = {
            a["concept_code"]
            for a in _spans(annotations, n["note_id"], label="DISEASE", negation=False,
                            hypothesis=False, family=False, history=False)
        }  # fmt: skip
        coded = {f"CIM10:{c}" for c, _ in DIAGNOSES[n["visit_occurrence_id"]]}
        assert coded <= affirmed
        assert affirmed - coded <= FELT and len(affirmed - coded) <= 2
        presented += len(affirmed - coded)
    assert presented >= 1


def test_affirmed_mentions_are_coded(rows):
    """Negated, hypothetical and family mentions are never of coded diseases;
    affirmed ones always are, but for the findings a patient presents with,
    which the notes of that stay never rule out."""
    notes, annotations = rows
    visit = {n["note_id"]: n["visit_occurrence_id"] for n in notes}
    person = {s[0]: s[1] for s in STAYS}
    ever: dict[int, set[str]] = {}
    for v, codes in DIAGNOSES.items():
        ever.setdefault(person[v], set()).update(f"CIM10:{c}" for c, _ in codes)
    felt: dict[int, set[str]] = {}
    ruled_out: dict[int, set[str]] = {}
    for a in annotations:
        if a["label"] != "DISEASE":
            continue
        v = visit[a["note_id"]]
        if a["negation"] or a["hypothesis"] or a["family"]:
            assert a["concept_code"] not in ever[person[v]]
            if not a["family"]:
                ruled_out.setdefault(v, set()).add(a["concept_code"])
        elif not a["history"]:
            coded = {f"CIM10:{c}" for c, _ in DIAGNOSES[v]}
            if a["concept_code"] not in coded:
                assert a["concept_code"] in FELT
                felt.setdefault(v, set()).add(a["concept_code"])
    assert felt
    assert all(not codes & ruled_out.get(v, set()) for v, codes in felt.items())


CUES = {
    "negation": ("pas ", "pas d", "absence", "aucun"),
    "hypothesis": ("suspicion", "évoqu", "hypothèse", "possible", "?", "diagnostics"),
    "family": ("mère", "père", "frère", "sœur", "familia", "grand-mère"),
    "history": ("antécédent", "en 1", "en 2", "notion", "suivi", "hospitalisé"),
}


def test_qualifiers_have_their_cue(rows):
    """Each qualified mention sits in a sentence that says so."""
    notes, annotations = rows
    text = {n["note_id"]: n["note_text"] for n in notes}
    seen = dict.fromkeys(CUES, 0)
    for a in annotations:
        body = text[a["note_id"]]
        begin = max(body.rfind(".", 0, a["start"]), body.rfind("\n", 0, a["start"]))
        end = min(
            i for i in (body.find(".", a["end"]), body.find("\n", a["end"])) if i >= 0
        )
        sentence = body[begin + 1 : end + 1].lower()
        for flag, cues in CUES.items():
            if a[flag]:
                seen[flag] += 1
                assert any(c in sentence for c in cues), (flag, sentence)
    assert all(seen.values()), seen


def _markup(doc: Doc) -> str:
    """The text with edsnlp-style inline entities: <ent negated=true>...</ent>."""
    text, out, last = doc.text(), [], 0
    for start, end, _, label, _, _, neg, hyp, fam, hist in doc.spans:
        flags = [n for n, f in zip(("negated", "hypothesis", "family", "history"),
                                    (neg, hyp, fam, hist), strict=True) if f]  # fmt: skip
        attrs = "".join(f" {f}=true" for f in flags)
        out += [text[last:start], f"<{label}{attrs}>{text[start:end]}</{label}>"]
        last = end
    return "".join([*out, text[last:]])


@pytest.mark.parametrize(
    ("template", "female", "flags", "expected"),
    [
        (
            "Pas {de}{x}.",
            False,
            NEGATED,
            "Pas de <DISEASE negated=true>fièvre</DISEASE>.",
        ),
        (
            "{Il} ne présente pas {de}{x}.",
            True,
            NEGATED,
            "Elle ne présente pas de <DISEASE negated=true>fièvre</DISEASE>.",
        ),
        (
            "Tableau évoquant {a}possible {x}.",
            False,
            (False, True, False, False),
            "Tableau évoquant une possible <DISEASE hypothesis=true>fièvre</DISEASE>.",
        ),
        (
            "Sa mère a présenté {a}{x}.",
            True,
            (False, False, True, False),
            "Sa mère a présenté une <DISEASE family=true>fièvre</DISEASE>.",
        ),
    ],
)
def test_template_flags(template, female, flags, expected):
    doc = Doc(female)
    values = {"x": Span("fièvre", "entity", "DISEASE", "CIM10:R50.9"), "a": "une ",
              "de": "de "}  # fmt: skip
    doc.fill(compile_template(template), values, flags)
    assert _markup(doc) == expected


def test_real_sentences_flagged(rows):
    """Some wordings of the phrase book, found in the notes with their flags."""
    notes, annotations = rows
    text = {n["note_id"]: n["note_text"] for n in notes}
    found = 0
    for a in annotations:
        before = text[a["note_id"]][max(0, a["start"] - 30) : a["start"]]
        if before.endswith(("Pas de ", "Absence de ", "Absence d'", "Pas d'")):
            assert a["negation"] and not a["hypothesis"]
            found += 1
        if before.endswith(("Suspicion de ", "Suspicion d'", "Hypothèse de ")):
            assert a["hypothesis"] and not a["negation"]
            found += 1
        if before.endswith("Sa mère a présenté une ") or before.endswith(
            "Sa mère a présenté un "
        ):
            assert a["family"]
            found += 1
    assert found >= 3


IDENTITY = {
    "first_name": "PRENOM",
    "last_name": "NOM",
    "ipp": "IPP",
    "nir": "NSS",
    "street": "ADRESSE",
    "postcode": "ZIP",
    "city": "VILLE",
    "phone": "TEL",
    "email": "MAIL",
}


def test_identifiers_annotated(rows):
    notes, annotations = rows
    _, identities, stays = _chunk()
    who = {r["person_id"]: r for r in identities.to_pylist()}
    for n in notes:
        if n["note_source_value"] != "CRH":
            continue
        person = who[n["person_id"]]
        spans = {(a["label"], a["text"]) for a in _spans(annotations, n["note_id"])}
        for field, label in IDENTITY.items():
            assert person[field] in n["note_text"]
            assert (label, person[field]) in spans, field
        birth = person["birth_date"].strftime("%d/%m/%Y")
        assert ("DATE_NAISSANCE", birth) in spans
        stay = stays.filter(pa.compute.equal(stays["visit_occurrence_id"],
                                             n["visit_occurrence_id"])).to_pylist()[0]  # fmt: skip
        assert ("NDA", stay["nda"]) in spans and ("HOPITAL", stay["hospital"]) in spans
        assert ("PRENOM", "Paul") in spans or n["person_id"] != 1  # the GP
        assert any(label == "DATE" for label, _ in spans)
    labels = {a["label"] for a in annotations if a["kind"] == "identifier"}
    assert labels == {"NOM", "PRENOM", "DATE", "DATE_NAISSANCE", "ADRESSE", "VILLE",
                      "ZIP", "TEL", "MAIL", "NSS", "IPP", "NDA", "HOPITAL"}  # fmt: skip
    assert not any(a[f] for a in annotations if a["kind"] == "identifier"
                   for f in ("negation", "hypothesis", "family", "history"))  # fmt: skip


def test_drugs_and_labs_annotated(rows):
    notes, annotations = rows
    rx = next(n for n in notes if n["note_source_value"] == "ORDONNANCE"
              and n["visit_occurrence_id"] == 11)  # fmt: skip
    drugs = {(a["text"], a["concept_code"]) for a in _spans(annotations, rx["note_id"],
                                                            label="DRUG")}  # fmt: skip
    assert drugs == {("IMUREL", "ATC:L04AX01"), ("AMLOR", "ATC:C08CA01")}
    assert "IMUREL 50 mg, comprimé pelliculé" in rx["note_text"]
    crh = next(n for n in notes if n["note_source_value"] == "CRH"
               and n["visit_occurrence_id"] == 11)  # fmt: skip
    labs = {(a["text"], a["concept_code"]) for a in _spans(annotations, crh["note_id"],
                                                           label="LAB")}  # fmt: skip
    assert ("Hémoglobine", "LOINC:718-7") in labs and ("CRP", "LOINC:1988-5") in labs
    assert ("Anticorps anti-Scl-70", "LOINC:5348-8") in labs
    assert re.search(r"Hémoglobine 11,2 g/dL", crh["note_text"])
    assert "Anticorps anti-Scl-70 : positif" in crh["note_text"]


def test_deterministic():
    tables, identities, stays = _chunk()
    one = write_notes(tables, identities, stays, seed=7, first_note_id=1)
    two = write_notes(tables, identities, stays, seed=7, first_note_id=1)
    other = write_notes(tables, identities, stays, seed=8, first_note_id=1)
    assert one[0].equals(two[0]) and one[1].equals(two[1]) and one[2].equals(two[2])
    assert one[0]["note_text"].to_pylist() != other[0]["note_text"].to_pylist()


def test_speed_smoke():
    """Notes per second on this machine (printed; no assertion on time)."""
    tables, identities, stays = _chunk()
    started = time.perf_counter()
    total = 0
    for seed in range(30):
        note, _, _ = write_notes(tables, identities, stays, seed=seed, first_note_id=1)
        total += note.num_rows
    rate = total / (time.perf_counter() - started)
    print(f"{rate:,.0f} notes/s")
    assert total > 0
