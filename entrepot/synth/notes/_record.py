"""The structured record of one chunk, regrouped per stay for writing notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from functools import cache

import pyarrow as pa
import pyarrow.compute as pc

from entrepot.synth.notes._lexicon import DISEASE_FORMS, LABS, UNITS, VITALS
from entrepot.warehouse.vocabulary import bundled_vocabulary, lab_tests

PRINCIPAL = 32902
VITAL_SET = frozenset(VITALS)
TITLES = ("Dr ", "Dr. ", "Pr ", "Pr. ", "Docteur ", "Professeur ")


@dataclass(slots=True)
class Person:
    """A patient's identity, vital status and whole coded history in the chunk."""

    person_id: int
    female: bool
    first: str
    last: str
    birth: date
    street: str
    postcode: str
    city: str
    phone: str
    email: str
    ipp: str
    nir: str
    mother: tuple[str, str]
    gp: tuple[str, str]
    death: date | None = None
    codes: set[str] = field(default_factory=set)  # every category and code coded
    past: list[tuple[date, str]] = field(default_factory=list)  # (stay start, code)
    drugs: list[tuple[date, tuple]] = field(default_factory=list)  # (start, drug)


@dataclass(slots=True)
class Stay:
    """One visit with what the record says happened during it."""

    visit_id: int
    person: Person
    nda: str
    hospital: str
    unit: str
    physician: tuple[str, str]
    kind: str
    start: date
    end: date
    diagnoses: list[str] = field(default_factory=list)  # dotted CIM-10, principal first
    drugs: list[tuple[str, str, str, str]] = field(
        default_factory=list
    )  # atc, inn, label, sig
    labs: dict[str, tuple[float | None, str, str | None]] = field(default_factory=dict)
    vitals: dict[str, list[float]] = field(default_factory=dict)  # LOINC -> values
    procedures: dict[str, date] = field(default_factory=dict)  # CCAM -> first day


@dataclass(frozen=True, slots=True)
class Lexicon:
    """Names looked up once per process: CIM-10 and ATC codes and labels."""

    cim10: dict[int, tuple[str, str]]  # concept_id -> (code, French name)
    cim10_names: dict[str, str]  # code -> French name
    atc: dict[int, tuple[str, str]]  # concept_id -> (code, ingredient)
    lab_names: dict[str, str]  # LOINC -> name written in notes
    lab_units: dict[str, str]  # LOINC -> unit as notes write it
    lab_ranges: dict[str, tuple[float | None, float | None]]


@cache
def lexicon() -> Lexicon:
    """The lookups, built once per process from the bundled vocabulary."""
    concept = bundled_vocabulary()["concept"].select(
        ["concept_id", "concept_name", "vocabulary_id", "concept_code"]
    )
    ids = concept["concept_id"].to_pylist()
    names = concept["concept_name"].to_pylist()
    vocabularies = concept["vocabulary_id"].to_pylist()
    codes = concept["concept_code"].to_pylist()
    cim10, atc = {}, {}
    for i, name, vocabulary, code in zip(ids, names, vocabularies, codes, strict=True):
        if vocabulary == "CIM10":
            cim10[i] = (code, name)
        elif vocabulary == "ATC":
            atc[i] = (code, name)
    tests = {t.loinc: t for t in lab_tests()}
    wanted = [*LABS, *VITALS]
    return Lexicon(
        cim10=cim10,
        cim10_names=dict(cim10.values()),
        atc=atc,
        lab_names={k: LABS.get(k) or tests[k].name_fr for k in wanted},
        lab_units={
            k: UNITS.get(tests[k].unit or "", tests[k].unit or "") for k in wanted
        },
        lab_ranges={k: (tests[k].low, tests[k].high) for k in wanted},
    )


def cim10_forms(code: str, name: str | None) -> tuple[tuple[str, str], ...]:
    """How a note names a CIM-10 code: curated forms, else the cleaned label."""
    forms = DISEASE_FORMS.get(code) or DISEASE_FORMS.get(code[:3])
    if forms:
        return forms
    text = (name or code).split(", sans précision")[0].split(", non précisé")[0]
    if len(text) > 1 and not text[1].isupper():
        text = text[0].lower() + text[1:]
    first = text.split(" ", 1)[0]
    art = (
        "des "
        if first.endswith("s")
        else "une "
        if first.endswith(("e", "ion"))
        else "un "
    )
    return ((art, text),)


def split_name(full: str | None) -> tuple[str, str]:
    """A physician's name as (first name, last name), without "Dr"."""
    full = (full or "").strip()
    for title in TITLES:
        if full.startswith(title):
            full = full[len(title) :].strip()
            break
    first, _, last = full.partition(" ")
    return (first, last) if last else ("", first)


def _columns(table: pa.Table, names: list[str]) -> list[list]:
    return [table[n].to_pylist() for n in names]


def read_record(
    tables: dict[str, pa.Table], identities: pa.Table, stays: pa.Table
) -> list[Stay]:
    """The chunk's stays, in input order, each with its person and its facts."""
    lex = lexicon()
    people: dict[int, Person] = {}
    for row in identities.to_pylist():
        people[row["person_id"]] = Person(
            person_id=row["person_id"],
            female=row["sex"] == "F",
            first=row["first_name"],
            last=row["last_name"],
            birth=row["birth_date"],
            street=row["street"],
            postcode=row["postcode"],
            city=row["city"],
            phone=row["phone"],
            email=row["email"],
            ipp=row["ipp"],
            nir=row["nir"],
            mother=(row["mother_first_name"], row["mother_last_name"]),
            gp=split_name(row["gp_name"]),
        )
    death = tables.get("death")
    if death is not None and death.num_rows:
        for pid, day in zip(*_columns(death, ["person_id", "death_date"]), strict=True):
            if pid in people:
                people[pid].death = day

    visits = tables["visit_occurrence"]
    dates = {
        v: (s, e or s)
        for v, s, e in zip(
            *_columns(
                visits, ["visit_occurrence_id", "visit_start_date", "visit_end_date"]
            ),
            strict=True,
        )
    }
    out: dict[int, Stay] = {}
    for v, pid, nda, hospital, unit, physician, kind in zip(
        *_columns(
            stays,
            [
                "visit_occurrence_id",
                "person_id",
                "nda",
                "hospital",
                "unit",
                "physician",
                "kind",
            ],
        ),
        strict=True,
    ):
        if v not in dates or pid not in people:
            continue
        start, end = dates[v]
        out[v] = Stay(
            v, people[pid], nda, hospital, unit, split_name(physician), kind, start, end
        )

    _add_diagnoses(out, tables["condition_occurrence"], lex)
    _add_drugs(out, tables["drug_exposure"], lex)
    _add_labs(out, tables["measurement"])
    if "procedure_occurrence" in tables:
        _add_procedures(out, tables["procedure_occurrence"])
    return list(out.values())


def _add_diagnoses(out: dict[int, Stay], table: pa.Table, lex: Lexicon) -> None:
    """Each stay's CIM-10 codes, principal diagnosis first."""
    principal: dict[int, list[str]] = {}
    associated: dict[int, list[str]] = {}
    for v, concept, source, status in zip(
        *_columns(
            table,
            [
                "visit_occurrence_id",
                "condition_concept_id",
                "condition_source_value",
                "condition_status_concept_id",
            ],
        ),
        strict=True,
    ):
        stay = out.get(v)
        if stay is None:
            continue
        known = lex.cim10.get(concept)
        code = known[0] if known else _dotted(source or "")
        if not code:
            continue
        (principal if status == PRINCIPAL else associated).setdefault(v, []).append(
            code
        )
        person = stay.person
        person.codes.add(code)
        person.codes.add(code[:3])
        person.past.append((stay.start, code))
    for v, stay in out.items():
        codes = principal.get(v, []) + associated.get(v, [])
        stay.diagnoses = list(dict.fromkeys(codes))


def _dotted(code: str) -> str:
    """An undotted PMSI code as CIM-10 writes it: M340 -> M34.0."""
    code = code.replace(".", "").strip()
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


def _add_drugs(out: dict[int, Stay], table: pa.Table, lex: Lexicon) -> None:
    seen: set[tuple[int, str]] = set()
    for v, concept, label, sig in zip(
        *_columns(
            table,
            ["visit_occurrence_id", "drug_concept_id", "drug_source_value", "sig"],
        ),
        strict=True,
    ):
        stay = out.get(v)
        known = lex.atc.get(concept)
        if stay is None or known is None or (v, label) in seen:
            continue
        seen.add((v, label))
        drug = (known[0], known[1], label or known[1].upper(), sig or "")
        stay.drugs.append(drug)
        stay.person.drugs.append((stay.start, drug))


def _add_procedures(out: dict[int, Stay], table: pa.Table) -> None:
    """Each stay's procedures (CCAM codes), on the first day each was done."""
    columns = ["visit_occurrence_id", "procedure_source_value", "procedure_date"]
    for v, code, day in zip(*_columns(table, columns), strict=True):
        stay = out.get(v)
        if stay is not None and (
            code not in stay.procedures or day < stay.procedures[code]
        ):
            stay.procedures[code] = day


def _add_labs(out: dict[int, Stay], table: pa.Table) -> None:
    """The first value of each quoted test in each stay."""
    wanted = pa.array([*LABS, *VITALS])
    table = table.filter(pc.is_in(table["measurement_source_value"], value_set=wanted))
    for v, loinc, number, text, unit in zip(
        *_columns(
            table,
            [
                "visit_occurrence_id",
                "measurement_source_value",
                "value_as_number",
                "value_source_value",
                "unit_source_value",
            ],
        ),
        strict=True,
    ):
        stay = out.get(v)
        if stay is None or (number is None and not text):
            continue
        if loinc not in stay.labs:
            stay.labs[loinc] = (number, text or "", unit)
        if loinc in VITAL_SET and number is not None:
            stay.vitals.setdefault(loinc, []).append(number)
