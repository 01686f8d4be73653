"""One function per kind of document; each writes a whole note for a stay."""

from __future__ import annotations

from datetime import date, timedelta

from entrepot.synth.notes._compose import P, Writer
from entrepot.synth.notes._lexicon import CULPRITS, NURSES, SPECIALISTS, STROKE
from entrepot.synth.notes._mri import SCHEMA, coded_finding, draw_report
from entrepot.synth.notes._text import Doc, Span, de, pick

SITES = (
    "face antérieure de l'avant-bras",
    "dos de la main",
    "abdomen",
    "dos",
    "cuisse",
)


def discharge_letter(w: Writer, day: date, dead: bool) -> Doc:
    """Compte rendu d'hospitalisation (CRH) of an MCO stay."""
    rng, stay, doc = w.rng, w.stay, Doc(w.female)
    w.header(doc, "crh_title")
    doc.add("Le ")
    w.ident_date(doc, day)
    doc.add("\n\n")
    w.identity(doc, full=True)
    doc.say(rng, P["dear"])
    doc.add("\n\n")
    principal = w.disease(w.principal())
    doc.say(rng, P["crh_intro"], d1=w.date_span(stay.start), d2=w.date_span(stay.end),
            nom=Span(stay.person.last, "identifier", "NOM"), age=w.age, **principal)  # fmt: skip
    doc.add("\n\n")
    doc.say(rng, P["motif_head"])
    _x(doc, principal)
    doc.add("\n\n")
    w.history(doc)
    w.family(doc)
    doc.say(rng, P["lifestyle"])
    doc.add("\n\n")
    w.usual_treatment(doc)
    doc.add("\n")
    _story(w, doc, principal)
    doc.add("\n")
    doc.say(rng, P["exam_head"])
    doc.add("\n")
    doc.say(rng, P["general_state"])
    doc.add("\n")
    w.vitals(doc)
    doc.say(rng, P["exam"])
    w.negations(doc, 1 + (rng.random() < 0.5))
    doc.add("\n\n")
    w.biology(doc)
    if w.mri:
        doc.say(rng, P["mri_mention"], date=w.date_span(w.mri_day()))
        doc.add("\n")
    doc.add("\n")
    doc.say(rng, P["evolution_head"])
    doc.add("\n")
    doc.say(rng, P["evolution"])
    _culprit(w, doc)
    doc.add("\n\n")
    _conclusion(w, doc, principal, "conclusion")
    if dead:
        doc.say(rng, P["death"], date=w.date_span(stay.person.death))
        doc.add("\n")
    else:
        if stay.drugs:
            doc.add("\n")
            doc.say(rng, P["exit_head"])
            doc.add("\n")
            for drug in stay.drugs:
                doc.add("- ")
                w.drug_line(doc, drug)
        doc.add("\n")
        later = day + timedelta(days=30 + int(rng.random() * 60))
        doc.say(rng, P["follow_up"], date=w.date_span(later), **w.physician_slots())
        doc.add("\n")
    doc.add("\n")
    doc.say(rng, P["closing"])
    w.signature(doc)
    doc.add("Copie : ")
    w.doctor(doc, stay.person.gp)
    doc.add(" (médecin traitant)\n")
    return doc


def consultation_letter(w: Writer, day: date, day_hospital: bool = False) -> Doc:
    """Compte rendu de consultation, or of a day-hospital visit."""
    rng, stay, doc = w.rng, w.stay, Doc(w.female)
    w.header(doc, "hdj_title" if day_hospital else "consult_title")
    w.identity(doc, full=rng.random() < 0.5)
    doc.say(rng, P["dear"])
    doc.add("\n\n")
    principal = w.disease(w.principal())
    doc.say(rng, P["hdj_intro" if day_hospital else "consult_intro"],
            nom=Span(stay.person.last, "identifier", "NOM"), age=w.age,
            date=w.date_span(day), **principal)  # fmt: skip
    doc.add("\n\n")
    w.history(doc)
    if rng.random() < 0.5:
        w.family(doc)
    w.usual_treatment(doc)
    doc.add("\n")
    doc.say(rng, P["exam_head"])
    doc.add("\n")
    w.vitals(doc)
    doc.say(rng, P["exam"])
    w.negations(doc, 1 + (rng.random() < 0.5))
    doc.add("\n\n")
    if stay.labs:
        w.biology(doc)
        doc.add("\n")
    _conclusion(w, doc, principal, "conclusion")
    doc.say(rng, P["consult_plan"])
    doc.add("\n")
    for drug in stay.drugs:
        doc.add("- ")
        w.drug_line(doc, drug)
    doc.add("\n")
    doc.say(rng, P["closing"])
    w.signature(doc)
    return doc


def emergency_report(w: Writer, day: date) -> Doc:
    """Compte rendu de passage aux urgences."""
    rng, stay, doc = w.rng, w.stay, Doc(w.female)
    w.header(doc, "urg_title")
    w.identity(doc, full=rng.random() < 0.6)
    mother = stay.person.mother
    if rng.random() < 0.5 and mother[0] and mother[1]:
        doc.add("Personne à prévenir : Mme ")
        doc.ident(mother[0], "PRENOM")
        doc.add(" ")
        doc.ident(mother[1], "NOM")
        doc.add(" (mère)\n")
    hour = f"{int(rng.random() * 24):02d}h{int(rng.random() * 60):02d}"
    doc.say(rng, P["urg_arrival"], date=w.date_span(day), hour=hour)
    doc.add("\n")
    principal = w.disease(w.principal())
    doc.say(rng, P["urg_motif"])
    _x(doc, principal)
    doc.add("\n\n")
    _story(w, doc, principal, head=False)
    w.vitals(doc)
    doc.say(rng, P["exam"])
    doc.add("\n")
    w.biology(doc, head=rng.random() < 0.5)
    doc.say(rng, P["urg_hyp_head"])
    doc.add(" ")
    w.hypothesis(doc)
    doc.add("\n")
    doc.say(rng, P["urg_final"])
    _x(doc, principal)
    for code in stay.diagnoses[1:]:
        doc.add(", ")
        _x(doc, w.disease(code))
    doc.add(".\n")
    doc.say(rng, P["urg_orient"])
    w.signature(doc)
    return doc


def nursing_note(w: Writer, day: date, hour: str, index: int = 0) -> Doc:
    """Transmissions infirmières (nursing note) in the D-A-R format."""
    rng, stay, doc = w.rng, w.stay, Doc(w.female)
    doc.say(rng, P["ide_title"])
    doc.add(" - ")
    w.ident_date(doc, day)
    doc.add(f" {hour}\n")
    doc.ident(stay.person.last.upper(), "NOM")
    doc.add(" ")
    doc.ident(stay.person.first, "PRENOM")
    doc.add(" - IPP ")
    doc.ident(stay.person.ipp, "IPP")
    doc.add(f" - Chambre {100 + int(rng.random() * 400)}\n")
    doc.say(rng, P["ide_target"])
    doc.add("\n")
    n = str(int(rng.random() * 6))
    doc.say(rng, P["ide_data"], n=n)
    doc.add("\n")
    if stay.drugs:
        drug = w.drug(pick(rng, stay.drugs))
        doc.say(rng, P["ide_action"], drug=drug, hour=hour, de=de(drug.text))
    else:
        doc.add("A : surveillance des constantes, réassurance.")
    doc.add("\n")
    doc.say(rng, P["ide_result"], n=str(int(rng.random() * 3)))
    doc.add("\n")
    w.vitals(doc, index)
    w.negations(doc, 1 + (rng.random() < 0.5), key="ide_neg", lead="")
    doc.add("\nIDE : ")
    nurse = pick(rng, NURSES)
    doc.ident(nurse[0], "PRENOM")
    doc.add(" ")
    doc.ident(nurse[1], "NOM")
    doc.add("\n")
    return doc


def _exam(
    w: Writer, day: date, title_key: str, unit: str, asker: str, dated: str, title=""
) -> Doc:
    """The opening of an examination report: header, patient, who asked, when."""
    doc = Doc(w.female)
    w.header(doc, title_key, unit=unit, title=title)
    w.identity(doc, full=False)
    doc.add(f"{asker} : ")
    w.doctor(doc, w.stay.physician)
    doc.add(f"\n{dated} : ")
    w.ident_date(doc, day)
    doc.add("\n\n")
    return doc


def mri_report(w: Writer, day: date) -> Doc:
    """Compte rendu d'IRM cérébrale showing the coded finding, with its gold values:
    for a stroke (a stay coded so, without a headache), else for a headache (the
    other module that orders MRIs)."""
    rng = w.rng
    stroke = not w.headache and any(c[:3] in STROKE for c in w.stay.diagnoses)
    report = draw_report(
        rng,
        female=w.female,
        age=int(w.age),
        headache=not stroke,
        finding=coded_finding(rng, w.findings),
        indication="stroke" if stroke else None,
    )
    doc = _exam(w, day, "", "Service d'imagerie médicale", "Demandeur",
                "Date de l'examen", title=report.title)  # fmt: skip
    doc.add(report.body)
    w.signature(doc, pick(rng, SPECIALISTS))
    doc.gold = (SCHEMA, report.finding, report.fields)
    return doc


def pathology_report(w: Writer, day: date) -> Doc:
    """Compte rendu anatomopathologique of a skin biopsy."""
    rng, stay = w.rng, w.stay
    doc = _exam(
        w,
        day,
        "path_title",
        "Service d'anatomie et cytologie pathologiques",
        "Préleveur",
        "Date de prélèvement",
    )
    code = next(c for c in stay.diagnoses if c[:3] in ("L27", "L51", "M34"))
    doc.say(rng, P["path_sample"], site=pick(rng, SITES))
    doc.add("\n")
    doc.say(rng, P["path_clinical"], **w.disease(code))
    doc.add("\n")
    doc.say(rng, P["path_macro"], n=str(3 + int(rng.random() * 4)))
    doc.add("\n")
    doc.say(rng, P["path_micro_sclero" if code[:3] == "M34" else "path_micro_drug"])
    w.negations(doc, 1)
    doc.add("\n\n")
    doc.say(rng, P["path_conclusion"], **w.disease(code))
    doc.add(" ")
    w.hypothesis(doc)
    doc.add("\n")
    w.signature(doc, pick(rng, SPECIALISTS))
    return doc


def prescription(w: Writer, day: date) -> Doc:
    """Ordonnance listing the stay's drug products with their posology."""
    rng, stay, doc = w.rng, w.stay, Doc(w.female)
    w.header(doc, "rx_title")
    doc.add("Le ")
    w.ident_date(doc, day)
    doc.add("\n")
    w.patient_name(doc)
    doc.add("\n")
    doc.say(rng, P["birth"])
    doc.ident(_dmy(stay.person.birth), "DATE_NAISSANCE")
    weight = stay.labs.get("29463-7")
    if weight and weight[0] is not None:
        doc.add(f" - Poids : {weight[0]:.0f} kg")
    doc.add("\n\n")
    for i, drug in enumerate(stay.drugs, 1):
        doc.add(f"{i}) ")
        w.drug_line(doc, drug)
    doc.add("\n")
    doc.say(rng, P["rx_footer"])
    w.signature(doc)
    return doc


def _x(doc: Doc, values: dict) -> None:
    """Write a disease alone (affirmed)."""
    x = values["x"]
    doc.span(x) if type(x) is Span else doc.add(x)


def _dmy(day: date) -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}"


def _story(w: Writer, doc: Doc, principal: dict, head: bool = True) -> None:
    """Histoire de la maladie: why the patient came, drugs, what was considered."""
    rng, stay = w.rng, w.stay
    if head:
        doc.say(rng, P["hdm_head"])
        doc.add("\n")
    doc.say(rng, P["hdm" if head else "urg_hdm"], **principal)
    doc.add(" ")
    doc.say(rng, P["onset"], n=str(2 + int(rng.random() * 12)))
    w.presenting(doc)
    before = [(s, d) for s, d in stay.person.drugs if s < stay.start]
    if before:
        start, drug = before[-1]
        doc.add(" ")
        doc.say(rng, P["treated"], drug=w.drug(drug), year=w.year_span(start.year))
    doc.add(" ")
    w.hypothesis(doc)
    w.negations(doc, 1)
    doc.add("\n")


def _culprit(w: Writer, doc: Doc) -> None:
    """For a drug reaction, the suspected drug taken by the patient."""
    if not any(c[:3] in ("L27", "L51") for c in w.stay.diagnoses):
        return
    taken = [d for _, d in w.stay.person.drugs if d[0] in CULPRITS]
    if taken:
        doc.add(" ")
        drug = w.drug(taken[0])
        doc.say(w.rng, P["culprit"], drug=drug, de=de(drug.text))


def _conclusion(w: Writer, doc: Doc, principal: dict, key: str) -> None:
    """Every coded diagnosis of the stay, affirmed; principal first."""
    rng, stay = w.rng, w.stay
    doc.say(rng, P["conclusion_head"])
    doc.add("\n")
    doc.say(rng, P[key], age=w.age, **principal)
    doc.add("\n")
    if len(stay.diagnoses) > 1:
        doc.say(rng, P["associated"])
        doc.add("\n")
        for code in stay.diagnoses[1:]:
            doc.add("- ")
            _x(doc, w.disease(code))
            doc.add("\n")
    if rng.random() < 0.3:
        w.hypothesis(doc)
        doc.add("\n")
