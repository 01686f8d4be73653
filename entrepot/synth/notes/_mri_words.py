"""The words of emergency brain MRI reports: indications, findings, sentences.

A finding's `tags` say what it contradicts: a report never rules out ("pas de
saignement") what it describes. `explains` follows the labelling rules of
`entrepot/synth/MRI_REPORTS.md`. `{side}` is droit or gauche, `{sidef}` droite or gauche, `{n}` a number.
"""

from __future__ import annotations

from typing import NamedTuple


class Finding(NamedTuple):
    abnormal: bool
    explains: bool  # could cause a headache (read only when there is one)
    contrast: float | None  # chance of an injection, None: the indication's
    tags: frozenset[str]  # what the report then cannot rule out
    text: tuple[str, ...]  # description, one of these
    enhanced: tuple[str, ...]  # added to the description after an injection
    conclusion: tuple[str, ...]


def _f(abnormal, explains, tags, text, enhanced, conclusion, contrast=None):
    return Finding(
        abnormal,
        explains,
        contrast,
        frozenset(tags.split()),
        text,
        enhanced,
        conclusion,
    )


FINDINGS: dict[str, Finding] = {
    # -- normal: no abnormality, or only variants the radiologist calls normal
    "normal": _f(False, False, "", (), (), ()),
    "normal_variant": _f(
        False,
        False,
        "white ventricles",
        (
            "Quelques rares hypersignaux FLAIR punctiformes de la substance blanche "
            "sous-corticale, non spécifiques, banals pour l'âge.",
            "Cavum du septum pellucidum, variante de la normale.",
            "Discrète asymétrie de taille des ventricules latéraux, sans signification "
            "pathologique.",
            "Grande citerne de taille augmentée, variante anatomique sans conséquence.",
        ),
        (),
        (),
    ),
    # -- incidental: abnormal, but no cause of a headache
    "white_matter": _f(
        True,
        False,
        "white",
        (
            "Hypersignaux FLAIR confluents de la substance blanche périventriculaire et "
            "profonde (Fazekas 2), en rapport avec une leucopathie vasculaire.",
            "Leucopathie vasculaire modérée : plages d'hypersignal T2 FLAIR "
            "périventriculaires et de la substance blanche profonde.",
        ),
        (),
        (
            "Leucopathie vasculaire Fazekas 2, sans lésion ischémique récente.",
            "Leucopathie microangiopathique modérée.",
        ),
    ),
    "dva": _f(
        True,
        False,
        "",
        (
            "Anomalie veineuse de développement frontale {sidef}, sans complication.",
            "Aspect en tête de méduse d'une veine de drainage cérébelleuse {sidef}, en "
            "rapport avec une anomalie veineuse de développement.",
        ),
        (),
        (
            "Anomalie veineuse de développement, de découverte fortuite.",
            "Découverte fortuite d'une anomalie veineuse de développement, sans "
            "caractère pathologique.",
        ),
    ),
    "arachnoid_cyst": _f(
        True,
        False,
        "",
        (
            "Formation kystique extra-axiale de signal liquidien de la fosse temporale "
            "{sidef}, de 25 mm, sans effet de masse, en rapport avec un kyste "
            "arachnoïdien.",
            "Kyste arachnoïdien de la citerne rétrocérébelleuse, de 18 mm, sans effet "
            "sur le quatrième ventricule.",
        ),
        (),
        (
            "Kyste arachnoïdien sans caractère compressif.",
            "Kyste arachnoïdien de découverte fortuite.",
        ),
    ),
    "pineal_cyst": _f(
        True,
        False,
        "",
        (
            "Kyste de la glande pinéale de 9 mm, de signal liquidien, sans effet sur "
            "l'aqueduc du mésencéphale.",
        ),
        (),
        (
            "Kyste pinéal de 9 mm, d'allure banale.",
            "Kyste de la glande pinéale, sans caractère évolutif attendu.",
        ),
    ),
    "small_meningioma": _f(
        True,
        False,
        "mass",
        (
            "Petite lésion extra-axiale de 9 mm de la convexité frontale {sidef}, à base "
            "d'implantation durale, sans œdème ni effet de masse.",
            "Lésion extra-axiale de 11 mm au contact de la faux du cerveau, sans œdème "
            "périlésionnel.",
        ),
        ("Elle se rehausse de façon intense et homogène, avec une queue durale.",),
        (
            "Petit méningiome sans effet de masse, à surveiller.",
            "Aspect de petit méningiome, sans retentissement sur le parenchyme "
            "adjacent.",
        ),
    ),
    "sinus_thickening": _f(
        True,
        False,
        "sinus",
        (
            "Épaississement muqueux en cadre du sinus maxillaire {side}, sans niveau "
            "hydro-aérique.",
            "Kyste de rétention muqueux du sinus maxillaire {side}.",
        ),
        (),
        (
            "Épaississement muqueux sinusien, sans argument pour une sinusite aiguë.",
            "Discrète sinusopathie maxillaire chronique.",
        ),
    ),
    "old_lacunes": _f(
        True,
        False,
        "white",
        (
            "Lacunes séquellaires du noyau lenticulaire {side} et du thalamus.",
            "Séquelle lacunaire capsulo-lenticulaire {sidef}, sans restriction de la "
            "diffusion.",
        ),
        (),
        (
            "Lacunes anciennes, sans lésion ischémique récente.",
            "Séquelles lacunaires.",
        ),
    ),
    "ms_plaques": _f(
        True,
        False,
        "white",
        (
            "Multiples hypersignaux FLAIR ovoïdes périventriculaires, orientés "
            "perpendiculairement aux ventricules, et juxtacorticaux.",
            "Lésions de la substance blanche en hypersignal T2, périventriculaires, "
            "calleuses et infratentorielles, de taille infracentimétrique.",
        ),
        ("Aucune ne se rehausse après injection.",),
        (
            "Lésions de la substance blanche évocatrices d'une pathologie "
            "démyélinisante, à confronter à la clinique.",
            "Aspect compatible avec une sclérose en plaques, dissémination spatiale "
            "présente.",
        ),
    ),
    "aneurysm_small": _f(
        True,
        False,
        "",
        (
            "Sur l'ARM du polygone de Willis, petit anévrisme sacciforme de 3 mm de la "
            "terminaison carotidienne {sidef}.",
            "Image d'addition de 4 mm de la bifurcation sylvienne {sidef} en ARM TOF, "
            "évocatrice d'un anévrisme.",
        ),
        (),
        (
            "Petit anévrisme intracrânien non rompu. Avis neuroradiologique "
            "interventionnel.",
            "Anévrisme de petite taille sans signe de rupture.",
        ),
    ),
    # -- causes of a headache
    "venous_thrombosis": _f(
        True,
        True,
        "venous",
        (
            "Hypersignal T1 et T2* du sinus latéral {side} et du sinus sigmoïde, avec "
            "absence de flux en ARM veineuse.",
            "Thrombus du sinus longitudinal supérieur, en hypersignal T1 spontané.",
        ),
        ("Défect endoluminal après injection (signe du delta vide).",),
        (
            "Thrombose veineuse cérébrale.",
            "Aspect en faveur d'une thrombose du sinus latéral {side}.",
            "Thrombophlébite cérébrale, à confronter à la clinique.",
        ),
        contrast=0.7,
    ),
    "sah": _f(
        True,
        True,
        "bleed",
        (
            "Hypersignal FLAIR des sillons de la convexité frontale et de la vallée "
            "sylvienne {sidef}, en hyposignal T2*, en rapport avec une hémorragie "
            "méningée.",
            "Hyperdensité des espaces sous-arachnoïdiens en FLAIR et hyposignal T2* "
            "des citernes de la base : hémorragie sous-arachnoïdienne.",
        ),
        (),
        (
            "Hémorragie sous-arachnoïdienne. Angioscanner des troncs supra-aortiques "
            "et intracrânien recommandé.",
            "Hémorragie méningée de la convexité.",
        ),
        contrast=0.2,
    ),
    "tumour_mass": _f(
        True,
        True,
        "mass enhance",
        (
            "Volumineuse lésion intra-axiale temporale {sidef} de 45 mm, hétérogène, "
            "entourée d'un œdème vasogénique, avec effet de masse sur la corne "
            "temporale et déviation de la ligne médiane de 6 mm.",
            "Processus expansif frontal {side} de 38 mm, en hypersignal FLAIR, avec "
            "œdème et effet de masse sur le ventricule latéral.",
        ),
        ("Prise de contraste annulaire irrégulière avec centre nécrotique.",),
        (
            "Processus expansif intra-axial avec effet de masse, évocateur d'une "
            "tumeur gliale de haut grade.",
            "Tumeur cérébrale avec œdème et effet de masse, avis neurochirurgical.",
        ),
        contrast=0.9,
    ),
    "meningioma_mass": _f(
        True,
        True,
        "mass enhance",
        (
            "Volumineuse lésion extra-axiale de la convexité pariétale {sidef} de 48 mm, "
            "à base d'implantation durale, avec œdème du parenchyme adjacent et effet "
            "de masse.",
        ),
        ("Rehaussement homogène et intense après injection.",),
        ("Volumineux méningiome avec œdème et effet de masse.",),
        contrast=0.85,
    ),
    "metastases": _f(
        True,
        True,
        "mass enhance",
        (
            "Multiples lésions nodulaires cortico-sous-corticales sus- et "
            "sous-tentorielles, la plus volumineuse cérébelleuse {sidef} de 22 mm, "
            "entourée d'œdème, comprimant le quatrième ventricule.",
        ),
        ("Toutes se rehaussent après injection de façon annulaire.",),
        (
            "Lésions cérébrales multiples avec œdème, évocatrices de métastases.",
            "Métastases cérébrales multiples, dont une cérébelleuse compressive.",
        ),
        contrast=0.95,
    ),
    "hydrocephalus": _f(
        True,
        True,
        "ventricles",
        (
            "Dilatation triventriculaire avec effacement des sillons et hypersignal "
            "FLAIR périventriculaire de résorption transépendymaire.",
            "Dilatation des ventricules latéraux et du troisième ventricule, "
            "quatrième ventricule de taille normale, sténose de l'aqueduc.",
        ),
        (),
        (
            "Hydrocéphalie active.",
            "Hydrocéphalie triventriculaire par sténose de l'aqueduc.",
        ),
    ),
    "acute_sinusitis": _f(
        True,
        True,
        "sinus",
        (
            "Comblement du sinus sphénoïdal avec niveau hydro-aérique.",
            "Comblement du sinus frontal {side} et des cellules ethmoïdales avec "
            "niveau liquidien.",
        ),
        (),
        (
            "Sinusite sphénoïdale aiguë.",
            "Sinusite frontale aiguë, sans complication endocrânienne.",
        ),
    ),
    "dissection": _f(
        True,
        True,
        "",
        (
            "Hypersignal T1 en croissant de la paroi de l'artère carotide interne "
            "{sidef} cervicale, avec réduction de calibre de la lumière circulante.",
            "Hématome de paroi de l'artère vertébrale {sidef} en séquence T1 fat-sat.",
        ),
        (),
        (
            "Dissection de l'artère carotide interne {sidef}.",
            "Aspect de dissection artérielle vertébrale {sidef}.",
        ),
    ),
    "abscess": _f(
        True,
        True,
        "mass enhance",
        (
            "Lésion frontale {sidef} de 25 mm en franc hypersignal diffusion, entourée "
            "d'un œdème, avec effet de masse sur le ventricule latéral.",
        ),
        ("Prise de contraste annulaire fine et régulière.",),
        (
            "Aspect évocateur d'un abcès cérébral.",
            "Abcès cérébral frontal {side} probable, à confronter au contexte "
            "infectieux.",
        ),
        contrast=0.9,
    ),
    "pres": _f(
        True,
        True,
        "white",
        (
            "Hypersignaux FLAIR cortico-sous-corticaux pariéto-occipitaux bilatéraux "
            "et symétriques, sans restriction de diffusion.",
        ),
        (),
        (
            "Aspect compatible avec une encéphalopathie postérieure réversible "
            "(PRES), à confronter au contexte tensionnel.",
            "Œdème vasogénique postérieur bilatéral évocateur d'un PRES.",
        ),
    ),
    "pituitary_apoplexy": _f(
        True,
        True,
        "bleed mass",
        (
            "Lésion hypophysaire de 22 mm, en hypersignal T1 spontané, avec niveau "
            "liquide-liquide, au contact du chiasma optique.",
        ),
        (),
        (
            "Apoplexie hypophysaire sur macroadénome.",
            "Macroadénome hypophysaire remanié par un saignement (apoplexie).",
        ),
    ),
    "haematoma": _f(
        True,
        True,
        "bleed mass",
        (
            "Hématome intraparenchymateux lobaire pariétal {side} de 30 mm, entouré "
            "d'un œdème, avec discret effet de masse.",
        ),
        (),
        (
            "Hématome lobaire pariétal {side}.",
            "Hématome intracérébral, angio-IRM à distance pour rechercher une "
            "malformation.",
        ),
        contrast=0.1,
    ),
    "intracranial_hypotension": _f(
        True,
        True,
        "enhance",
        (
            "Affaissement du tronc cérébral, engagement des amygdales cérébelleuses de "
            "4 mm et collections sous-durales fines bilatérales.",
        ),
        ("Prise de contraste pachyméningée diffuse et régulière.",),
        (
            "Signes d'hypotension intracrânienne.",
            "Tableau compatible avec une hypotension intracrânienne.",
        ),
        contrast=1.0,
    ),
    # -- findings of the other indications
    "acute_infarct": _f(
        True,
        True,
        "ischaemia",
        (
            "Hypersignal diffusion avec baisse de l'ADC du territoire sylvien "
            "superficiel {side}, sans transformation hémorragique.",
            "Lésion ischémique récente en hypersignal diffusion du territoire de "
            "l'artère cérébrale moyenne {sidef}, occlusion M1 en ARM TOF.",
        ),
        (),
        (
            "AVC ischémique aigu sylvien {side}.",
            "Infarctus cérébral récent du territoire sylvien {side}, mismatch "
            "diffusion-FLAIR.",
        ),
        contrast=0.05,
    ),
    "cerebellar_infarct": _f(
        True,
        True,
        "ischaemia",
        (
            "Hypersignal diffusion de l'hémisphère cérébelleux {side}, dans le "
            "territoire de l'artère cérébelleuse postéro-inférieure.",
        ),
        (),
        ("AVC ischémique cérébelleux {side} récent.",),
        contrast=0.1,
    ),
    "post_traumatic": _f(
        True,
        True,
        "bleed",
        (
            "Contusions hémorragiques frontales basales bilatérales et fine lame "
            "d'hématome sous-dural hémisphérique {side} de 4 mm.",
        ),
        (),
        ("Contusions frontales et hématome sous-dural {side} de faible épaisseur.",),
        contrast=0.0,
    ),
    "hippocampal_sclerosis": _f(
        True,
        False,
        "white",
        (
            "Atrophie et hypersignal FLAIR de l'hippocampe {side}, avec perte de sa "
            "structure interne.",
        ),
        (),
        ("Aspect de sclérose hippocampique {sidef}.",),
    ),
    "postoperative": _f(
        True,
        False,
        "white",
        (
            "Cavité opératoire frontale {sidef}, bordée d'un discret hypersignal FLAIR "
            "cicatriciel, stable par rapport à l'examen antérieur.",
        ),
        ("Pas de prise de contraste nodulaire suspecte au contact de la cavité.",),
        ("Status post-opératoire stable, pas d'argument pour une récidive.",),
        contrast=0.95,
    ),
    "vestibular_schwannoma": _f(
        True,
        False,
        "mass enhance",
        ("Lésion du conduit auditif interne {side} de 8 mm, en isosignal T2.",),
        ("Elle se rehausse de façon homogène après injection.",),
        ("Aspect évocateur d'un schwannome vestibulaire {side}.",),
        contrast=0.9,
    ),
}

#: What the MRI shows of a coded diagnosis (CIM-10 code or category), one of these.
CODED: dict[str, tuple[str, ...]] = {
    "D32": ("small_meningioma", "small_meningioma", "meningioma_mass"),
    "D33": ("tumour_mass",),
    "D43": ("tumour_mass",),
    "C71": ("tumour_mass",),
    "C79": ("metastases",),
    "G35": ("ms_plaques",),
    "I60": ("sah",),
    "I61": ("haematoma",),
    "I62": ("haematoma",),
    "I63": ("acute_infarct",),
    "I67.6": ("venous_thrombosis",),
    "I67": ("aneurysm_small",),
    "G93": ("pres",),
    "G91": ("hydrocephalus",),
    "Q28": ("dva",),
}

#: Headache contexts, a current headache in each (noun phrases).
HEADACHE_CONTEXTS: dict[str, tuple[str, ...]] = {
    "thunderclap": (
        "céphalée brutale en coup de tonnerre",
        "céphalée brutale et intense, maximale d'emblée",
        "cephalee brutale inhabituelle",
    ),
    "unusual": (
        "céphalées inhabituelles depuis {n} jours",
        "céphalées récentes résistantes aux antalgiques",
        "mal de tête inhabituel et persistant",
        "céphalalgies persistantes depuis {n} jours",
    ),
    "chronic": (
        "céphalées chroniques avec aggravation récente",
        "céphalées matinales avec vomissements",
        "céphalées progressives depuis {n} semaines",
    ),
    "fever": (
        "céphalées fébriles",
        "céphalées et fièvre à 39 °C",
        "céphalées frontales avec rhinorrhée purulente",
    ),
    "orthostatic": (
        "céphalées orthostatiques",
        "céphalées posturales après ponction lombaire",
    ),
    "cervical": (
        "céphalée et cervicalgie {sidef} brutales",
        "céphalée latéralisée après manipulation cervicale",
    ),
    "hypertensive": (
        "céphalées et poussée hypertensive à 210/120",
        "céphalées, troubles visuels et HTA sévère",
    ),
    "visual": (
        "céphalées avec flou visuel et œdème papillaire",
        "céphalées et baisse d'acuité visuelle brutale",
    ),
    "migraine": (
        "migraine avec aura atypique",
        "crise migraineuse prolongée et inhabituelle",
    ),
    "seizure": (
        "crise convulsive précédée de céphalées",
        "céphalées puis crise convulsive généralisée",
    ),
}
#: Which headache contexts lead to each cause of a headache.
CAUSES: dict[str, tuple[str, ...]] = {
    "venous_thrombosis": ("thunderclap", "unusual", "visual", "seizure"),
    "sah": ("thunderclap",),
    "tumour_mass": ("chronic", "unusual", "seizure"),
    "meningioma_mass": ("chronic", "unusual"),
    "metastases": ("chronic", "unusual"),
    "hydrocephalus": ("chronic", "visual"),
    "acute_sinusitis": ("fever", "unusual"),
    "dissection": ("cervical", "thunderclap"),
    "abscess": ("fever", "seizure"),
    "pres": ("hypertensive", "seizure", "visual"),
    "pituitary_apoplexy": ("thunderclap", "visual"),
    "haematoma": ("thunderclap", "unusual"),
    "intracranial_hypotension": ("orthostatic",),
}
INCIDENTAL = ("white_matter", "dva", "arachnoid_cyst", "pineal_cyst",
              "small_meningioma", "sinus_thickening", "old_lacunes", "ms_plaques",
              "aneurysm_small")  # fmt: skip

#: Other indications: (chance of an injection, noun phrases, findings by weight).
OTHER_INDICATIONS: dict[str, tuple[float, tuple[str, ...], dict[str, float]]] = {
    "stroke": (0.1, (
        "déficit brachio-facial {side} brutal depuis {n} heures",
        "aphasie d'installation brutale, alerte thrombolyse",
        "suspicion d'AVC, hémiparésie {sidef}",
        "trouble du langage transitoire, bilan d'AIT",
    ), {"acute_infarct": 0.45, "normal": 0.25, "haematoma": 0.07,
        "white_matter": 0.13, "old_lacunes": 0.1}),
    "seizure": (0.5, (
        "première crise convulsive généralisée",
        "crise d'épilepsie, bilan étiologique",
    ), {"normal": 0.45, "hippocampal_sclerosis": 0.12, "tumour_mass": 0.1,
        "venous_thrombosis": 0.05, "dva": 0.08, "normal_variant": 0.1,
        "arachnoid_cyst": 0.1}),
    "vertigo": (0.4, (
        "vertiges rotatoires aigus avec instabilité",
        "grand vertige, recherche d'un AVC de la fosse postérieure",
    ), {"normal": 0.45, "cerebellar_infarct": 0.15, "vestibular_schwannoma": 0.1,
        "white_matter": 0.15, "normal_variant": 0.15}),
    "trauma": (0.05, (
        "traumatisme crânien avec perte de connaissance",
        "chute sous anticoagulants, traumatisme crânien",
    ), {"normal": 0.45, "post_traumatic": 0.35, "sinus_thickening": 0.1,
        "pineal_cyst": 0.1}),
    "oncology": (0.95, (
        "surveillance d'un glioblastome opéré",
        "bilan d'extension d'un adénocarcinome pulmonaire",
    ), {"postoperative": 0.35, "metastases": 0.3, "tumour_mass": 0.1,
        "normal": 0.25}),
    "confusion": (0.3, (
        "syndrome confusionnel aigu",
        "troubles cognitifs d'aggravation rapide",
    ), {"normal": 0.3, "white_matter": 0.3, "acute_infarct": 0.15, "pres": 0.05,
        "hydrocephalus": 0.1, "old_lacunes": 0.1}),
    "vision": (0.6, (
        "baisse d'acuité visuelle brutale de l'œil {side}",
        "diplopie binoculaire d'apparition récente",
    ), {"normal": 0.5, "ms_plaques": 0.2, "pineal_cyst": 0.1,
        "normal_variant": 0.2}),
    "demyelination": (0.9, (
        "paresthésies des membres inférieurs, suspicion de SEP",
        "névrite optique, recherche de lésions démyélinisantes",
    ), {"ms_plaques": 0.6, "normal": 0.3, "dva": 0.1}),
}  # fmt: skip
#: What a headache report finds: shares of the three kinds.
HEADACHE_KINDS = {"normal": 0.42, "incidental": 0.23, "cause": 0.35}

#: A headache written in a report without being part of its context.
NOT_HEADACHE = (
    "Pas de céphalée.",
    "Sans céphalée associée.",
    "Absence de céphalées.",
    "Pas de céphalées ni de fièvre.",
)
HEADACHE_HISTORY = (
    "Antécédents : migraine.",
    "ATCD de migraine ophtalmique.",
    "Antécédent de céphalées de tension, non actives.",
    "Mère migraineuse.",
)

#: What a report rules out: (sentence, tag of what contradicts it).
NEGATIVES: tuple[tuple[str, str], ...] = (
    ("Pas d'anomalie de signal du parenchyme cérébral.", "white ischaemia mass"),
    ("Parenchyme cérébral de signal normal.", "white ischaemia mass"),
    ("Système ventriculaire de taille normale, médian.", "ventricles mass"),
    ("Pas d'hydrocéphalie.", "ventricles"),
    ("Pas de lésion ischémique récente en diffusion.", "ischaemia"),
    ("Absence de restriction de la diffusion.", "ischaemia mass"),
    ("Pas de saignement intracrânien en T2*.", "bleed"),
    ("Absence d'hémorragie intra- ou extra-axiale.", "bleed"),
    ("Pas d'effet de masse, ligne médiane en place.", "mass ventricles"),
    ("Pas de processus expansif intracrânien.", "mass"),
    ("Pas de signe de thrombose veineuse cérébrale.", "venous"),
    ("Sinus veineux duraux perméables.", "venous"),
    ("Absence d'argument pour une thrombose veineuse.", "venous"),
    ("Sinus de la face normalement pneumatisés.", "sinus"),
    ("Espaces sous-arachnoïdiens de taille normale.", "bleed ventricles"),
)
#: Ruled out only after an injection.
NEGATIVES_ENHANCED = (
    ("Absence de prise de contraste anormale.", "enhance"),
    ("Pas de prise de contraste pathologique après injection.", "enhance"),
    ("Pas de rehaussement méningé.", "enhance"),
)
#: Conclusions of a normal report.
NORMAL_CONCLUSIONS = (
    "IRM cérébrale normale.",
    "Examen dans les limites de la normale.",
    "Pas d'anomalie encéphalique décelable.",
    "Absence d'anomalie intracrânienne, en particulier pas de thrombose veineuse "
    "ni de saignement.",
    "IRM encéphalique sans particularité.",
    "Pas d'anomalie significative.",
)
#: What a normal or incidental report may add when the context is a headache.
NO_CAUSE = (
    "Pas d'anomalie pouvant expliquer les céphalées.",
    "Pas de cause secondaire aux céphalées mise en évidence.",
    "Pas de lésion expliquant la symptomatologie céphalalgique.",
)
#: Hedges a normal report may end with.
HEDGES = (
    "À confronter à la clinique.",
    "Si la suspicion clinique d'hémorragie méningée persiste, une ponction "
    "lombaire reste indiquée.",
    "Une thrombose veineuse corticale isolée ne peut être formellement exclue.",
    "Contrôle à discuter selon l'évolution clinique.",
)

#: Sequences of a brain MRI, and the ways of saying an injection was made or not.
SEQUENCES = ("diffusion", "FLAIR", "T2*", "SWI", "T2", "3D T1", "ARM TOF du polygone")
INJECTED = (
    "séquences T1 avant et après injection de gadolinium",
    "3D T1 après injection de chélate de gadolinium",
    "T1 gado",
    "3D T1 injecté",
    "injection intraveineuse de 15 mL de gadotérate de méglumine",
    "séquences après injection de produit de contraste",
    "ARM veineuse et T1 après injection",
)
NOT_INJECTED = (
    "pas d'injection de produit de contraste",
    "examen réalisé sans injection",
    "sans injection de gadolinium (insuffisance rénale)",
    "injection non réalisée (refus du patient)",
    "protocole sans injection",
    "",  # not said: the sequences alone
)
