"""An entrepot definition written as OHDSI Circe JSON (what ATLAS imports and
Circe turns into SQL), codes resolved to the warehouse's concept ids.

The inverse of `_circe`'s conversion, read from its tables: importing the
JSON written gives the same cohort. What Circe cannot express (mentions in
notes, extracted fields, an attribute a criteria type lacks...) is refused
with its path, never dropped.
"""

from __future__ import annotations

import math
from datetime import date, timedelta
from typing import NoReturn

from entrepot.cohort._circe import (
    ADJUSTED,
    COUNT_COLUMNS,
    CRITERIA,
    DATE_FIELDS,
    OCCURRENCE,
    TEXT_OPS,
)
from entrepot.cohort._concepts import code_ids
from entrepot.cohort._context import Context
from entrepot.cohort._model import (
    CohortDefinition,
    ConceptItem,
    ConceptSelection,
    Criterion,
    Demographics,
    Event,
    Group,
    Range,
    Text,
    Window,
    gender_ids,
)
from entrepot.errors import CirceExportError


def _by_domain() -> dict[str, tuple[str, dict[str, dict[str, str]]]]:
    """Each domain's criteria type, and for each entrepot field the Circe
    attribute that carries it, by how its value converts."""
    found = {}
    for kind, (domain, fields) in CRITERIA.items():
        if kind in ADJUSTED:
            fields = fields | {"DateAdjustment": ("date_adjustment", "adjustment")}
        by_field: dict[str, dict[str, str]] = {}
        for key, (field, how) in fields.items():
            by_field.setdefault(field, {})[how] = key
        found[domain] = (kind, by_field)
    return found


BY_DOMAIN = _by_domain()
#: why a domain has no Circe criteria
NO_CRITERIA = {
    "note_mention": "mentions found in notes: Circe has no such criteria",
    "extraction": "fields extracted from notes: Circe has no such criteria",
    "cohort": "membership in a saved cohort: Circe has no such criteria",
}
RANGE_OPS = {"gt": "gt", "gte": "gte", "lt": "lt", "lte": "lte", "eq": "eq"}
RANGE_OPS |= {"neq": "!eq", "between": "bt", "not_between": "!bt"}
TEXT_NAMES = {name: op for op, name in TEXT_OPS.items()}
OCCURRENCE_TYPES = {name: code for code, name in OCCURRENCE.items()}
COUNT_NAMES = {name: column for column, name in COUNT_COLUMNS.items()}
DATE_NAMES = {name: field for field, name in DATE_FIELDS.items()}
LIMITS = {"first": "First", "last": "Last", "all": "All"}
#: a field's own bounds when it takes whole numbers or dates (one step apart)
STEPS = {"integer": 1, "date": timedelta(days=1)}


class _Writer:
    def __init__(self, definition: CohortDefinition, source: str) -> None:
        self.source = source
        self.codesets = {name: i for i, name in enumerate(definition.concept_sets)}

    def refuse(self, path: str, why: str) -> NoReturn:
        raise CirceExportError(
            f"{self.source}: not expressible in Circe: {path} ({why})"
        )

    # -- values -------------------------------------------------------------
    def range(self, r: Range, how: str, path: str) -> dict:
        """One Circe range (one operator): a single bound, or a closed range
        (fields of whole numbers or dates close an open bound one step in)."""
        bounds = {k: v for k, v in r if v is not None}
        if how == "integer":
            bounds = {k: self.whole(k, v, path) for k, v in bounds.items()}
        step = STEPS.get(how)
        if len(bounds) == 2 and step is not None:
            if "gt" in bounds:
                bounds["gte"] = bounds.pop("gt") + step
            if "lt" in bounds:
                bounds["lte"] = bounds.pop("lt") - step
        if bounds.keys() == {"gte", "lte"}:
            bounds = {"between": (bounds["gte"], bounds["lte"])}
        if len(bounds) != 1:
            self.refuse(path, "Circe takes one bound, or both ends of a range")
        ((name, value),) = bounds.items()
        if name.endswith("between"):
            low, high = value
            return {"Value": _json(low), "Op": RANGE_OPS[name], "Extent": _json(high)}
        return {"Value": _json(value), "Op": RANGE_OPS[name]}

    def whole(self, name: str, value, path: str):
        """A bound on whole numbers as a whole number, with the same meaning."""
        if isinstance(value, tuple):
            return (math.ceil(value[0]), math.floor(value[1]))
        if name in ("gt", "lte"):
            return math.floor(value)
        if name in ("gte", "lt"):
            return math.ceil(value)
        if value != int(value):
            self.refuse(path, f"{name} {value}: Circe takes a whole number here")
        return int(value)

    def selection(self, chosen: ConceptSelection) -> dict:
        codeset = chosen.concept_set
        return {
            "CodesetId": None if codeset is None else self.codesets[codeset],
            "IsExclusion": chosen.exclude,
        }

    @staticmethod
    def text(t: Text) -> dict:
        op, text = t.condition
        name = TEXT_NAMES[op.removeprefix("not_")]
        return {"Text": text, "Op": f"!{name}" if op.startswith("not_") else name}

    def value(self, value, how: str, path: str):
        """An entrepot field's value as the Circe attribute's."""
        if how == "codeset":
            return self.codesets[value]
        if how == "selection":
            return self.selection(value)
        if how == "ids":
            return [{"CONCEPT_ID": i} for i in value]
        if how in ("date", "integer", "number"):
            return self.range(value, how, path)
        if how == "text":
            return self.text(value)
        if how == "period":
            return {"StartDate": _json(value.start), "EndDate": _json(value.end)}
        if how == "adjustment":
            return {
                "StartWith": DATE_NAMES[value.start_with],
                "StartOffset": value.start_offset,
                "EndWith": DATE_NAMES[value.end_with],
                "EndOffset": value.end_offset,
            }
        return value  # a flag

    # -- criteria -----------------------------------------------------------
    def event(self, e: Event, path: str) -> dict:
        if e.domain not in BY_DOMAIN:
            self.refuse(path, NO_CRITERIA[e.domain])
        kind, fields = BY_DOMAIN[e.domain]
        given = {
            name: getattr(e, name)
            for name in type(e).model_fields
            if name not in ("domain", "first", "criteria")
            and getattr(e, name) is not None
            and getattr(e, name) is not False
        }
        if "type_concept_set" in given:  # the same as a type concept selection
            chosen = ConceptSelection(concept_set=given.pop("type_concept_set"))
            given["type_concept"] = chosen
        if "gender" in given:
            given["gender"] = gender_ids(given["gender"])
        out: dict = {"First": True} if e.first else {}
        for name, value in given.items():
            where = f"{path}.{name}"
            ways = fields.get(name)
            if ways is None:
                self.refuse(where, f"Circe's {kind} criteria have no such attribute")
            if isinstance(value, ConceptSelection):
                how = "selection"
            elif isinstance(value, list):
                how = "ids"
            else:
                how = next(h for h in ways if h not in ("selection", "ids"))
            if how not in ways:
                self.refuse(where, f"Circe's {kind} criteria take a concept set here")
            if how == "era_gap":
                out |= self.era_gap(e, where)
            else:
                out[ways[how]] = self.value(value, how, where)
        if e.criteria is not None:
            out["CorrelatedCriteria"] = self.group(e.criteria, f"{path}.criteria")
        return {kind: out}

    def era_gap(self, e: Event, path: str) -> dict:
        """Circe filters a drug era's gap_days with its EraLength range (sic)."""
        if e.length is not None and e.length != e.gap_days:
            self.refuse(
                path,
                "Circe compares gap_days with the EraLength range: length must"
                " be the same range, or none",
            )
        written = self.range(e.gap_days, "integer", path)
        return {"EraLength": written, "GapDays": written}

    def window(self, w: Window | None, role: str) -> dict | None:
        if w is None:
            return None
        default = "end" if role == "end" else "start"
        return {
            "Start": _bound(w.start),
            "End": _bound(w.end),
            "UseIndexEnd": w.index == "end",
            "UseEventEnd": (w.event or default) == "end",
        }

    def criterion(self, c: Criterion, path: str) -> dict:
        out = {
            "Criteria": self.event(c.event, f"{path}.event"),
            "StartWindow": self.window(c.window, "start"),
            "EndWindow": self.window(c.end_window, "end"),
            "RestrictVisit": c.same_visit,
            "IgnoreObservationPeriod": c.ignore_observation_period,
            "Occurrence": {
                "Type": OCCURRENCE_TYPES[c.occurrence.type],
                "Count": c.occurrence.count,
                "IsDistinct": c.occurrence.distinct is not None,
            },
        }
        if c.occurrence.distinct is not None:
            out["Occurrence"]["CountColumn"] = COUNT_NAMES[c.occurrence.distinct]
        return {k: v for k, v in out.items() if v is not None}

    def demographics(self, d: Demographics, path: str) -> dict:
        out: dict = {}
        for name in ("gender", "race", "ethnicity"):
            value = getattr(d, name)
            if name == "gender" and value is not None:
                value = gender_ids(value)
            key = name.capitalize()
            if isinstance(value, ConceptSelection):
                out[f"{key}CS"] = self.selection(value)
            elif value is not None:
                out[key] = self.value(value, "ids", path)
        for name, key, how in (
            ("age", "Age", "integer"),
            ("start_date", "OccurrenceStartDate", "date"),
            ("end_date", "OccurrenceEndDate", "date"),
        ):
            if getattr(d, name) is not None:
                out[key] = self.range(getattr(d, name), how, f"{path}.{name}")
        return out

    def group(self, g: Group, path: str) -> dict:
        return {
            "Type": g.type.upper(),
            "Count": g.count,
            "CriteriaList": [
                self.criterion(c, f"{path}.criteria[{i}]")
                for i, c in enumerate(g.criteria)
            ],
            "DemographicCriteriaList": [
                self.demographics(d, f"{path}.demographics[{i}]")
                for i, d in enumerate(g.demographics)
            ],
            "Groups": [
                self.group(s, f"{path}.groups[{i}]") for i, s in enumerate(g.groups)
            ],
        }

    # -- the whole expression -----------------------------------------------
    def exit(self, definition: CohortDefinition) -> dict:
        leave = definition.exit
        out: dict = {}
        if leave.offset is not None:
            field = "EndDate" if leave.offset.date == "end" else "StartDate"
            offset = {"DateField": field, "Offset": leave.offset.days}
            out["EndStrategy"] = {"DateOffset": offset}
        elif leave.drug_era is not None:
            era = leave.drug_era
            out["EndStrategy"] = {
                "CustomEra": {
                    "DrugCodesetId": self.codesets[era.concept_set],
                    "GapDays": era.gap_days,
                    "Offset": era.offset,
                    "DaysSupplyOverride": era.days_supply,
                }
            }
        out["CensoringCriteria"] = [
            self.event(e, f"exit.censoring[{i}]") for i, e in enumerate(leave.censoring)
        ]
        out["CollapseSettings"] = {"CollapseType": "ERA", "EraPad": leave.era_pad}
        if leave.window_start or leave.window_end:
            out["CensorWindow"] = {
                "StartDate": _json(leave.window_start),
                "EndDate": _json(leave.window_end),
            }
        return out

    def expression(self, definition: CohortDefinition) -> dict:
        """Everything but the concept sets."""
        entry = definition.entry
        out = {
            "PrimaryCriteria": {
                "CriteriaList": [
                    self.event(e, f"entry.events[{i}]")
                    for i, e in enumerate(entry.events)
                ],
                "ObservationWindow": {
                    "PriorDays": entry.prior_days,
                    "PostDays": entry.post_days,
                },
                "PrimaryCriteriaLimit": {"Type": LIMITS[entry.limit]},
            },
            "QualifiedLimit": {"Type": LIMITS[entry.criteria_limit]},
            "ExpressionLimit": {"Type": LIMITS[definition.limit]},
            "InclusionRules": [
                {
                    "name": rule.name,
                    "description": rule.description,
                    "expression": self.group(
                        rule.criteria, f"inclusion_rules[{i}].criteria"
                    ),
                }
                for i, rule in enumerate(definition.inclusion_rules)
            ],
        }
        if entry.criteria is not None:
            out["AdditionalCriteria"] = self.group(entry.criteria, "entry.criteria")
        return out | self.exit(definition)


def _bound(bound: int | str) -> dict:
    """A window's end: days before (-1) or after (1), or the observation
    period's start or end when Days is left out."""
    if bound == "observation_start":
        return {"Coeff": -1}
    if bound == "observation_end":
        return {"Coeff": 1}
    return {"Days": abs(bound), "Coeff": -1 if bound < 0 else 1}


def _json(value):
    """A number or date as Circe writes it (whole numbers without '.0')."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _concept_sets(wh, definition: CohortDefinition, source: str) -> list[dict]:
    """The concept sets as ATLAS writes them, codes resolved to concept ids,
    each concept with its row of the warehouse's vocabulary where it has one."""
    items = [i for s in definition.concept_sets.values() for i in s.items]
    codes = code_ids(Context(wh), items, source)

    def concept_id(item: ConceptItem) -> int:
        return item.concept_id if item.code is None else codes[(item.vocabulary, item.code)]  # fmt: skip

    known = _concepts(wh, sorted({concept_id(i) for i in items}))
    return [
        {
            "id": n,
            "name": name,
            "expression": {
                "items": [
                    {
                        "concept": known.get(
                            concept_id(i), {"CONCEPT_ID": concept_id(i)}
                        ),  # fmt: skip
                        "isExcluded": i.exclude,
                        "includeDescendants": i.descendants,
                        "includeMapped": i.mapped,
                    }
                    for i in s.items
                ]
            },
        }
        for n, (name, s) in enumerate(definition.concept_sets.items())
    ]


COLUMNS = ("concept_id", "concept_name", "standard_concept", "invalid_reason")
COLUMNS += ("concept_code", "domain_id", "vocabulary_id", "concept_class_id")


def _concepts(wh, ids: list[int]) -> dict[int, dict]:
    """Each concept's vocabulary row, as ATLAS writes a concept."""
    if not ids:
        return {}
    concept = wh.table("concept")
    rows = concept.filter(concept.concept_id.isin(ids)).select(*COLUMNS)
    found = {}
    for row in rows.to_pyarrow().to_pylist():
        written = {k.upper(): row[k] for k in COLUMNS}
        written["CONCEPT_ID"] = int(row["concept_id"])
        found[written["CONCEPT_ID"]] = written
    return found


def to_circe(wh, definition: CohortDefinition, source: str = "definition") -> dict:
    """The Circe expression of `definition` on warehouse `wh` (its codes as
    the warehouse's concept ids); CirceExportError names what Circe cannot
    express."""
    logic = _Writer(definition, source).expression(definition)  # refuses first
    return {
        "Title": definition.name,
        "cdmVersionRange": definition.metadata.get("cdmVersionRange", ">=5.0.0"),
        "ConceptSets": _concept_sets(wh, definition, source),
    } | logic
