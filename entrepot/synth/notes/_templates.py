"""Phrase book of the synthetic clinical documents: several wordings per sentence.

Self-written for entrepot. Slots: ``{x}`` a disease (its article ``{a}``,
capitalised ``{A}``, ``{de}`` "de"/"d'", ``{da}`` "d'un"/"d'une"/"de"),
``{drug}`` a drug, ``{nom}``/``{prenom}`` the patient, ``{dnom}``/``{dprenom}``
a physician, ``{d1}``, ``{d2}``, ``{date}``, ``{year}`` dates, ``{age}``.
Gender words (``{e}``, ``{il}``, ``{patient}``...) are listed in ``_text.GENDER``.
"""

from __future__ import annotations

PHRASES: dict[str, list[str]] = {
    # discharge letter (compte rendu d'hospitalisation)
    "crh_title": [
        "COMPTE RENDU D'HOSPITALISATION",
        "Compte rendu d'hospitalisation",
        "LETTRE DE SORTIE",
        "COMPTE-RENDU D'HOSPITALISATION",
    ],
    "birth": ["Né{e} le ", "Date de naissance : ", "DDN : "],
    "dear": ["Cher confrère,", "Chère consœur, cher confrère,", "Cher ami,", ""],
    "crh_intro": [
        "Votre patient{e} {M} {nom} a été hospitalisé{e} dans notre service du "
        "{d1} au {d2} pour {a}{x}.",
        "Nous avons accueilli {M} {nom}, {age} ans, du {d1} au {d2}, pour la prise "
        "en charge {da}{x}.",
        "{Patient} {nom}, âgé{e} de {age} ans, a été hospitalisé{e} du {d1} au {d2} "
        "pour {a}{x}.",
        "Je vous remercie de m'avoir adressé {M} {nom}, {age} ans, hospitalisé{e} du "
        "{d1} au {d2} pour {a}{x}.",
        "{M} {nom} ({age} ans) a séjourné dans le service du {d1} au {d2} dans le "
        "cadre {da}{x}.",
    ],
    "motif_head": ["Motif d'hospitalisation : ", "MOTIF : ", "Motif : "],
    "history_head": [
        "ANTÉCÉDENTS",
        "Antécédents",
        "Antécédents personnels :",
        "ATCD :",
    ],
    "history": [
        "Antécédent {de}{x} en {year}.",
        "{A}{x} en {year}.",
        "Hospitalisé{e} en {year} pour {a}{x}.",
        "Notion {de}{x} en {year}.",
        "Suivi{e} depuis {year} pour {a}{x}.",
    ],
    "no_history": [
        "Pas d'antécédent médical notable.",
        "Aucun antécédent médical particulier.",
        "Pas d'antécédent médical connu.",
    ],
    "surgery": [
        "Pas d'antécédent chirurgical.",
        "Appendicectomie dans l'enfance.",
        "Cholécystectomie.",
        "Aucun antécédent chirurgical notable.",
        "Chirurgie du canal carpien droit.",
    ],
    "family_head": ["Antécédents familiaux :", "ATCD familiaux :", "Famille :"],
    "family": [
        "Antécédent familial {de}{x} chez la mère.",
        "Sa mère a présenté {a}{x}.",
        "Son père est suivi pour {a}{x}.",
        "Notion {de}{x} chez un frère.",
        "{A}{x} chez sa sœur.",
        "Antécédent familial {de}{x} (père).",
        "Sa grand-mère maternelle avait {a}{x}.",
    ],
    "no_family": [
        "Pas d'antécédent familial notable.",
        "Antécédents familiaux non contributifs.",
        "RAS.",
    ],
    "lifestyle": [
        "Mode de vie : vit en couple, retraité{e}, autonome.",
        "Tabac : non. Alcool : occasionnel.",
        "Tabagisme sevré (20 PA). Pas de consommation d'alcool.",
        "Vit seul{e} à domicile, autonome pour les actes de la vie quotidienne.",
        "Profession : enseignant{e}. Non fum{eure}.",
        "Vit avec son conjoint, deux enfants. Pas de tabac.",
    ],
    "usual_head": [
        "Traitement habituel :",
        "Traitement à l'entrée :",
        "TTT habituel :",
    ],
    "no_usual": ["Aucun traitement au long cours.", "Pas de traitement habituel."],
    "hdm_head": ["HISTOIRE DE LA MALADIE", "Histoire de la maladie", "HDM :"],
    "hdm": [
        "{Patient} est adressé{e} pour prise en charge {da}{x}.",
        "Hospitalisation programmée pour bilan {de}{x}.",
        "Admission via les urgences pour {a}{x}.",
        "{Patient} nous est adressé{e} par son médecin traitant pour {a}{x}.",
        "Il s'agit d'une hospitalisation pour {a}{x}.",
    ],
    "onset": [
        "Le début des symptômes remonte à {n} jours.",
        "Les troubles évoluent depuis {n} semaines.",
        "Aggravation progressive depuis environ {n} jours.",
        "Installation brutale il y a {n} jours.",
    ],
    "symptom": [
        "{Il} se plaint {da}{x}.",
        "{Il} rapporte {a}{x}.",
        "{Patient} signale {a}{x}.",
        "Apparition {da}{x}.",
        "À l'interrogatoire, {il} décrit {a}{x}.",
    ],
    "treated": [
        "{Il} est traité{e} par {drug} depuis {year}.",
        "Traitement par {drug} introduit en {year}.",
        "Sous {drug} depuis {year}.",
    ],
    "neg": [
        "Pas {de}{x}.",
        "Absence {de}{x}.",
        "{Il} ne présente pas {de}{x}.",
        "Pas d'argument pour {a}{x}.",
        "Aucun signe {de}{x}.",
        "Il n'y a pas {de}{x}.",
    ],
    "hyp": [
        "Suspicion {de}{x}.",
        "Tableau évoquant {a}possible {x}.",
        "Hypothèse {de}{x}, à confirmer.",
        "{A}{x} est à évoquer.",
        "Possible {x}, à confirmer par un bilan complémentaire.",
        "Diagnostic différentiel : {x} ?",
    ],
    "exam_head": [
        "EXAMEN CLINIQUE",
        "Examen clinique",
        "À l'examen :",
        "Examen d'entrée :",
    ],
    "general_state": [
        "Bon état général.",
        "{Patient} est conscient{e}, orienté{e}, algique.",
        "État général conservé.",
        "Asthénie marquée, état général altéré.",
        "{Patient} est apyrétique, eupnéique.",
    ],
    "exam": [
        "Auscultation cardio-pulmonaire sans particularité.",
        "Abdomen souple, dépressible, indolore.",
        "Examen neurologique normal.",
        "Bruits du cœur réguliers, sans souffle.",
        "Mollets souples et indolores.",
        "Pas d'adénopathie périphérique palpable.",
    ],
    "bio_head": ["BIOLOGIE", "Biologie", "Bilan biologique :", "Biologie d'entrée :"],
    "no_bio": ["Bilan biologique sans particularité.", "Biologie non faite."],
    "evolution_head": ["ÉVOLUTION", "Évolution dans le service", "Évolution :"],
    "evolution": [
        "L'évolution a été favorable sous traitement.",
        "Évolution marquée par une amélioration clinique progressive.",
        "Les suites ont été simples.",
        "Amélioration lente mais franche au cours du séjour.",
    ],
    "culprit": [
        "Arrêt {de}{drug}, médicament suspect, avec régression progressive de "
        "l'éruption.",
        "Le traitement par {drug} a été arrêté dès l'admission (forte imputabilité).",
        "Contre-indication définitive {de}{drug} (carte d'allergie remise).",
    ],
    "mri_mention": [
        "IRM cérébrale réalisée le {date} : cf. compte rendu.",
        "Une IRM cérébrale a été réalisée le {date}.",
    ],
    "conclusion_head": [
        "CONCLUSION",
        "Au total :",
        "Diagnostics retenus :",
        "Conclusion :",
    ],
    "conclusion": [
        "{Patient} de {age} ans hospitalisé{e} pour {a}{x}.",
        "Hospitalisation pour {a}{x}.",
        "Prise en charge {da}{x}.",
    ],
    "associated": ["Diagnostics associés :", "Comorbidités :", "Par ailleurs :"],
    "death": [
        "{Patient} est décédé{e} le {date}.",
        "Nous avons le regret de vous informer du décès {du_patient} survenu le "
        "{date}.",
    ],
    "exit_head": [
        "TRAITEMENT DE SORTIE",
        "Traitement de sortie :",
        "Ordonnance de sortie :",
    ],
    "follow_up": [
        "Rendez-vous de consultation le {date} avec le Dr {dprenom} {dnom}.",
        "Nous reverrons {patient} en consultation le {date}.",
        "Une consultation de suivi est programmée le {date}.",
        "Prochaine évaluation en hôpital de jour le {date}.",
    ],
    "closing": [
        "Nous restons à votre disposition pour tout renseignement complémentaire.",
        "Bien confraternellement,",
        "Je vous prie de croire, cher confrère, à l'assurance de mes sentiments "
        "les meilleurs.",
        "Bien cordialement,",
    ],
    # consultation letter
    "consult_title": ["COMPTE RENDU DE CONSULTATION", "Consultation", "CONSULTATION"],
    "consult_intro": [
        "Je revois ce jour en consultation {M} {nom}, {age} ans, suivi{e} pour {a}{x}.",
        "J'ai vu en consultation le {date} {M} {nom}, {age} ans, pour {a}{x}.",
        "{M} {nom}, {age} ans, est venu{e} en consultation le {date} pour le suivi "
        "{da}{x}.",
    ],
    "consult_plan": [
        "Je ne modifie pas le traitement.",
        "Poursuite du traitement en cours.",
        "Nous avons adapté le traitement comme suit.",
    ],
    # day hospital
    "hdj_title": ["COMPTE RENDU D'HÔPITAL DE JOUR", "Hôpital de jour", "HDJ"],
    "hdj_intro": [
        "{M} {nom}, {age} ans, a été accueilli{e} en hôpital de jour le {date} pour "
        "le suivi {da}{x}.",
        "Venue en hôpital de jour le {date} dans le cadre {da}{x}.",
    ],
    # emergency report
    "urg_title": [
        "COMPTE RENDU DES URGENCES",
        "Passage aux urgences",
        "SAU - OBSERVATION",
    ],
    "urg_arrival": [
        "Arrivée le {date} à {hour}, adressé{e} par le SAMU.",
        "Arrivée le {date} à {hour} par ses propres moyens.",
        "Admission le {date} à {hour}, amené{e} par les pompiers.",
    ],
    "urg_motif": ["Motif de recours : ", "Motif : ", "Consulte pour "],
    "urg_hdm": [
        "{Patient} consulte pour {a}{x}.",
        "Consulte ce jour pour {a}{x}.",
        "{Patient} est amené{e} aux urgences pour {a}{x}.",
    ],
    "urg_hyp_head": ["Hypothèses diagnostiques :", "Diagnostics évoqués :", ""],
    "urg_final": ["Diagnostic retenu : ", "Diagnostic de sortie : ", "Conclusion : "],
    "urg_orient": [
        "Orientation : retour à domicile avec consignes de surveillance.",
        "Orientation : hospitalisation en médecine.",
        "Sortie après avis spécialisé.",
    ],
    # nursing note
    "ide_title": ["Transmissions infirmières", "NOTE INFIRMIÈRE", "Observations IDE"],
    "ide_target": [
        "Cible : douleur",
        "Cible : surveillance",
        "Cible : confort",
        "Cible : alimentation",
        "Cible : sommeil",
    ],
    "ide_data": [
        "D : {patient} se plaint d'une gêne modérée, EVA {n}/10.",
        "D : {patient} a passé une nuit calme.",
        "D : {patient} est anxi{euse} avant l'examen.",
        "D : appétit conservé, mange la moitié de ses plateaux.",
    ],
    "ide_action": [
        "A : {drug} administré selon la prescription.",
        "A : administration {de}{drug} à {hour}.",
        "A : {drug} donné au petit-déjeuner.",
    ],
    "ide_result": [
        "R : {patient} se sent mieux, EVA {n}/10.",
        "R : soulagé{e}.",
        "R : à réévaluer par l'équipe de nuit.",
    ],
    "ide_neg": ["Pas {de}{x}.", "Absence {de}{x}.", "Pas {de}{x} ce jour."],
    # pathology report
    "path_title": [
        "COMPTE RENDU ANATOMOPATHOLOGIQUE",
        "Anatomie et cytologie pathologiques",
        "EXAMEN HISTOLOGIQUE",
    ],
    "path_sample": [
        "Prélèvement : biopsie cutanée au punch de 4 mm, {site}.",
        "Nature du prélèvement : biopsie cutanée, {site}.",
    ],
    "path_clinical": [
        "Renseignements cliniques : {x}.",
        "Contexte clinique : {x}, histologie demandée.",
    ],
    "path_macro": [
        "Macroscopie : un fragment cutané de {n} mm, inclus en totalité.",
        "Examen macroscopique : fragment blanchâtre de {n} mm.",
    ],
    "path_micro_sclero": [
        "Microscopie : derme épaissi par des faisceaux de collagène hyalinisés et "
        "horizontalisés, raréfaction des annexes.",
        "Microscopie : épiderme atrophique, sclérose dermique étendue à l'hypoderme.",
    ],
    "path_micro_drug": [
        "Microscopie : nécroses kératinocytaires éparses, vacuolisation de la "
        "basale, infiltrat lymphocytaire périvasculaire riche en éosinophiles.",
        "Microscopie : dermite d'interface avec quelques kératinocytes nécrotiques "
        "et infiltrat à éosinophiles.",
    ],
    "path_conclusion": [
        "Conclusion : aspect histologique de {x}.",
        "CONCLUSION : {x}.",
        "Conclusion : lésions histologiques de {x}.",
    ],
    # prescription
    "rx_title": ["ORDONNANCE", "Ordonnance", "PRESCRIPTION MÉDICALE"],
    "rx_footer": [
        "Ordonnance valable 3 mois.",
        "À renouveler 2 fois.",
        "QSP 1 mois, à renouveler.",
        "",
    ],
}
