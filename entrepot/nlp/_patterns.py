"""Cue patterns of the qualifiers and section titles, on folded text (written
for entrepot after the cue lists of edsnlp's qualifiers)."""

from __future__ import annotations

import re
from collections.abc import Iterable


def _words(*alternatives: str, marks: str = "") -> re.Pattern[str]:
    """Whole words or phrases, or any of the punctuation `marks` (a regex)."""
    words = r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)"
    return re.compile(words + (f"|{marks}" if marks else ""))


#: Cues whose scope runs from the cue to the end of the clause.
NEGATION_BEFORE = _words(
    r"pas",
    r"ni",
    r"sans",
    r"aucune?",
    r"absence",
    r"jamais",
    r"non",
    r"nul(?:le)?",
    r"negati(?:f|ve)s? (?:pour|en faveur)",
    r"indemne",
    r"ne retrouve",
)
#: Cues that negate what comes before them in the clause.
NEGATION_AFTER = _words(
    r"absente?s?",
    r"exclue?s?",
    r"non retrouvee?s?",
    r"negati(?:f|ve|fs|ves)",
    r"(?:a ete |est )?eliminee?s?",
    r"non confirmee?s?",
)
#: Phrases that look like negations but are not ("sans doute", "pas exclu").
PSEUDO_NEGATION = _words(
    r"sans doute",
    r"non seulement",
    r"pas de doute",
    r"pas (?:pu etre |ete )?exclue?s?",
    r"ne (?:peut|peuvent) (?:pas )?etre exclue?s?",
    r"ne pas exclure",
    r"pas (?:de |d')?(?:modification|amelioration|regression|changement)",
    r"sans (?:amelioration|modification|regression|changement)",
    r"pas certaine?",
    r"sans modification",
    r"non (?:exhaustif|modifiee?)",
)
HYPOTHESIS_BEFORE = _words(
    r"suspicion",
    r"suspecte?s?",
    r"hypothese",
    r"evoquan\w*",
    r"evoque\w*",
    r"possibles?",
    r"probables?",
    r"probablement",
    r"eventuel\w*",
    r"diagnostics? differentiels?",
    r"compatibles? avec",
    r"doute",
    r"sans doute",
    r"pas (?:pu etre |ete )?exclue?s?",
    r"ne (?:peut|peuvent) (?:pas )?etre exclue?s?",
    r"ne pas exclure",
    r"a rechercher",
    r"(?:a )?eliminer",
    r"pourrait",
    r"semble",
)
HYPOTHESIS_AFTER = _words(
    r"a confirmer",
    r"a evoquer",
    r"a eliminer",
    r"a rechercher",
    r"a discuter",
    r"probables?",
    r"possibles?",
    r"suspecte?s?",
    r"non exclue?s?",
    r"pas (?:pu etre |ete )?exclue?s?",
    r"ne (?:peut|peuvent) (?:pas )?etre exclue?s?",
    marks=r"\?",
)
#: A relative: the whole sentence is about a family member.
FAMILY = _words(
    r"mere",
    r"pere",
    r"freres?",
    r"s(?:oe|œ)urs?",
    r"grands?[- ](?:mere|pere|parents)",
    r"famil\w+",
    r"fils",
    r"filles?",
    r"oncles?",
    r"tantes?",
    r"cousine?s?",
    r"parents",
    r"jumea?u\w*",
    r"maternel(?:le)?",
    r"paternel(?:le)?",
)
#: A title just before a cue makes it a surname ("M. Cousin", "Mme Lafille").
TITLE_BEFORE = re.compile(
    r"(?<!\w)(?:m|mr|mme|mlle|monsieur|madame|dr|pr|docteur|professeur)\.?\s+$"
)
#: Past events of the patient.
HISTORY = _words(
    r"antecedents?",
    r"atcds?",
    r"connue? (?:pour|depuis)",
    r"notion d'?",
    r"dans l'enfance",
    r"aux antecedents",
)
#: Reported speech: what someone says, not what was observed.
REPORTED = _words(
    r"selon (?:le|la|lui|elle|sa|son|ses|les)",
    r"d'apres (?:le|la|lui|elle|sa|son|ses|les)",
    r"rapporte\w*",
    r"(?:nous )?dit",
    r"declare\w*",
    r"signale\w*",
    r"affirme\w*",
    r"se plaint",
)
#: Words that end a cue's scope inside a sentence.
TERMINATION = _words(
    r"mais",
    r"cependant",
    r"toutefois",
    r"neanmoins",
    r"pourtant",
    r"sauf",
    r"hormis",
    r"alors que",
    r"bien que",
    r"en revanche",
    r"par contre",
    r"avec",
    r"puis",
    marks=r"[;:]|\s-\s",
)
#: What may end a negation or hypothesis or go on with a list: a comma (not
#: the decimal comma of "38,5") or "et".
LIST_SEPARATOR = re.compile(r"(?<!\d),|,(?!\d)|(?<!\w)et(?!\w)")
#: What, just after a separator, carries a negation or hypothesis on over a list:
#: under a negation French writes "de" for the article and coordinates with
#: "ni" or "ou" ("pas de fièvre, de toux ni de dyspnée"); "de la", "des", "une"
#: are affirmed again ("pas de fièvre, une toux").
LIST_GOES_ON = re.compile(r"\s*(?:(?:ni|ou|de)(?!\w)(?! la\b| l')|d')")
#: Words that close a list under a negation: "pas de fièvre, toux ou dyspnée".
LIST_CLOSERS = frozenset({"ou", "ni"})

#: Section titles: folded title -> section name; names of the qualifying ones below.
SECTIONS: dict[str, str] = {
    **dict.fromkeys(
        (
            "antecedents",
            "antecedents personnels",
            "antecedents medicaux",
            "antecedents chirurgicaux",
            "antecedents medico-chirurgicaux",
            "antecedents medicaux et chirurgicaux",
            "atcd",
            "atcd personnels",
            "atcds",
        ),
        "antecedents",
    ),
    **dict.fromkeys(
        ("antecedents familiaux", "atcd familiaux", "famille", "histoire familiale"),
        "antecedents_familiaux",
    ),
    **dict.fromkeys(
        ("hypotheses diagnostiques", "diagnostics evoques", "hypotheses"),
        "hypotheses",
    ),
    **dict.fromkeys(
        (
            "motif",
            "motif d'hospitalisation",
            "motif de recours",
            "motif de consultation",
        ),
        "motif",
    ),
    **dict.fromkeys(
        ("histoire de la maladie", "hdm", "anamnese"), "histoire_de_la_maladie"
    ),
    **dict.fromkeys(
        ("examen clinique", "a l'examen", "examen d'entree", "examen physique"),
        "examen_clinique",
    ),
    **dict.fromkeys(
        ("biologie", "bilan biologique", "biologie d'entree", "examens biologiques"),
        "biologie",
    ),
    **dict.fromkeys(("evolution", "evolution dans le service"), "evolution"),
    **dict.fromkeys(
        (
            "au total",
            "conclusion",
            "diagnostics retenus",
            "diagnostic retenu",
            "diagnostic de sortie",
            "synthese",
        ),
        "conclusion",
    ),  # fmt: skip
    **dict.fromkeys(
        (
            "traitement habituel",
            "traitement a l'entree",
            "ttt habituel",
            "traitements",
        ),
        "traitement",
    ),  # fmt: skip
    **dict.fromkeys(
        ("traitement de sortie", "ordonnance de sortie"), "traitement_de_sortie"
    ),
    **dict.fromkeys(
        (
            "mode de vie",
            "habitus",
            "histoire sociale",
            "contexte social",
            "contexte de vie",
        ),
        "mode_de_vie",
    ),  # fmt: skip
    **dict.fromkeys(
        ("allergies", "allergie", "allergies connues", "allergies medicamenteuses"),
        "allergies",
    ),
    **dict.fromkeys(
        (
            "conduite a tenir",
            "cat",
            "projet",
            "projet therapeutique",
            "plan de soins",
            "suite de prise en charge",
        ),
        "conduite_a_tenir",
    ),  # fmt: skip
    **dict.fromkeys(
        (
            "comorbidites",
            "diagnostics associes",
            "par ailleurs",
            "indication",
            "technique",
            "renseignements cliniques",
            "resultats",
            "macroscopie",
            "microscopie",
            "orientation",
            "contexte clinique",
        ),
        "autre",
    ),  # fmt: skip
}


def title_pattern(titles: Iterable[str]) -> re.Pattern[str]:
    """Folded section titles at the start of a line, before a colon or the
    line's end (group 1: the title)."""
    return re.compile(
        r"^[ \t]*(?:#+\s*)?("
        + "|".join(sorted((re.escape(t) for t in titles), key=len, reverse=True))
        + r")[ \t]*(?::|$)",
        re.MULTILINE,
    )


SECTION_TITLE = title_pattern(SECTIONS)
#: The LOINC document-section code of each section ("autre" has none); codes
#: of the HL7 document-section value set, concepts of the bundled vocabulary.
SECTION_LOINC: dict[str, str] = {
    "motif": "29299-5",
    "histoire_de_la_maladie": "10164-2",
    "antecedents": "11348-0",
    "antecedents_familiaux": "10157-6",
    "mode_de_vie": "29762-2",
    "allergies": "48765-2",
    "traitement": "10160-0",
    "examen_clinique": "29545-1",
    "biologie": "30954-2",
    "evolution": "8648-8",
    "hypotheses": "51848-0",
    "conclusion": "51848-0",
    "conduite_a_tenir": "18776-5",
    "traitement_de_sortie": "10183-2",
}
HISTORY_SECTIONS = frozenset({"antecedents"})
FAMILY_SECTIONS = frozenset({"antecedents_familiaux"})
HYPOTHESIS_SECTIONS = frozenset({"hypotheses"})
