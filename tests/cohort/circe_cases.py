"""Circe (ATLAS) cohort expressions over Eunomia, one per feature, as exported."""

GI, CELECOXIB, DICLOFENAC, ACETAMINOPHEN = 192671, 1118084, 1124300, 1127433
OSTEOARTHRITIS, INPATIENT, NSAID_CLASS = 80180, 9201, 21603932


def concept_set(i: int, *items: dict) -> dict:
    return {"id": i, "name": f"set {i}", "expression": {"items": list(items)}}


def item(concept_id: int, descendants: bool = True, **more) -> dict:
    return {
        "concept": {"CONCEPT_ID": concept_id},
        "includeDescendants": descendants,
    } | more


def window(start: int | None, end: int | None, **more) -> dict:
    def bound(days, coeff):
        return (
            {"Coeff": coeff}
            if days is None
            else {"Days": abs(days), "Coeff": -1 if days < 0 else 1}
        )

    return {"Start": bound(start, -1), "End": bound(end, 1)} | more


def occurring(
    kind: str,
    codeset: int,
    start: int | None,
    end: int | None,
    type_: int = 2,
    count: int = 1,
    **more,
) -> dict:
    return {
        "Criteria": {kind: {"CodesetId": codeset}},
        "StartWindow": window(start, end),
        "Occurrence": {"Type": type_, "Count": count},
    } | more


def primary(
    kind: str,
    codeset: int,
    limit: str = "All",
    prior: int = 0,
    post: int = 0,
    **attributes,
) -> dict:
    return {
        "CriteriaList": [{kind: {"CodesetId": codeset} | attributes}],
        "ObservationWindow": {"PriorDays": prior, "PostDays": post},
        "PrimaryCriteriaLimit": {"Type": limit},
    }


SETS = [
    concept_set(0, item(GI)),
    concept_set(1, item(CELECOXIB)),
    concept_set(2, item(OSTEOARTHRITIS)),
    concept_set(3, item(DICLOFENAC)),
    concept_set(4, item(ACETAMINOPHEN)),
    concept_set(5, item(INPATIENT, descendants=False)),
    concept_set(6, item(NSAID_CLASS), item(DICLOFENAC, isExcluded=True)),
    concept_set(7, item(GI, includeMapped=True)),
]

CASES = {
    "first GI hemorrhage": {
        "ConceptSets": SETS,
        "PrimaryCriteria": primary("ConditionOccurrence", 0, "First", First=True),
    },
    "observation window, last event, offset from end": {
        "ConceptSets": SETS,
        "PrimaryCriteria": primary("ConditionOccurrence", 0, "Last", 365, 30),
        "EndStrategy": {"DateOffset": {"DateField": "EndDate", "Offset": 7}},
    },
    "additional criteria, qualified and expression limits": {
        "ConceptSets": SETS,
        "PrimaryCriteria": primary("DrugExposure", 1),
        "AdditionalCriteria": {
            "Type": "ALL",
            "CriteriaList": [occurring("ConditionOccurrence", 2, -365, 0)],
        },
        "QualifiedLimit": {"Type": "First"},
        "ExpressionLimit": {"Type": "Last"},
    },
    "inclusion rules, demographics, distinct counts, era pad": {
        "ConceptSets": SETS,
        "PrimaryCriteria": primary("DrugExposure", 6),
        "InclusionRules": [
            {
                "name": "no GI bleed before",
                "expression": {
                    "Type": "ALL",
                    "CriteriaList": [
                        occurring("ConditionOccurrence", 0, None, -1, 0, 0)
                    ],
                },
            },
            {
                "name": "women of 40 or more",
                "expression": {
                    "Type": "ALL",
                    "DemographicCriteriaList": [
                        {
                            "Age": {"Value": 40, "Op": "gte"},
                            "Gender": [{"CONCEPT_ID": 8532}],
                        }
                    ],
                },
            },
            {
                "name": "diclofenac soon or acetaminophen twice",
                "expression": {
                    "Type": "ANY",
                    "CriteriaList": [
                        occurring("DrugExposure", 3, -30, 30),
                        occurring("DrugExposure", 4, None, 0)
                        | {
                            "Occurrence": {
                                "Type": 2,
                                "Count": 2,
                                "IsDistinct": True,
                                "CountColumn": "START_DATE",
                            }
                        },
                    ],
                },
            },
        ],
        "EndStrategy": {"DateOffset": {"DateField": "StartDate", "Offset": 30}},
        "CollapseSettings": {"CollapseType": "ERA", "EraPad": 30},
    },
    "custom era exit, censoring, censor window": {
        "ConceptSets": SETS,
        "PrimaryCriteria": primary("DrugExposure", 4),
        "EndStrategy": {"CustomEra": {"DrugCodesetId": 4, "GapDays": 30, "Offset": 7}},
        "CensoringCriteria": [{"ConditionOccurrence": {"CodesetId": 0}}],
        "CensorWindow": {"StartDate": "1990-01-01", "EndDate": "2010-12-31"},
    },
    "visits, end window, same visit, nested groups": {
        "ConceptSets": SETS,
        "PrimaryCriteria": primary("VisitOccurrence", 5, "All"),
        "InclusionRules": [
            {
                "name": "two of three",
                "expression": {
                    "Type": "AT_LEAST",
                    "Count": 2,
                    "CriteriaList": [
                        occurring("ConditionOccurrence", 0, 0, 0, RestrictVisit=True),
                        occurring("DrugExposure", 4, -7, 7)
                        | {"EndWindow": window(0, None, UseEventEnd=True)},
                    ],
                    "Groups": [
                        {
                            "Type": "AT_MOST",
                            "Count": 1,
                            "CriteriaList": [
                                occurring("DrugExposure", 3, None, None),
                                occurring("ConditionOccurrence", 2, None, 0),
                            ],
                        }
                    ],
                },
            }
        ],
        "EndStrategy": {"DateOffset": {"DateField": "EndDate", "Offset": 0}},
    },
    "criteria on the events themselves, dates, mapped codes": {
        "ConceptSets": SETS,
        "PrimaryCriteria": {
            "CriteriaList": [
                {
                    "ConditionOccurrence": {
                        "CodesetId": 7,
                        "OccurrenceStartDate": {
                            "Value": "1980-01-01",
                            "Op": "bt",
                            "Extent": "2015-12-31",
                        },
                        "Age": {"Value": 30, "Op": "gt"},
                        "CorrelatedCriteria": {
                            "Type": "ALL",
                            "CriteriaList": [occurring("DrugExposure", 1, -60, 0)],
                        },
                    }
                }
            ],
            "ObservationWindow": {"PriorDays": 0, "PostDays": 0},
            "PrimaryCriteriaLimit": {"Type": "All"},
        },
        "CollapseSettings": {"CollapseType": "ERA", "EraPad": 0},
    },
}
