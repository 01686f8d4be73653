"""The course's exercises: what each asks (a Markdown file in French under
`entrepot/data/course/`), the form of its answer, a hint, and its expected
answer, worked out from the course's hospital (Ibis expressions, or the
library's own tools) each time an answer is checked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

#: The answer's form: one number, or a list of person_id.
NUMBER, PERSONS = "number", "persons"
INPATIENT = 9201  # OMOP visit concept: a full hospitalisation
HEART_FAILURE = "I50"  # CIM-10, with its sub-codes
FUROSEMIDE = "C03CA01"  # ATC
DYSPNOEA = "CIM10:R06.0"  # the synthetic notes' gold annotations
INTERACTION = "ramipril + valsartan"  # a pair as `drugs scan` names it
SMALL = 10  # cells under this count are masked


@dataclass(frozen=True)
class Exercise:
    name: str
    topic: str
    title: str
    answer: str  # NUMBER or PERSONS
    hint: str
    expected: Callable
    tolerance: float = 0.0  # NUMBER: how far from the expected is still right


def _concepts(wh, vocabulary: str, prefix: str):
    concept = wh.table("concept")
    return concept.filter(
        concept.vocabulary_id == vocabulary, concept.concept_code.startswith(prefix)
    ).select("concept_id")


def _heart_failure(wh):
    """Each patient's conditions coded I50 (or below)."""
    cond = wh.table("condition_occurrence")
    codes = _concepts(wh, "CIM10", HEART_FAILURE)
    return cond.join(codes, cond.condition_concept_id == codes.concept_id)


def omop_sql(wh) -> int:
    return _heart_failure(wh).person_id.nunique().to_pyarrow().as_py()


def omop_ibis(wh) -> float:
    visit = wh.table("visit_occurrence")
    stays = visit.filter(visit.visit_concept_id == INPATIENT)
    days = stays.visit_end_date.delta(stays.visit_start_date, unit="day")
    return days.mean().to_pyarrow().as_py()


def cohort(wh) -> set[int]:
    """First heart-failure diagnosis at 65 or over (year of the diagnosis
    less year of birth), then furosemide started within 0 to 90 days."""
    hf = _heart_failure(wh)
    first = hf.group_by("person_id").aggregate(index_date=hf.condition_start_date.min())
    person = wh.table("person").select("person_id", "year_of_birth")
    first = first.join(person, "person_id")
    first = first.filter(first.index_date.year() - first.year_of_birth >= 65)
    drug = wh.table("drug_exposure")
    codes = _concepts(wh, "ATC", FUROSEMIDE)
    drug = drug.join(codes, drug.drug_concept_id == codes.concept_id)
    both = first.join(drug, "person_id")
    after = both.drug_exposure_start_date.delta(both.index_date, unit="day")
    both = both.filter(after.between(0, 90))
    return _persons(both)


def negation(wh) -> set[int]:
    """Patients with a note that asserts dyspnoea: neither negated, nor a
    hypothesis, nor a relative's (the notes' gold annotations)."""
    gold = wh.table("note_annotation")
    said = gold.filter(
        gold.concept_code == DYSPNOEA, ~gold.negation, ~gold.hypothesis, ~gold.family
    )
    note = wh.table("note").select("note_id", "person_id")
    return _persons(said.join(note, "note_id"))


def _person_zip(wh):
    person, location = wh.table("person"), wh.table("location")
    return person.left_join(
        location, person.location_id == location.location_id
    ).select("person_id", "year_of_birth", "gender_concept_id", "zip")


def k_anonymity(wh) -> int:
    """Patients alone in their class of (year of birth, sex, postcode)."""
    rows = _person_zip(wh)
    classes = rows.group_by(["year_of_birth", "gender_concept_id", "zip"]).aggregate(
        n=rows.count()
    )
    return classes.filter(classes.n == 1).count().to_pyarrow().as_py()


def small_counts(wh) -> int:
    """Cells of sex by decade of birth counting 1 to SMALL - 1 patients."""
    person = wh.table("person")
    decade = (person.year_of_birth // 10) * 10
    cells = person.group_by(sex=person.gender_concept_id, decade=decade).aggregate(
        n=person.person_id.nunique()
    )
    return cells.filter(cells.n < SMALL).count().to_pyarrow().as_py()


def drug_interactions(wh) -> int:
    """Patients exposed at once to ramipril and valsartan, as the
    whole-warehouse scan of the ANSM thesaurus counts them."""
    from entrepot.drugs import scan

    found = scan(wh, write_cohorts=False).by_pair
    return next((p["patients"] for p in found if p["pair"] == INTERACTION), 0)


def _persons(rows) -> set[int]:
    ids = rows.select("person_id").distinct().to_pyarrow()["person_id"]
    return set(ids.to_pylist())


EXERCISES = (
    Exercise(
        "omop_sql", "OMOP en SQL", "Patients avec une insuffisance cardiaque",
        NUMBER,
        "Joignez condition_occurrence à concept sur condition_concept_id ; le "
        "vocabulaire est 'CIM10' et les codes I50 ont des sous-codes (I50.0, "
        "I50.1...). Comptez des patients distincts, pas des diagnostics.",
        omop_sql,
    ),
    Exercise(
        "omop_ibis", "OMOP avec Ibis", "Durée moyenne des hospitalisations",
        NUMBER,
        "Gardez les séjours dont visit_concept_id vaut 9201 (hospitalisation "
        "complète) ; la durée est visit_end_date - visit_start_date en jours "
        "(en Ibis : .delta(..., unit='day')), puis sa moyenne.",
        omop_ibis,
        tolerance=0.01,
    ),
    Exercise(
        "cohorts", "Cohortes", "Insuffisance cardiaque et furosémide",
        PERSONS,
        "La date index est le PREMIER diagnostic I50 (min de "
        "condition_start_date) ; l'âge est l'année de cette date moins "
        "year_of_birth ; le furosémide (ATC C03CA01) commence entre 0 et 90 "
        "jours après la date index, bornes comprises.",
        cohort,
    ),
    Exercise(
        "negation", "Recherche dans le texte et négation", "La dyspnée affirmée",
        PERSONS,
        "« Pas de dyspnée », « dyspnée ? » ou « dyspnée chez sa mère » ne "
        "comptent pas. `entrepot index` puis `entrepot search dyspnée --json` "
        "écarte par défaut le texte nié, hypothétique ou familial ; comparez "
        "avec --exclude none.",
        negation,
    ),
    Exercise(
        "k_anonymity", "Confidentialité : ré-identification",
        "Patients uniques sur leurs quasi-identifiants",
        NUMBER,
        "Joignez person à location (location_id) pour le code postal (zip). "
        "Une classe est l'ensemble des patients qui partagent année de "
        "naissance, sexe et code postal ; comptez les patients seuls dans leur "
        "classe (k = 1). `entrepot privacy kanon` le dit d'un extrait CSV.",
        k_anonymity,
    ),
    Exercise(
        "small_counts", "Confidentialité : petits effectifs",
        "Cellules à masquer",
        NUMBER,
        "Décennie de naissance : (year_of_birth // 10) * 10. Comptez les "
        "cellules non vides (sexe × décennie) de moins de 10 patients ; les "
        "cellules vides n'apparaissent pas dans un GROUP BY.",
        small_counts,
    ),
    Exercise(
        "drug_interactions", "Interactions médicamenteuses",
        "Ramipril et valsartan en même temps",
        NUMBER,
        "`entrepot drugs check ramipril valsartan` donne le niveau de "
        "l'interaction ; `entrepot drugs scan --json` compte, paire par paire, "
        "les patients exposés aux deux le même jour au moins (by_pair).",
        drug_interactions,
    ),
)  # fmt: skip
