"""Official OMOP concept ids entrepot writes (from `omop_concepts.csv`, verified there)."""

MALE, FEMALE = 8507, 8532
INPATIENT, OUTPATIENT, EMERGENCY, ER_INPATIENT, ICU = 9201, 9202, 9203, 262, 32037
EHR, EHR_ADMINISTRATION, EHR_PRESCRIPTION, LAB, DEATH_CERTIFICATE = (
    32817,
    32818,
    32838,
    32856,
    32815,
)
REGISTRY = 32879  # death_type_concept_id of a death known by registry linkage
PRIMARY, SECONDARY = 32902, 32908  # condition status: principal / associated diagnosis
FRENCH, UTF8 = 4180190, 32678  # language and encoding of notes
#: fact_relationship between care sites: their domain, child -> parent and back
CARE_SITE, CARE_SITE_PART_OF, CARE_SITE_CONTAINS = 57, 46233688, 46233689
ROUTES = {
    "oral": 4132161,
    "iv": 4171047,
    "im": 4302612,
    "sc": 4142048,
    "topical": 4263689,
    "rectal": 4290759,
    "nasal": 4262914,
    "transdermal": 4262099,
}
