"""Words for diseases, drugs and tests, and the disease groups documents draw on.

Self-written for entrepot. Codes are CIM-10 (dotted), ATC and LOINC as in the
bundled vocabulary. A disease form is ``(article, text)``: the article is what
"un/une/des" the noun takes, so that sentences agree.
"""

from __future__ import annotations

#: How clinicians write a disease, by CIM-10 code or 3-character category.
DISEASE_FORMS: dict[str, tuple[tuple[str, str], ...]] = {
    "M34": (("une ", "sclérodermie systémique"), ("une ", "ScS")),
    "M34.1": (("un ", "syndrome CREST"), ("une ", "sclérodermie systémique")),
    "M05": (("une ", "polyarthrite rhumatoïde séropositive"), ("une ", "PR")),
    "M06": (("une ", "polyarthrite rhumatoïde"), ("une ", "PR")),
    "K50": (("une ", "maladie de Crohn"),),
    "M32": (("un ", "lupus érythémateux systémique"), ("un ", "lupus systémique")),
    "L40": (("un ", "psoriasis"),),
    "L27.0": (
        ("une ", "toxidermie"),
        ("une ", "éruption médicamenteuse généralisée"),
        ("un ", "exanthème maculo-papuleux médicamenteux"),
    ),
    "L27.1": (("une ", "toxidermie localisée"),),
    "L51": (("un ", "érythème polymorphe"),),
    "L51.1": (("un ", "syndrome de Stevens-Johnson"),),
    "L51.2": (("une ", "nécrolyse épidermique toxique"), ("un ", "syndrome de Lyell")),
    "D72.1": (("une ", "hyperéosinophilie"),),
    "E11": (("un ", "diabète de type 2"), ("un ", "DT2")),
    "E10": (("un ", "diabète de type 1"),),
    "I10": (("une ", "hypertension artérielle"), ("une ", "HTA")),
    "I50": (("une ", "insuffisance cardiaque"),),
    "I21": (("un ", "infarctus du myocarde"), ("un ", "IDM")),
    "I63": (("un ", "AVC ischémique"), ("un ", "infarctus cérébral")),
    "I64": (("un ", "accident vasculaire cérébral"), ("un ", "AVC")),
    "I48": (("une ", "fibrillation atriale"), ("une ", "FA")),
    "U07.1": (("une ", "infection à SARS-CoV-2"), ("une ", "COVID-19")),
    "R51": (("des ", "céphalées"),),
    "G43": (("une ", "migraine"),),
    "G43.0": (("une ", "migraine sans aura"),),
    "G44.2": (("une ", "céphalée de tension"),),
    "N18": (
        ("une ", "maladie rénale chronique"),
        ("une ", "insuffisance rénale chronique"),
    ),
    "R50.9": (("une ", "fièvre"),),
    "R07.4": (("une ", "douleur thoracique"),),
    "R06.0": (("une ", "dyspnée"),),
    "R11": (("des ", "nausées"), ("des ", "vomissements")),
    "R05": (("une ", "toux"),),
    "R10.4": (("des ", "douleurs abdominales"),),
    "M32.9": (("un ", "lupus systémique"),),
    "M33.1": (("une ", "dermatomyosite"),),
    "L94.0": (("une ", "morphée"), ("une ", "sclérodermie localisée")),
    "L94.3": (("une ", "sclérodactylie"),),
    "I73.0": (("un ", "phénomène de Raynaud"),),
    "I27.0": (("une ", "hypertension artérielle pulmonaire"), ("une ", "HTAP")),
    "J84.1": (("une ", "pneumopathie interstitielle diffuse"), ("une ", "PID")),
    "L50.9": (("une ", "urticaire"),),
    "B09": (("un ", "exanthème viral"),),
    "L95.9": (("une ", "vascularite cutanée"),),
    "I60.9": (
        ("une ", "hémorragie méningée"),
        ("une ", "hémorragie sous-arachnoïdienne"),
    ),
    "G03.9": (("une ", "méningite"),),
    "D43.2": (("un ", "processus expansif intracrânien"),),
    "I62.9": (("un ", "saignement intracrânien"),),
    "G91.9": (("une ", "hydrocéphalie"),),
    "I67.6": (("une ", "thrombose veineuse cérébrale"),),
    "I63.9": (("un ", "AVC ischémique"), ("une ", "lésion ischémique récente")),
    "G35": (("une ", "sclérose en plaques"), ("une ", "SEP")),
    "D32.0": (("un ", "méningiome"),),
    "C71.9": (("une ", "tumeur gliale"), ("un ", "gliome")),
    "I67.1": (("un ", "anévrisme intracrânien"),),
    "I26.9": (("une ", "embolie pulmonaire"),),
    "I30.9": (("une ", "péricardite"),),
    "I71.0": (("une ", "dissection aortique"),),
    "J18.9": (("une ", "pneumopathie"), ("une ", "pneumonie")),
    "J11.1": (("une ", "grippe"),),
    "N10": (("une ", "pyélonéphrite aiguë"),),
    "N39.0": (("une ", "infection urinaire"),),
    "A41.9": (("un ", "sepsis"),),
    "I21.9": (("un ", "infarctus du myocarde"),),
    "E11.9": (("un ", "diabète de type 2"),),
    "C50.9": (("un ", "cancer du sein"),),
    "C18.9": (("un ", "cancer du côlon"),),
    "G30.9": (("une ", "maladie d'Alzheimer"),),
    "M06.9": (("une ", "polyarthrite rhumatoïde"),),
    "L40.0": (("un ", "psoriasis"),),
    "M31.3": (("une ", "granulomatose avec polyangéite"),),
    "M35.3": (("une ", "pseudo-polyarthrite rhizomélique"),),
    "I80.2": (("une ", "thrombose veineuse profonde"), ("une ", "phlébite")),
    "E03.9": (("une ", "hypothyroïdie"),),
    "J45.9": (("un ", "asthme"),),
    "K80.2": (("une ", "lithiase vésiculaire"),),
    "K35.8": (("une ", "appendicite"),),
    "M10.9": (("une ", "goutte"),),
    "E78.0": (("une ", "hypercholestérolémie"),),
    "F32.9": (("un ", "épisode dépressif"),),
    "M81.9": (("une ", "ostéoporose"),),
    "S72.0": (("une ", "fracture du col du fémur"),),
    "B02.9": (("un ", "zona"),),
    "J44.9": (("une ", "BPCO"),),
}

#: Diseases a patient may not have that a note rules out or considers, by context.
DIFFERENTIALS: dict[str, tuple[str, ...]] = {
    "general": ("R50.9", "R07.4", "R06.0", "R11", "R05", "R10.4", "R51"),
    "autoimmune": ("M32.9", "M33.1", "L94.0", "I27.0", "J84.1", "L94.3", "M35.3"),
    "skin": ("L51.1", "L51.2", "L50.9", "B09", "L95.9", "D72.1"),
    "headache": ("I60.9", "G03.9", "D43.2", "I67.6", "I63.9", "G35"),
    "cardio": ("I26.9", "I30.9", "I71.0", "J18.9", "I21.9"),
    "infection": ("J18.9", "J11.1", "N10", "A41.9", "U07.1", "I26.9"),
    "metabolic": ("N39.0", "I80.2", "E03.9", "A41.9"),
}
#: Findings a patient presents with, by context: affirmed in the story of a
#: stay (not coded: symptoms seldom are), never also ruled out in it.
SYMPTOMS: dict[str, tuple[str, ...]] = {
    "general": ("R50.9", "R05", "R06.0", "R07.4", "R51", "R11", "R10.4"),
    "autoimmune": ("R50.9", "R06.0", "R05"),
    "skin": ("R50.9",),
    "headache": ("R51", "R11"),
    "cardio": ("R06.0", "R07.4"),
    "infection": ("R50.9", "R05", "R06.0"),
    "metabolic": ("R11", "R10.4"),
}
#: Which context a coded category puts a stay in.
CONTEXT_OF: dict[str, str] = {
    **dict.fromkeys(("M34", "M05", "M06", "M32", "K50", "L40", "M33"), "autoimmune"),
    **dict.fromkeys(("L27", "L51", "D72", "L50"), "skin"),
    **dict.fromkeys(("R51", "G43", "G44"), "headache"),
    **dict.fromkeys(("I50", "I21", "I63", "I64", "I10", "I48", "I25"), "cardio"),
    **dict.fromkeys(("U07", "J18", "J11", "N39", "A41", "J12"), "infection"),
    **dict.fromkeys(("E11", "E10", "N18", "E78", "E66"), "metabolic"),
}
#: Diseases of relatives.
FAMILY_DISEASES = (
    "I21.9", "E11.9", "C50.9", "C18.9", "I64", "G30.9", "M06.9", "L40.0", "M32.9",
    "J45.9",
)  # fmt: skip
#: Past diseases a person may have had before the warehouse began.
PAST_DISEASES = (
    "K35.8", "K80.2", "J18.9", "S72.0", "B02.9", "F32.9", "M10.9", "I80.2", "E03.9",
)  # fmt: skip
#: Categories that make a brain MRI report.
HEADACHE = ("R51", "G43", "G44")
#: Categories an MRI report shows as an abnormal finding when coded.
MRI_FINDINGS = ("D32", "D33", "D43", "C71", "C79", "G35", "I60", "I61", "I62", "I63",
                "I67", "G93", "G91", "Q28")  # fmt: skip
#: The CCAM code of a brain MRI (the headache and stroke modules' procedure).
MRI_PROCEDURE = "ACQN001"
#: Categories of a stroke: an MRI for a stroke, not for a headache.
STROKE = ("I61", "I63", "I64")
#: Categories that make a skin biopsy (pathology report).
SKIN_BIOPSY = ("L27", "L51", "M34")
#: Drugs that cause skin reactions (ATC), named as the culprit of a toxidermia.
CULPRITS = ("M04AA01", "N03AF01", "N03AX09", "J01CA04", "J01EE01", "N03AB02")

#: Lab tests quoted in a "Biologie" section, in that order, with a short name.
LABS: dict[str, str] = {
    "718-7": "Hémoglobine",
    "6690-2": "Leucocytes",
    "751-8": "Neutrophiles",
    "711-2": "Éosinophiles",
    "777-3": "Plaquettes",
    "1988-5": "CRP",
    "4537-7": "VS",
    "2951-2": "Natrémie",
    "2823-3": "Kaliémie",
    "14682-9": "Créatininémie",
    "62238-1": "DFG (CKD-EPI)",
    "14749-6": "Glycémie",
    "4548-4": "HbA1c",
    "1742-6": "ALAT",
    "1920-8": "ASAT",
    "2324-2": "GGT",
    "1751-7": "Albumine",
    "2157-6": "CPK",
    "33762-6": "NT-proBNP",
    "30934-4": "BNP",
    "67151-1": "Troponine T hs",
    "89579-7": "Troponine I hs",
    "2276-4": "Ferritine",
    "8061-4": "Anticorps antinucléaires",
    "5048-4": "Titre des AAN",
    "5348-8": "Anticorps anti-Scl-70",
    "16570-4": "Anticorps anticentromère",
    "11572-5": "Facteur rhumatoïde",
    "32218-0": "Anticorps anti-CCP",
    "94500-6": "RT-PCR SARS-CoV-2",
}
#: Vital signs written in a clinical examination.
VITALS = ("8480-6", "8462-4", "8867-4", "8310-5", "59408-5", "29463-7")
#: UCUM units as French notes write them.
UNITS: dict[str, str] = {
    "10*9/L": "G/L",
    "10*12/L": "T/L",
    "Cel": "°C",
    "mm[Hg]": "mmHg",
    "{INR}": "",
    "{score}": "",
    "[pH]": "",
    "{titer}": "",
    "mL/min/{1.73_m2}": "mL/min/1,73 m²",
    "[IU]/mL": "UI/mL",
    "m[IU]/L": "mUI/L",
    "k[IU]/L": "kUI/L",
    "umol/L": "µmol/L",
    "g/(24.h)": "g/24 h",
    "{copies}/mL": "copies/mL",
}

#: Radiologists and pathologists who sign reports (fictitious).
SPECIALISTS = (
    ("Claire", "Vasseur"), ("Olivier", "Marchand"), ("Nadia", "Benali"),
    ("Thomas", "Lefort"), ("Hélène", "Rousseau"), ("Karim", "Haddad"),
    ("Sophie", "Delmas"), ("Julien", "Perrin"),
)  # fmt: skip
#: Nurses who sign nursing notes (fictitious).
NURSES = (
    ("Laura", "Petit"), ("Mélanie", "Garnier"), ("Kevin", "Roux"),
    ("Aurélie", "Faure"), ("Sarah", "Mercier"), ("Romain", "Blanc"),
)  # fmt: skip
