"""What every document of a stay shares: header, identity block, and the words
for the stay's diseases, drugs and lab results."""

from __future__ import annotations

from datetime import date, timedelta
from random import Random

from entrepot.synth.notes._lexicon import (
    CONTEXT_OF,
    DIFFERENTIALS,
    FAMILY_DISEASES,
    HEADACHE,
    LABS,
    MRI_FINDINGS,
    MRI_PROCEDURE,
    PAST_DISEASES,
    SKIN_BIOPSY,
    SYMPTOMS,
    UNITS,
)
from entrepot.synth.notes._record import Lexicon, Stay, cim10_forms
from entrepot.synth.notes._templates import PHRASES
from entrepot.synth.notes._text import (
    Doc,
    Span,
    compile_all,
    de,
    dmy,
    long_date,
    number,
    pick,
)

P = compile_all(PHRASES)
DE_ART = {"un ": "d'un ", "une ": "d'une ", "des ": "de ", "": "de "}
LABELS = {
    "IPP": ("IPP : ", "N° patient : ", "IPP "),
    "NDA": ("NDA : ", "N° de séjour : ", "NDA "),
    "NSS": ("N° SS : ", "NIR : ", "N° de sécurité sociale : "),
    "TEL": ("Tél. : ", "Téléphone : ", "Tél "),
    "MAIL": ("Courriel : ", "E-mail : ", "Mail : "),
    "ADRESSE": ("Adresse : ", "Domicile : ", ""),
}
FREQUENCIES = (
    "matin et soir",
    "le matin",
    "3 fois par jour",
    "le soir au coucher",
    "1 fois par jour",
)
VITAL_FORMATS = (  # LOINC, label, unit, decimals
    ("8867-4", "FC ", " /min", False),
    ("8310-5", "T ", " °C", True),
    ("59408-5", "SpO2 ", " %", False),
    ("29463-7", "poids ", " kg", False),
)
DURATIONS = ("pendant 7 jours", "pendant 1 mois", "pendant 3 mois", "au long cours", "")


def _mr(female: bool) -> str:
    return "Mme " if female else "M. "


class Writer:
    """Writes the documents of one stay with one seeded random generator."""

    def __init__(self, stay: Stay, rng: Random, lex: Lexicon) -> None:
        self.stay = stay
        self.rng = rng
        self.lex = lex
        person = stay.person
        self.female = person.female
        b, s = person.birth, stay.start
        self.age = str(s.year - b.year - ((s.month, s.day) < (b.month, b.day)))
        cats = [c[:3] for c in stay.diagnoses]
        self.headache = any(c in HEADACHE for c in cats)
        self.skin = any(c in SKIN_BIOPSY for c in cats)
        self.findings = [c for c in stay.diagnoses if c[:3] in MRI_FINDINGS]
        #: A brain MRI: for a headache, or where the stay records one.
        self.mri = self.headache or MRI_PROCEDURE in stay.procedures
        contexts = ["general", *(CONTEXT_OF[c] for c in cats if c in CONTEXT_OF)]
        contexts = list(dict.fromkeys(contexts))

        def uncoded(table: dict[str, tuple[str, ...]]) -> list[str]:
            pool = dict.fromkeys(c for ctx in contexts for c in table[ctx])
            return [
                c for c in pool if c not in person.codes and c[:3] not in person.codes
            ]

        felt = uncoded(SYMPTOMS)
        #: What the patient presents with (affirmed); a note rules out the others.
        self.symptoms = self.rng.sample(
            felt, min(len(felt), 1 + (self.rng.random() < 0.5))
        )
        self.differentials = [
            c for c in uncoded(DIFFERENTIALS) if c not in self.symptoms
        ]

    # --- words -------------------------------------------------------------

    def disease(self, code: str | None) -> dict[str, object]:
        """The slots of a sentence about a disease: the span and its articles."""
        if code is None:
            art, text = "un ", "bilan systématique"
            x: object = text
        else:
            forms = cim10_forms(code, self.lex.cim10_names.get(code))
            art, text = pick(self.rng, forms)
            x = Span(text, "entity", "DISEASE", f"CIM10:{code}")
        return {
            "x": x,
            "a": art,
            "A": art.capitalize(),
            "de": de(text),
            "da": DE_ART[art],
        }

    def drug(self, drug: tuple[str, str, str, str], brand: bool | None = None) -> Span:
        """A drug as a span: its brand name or its ingredient."""
        atc, inn, label, _ = drug
        if brand is None:
            brand = self.rng.random() < 0.6
        text = _brand(label) if brand else inn
        return Span(text or inn, "entity", "DRUG", f"ATC:{atc}")

    def principal(self) -> str | None:
        return self.stay.diagnoses[0] if self.stay.diagnoses else None

    def pick_differentials(self, k: int) -> list[str]:
        """Up to k distinct diseases the patient is not coded with."""
        pool = self.differentials
        return self.rng.sample(pool, min(k, len(pool)))

    def ident_date(self, doc: Doc, day: date, label: str = "DATE") -> None:
        doc.ident(dmy(day) if self.rng.random() < 0.8 else long_date(day), label)

    def date_span(self, day: date) -> Span:
        return Span(
            dmy(day) if self.rng.random() < 0.85 else long_date(day),
            "identifier",
            "DATE",
        )

    def year_span(self, year: int) -> Span:
        return Span(str(year), "identifier", "DATE")

    # --- blocks ------------------------------------------------------------

    def doctor(self, doc: Doc, name: tuple[str, str], title: str = "Dr ") -> None:
        """Dr First Last, both annotated."""
        first, last = name
        doc.add(title)
        if first:
            doc.ident(first, "PRENOM")
            doc.add(" ")
        if last:
            doc.ident(last.upper() if self.rng.random() < 0.3 else last, "NOM")

    def header(
        self, doc: Doc, title_key: str, unit: str | None = None, title: str = ""
    ) -> None:
        """Hospital, unit, physician, then the document title (`title`, else
        one of the phrasings of `title_key`)."""
        stay, rng = self.stay, self.rng
        doc.ident(stay.hospital, "HOPITAL")
        doc.add(" - " if rng.random() < 0.5 else "\n")
        doc.add(unit or stay.unit)
        doc.add("\n")
        if unit is None:
            doc.add("Responsable : " if rng.random() < 0.4 else "")
            self.doctor(doc, stay.physician)
            doc.add("\n")
        doc.add("\n")
        if title:
            doc.add(title)
        else:
            doc.say(rng, P[title_key])
        doc.add("\n\n")

    def patient_name(self, doc: Doc, prefix: bool = False) -> None:
        """The patient's first and last names, in one of two layouts."""
        person = self.stay.person
        if self.rng.random() < 0.5:
            if prefix:
                doc.add("Patiente : " if self.female else "Patient : ")
            doc.add(_mr(self.female))
            doc.ident(person.first, "PRENOM")
            doc.add(" ")
            doc.ident(person.last, "NOM")
        else:
            doc.add("Nom : ")
            doc.ident(person.last, "NOM")
            doc.add(" - Prénom : ")
            doc.ident(person.first, "PRENOM")

    def identity(self, doc: Doc, full: bool) -> None:
        """The patient block; ``full`` adds address, contact, NIR and GP."""
        person, stay, rng = self.stay.person, self.stay, self.rng
        self.patient_name(doc, prefix=True)
        doc.add("\n")
        doc.say(rng, P["birth"])
        doc.ident(dmy(person.birth), "DATE_NAISSANCE")
        doc.add(f" ({self.age} ans)\n" if rng.random() < 0.5 else "\n")
        doc.add(pick(rng, LABELS["IPP"]))
        doc.ident(person.ipp, "IPP")
        doc.add(" - " + pick(rng, LABELS["NDA"]))
        doc.ident(stay.nda, "NDA")
        doc.add("\n")
        if not full:
            doc.add("\n")
            return
        self.field(doc, "NSS", person.nir, "\n")
        if person.street:
            doc.add(pick(rng, LABELS["ADRESSE"]))
            doc.ident(person.street, "ADRESSE")
            doc.add(", ")
        if person.postcode:
            doc.ident(person.postcode, "ZIP")
            doc.add(" ")
        if person.city:
            doc.ident(person.city, "VILLE")
        doc.add("\n")
        self.field(doc, "TEL", person.phone, " - ")
        self.field(doc, "MAIL", person.email, "")
        doc.add("\nMédecin traitant : ")
        self.doctor(doc, person.gp)
        doc.add("\n\n")

    def field(self, doc: Doc, label: str, value: str | None, after: str) -> None:
        """A labelled identifier ("Tél. : 06..."), left out when unknown."""
        if value:
            doc.add(pick(self.rng, LABELS[label]))
            doc.ident(value, label)
            doc.add(after)

    def negations(self, doc: Doc, k: int, key: str = "neg", lead: str = " ") -> None:
        for i, code in enumerate(self.pick_differentials(k)):
            doc.add(lead if i == 0 else " ")
            doc.say(self.rng, P[key], (True, False, False, False), **self.disease(code))

    def presenting(self, doc: Doc) -> None:
        """The findings the patient presents with, affirmed."""
        for code in self.symptoms:
            doc.add(" ")
            doc.say(self.rng, P["symptom"], **self.disease(code))

    def hypothesis(self, doc: Doc, key: str = "hyp") -> None:
        codes = self.pick_differentials(2)
        if codes:
            doc.say(
                self.rng, P[key], (False, True, False, False), **self.disease(codes[-1])
            )

    def history(self, doc: Doc) -> None:
        """Past diseases: codes of earlier stays, else a common one, with years."""
        stay, rng = self.stay, self.rng
        person = stay.person
        now = set(stay.diagnoses)
        seen: dict[str, int] = {}
        for start, code in person.past:
            if start < stay.start and code not in now and code not in seen:
                seen[code] = start.year
        items = list(seen.items())[-3:]
        if rng.random() < 0.35:
            code = pick(rng, PAST_DISEASES)
            if code not in person.codes and code[:3] not in person.codes:
                items.append((code, stay.start.year - 1 - int(rng.random() * 15)))
        doc.say(rng, P["history_head"])
        doc.add("\n")
        if not items:
            doc.say(rng, P["no_history"])
            doc.add("\n")
        for code, year in items:
            doc.add("- ")
            values = self.disease(code)
            values["year"] = self.year_span(year)
            doc.say(rng, P["history"], (False, False, False, True), **values)
            doc.add("\n")
        doc.add("- ")
        doc.say(rng, P["surgery"])
        doc.add("\n")

    def family(self, doc: Doc) -> None:
        rng, codes = self.rng, self.stay.person.codes
        doc.say(rng, P["family_head"])
        doc.add(" ")
        if rng.random() < 0.4:
            doc.say(rng, P["no_family"])
        else:
            start = int(rng.random() * len(FAMILY_DISEASES))
            for i in range(1 + (rng.random() < 0.3)):
                code = FAMILY_DISEASES[(start + 4 * i) % len(FAMILY_DISEASES)]
                if code not in codes and code[:3] not in codes:
                    doc.say(
                        rng,
                        P["family"],
                        (False, False, True, False),
                        **self.disease(code),
                    )
                    doc.add(" ")
        doc.add("\n")

    def usual_treatment(self, doc: Doc) -> None:
        stay = self.stay
        before = {d[0]: d for start, d in stay.person.drugs if start < stay.start}
        doc.say(self.rng, P["usual_head"])
        doc.add("\n")
        if not before:
            doc.say(self.rng, P["no_usual"])
            doc.add("\n")
        for drug in list(before.values())[-4:]:
            doc.add("- ")
            self.drug_line(doc, drug)

    def drug_line(self, doc: Doc, drug: tuple[str, str, str, str]) -> None:
        """The product label (brand annotated) and a posology, on one line."""
        _, _, label, sig = drug
        brand = _brand(label)
        span = self.drug(drug, brand=bool(brand))
        doc.span(span)
        if brand:
            doc.add(label[len(brand) :])
        doc.add(" : " + (sig or self.posology(label)) + "\n")

    def posology(self, label: str) -> str:
        rng, low = self.rng, label.lower()
        if "comprimé" in low or "gélule" in low:
            form = "gélule" if "gélule" in low else "comprimé"
            n = 1 + (rng.random() < 0.3)
            text = f"{n} {form}{'s' if n > 1 else ''} {pick(rng, FREQUENCIES)}"
        elif "inject" in low or "perfusion" in low:
            text = "1 injection " + pick(
                rng, ("par jour", "par semaine", "toutes les 2 semaines")
            )
        elif "crème" in low or "pommade" in low or "gel" in low:
            text = "1 application " + pick(rng, FREQUENCIES)
        else:
            text = "selon prescription " + pick(rng, FREQUENCIES)
        duration = pick(rng, DURATIONS)
        return f"{text} {duration}" if duration else text

    def vitals(self, doc: Doc, index: int = 0) -> None:
        """Vital signs: the index-th measure of each (the last if fewer)."""
        vitals = self.stay.vitals
        values = {k: v[min(index, len(v) - 1)] for k, v in vitals.items()}
        parts = []
        if "8480-6" in values and "8462-4" in values:
            parts.append(f"TA {values['8480-6']:.0f}/{values['8462-4']:.0f} mmHg")
        for loinc, label, unit, decimals in VITAL_FORMATS:
            if loinc in values:
                value = values[loinc]
                shown = number(value) if decimals else f"{value:.0f}"
                parts.append(f"{label}{shown}{unit}")
        if parts:
            doc.add("Constantes : " + ", ".join(parts) + ".\n")

    def biology(self, doc: Doc, head: bool = True) -> None:
        """The stay's first value of each quoted test, tests annotated."""
        labs, rng = self.stay.labs, self.rng
        quoted = [k for k in LABS if k in labs]
        if head:
            doc.say(rng, P["bio_head"])
            doc.add("\n")
        if not quoted:
            doc.say(rng, P["no_bio"])
            doc.add("\n")
            return
        sep = pick(rng, (", ", " ; ", "\n"))
        for i, loinc in enumerate(quoted[:12]):
            if i:
                doc.add(sep)
            value, text, unit = labs[loinc]
            doc.ent(self.lex.lab_names[loinc], "LAB", f"LOINC:{loinc}")
            if value is None:
                doc.add(f" : {text}")
                continue
            shown = UNITS.get(unit or "", unit or "")
            doc.add(f" {number(value)}{' ' + shown if shown else ''}")
            low, high = self.lex.lab_ranges[loinc]
            if high is not None and value > high and rng.random() < 0.5:
                doc.add(f" (N < {number(high)})")
            elif low is not None and value < low and rng.random() < 0.5:
                doc.add(f" (N > {number(low)})")
        doc.add(".\n")

    def signature(self, doc: Doc, name: tuple[str, str] | None = None) -> None:
        doc.add("\n")
        self.doctor(doc, name or self.stay.physician)
        doc.add("\n")

    def physician_slots(self) -> dict[str, object]:
        """The stay physician's name for the ``{dprenom} {dnom}`` slots."""
        first, last = self.stay.physician
        return {
            "dprenom": Span(first, "identifier", "PRENOM") if first else "",
            "dnom": Span(last, "identifier", "NOM"),
        }

    def mri_day(self) -> date:
        """The day of the stay's brain MRI: as recorded, else the middle of the stay."""
        stay = self.stay
        if MRI_PROCEDURE in stay.procedures:
            return stay.procedures[MRI_PROCEDURE]
        return stay.start + timedelta(days=max((stay.end - stay.start).days, 0) // 2)


def _brand(label: str) -> str:
    """The brand part of a product label: IMUREL 50 mg, comprimé -> IMUREL."""
    words = label.split(" ")
    for i, word in enumerate(words):
        if word[:1].isdigit():
            return " ".join(words[:i]).rstrip(",")
    return label.split(",", 1)[0]
