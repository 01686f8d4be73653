"""The cohort definition: what a YAML or JSON file says, validated by pydantic.

The model carries Circe's semantics (OHDSI ATLAS cohorts import into it without
loss), with names a clinician can read. See `entrepot/data/cohorts/` for examples.
"""

from __future__ import annotations

from datetime import date
from typing import Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, JsonValue, model_validator

T = TypeVar("T", float, date)

DOMAINS = (
    "condition",
    "drug",
    "procedure",
    "measurement",
    "observation",
    "visit",
    "death",
    "observation_period",
    "note_mention",
    "condition_era",
    "drug_era",
    "dose_era",
    "device",
    "specimen",
    "visit_detail",
    "payer_plan_period",
    "episode",
    "extraction",
    "cohort",
)
Domain = Literal[DOMAINS]  # type: ignore[valid-type]
Limit = Literal["first", "last", "all"]
Qualifier = Literal["negated", "hypothesis", "family", "history", "reported"]
DEFAULT_EXCLUDED: tuple[Qualifier, ...] = ("negated", "hypothesis", "family")
MENTION_FIELDS = ("label", "exclude", "note_title")
EXTRACTION_FIELDS = ("extraction_schema", "field")
#: fields that filter on columns of some domains only (see `criteria/`)
ATTRIBUTES = (
    "value",
    "unit",
    "value_concept",
    "occurrence_count",
    "gap_days",
    "quantity",
    "unique_device_id",
    "anatomic_site",
    "disease_status",
    "source_id",
    "plan_concept_set",
    "sponsor_concept_set",
    "stop_reason_concept_set",
    "plan_source_concept_set",
    "sponsor_source_concept_set",
    "stop_reason_source_concept_set",
    "episode_number",
    "object_concept",
    "operator",
    "range_low",
    "range_high",
    "range_low_ratio",
    "range_high_ratio",
    "abnormal",
    "stop_reason",
    "condition_status",
    "refills",
    "days_supply",
    "route",
    "lot_number",
    "modifier",
    "qualifier",
    "value_text",
    "care_site",
)
#: fields that name a concept set
CONCEPT_SET_FIELDS = (
    "concept_set",
    "source_concept_set",
    "type_concept_set",
    "plan_concept_set",
    "sponsor_concept_set",
    "stop_reason_concept_set",
    "plan_source_concept_set",
    "sponsor_source_concept_set",
    "stop_reason_source_concept_set",
)
GENDERS = {"female": 8532, "male": 8507}


class Strict(BaseModel):
    """Unknown fields are errors, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Range(Strict, Generic[T]):
    """Bounds on a number or a date, all of them required (`gte: 18, lt: 65`)."""

    gt: T | None = None
    gte: T | None = None
    lt: T | None = None
    lte: T | None = None
    eq: T | None = None
    neq: T | None = None
    between: tuple[T, T] | None = None
    not_between: tuple[T, T] | None = None

    @model_validator(mode="after")
    def _some_bound(self) -> Range:
        if all(v is None for v in self.__dict__.values()):
            raise ValueError("a range needs at least one bound (gt, gte, lt, lte...)")
        for name in ("between", "not_between"):
            pair = getattr(self, name)
            if pair is not None and pair[0] > pair[1]:
                raise ValueError(f"impossible range: {name} {pair[0]} > {pair[1]}")
        return self


class Text(Strict):
    """One condition on a text, taken literally: `{contains: ABC}`, `{not_eq: x}`."""

    eq: str | None = None
    not_eq: str | None = None
    starts_with: str | None = None
    not_starts_with: str | None = None
    ends_with: str | None = None
    not_ends_with: str | None = None
    contains: str | None = None
    not_contains: str | None = None

    @model_validator(mode="after")
    def _one_condition(self) -> Text:
        if sum(v is not None for v in self.__dict__.values()) != 1:
            raise ValueError("give one condition (eq, contains, starts_with...)")
        return self

    @property
    def condition(self) -> tuple[str, str]:
        """(operator, text) of the condition given."""
        ((op, text),) = self.model_dump(exclude_none=True).items()
        return op, text


class ConceptSelection(Strict):
    """Concepts of a concept set (`{concept_set: x}`), or without one any concept
    at all; with `exclude`, every other (Circe's *CS attributes): a missing
    concept is in neither a set nor its exclusion, and is what excluding
    'any concept' keeps."""

    concept_set: str | None = None
    exclude: bool = False


Gender = list[Literal["female", "male"] | int] | ConceptSelection
Concepts = list[int] | ConceptSelection


class ConceptItem(Strict):
    """One concept, by id or by code of a vocabulary (CIM10, ATC, LOINC...)."""

    concept_id: int | None = None
    vocabulary: str | None = None
    code: str | None = None
    descendants: bool = False
    mapped: bool = False  # source concepts that map ('Maps to') onto it
    exclude: bool = False

    @model_validator(mode="after")
    def _one_way(self) -> ConceptItem:
        by_code = self.vocabulary is not None or self.code is not None
        if (self.concept_id is None) == (not by_code) or (
            by_code and (self.vocabulary is None or self.code is None)
        ):
            raise ValueError("give either concept_id, or both vocabulary and code")
        return self


class ConceptSet(Strict):
    """Concepts to look for, with descendants and exclusions."""

    items: list[ConceptItem] = Field(min_length=1)


class DateAdjustment(Strict):
    """Each row's dates moved (Circe's DateAdjustment): the start becomes the
    row's `start_with` date plus `start_offset` days, the end its `end_with`
    date plus `end_offset`; a row that then ends before it starts is left out.
    `first` picks a row by its own dates; every other field reads the new ones."""

    start_with: Literal["start", "end"] = "start"
    start_offset: int = 0
    end_with: Literal["start", "end"] = "end"
    end_offset: int = 0


class UserPeriod(Strict):
    """Periods that cover these dates, dated by them (Circe's UserDefinedPeriod):
    the other fields read the period's own dates."""

    start: date | None = None
    end: date | None = None

    @model_validator(mode="after")
    def _some_date(self) -> UserPeriod:
        if self.start is None and self.end is None:
            raise ValueError("a user period needs a start or an end")
        return self


class Event(Strict):
    """Rows of one domain: `{condition: {concept_set: gi, first: true}}`."""

    model_config = ConfigDict(serialize_by_alias=True)  # `schema`, as written

    domain: Domain
    concept_set: str | None = None
    source_concept_set: str | None = None  # on *_source_concept_id
    first: bool = False  # only each person's first matching row
    start_date: Range[date] | None = None
    end_date: Range[date] | None = None
    age: Range[float] | None = None  # at the row's start (year difference)
    gender: Gender | None = None
    # value_as_number; dose_era: dose_value; extraction: the field's value
    value: Range[float] | bool | float | str | None = None
    unit: Concepts | None = None  # unit_concept_id (+ dose_era, specimen)
    value_concept: Concepts | None = None  # value_as_concept_id
    type_concept: Concepts | None = None  # *_type_concept_id
    type_exclude: bool = False  # with a list of type concepts
    visit_type: Concepts | None = None  # visit_concept_id of the row's visit
    provider_specialty: Concepts | None = None  # the row's provider's specialty
    place_of_service: Concepts | None = None  # visits: their care site's
    age_at_end: Range[float] | None = None  # at the row's end (year difference)
    length: Range[float] | None = None  # days from the row's start to its end
    type_concept_set: str | None = None  # *_type_concept_id in a concept set
    date_adjustment: DateAdjustment | None = None
    user_period: UserPeriod | None = None  # observation and payer plan periods
    # only some domains have these columns (see criteria/)
    occurrence_count: Range[float] | None = None  # rows an era merges
    gap_days: Range[float] | None = None  # drug_era
    quantity: Range[float] | None = None  # device, specimen
    unique_device_id: Text | None = None  # device
    anatomic_site: Concepts | None = None  # specimen: anatomic_site_concept_id
    disease_status: Concepts | None = None  # specimen: disease_status_concept_id
    source_id: Text | None = None  # specimen: specimen_source_id
    plan_concept_set: str | None = None  # payer_plan_period: plan_concept_id
    # payer_plan_period: sponsor_concept_id... (its *_concept_id in a concept set)
    sponsor_concept_set: str | None = None
    stop_reason_concept_set: str | None = None
    plan_source_concept_set: str | None = None
    sponsor_source_concept_set: str | None = None
    stop_reason_source_concept_set: str | None = None
    operator: Concepts | None = None  # measurement: operator_concept_id (<, >...)
    range_low: Range[float] | None = None  # measurement: its reference range
    range_high: Range[float] | None = None
    range_low_ratio: Range[float] | None = None  # value over range_low
    range_high_ratio: Range[float] | None = None  # value over range_high
    abnormal: Literal[True] | None = None  # out of range, or an abnormal value
    stop_reason: Text | None = None  # condition, drug
    condition_status: Concepts | None = None  # condition_status_concept_id
    refills: Range[float] | None = None  # drug
    days_supply: Range[float] | None = None  # drug
    route: Concepts | None = None  # drug: route_concept_id
    lot_number: Text | None = None  # drug
    modifier: Concepts | None = None  # procedure: modifier_concept_id
    qualifier: Concepts | None = None  # observation: qualifier_concept_id
    value_text: Text | None = None  # observation: value_as_string
    care_site: list[int] | None = None  # visit, visit_detail: the unit's care_site_id
    episode_number: Range[float] | None = None  # episode
    object_concept: Concepts | None = None  # episode: episode_object_concept_id
    # note_mention only: which mentions found by text processing (note_nlp) count
    label: list[str] | None = None  # DISEASE, DRUG, LAB or a user terminology's
    exclude: list[Qualifier] | None = None  # default: negated, hypothesis, family
    note_title: list[str] | None = None  # the note's title, any case
    # extraction only: a field of an extraction schema read from notes
    extraction_schema: str | None = Field(None, alias="schema")
    field: str | None = None
    # cohort only: the entries of a saved cohort (its id), dated by them
    cohort: int | None = Field(None, ge=1)
    criteria: Group | None = None  # criteria on the rows themselves (Circe)

    @model_validator(mode="before")
    @classmethod
    def _keyed(cls, data):
        """Accept the short form `{condition: {...}}`."""
        if isinstance(data, dict) and len(data) == 1:
            ((key, value),) = data.items()
            if key in DOMAINS:
                return {"domain": key, **(value or {})}
        return data

    @model_validator(mode="after")
    def _mention_fields(self) -> Event:
        given = [f for f in MENTION_FIELDS if getattr(self, f) is not None]
        if self.domain != "note_mention" and given:
            raise ValueError(f"{', '.join(given)}: only for note_mention events")
        if self.domain == "note_mention" and not (self.concept_set or self.label):
            raise ValueError("a note_mention needs a concept_set or a label")
        return self

    @model_validator(mode="after")
    def _extraction_fields(self) -> Event:
        given = [f for f in EXTRACTION_FIELDS if getattr(self, f) is not None]
        if self.domain == "extraction":
            if len(given) < len(EXTRACTION_FIELDS):
                raise ValueError("an extraction needs a schema and a field")
        elif given:
            names = ", ".join(
                "schema" if f == "extraction_schema" else f for f in given
            )
            raise ValueError(f"{names}: only for extraction events")
        elif not isinstance(self.value, Range | None):
            raise ValueError(
                "value: a range such as {gte: 5} (one value is for extraction events)"
            )
        return self

    @model_validator(mode="after")
    def _cohort_field(self) -> Event:
        if (self.domain == "cohort") != (self.cohort is not None):
            raise ValueError(
                "a cohort event needs the cohort's id (cohort: 3)"
                if self.domain == "cohort"
                else "cohort: only for cohort events"
            )
        return self

    @model_validator(mode="after")
    def _domain_columns(self) -> Event:
        from entrepot.cohort.criteria import DOMAINS  # they read events

        unsupported = DOMAINS[self.domain].unsupported(self)
        if unsupported:
            raise ValueError(f"{', '.join(unsupported)}: not for {self.domain} events")
        if self.type_concept is not None and self.type_concept_set is not None:
            raise ValueError("give type_concept or type_concept_set, not both")
        if isinstance(self.type_concept, ConceptSelection) and self.type_exclude:
            raise ValueError("type_exclude: give exclude in the type_concept selection")
        return self

    @property
    def excluded(self) -> tuple[str, ...]:
        """The qualifiers whose mentions do not count (note_mention)."""
        return DEFAULT_EXCLUDED if self.exclude is None else tuple(self.exclude)


Bound = int | Literal["observation_start", "observation_end"]


class Window(Strict):
    """Days relative to the index event (`start: -365, end: 0`).

    `index`: measure from the index's start or end date; `event`: compare the
    other event's start or end date. An open bound is the observation period's.
    """

    start: Bound = "observation_start"
    end: Bound = "observation_end"
    index: Literal["start", "end"] = "start"
    event: Literal["start", "end"] | None = None

    @model_validator(mode="after")
    def _possible(self) -> Window:
        if isinstance(self.start, int) and isinstance(self.end, int):
            if self.start > self.end:
                raise ValueError(
                    f"impossible window: start {self.start} is after end {self.end}"
                )
        return self


class Occurrence(Strict):
    """How many matching events: `{at_least: 1}`, `{at_most: 0}`, `{exactly: 2}`."""

    type: Literal["at_least", "at_most", "exactly"] = "at_least"
    count: int = Field(1, ge=0)
    distinct: Literal["concept", "start_date", "visit"] | None = None


class Criterion(Strict):
    """Events counted in a window around each index event."""

    event: Event
    window: Window | None = None  # on the other event's start date by default
    end_window: Window | None = None  # on its end date by default
    same_visit: bool = False
    ignore_observation_period: bool = False
    occurrence: Occurrence = Occurrence()


class Demographics(Strict):
    """Conditions on the person at the index event."""

    age: Range[float] | None = None
    gender: Gender | None = None
    race: Concepts | None = None
    ethnicity: Concepts | None = None
    start_date: Range[date] | None = None
    end_date: Range[date] | None = None


class Group(Strict):
    """Criteria combined: all, any, at least or at most `count` of them."""

    type: Literal["all", "any", "at_least", "at_most"] = "all"
    count: int | None = Field(None, ge=0)
    criteria: list[Criterion] = []
    demographics: list[Demographics] = []
    groups: list[Group] = []

    @model_validator(mode="after")
    def _count_when_needed(self) -> Group:
        if self.type in ("at_least", "at_most") and self.count is None:
            raise ValueError(f"a group of type {self.type} needs a count")
        return self


class Entry(Strict):
    """The entry events: any of `events`, inside an observation period."""

    events: list[Event] = Field(min_length=1)
    prior_days: int = Field(0, ge=0)  # observation required before
    post_days: int = Field(0, ge=0)  # and after
    limit: Limit = "first"
    criteria: Group | None = None  # additional criteria on entry events
    criteria_limit: Limit = "all"  # qualified limit (applies with criteria)


class InclusionRule(Strict):
    """A named rule: entries that fail it leave the cohort, counted in attrition."""

    name: str
    description: str | None = None
    criteria: Group


class DateOffset(Strict):
    """Exit a fixed number of days after the entry's start or end date."""

    date: Literal["start", "end"] = "start"
    days: int = 0


class DrugEra(Strict):
    """Exit at the end of continuous exposure to a drug concept set."""

    concept_set: str
    gap_days: int = Field(0, ge=0)
    offset: int = 0
    days_supply: int | None = None  # override each exposure's length


class Exit(Strict):
    """Cohort exit: end of observation by default, or an offset, or a drug era;
    the earliest censoring event ends it sooner."""

    offset: DateOffset | None = None
    drug_era: DrugEra | None = None
    censoring: list[Event] = []
    era_pad: int = Field(0, ge=0)  # merge periods closer than this many days
    window_start: date | None = None  # clip every period to this window
    window_end: date | None = None

    @model_validator(mode="after")
    def _one_strategy(self) -> Exit:
        if self.offset is not None and self.drug_era is not None:
            raise ValueError("give either offset or drug_era, not both")
        return self


class CohortDefinition(Strict):
    """A cohort: concept sets, entry events, inclusion rules, exit."""

    name: str
    id: int | None = Field(None, ge=1)
    description: str | None = None
    concept_sets: dict[str, ConceptSet] = {}
    entry: Entry
    inclusion_rules: list[InclusionRule] = []
    limit: Limit = "all"  # per person, after inclusion rules (expression limit)
    exit: Exit = Exit()
    #: recorded with the cohort, read by no step (ATLAS's cdmVersionRange, id...)
    metadata: dict[str, JsonValue] = {}

    @model_validator(mode="after")
    def _concept_sets_exist(self) -> CohortDefinition:
        missing = sorted(
            name for name in _concept_set_names(self) if name not in self.concept_sets
        )
        if missing:
            raise ValueError(f"unknown concept set(s): {', '.join(missing)}")
        return self


def _events(node) -> list[Event]:
    """Every event of a definition, at any depth."""
    found: list[Event] = []
    if isinstance(node, Event):
        found.append(node)
        if node.criteria is not None:
            found += _events(node.criteria)
    elif isinstance(node, Group):
        for c in node.criteria:
            found += _events(c.event)
        for g in node.groups:
            found += _events(g)
    elif isinstance(node, CohortDefinition):
        for e in node.entry.events + node.exit.censoring:
            found += _events(e)
        groups = [node.entry.criteria] + [r.criteria for r in node.inclusion_rules]
        for g in groups:
            if g is not None:
                found += _events(g)
    return found


def _demographics(node) -> list[Demographics]:
    """Every demographic criterion of a definition, at any depth."""
    if isinstance(node, Group):
        return node.demographics + [d for g in node.groups for d in _demographics(g)]
    groups = [e.criteria for e in _events(node)] + [node.entry.criteria]
    groups += [r.criteria for r in node.inclusion_rules]
    return [d for g in groups if g is not None for d in _demographics(g)]


def _concept_set_names(definition: CohortDefinition) -> set[str]:
    names = {
        name
        for e in _events(definition)
        for name in (getattr(e, field) for field in CONCEPT_SET_FIELDS)
        if name is not None
    }
    names |= {
        value.concept_set
        for node in _events(definition) + _demographics(definition)
        for value in node.__dict__.values()
        if isinstance(value, ConceptSelection) and value.concept_set is not None
    }
    if definition.exit.drug_era is not None:
        names.add(definition.exit.drug_era.concept_set)
    return names


def gender_ids(values: Gender) -> Concepts:
    """Gender concept ids from names or ids (a selection as it is)."""
    if isinstance(values, ConceptSelection):
        return values
    return [GENDERS[v] if isinstance(v, str) else v for v in values]
