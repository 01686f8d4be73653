"""Organ systems and frequency classes of adverse drug effects.

The system organ classes (SOC) of MedDRA, by their international abbreviation,
with their French names and the group a prescription view shows them in
(Vidal's "système digestif", "anomalies biologiques"…); the CIOMS frequency
classes of the French SmPC (RCP, section 4.8), most frequent first."""

from __future__ import annotations

#: SOC abbreviation -> (French name, display group).
SOCS: dict[str, tuple[str, str]] = {
    "Blood": ("Affections hématologiques et du système lymphatique", "hématologie"),
    "Card": ("Affections cardiaques", "cardio-vasculaire"),
    "Cong": ("Affections congénitales, familiales et génétiques", "autres"),
    "Ear": ("Affections de l'oreille et du labyrinthe", "ORL/stomatologie"),
    "Endo": ("Affections endocriniennes", "endocrinologie"),
    "Eye": ("Affections oculaires", "ophtalmologie"),
    "Gastr": ("Affections gastro-intestinales", "système digestif"),
    "Gen": (
        "Troubles généraux et anomalies au site d'administration",
        "troubles généraux",
    ),
    "Hepat": ("Affections hépatobiliaires", "système digestif"),
    "Immun": ("Affections du système immunitaire", "immuno-allergologie"),
    "Infec": ("Infections et infestations", "infectiologie"),
    "Inj": (
        "Lésions, intoxications et complications d'interventions",
        "autres",
    ),
    "Invest": ("Investigations", "anomalies biologiques"),
    "Metab": ("Troubles du métabolisme et de la nutrition", "nutrition-métabolisme"),
    "Musc": (
        "Affections musculo-squelettiques et du tissu conjonctif",
        "rhumatologie",
    ),
    "Neopl": (
        "Tumeurs bénignes, malignes et non précisées (incl kystes et polypes)",
        "cancérologie",
    ),
    "Nerv": ("Affections du système nerveux", "neurologie"),
    "Preg": ("Affections gravidiques, puerpérales et périnatales", "gynécologie"),
    "Psych": ("Affections psychiatriques", "psychiatrie"),
    "Renal": ("Affections du rein et des voies urinaires", "uro-néphrologie"),
    "Repro": ("Affections des organes de reproduction et du sein", "gynécologie"),
    "Resp": (
        "Affections respiratoires, thoraciques et médiastinales",
        "pneumologie",
    ),
    "Skin": ("Affections de la peau et du tissu sous-cutané", "dermatologie"),
    "SocCi": ("Caractéristiques socio-environnementales", "autres"),
    "Surg": ("Actes médicaux et chirurgicaux", "autres"),
    "Vasc": ("Affections vasculaires", "cardio-vasculaire"),
}
#: The group of an effect whose organ system the source does not give.
UNCLASSIFIED = "non classé"
#: Frequency classes, most frequent first ("indéterminée": the RCP gives none).
FREQUENCIES = (
    "très fréquent",
    "fréquent",
    "peu fréquent",
    "rare",
    "très rare",
    "indéterminée",
)
UNKNOWN_FREQUENCY = FREQUENCIES[-1]


def group_of(soc: str | None) -> str:
    """The display group of a SOC abbreviation (None: not classified)."""
    return SOCS[soc][1] if soc else UNCLASSIFIED


def frequency_rank(frequency: str) -> int:
    """0 for the most frequent class."""
    return FREQUENCIES.index(frequency)


def class_of_share(share: float) -> str:
    """The CIOMS class of a share of patients: >= 1/10 très fréquent, >= 1/100
    fréquent, >= 1/1,000 peu fréquent, >= 1/10,000 rare, else très rare."""
    for bound, frequency in zip((0.1, 0.01, 0.001, 0.0001), FREQUENCIES, strict=False):
        if share >= bound:
            return frequency
    return "très rare"
