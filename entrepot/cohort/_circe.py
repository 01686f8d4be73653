"""OHDSI Circe (ATLAS) cohort JSON converted to an entrepot definition.

The conversion keeps Circe's semantics (defaults included: the primary limit
is 'first', the qualified limit applies only with additional criteria). A field
entrepot does not run yet is refused with its path, never dropped.
"""

from __future__ import annotations

import json
from datetime import date

from pydantic import ValidationError

from entrepot._declared import describe_errors
from entrepot.cohort._model import CohortDefinition
from entrepot.errors import (
    CohortDefinitionError,
    EntrepotError,
    UnsupportedCirceFeatureError,
)

# Each criteria type: its entrepot domain, and each Circe attribute it runs as
# (entrepot field, how the value converts). Attributes not listed are refused.
OCCURRENCE = {
    "CodesetId": ("concept_set", "codeset"),
    "OccurrenceStartDate": ("start_date", "date"),
    "OccurrenceEndDate": ("end_date", "date"),
    "Age": ("age", "integer"),
    "Gender": ("gender", "ids"),
    "VisitType": ("visit_type", "ids"),
    "ProviderSpecialty": ("provider_specialty", "ids"),
}
ERA = {
    "CodesetId": ("concept_set", "codeset"),
    "EraStartDate": ("start_date", "date"),
    "EraEndDate": ("end_date", "date"),
    "EraLength": ("length", "integer"),
    "AgeAtStart": ("age", "integer"),
    "AgeAtEnd": ("age_at_end", "integer"),
    "Gender": ("gender", "ids"),
}
PERIOD = {
    "UserDefinedPeriod": ("user_period", "period"),
    "PeriodStartDate": ("start_date", "date"),
    "PeriodEndDate": ("end_date", "date"),
    "PeriodLength": ("length", "integer"),
    "AgeAtStart": ("age", "integer"),
    "AgeAtEnd": ("age_at_end", "integer"),
}
VALUES = {
    "ValueAsNumber": ("value", "number"),
    "Unit": ("unit", "ids"),
    "ValueAsConcept": ("value_concept", "ids"),
}


def _typed(prefix: str) -> dict[str, tuple[str, str]]:
    """Source concept and type concept, named after the criteria type."""
    return {
        f"{prefix}SourceConcept": ("source_concept_set", "codeset"),
        f"{prefix}Type": ("type_concept", "ids"),
        f"{prefix}TypeExclude": ("type_exclude", "flag"),
    }


def _without(fields: dict, *names: str) -> dict:
    return {k: v for k, v in fields.items() if k not in names}


KINDS: dict[str, tuple[str, dict[str, tuple[str, str]]]] = {
    "ConditionOccurrence": (
        "condition",
        OCCURRENCE
        | _typed("Condition")
        | {
            "StopReason": ("stop_reason", "text"),
            "ConditionStatus": ("condition_status", "ids"),
        },
    ),
    "DrugExposure": (
        "drug",
        OCCURRENCE
        | _typed("Drug")
        | {
            "StopReason": ("stop_reason", "text"),
            "Refills": ("refills", "integer"),
            "Quantity": ("quantity", "number"),
            "DaysSupply": ("days_supply", "integer"),
            "RouteConcept": ("route", "ids"),
            "LotNumber": ("lot_number", "text"),
        },
    ),
    "ProcedureOccurrence": (
        "procedure",
        OCCURRENCE
        | _typed("Procedure")
        | {"Modifier": ("modifier", "ids"), "Quantity": ("quantity", "integer")},
    ),
    "Measurement": (
        "measurement",
        OCCURRENCE
        | _typed("Measurement")
        | VALUES
        | {
            "Operator": ("operator", "ids"),
            "RangeLow": ("range_low", "number"),
            "RangeHigh": ("range_high", "number"),
            "RangeLowRatio": ("range_low_ratio", "number"),
            "RangeHighRatio": ("range_high_ratio", "number"),
            "Abnormal": ("abnormal", "flag"),
        },
    ),
    "Observation": (
        "observation",
        OCCURRENCE
        | _typed("Observation")
        | VALUES
        | {
            "Qualifier": ("qualifier", "ids"),
            "ValueAsString": ("value_text", "text"),
        },
    ),
    "VisitOccurrence": (
        "visit",
        _without(OCCURRENCE, "VisitType")
        | _typed("Visit")
        | {"PlaceOfService": ("place_of_service", "ids")},
    ),
    "Death": (
        "death",
        _without(OCCURRENCE, "VisitType", "ProviderSpecialty") | _typed("Death"),
    ),
    "ObservationPeriod": (
        "observation_period",
        PERIOD | {"PeriodType": ("type_concept", "ids")},
    ),
    "ConditionEra": (
        "condition_era",
        ERA | {"OccurrenceCount": ("occurrence_count", "integer")},
    ),
    "DrugEra": (
        "drug_era",
        ERA
        | {
            "OccurrenceCount": ("occurrence_count", "integer"),
            "GapDays": ("gap_days", "era_gap"),
        },
    ),
    "DoseEra": (
        "dose_era",
        ERA | {"DoseValue": ("value", "number"), "Unit": ("unit", "ids")},
    ),
    "DeviceExposure": (
        "device",
        OCCURRENCE
        | _typed("Device")
        | {
            "Quantity": ("quantity", "integer"),
            "UniqueDeviceId": ("unique_device_id", "text"),
        },
    ),
    "Specimen": (
        "specimen",
        _without(OCCURRENCE, "OccurrenceEndDate", "VisitType", "ProviderSpecialty")
        | _without(_typed("Specimen"), "SpecimenSourceConcept")
        | {
            "Quantity": ("quantity", "number"),
            "Unit": ("unit", "ids"),
            "AnatomicSite": ("anatomic_site", "ids"),
            "DiseaseStatus": ("disease_status", "ids"),
            "SourceId": ("source_id", "text"),
        },
    ),
    "VisitDetail": (
        "visit_detail",
        {
            "CodesetId": ("concept_set", "codeset"),
            "VisitDetailStartDate": ("start_date", "date"),
            "VisitDetailEndDate": ("end_date", "date"),
            "VisitDetailSourceConcept": ("source_concept_set", "codeset"),
            "VisitDetailTypeCS": ("type_concept", "selection"),
            "GenderCS": ("gender", "selection"),
            "ProviderSpecialtyCS": ("provider_specialty", "selection"),
            "PlaceOfServiceCS": ("place_of_service", "selection"),
            "VisitDetailLength": ("length", "integer"),
            "Age": ("age_at_end", "integer"),  # Circe: the age at the end
        },
    ),
    "PayerPlanPeriod": (
        "payer_plan_period",
        PERIOD
        | {
            "Gender": ("gender", "ids"),
            "PayerConcept": ("concept_set", "codeset"),
            "PayerSourceConcept": ("source_concept_set", "codeset"),
            "PlanConcept": ("plan_concept_set", "codeset"),
            "SponsorConcept": ("sponsor_concept_set", "codeset"),
            "StopReasonConcept": ("stop_reason_concept_set", "codeset"),
            "PlanSourceConcept": ("plan_source_concept_set", "codeset"),
            "SponsorSourceConcept": ("sponsor_source_concept_set", "codeset"),
            "StopReasonSourceConcept": ("stop_reason_source_concept_set", "codeset"),
        },
    ),
    "Episode": (  # circepy's (Java Circe has no Episode criteria yet)
        "episode",
        {
            "CodesetId": ("concept_set", "codeset"),
            "EpisodeStartDate": ("start_date", "date"),
            "EpisodeEndDate": ("end_date", "date"),
            "EpisodeNumber": ("episode_number", "integer"),
            "Age": ("age", "integer"),
            "GenderCS": ("gender", "selection"),
            "EpisodeObjectConceptCS": ("object_concept", "selection"),
            "EpisodeTypeCS": ("type_concept", "selection"),
        },
    ),
}


def _with_selections(fields: dict[str, tuple[str, str]]) -> dict:
    """Each list of concepts with its concept set variant (`UnitCS`...)."""
    return fields | {
        f"{key}CS": (field, "selection")
        for key, (field, how) in fields.items()
        if how == "ids"
    }


CRITERIA = {
    kind: (domain, _with_selections(fields)) for kind, (domain, fields) in KINDS.items()
}
#: every criteria type's own dates, moved (Circe's SQL ignores it for specimens)
ADJUSTED = {kind for kind in CRITERIA if kind != "Specimen"}
DATE_FIELDS = {"START_DATE": "start", "END_DATE": "end"}
NO_REGION = (
    " (it reads location_history and a location's region_concept_id,"
    " which CDM 5.4 does not have)"
)
NOT_IN_CDM = " (a drug_exposure column of CDM 5.0 that CDM 5.4 does not have)"
#: why an attribute (or criteria type) Circe offers is refused
REASONS = {
    "DrugEra.GapDays": " without EraLength (Circe's SQL compares gap_days with"
    " the EraLength range: it fails without one)",
    "Specimen.DateAdjustment": " (Circe's SQL ignores it for specimens)",
    "Specimen.SpecimenSourceConcept": " (Circe's SQL ignores it: a CDM 5.4 specimen"
    " has no source concept)",
    "PlaceOfServiceLocation": NO_REGION,
    "DrugExposure.EffectiveDrugDose": NOT_IN_CDM,
    "DrugExposure.DoseUnit": NOT_IN_CDM,
    "DrugExposure.DoseUnitCS": NOT_IN_CDM,
    "LocationRegion": NO_REGION,
}
TEXT_OPS = {
    "eq": "eq",
    "startsWith": "starts_with",
    "endsWith": "ends_with",
    "contains": "contains",
}
#: keys of an expression that carry no logic: recorded as metadata
METADATA = {"CdmVersionRange", "Title", "Id", "Name", "Description"}
TOP_LEVEL = METADATA | {
    "ConceptSets",
    "PrimaryCriteria",
    "AdditionalCriteria",
    "QualifiedLimit",
    "ExpressionLimit",
    "InclusionRules",
    "EndStrategy",
    "CensoringCriteria",
    "CollapseSettings",
    "CensorWindow",
}
OCCURRENCE = {0: "exactly", 1: "at_most", 2: "at_least"}
COUNT_COLUMNS = {
    "DOMAIN_CONCEPT": "concept",
    "START_DATE": "start_date",
    "VISIT_ID": "visit",
}


def _empty(value) -> bool:
    return value is None or value is False or value == [] or value == {}


def _pascal(data: dict) -> dict:
    """Keys with an upper-case first letter (ATLAS writes both)."""
    return {_upper(k): v for k, v in data.items()}


def _upper(key: str) -> str:
    return key[:1].upper() + key[1:]


class _Converter:
    def __init__(self, source: str) -> None:
        self.source = source

    def refuse(self, path: str, what: str = "") -> None:
        raise UnsupportedCirceFeatureError(
            f"{self.source}: Circe feature not supported: {path}{what}"
        )

    def check_known(self, data: dict, known: set[str], path: str) -> None:
        for key, value in data.items():
            if key not in known and not _empty(value):
                name = f"{path}.{key}" if path else key
                why = (r for k, r in REASONS.items() if name.endswith(f".{k}"))
                self.refuse(name, next(why, ""))

    # -- values -------------------------------------------------------------
    def number_range(self, r: dict | None, path: str, digits: int | None):
        if _empty(r):
            return None
        r = _pascal(r)
        op = (r.get("Op") or "").lower()

        def cast(v):
            return int(v) if digits is None else round(float(v), digits)

        if op.endswith("bt"):
            if r.get("Value") is None or r.get("Extent") is None:
                return None
            pair = [cast(r["Value"]), cast(r["Extent"])]
            return {"not_between" if op.startswith("!") else "between": pair}
        if r.get("Value") is None:
            return None
        name = {"!eq": "neq"}.get(op, op)
        if name not in ("gt", "gte", "lt", "lte", "eq", "neq"):
            self.refuse(path, f" (operator {op!r})")
        return {name: cast(r["Value"])}

    def date_range(self, r: dict | None, path: str):
        if _empty(r):
            return None
        r = _pascal(r)
        op = (r.get("Op") or "").lower()
        if op.endswith("bt"):
            pair = [date.fromisoformat(r["Value"]), date.fromisoformat(r["Extent"])]
            return {"not_between" if op.startswith("!") else "between": pair}
        if r.get("Value") is None:
            return None
        name = {"!eq": "neq"}.get(op, op)
        return {name: date.fromisoformat(r["Value"])}

    def adjustment(self, a: dict, path: str) -> dict:
        a = _pascal(a)
        self.check_known(a, {"StartWith", "StartOffset", "EndWith", "EndOffset"}, path)
        out = {}
        for name, default in (("Start", "START_DATE"), ("End", "END_DATE")):
            field = a.get(f"{name}With") or default
            if field not in DATE_FIELDS:
                self.refuse(f"{path}.{name}With", f" ({field})")
            out[f"{name.lower()}_with"] = DATE_FIELDS[field]
            out[f"{name.lower()}_offset"] = int(a.get(f"{name}Offset") or 0)
        return out

    @staticmethod
    def period(p: dict) -> dict:
        p = _pascal(p)
        return {"start": p.get("StartDate"), "end": p.get("EndDate")}

    @staticmethod
    def concept_ids(concepts: list | None) -> list[int] | None:
        if _empty(concepts):
            return None
        return [int(_pascal(c)["CONCEPT_ID"]) for c in concepts]

    # -- criteria -----------------------------------------------------------
    def text(self, t: dict, path: str) -> dict:
        t = _pascal(t)
        op, text = t.get("Op"), t.get("Text")
        name = TEXT_OPS.get((op or "").removeprefix("!"))
        if name is None or text is None:
            self.refuse(path, f" (operator {op!r})" if text is not None else "")
        return {f"not_{name}" if op.startswith("!") else name: text}

    def attribute(self, value, field: str, how: str, path: str) -> dict:
        """One Circe attribute as entrepot fields (none when it is empty)."""
        if _empty(value):
            return {}
        if how == "codeset":
            return {field: f"codeset_{value}"}
        if how == "selection":  # a concept set (or any concept), maybe excluded
            chosen = _pascal(value)
            codeset = chosen.get("CodesetId")
            return {
                field: {
                    "concept_set": None if codeset is None else f"codeset_{codeset}",
                    "exclude": bool(chosen.get("IsExclusion")),
                }
            }
        converted = {
            "adjustment": lambda: self.adjustment(value, path),
            "period": lambda: self.period(value),
            "date": lambda: self.date_range(value, path),
            "integer": lambda: self.number_range(value, path, None),
            "number": lambda: self.number_range(value, path, 4),
            "ids": lambda: self.concept_ids(value),
            "flag": lambda: bool(value),
            "text": lambda: self.text(value, path),
        }[how]()
        return {field: converted}

    def era_gap(self, data: dict, path: str) -> dict:
        """Circe's DrugEra GapDays: gap_days within the EraLength range (sic)."""
        if _empty(data.get("EraLength")):
            self.refuse(path, REASONS["DrugEra.GapDays"])
        return self.number_range(data["EraLength"], path, None)

    def event(self, wrapper: dict, path: str) -> dict:
        if not isinstance(wrapper, dict) or len(wrapper) != 1:
            self.refuse(path, " (one criterion per entry expected)")
        ((kind, data),) = wrapper.items()
        if kind not in CRITERIA:
            self.refuse(f"{path}.{kind}", REASONS.get(kind, ""))
        domain, fields = CRITERIA[kind]
        if kind in ADJUSTED:
            fields = fields | {"DateAdjustment": ("date_adjustment", "adjustment")}
        data = _pascal(data or {})
        path = f"{path}.{kind}"
        self.check_known(data, {*fields, "First", "CorrelatedCriteria"}, path)
        out: dict = {"domain": domain, "first": bool(data.get("First"))}
        given: dict[str, str] = {}  # entrepot field -> the Circe attribute
        for key, (field, how) in fields.items():
            if how == "era_gap" and not _empty(data.get(key)):
                converted = {field: self.era_gap(data, f"{path}.{key}")}
            else:
                converted = self.attribute(data.get(key), field, how, f"{path}.{key}")
            for name in converted:
                if name in given:
                    self.refuse(f"{path}.{key}", f" together with {given[name]}")
                given[name] = key
            out |= converted
        if isinstance(out.get("type_concept"), dict):  # Circe: for a list only
            out.pop("type_exclude", None)
        if not _empty(data.get("CorrelatedCriteria")):
            out["criteria"] = self.group(
                data["CorrelatedCriteria"], f"{path}.CorrelatedCriteria"
            )
        return {k: v for k, v in out.items() if v is not None}

    def window(self, w: dict | None, role: str) -> dict | None:
        if _empty(w):
            return None
        w = _pascal(w)
        out = {"index": "end" if w.get("UseIndexEnd") else "start"}
        use_end = w.get("UseEventEnd")
        end_event = use_end is None or use_end if role == "end" else bool(use_end)
        out["event"] = "end" if end_event else "start"
        for name in ("Start", "End"):
            bound = _pascal(w.get(name) or {})
            if bound.get("Days") is not None:
                out[name.lower()] = int(bound["Days"]) * int(bound.get("Coeff", 1))
            else:
                coeff = bound.get("Coeff")
                out[name.lower()] = (
                    "observation_start" if coeff == -1 else "observation_end"
                )
        return out

    def criterion(self, c: dict, path: str) -> dict:
        c = _pascal(c)
        self.check_known(
            c,
            {
                "Criteria",
                "StartWindow",
                "EndWindow",
                "RestrictVisit",
                "IgnoreObservationPeriod",
                "Occurrence",
            },
            path,
        )
        occurrence = _pascal(c.get("Occurrence") or {"Type": 2, "Count": 1})
        column = occurrence.get("CountColumn")
        if occurrence.get("IsDistinct") and column not in (None, *COUNT_COLUMNS):
            self.refuse(f"{path}.Occurrence.CountColumn", f" ({column})")
        return {
            "event": self.event(c["Criteria"], f"{path}.Criteria"),
            "window": self.window(c.get("StartWindow"), "start"),
            "end_window": self.window(c.get("EndWindow"), "end"),
            "same_visit": bool(c.get("RestrictVisit")),
            "ignore_observation_period": bool(c.get("IgnoreObservationPeriod")),
            "occurrence": {
                "type": OCCURRENCE[int(occurrence.get("Type", 2))],
                "count": int(occurrence.get("Count", 1)),
                "distinct": COUNT_COLUMNS[column or "DOMAIN_CONCEPT"]
                if occurrence.get("IsDistinct")
                else None,
            },
        }

    def demographics(self, d: dict, path: str) -> dict:
        d = _pascal(d)
        people = ("Gender", "Race", "Ethnicity")
        self.check_known(
            d,
            {"Age", "OccurrenceStartDate", "OccurrenceEndDate"}
            | {f"{name}{cs}" for name in people for cs in ("", "CS")},
            path,
        )
        out = {}
        for name in people:
            if not _empty(d.get(name)) and not _empty(d.get(f"{name}CS")):
                self.refuse(f"{path}.{name}CS", f" together with {name}")
            field = name.lower()
            chosen = self.attribute(d.get(f"{name}CS"), field, "selection", path)
            out[field] = chosen.get(field) or self.concept_ids(d.get(name))
        out |= {
            "age": self.number_range(d.get("Age"), f"{path}.Age", None),
            "start_date": self.date_range(d.get("OccurrenceStartDate"), path),
            "end_date": self.date_range(d.get("OccurrenceEndDate"), path),
        }
        return {k: v for k, v in out.items() if v is not None}

    def group(self, g: dict, path: str) -> dict:
        g = _pascal(g)
        self.check_known(
            g,
            {"Type", "Count", "CriteriaList", "DemographicCriteriaList", "Groups"},
            path,
        )
        return {
            "type": (g.get("Type") or "ALL").lower(),
            "count": g.get("Count"),
            "criteria": [
                self.criterion(c, f"{path}.CriteriaList[{i}]")
                for i, c in enumerate(g.get("CriteriaList") or [])
            ],
            "demographics": [
                self.demographics(d, f"{path}.DemographicCriteriaList[{i}]")
                for i, d in enumerate(g.get("DemographicCriteriaList") or [])
            ],
            "groups": [
                self.group(s, f"{path}.Groups[{i}]")
                for i, s in enumerate(g.get("Groups") or [])
            ],
        }

    # -- the whole expression -----------------------------------------------
    def concept_sets(self, sets: list) -> dict:
        out = {}
        for s in sets or []:
            s = _pascal(s)
            items = []
            for item in _pascal(s.get("Expression") or {}).get("Items") or []:
                item = _pascal(item)
                items.append(
                    {
                        "concept_id": int(_pascal(item["Concept"])["CONCEPT_ID"]),
                        "descendants": bool(item.get("IncludeDescendants")),
                        "mapped": bool(item.get("IncludeMapped")),
                        "exclude": bool(item.get("IsExcluded")),
                    }
                )
            if items:
                out[f"codeset_{s['Id']}"] = {"items": items}
            else:  # an empty set matches nothing, as in Circe
                out[f"codeset_{s['Id']}"] = {"items": [{"concept_id": -1}]}
        return out

    def exit(self, data: dict) -> dict:
        out: dict = {}
        strategy = _pascal(data.get("EndStrategy") or {})
        if "DateOffset" in strategy:
            offset = _pascal(strategy["DateOffset"])
            out["offset"] = {
                "date": "end" if offset.get("DateField") == "EndDate" else "start",
                "days": int(offset.get("Offset", 0)),
            }
        elif "CustomEra" in strategy:
            era = _pascal(strategy["CustomEra"])
            self.check_known(
                era,
                {"DrugCodesetId", "GapDays", "Offset", "DaysSupplyOverride"},
                "EndStrategy.CustomEra",
            )
            out["drug_era"] = {
                "concept_set": f"codeset_{era['DrugCodesetId']}",
                "gap_days": int(era.get("GapDays", 0)),
                "offset": int(era.get("Offset", 0)),
                "days_supply": era.get("DaysSupplyOverride"),
            }
        elif strategy:
            self.refuse(f"EndStrategy.{next(iter(strategy))}")
        out["censoring"] = [
            self.event(c, f"CensoringCriteria[{i}]")
            for i, c in enumerate(data.get("CensoringCriteria") or [])
        ]
        collapse = _pascal(data.get("CollapseSettings") or {})
        if collapse.get("CollapseType", "ERA") != "ERA":
            self.refuse(
                "CollapseSettings.CollapseType", f" ({collapse['CollapseType']})"
            )
        out["era_pad"] = int(collapse.get("EraPad") or 0)
        window = _pascal(data.get("CensorWindow") or {})
        if window.get("StartDate"):
            out["window_start"] = date.fromisoformat(window["StartDate"])
        if window.get("EndDate"):
            out["window_end"] = date.fromisoformat(window["EndDate"])
        return out

    def definition(self, data: dict, name: str, metadata: dict) -> dict:
        """The entrepot definition; `metadata` (an export's keys outside the
        expression) and the expression's own metadata are recorded as written."""
        metadata = metadata | {k: v for k, v in data.items() if _upper(k) in METADATA}
        named = _pascal(metadata)
        data = _pascal(data)
        self.check_known(data, TOP_LEVEL, "")
        primary = _pascal(data.get("PrimaryCriteria") or {})
        self.check_known(
            primary,
            {"CriteriaList", "ObservationWindow", "PrimaryCriteriaLimit"},
            "PrimaryCriteria",
        )
        window = _pascal(primary.get("ObservationWindow") or {})
        additional = data.get("AdditionalCriteria")
        entry = {
            "events": [
                self.event(c, f"PrimaryCriteria.CriteriaList[{i}]")
                for i, c in enumerate(primary.get("CriteriaList") or [])
            ],
            "prior_days": int(window.get("PriorDays", 0)),
            "post_days": int(window.get("PostDays", 0)),
            "limit": _limit(primary.get("PrimaryCriteriaLimit"), "first"),
        }
        if not _empty(additional):
            entry["criteria"] = self.group(additional, "AdditionalCriteria")
            entry["criteria_limit"] = _limit(data.get("QualifiedLimit"), "all")
        return {
            "name": named.get("Name") or named.get("Title") or name,
            "description": named.get("Description"),
            "metadata": metadata,
            "concept_sets": self.concept_sets(data.get("ConceptSets")),
            "entry": entry,
            "inclusion_rules": [
                {
                    "name": _pascal(r).get("Name") or f"rule {i}",
                    "description": _pascal(r).get("Description"),
                    "criteria": self.group(
                        _pascal(r).get("Expression") or {},
                        f"InclusionRules[{i}].expression",
                    ),
                }
                for i, r in enumerate(data.get("InclusionRules") or [])
            ],
            "limit": _limit(data.get("ExpressionLimit"), "all"),
            "exit": self.exit(data),
        }


def _limit(value: dict | None, default: str) -> str:
    kind = _pascal(value or {}).get("Type")
    return kind.lower() if kind else default


def _unwrap(data: dict, source: str) -> tuple[dict, dict]:
    """The Circe expression of an export and the metadata around it: the file
    itself, or the `expression` of ATLAS's whole definition (WebAPI), whose
    other keys (id, name, description, dates...) are metadata."""
    if "expression" not in data:
        return data, {}
    expression = data["expression"]
    if isinstance(expression, str):  # WebAPI writes it as a JSON string
        try:
            expression = json.loads(expression)
        except json.JSONDecodeError as e:
            raise CohortDefinitionError(
                f"{source}: expression: malformed JSON at line {e.lineno},"
                f" column {e.colno}: {e.msg}"
            ) from None
    if not isinstance(expression, dict):
        raise CohortDefinitionError(
            f"{source}: expression: not a Circe expression (a mapping)"
        )
    wrapper = {k: v for k, v in data.items() if k != "expression"}
    logic = sorted(k for k in wrapper if _upper(k) in TOP_LEVEL - METADATA)
    if logic:  # never recorded as metadata: they would be dropped
        raise CohortDefinitionError(
            f"{source}: {', '.join(logic)}: outside the expression of an export"
        )
    return expression, wrapper


def from_circe(data: dict, source: str, *, default_name: str = "cohort"):
    """A validated definition from Circe JSON (already parsed)."""
    expression, metadata = _unwrap(data, source)
    try:
        converted = _Converter(source).definition(expression, default_name, metadata)
    except EntrepotError:
        raise
    except (AttributeError, KeyError, TypeError, ValueError) as e:  # not ATLAS's shapes
        raise CohortDefinitionError(
            f"{source}: not Circe JSON as ATLAS writes it ({type(e).__name__}: {e})"
        ) from None
    try:
        return CohortDefinition.model_validate(converted)
    except ValidationError as e:
        raise CohortDefinitionError(f"{source}: {describe_errors(e)}") from None
