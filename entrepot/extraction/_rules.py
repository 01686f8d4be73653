"""The rules backend: a schema's fields read by declared rules, on entrepot's
clinical text pipeline (its sections, negation, hypothesis, family and history
qualifiers).

A rule set (`entrepot/data/extraction/rules/<schema>.yaml`) names the *parts*
of a report (indication, technique, findings, conclusion...: by their section
titles, or for untitled lines by how the line starts), then gives each field
an ordered list of rules. A rule's terms and patterns found in the parts it
names are its mentions; each mention's qualifiers count as the rule's value,
its opposite (booleans) or not at all. The first rule with a counted mention
decides the field, and within a rule a mention of its own value wins over one
of the opposite; when no rule decides, the field takes `otherwise`. The
evidence is the mention that decided.
"""

from __future__ import annotations

import datetime as dt
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.resources import files
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from entrepot._declared import find_declared, read_yaml, validated
from entrepot.errors import ExtractionSchemaError
from entrepot.extraction._result import Extraction
from entrepot.extraction._schema import Schema, SchemaField, Value
from entrepot.nlp import Context, Section, fold, sections, sentences, title_pattern

RULES = files("entrepot.data.extraction").joinpath("rules")
#: What a qualifier does to a mention: it counts as the rule's value, as the
#: opposite value (booleans only), or the mention does not count.
Treatment = Literal["count", "opposite", "skip"]
_QUALIFIERS = (
    ("negation", "negated"),
    ("hypothesis", "hypothetical"),
    ("family", "family"),
    ("history", "history"),
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_DATE = re.compile(r"(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})|(\d{4})-(\d{2})-(\d{2})")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Part(_Strict):
    """A part of a report: its section titles, and the starts of untitled
    sentences that belong to it (regular expressions on folded text).

    A `brief` part's section covers only its title's line, or, when the title
    stands alone, the lines under it up to a blank line: what follows is
    placed as untitled text ("Indication : céphalées." then the findings)."""

    titles: tuple[str, ...] = ()
    lines: tuple[str, ...] = ()
    brief: bool = False


class Rule(_Strict):
    """Mentions that give a field a value.

    `terms` are words or phrases as written (matched folded, whole words);
    `patterns` are regular expressions on folded text (lower case, no
    accents); without `value`, a pattern's group `value` (else the whole
    match) is read as the field's value (numbers, dates, text). `parts`
    limits where mentions count (default: everywhere); `unless`: patterns
    that, in the same sentence, make a mention not count.
    """

    value: bool | str | float | None = None
    terms: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()
    parts: tuple[str, ...] | None = None
    negated: Treatment = "skip"
    hypothetical: Treatment = "count"
    family: Treatment = "skip"
    history: Treatment = "count"
    unless: tuple[str, ...] = ()

    @model_validator(mode="after")
    def _something(self) -> Rule:
        if not self.terms and not self.patterns:
            raise ValueError("a rule needs `terms` or `patterns`")
        return self


class FieldRules(_Strict):
    rules: tuple[Rule, ...] = Field(min_length=1)
    otherwise: bool | str | float | None = None


class RuleSet(_Strict):
    """The rules of one schema."""

    name: str = Field(min_length=1)
    version: str = Field(min_length=1)
    schema_name: str = Field(alias="schema", min_length=1)
    parts: dict[str, Part] = Field(min_length=1)
    lead: str  # the part of untitled text that no line start places
    fields: dict[str, FieldRules] = Field(min_length=1)

    @model_validator(mode="after")
    def _parts_known(self) -> RuleSet:
        if self.lead not in self.parts:
            raise ValueError(f"lead: {self.lead!r} is not a declared part")
        for name, field in self.fields.items():
            for rule in field.rules:
                unknown = set(rule.parts or ()) - self.parts.keys()
                if unknown:
                    raise ValueError(f"{name}: unknown parts {sorted(unknown)}")
        return self


@dataclass(frozen=True, slots=True)
class _Compiled:
    rule: Rule
    pattern: re.Pattern[str]
    unless: re.Pattern[str] | None
    parts: frozenset[str] | None


def _alternatives(texts: Sequence[str]) -> str:
    return "|".join(f"(?:{t})" for t in texts)


def _pattern(regex: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(regex)
    except re.error as e:
        raise ExtractionSchemaError(f"{where}: bad pattern: {e}") from None


def _compile(rule: Rule, where: str) -> _Compiled:
    longest_first = sorted((fold(t) for t in rule.terms), key=len, reverse=True)
    terms = [r"\s+".join(map(re.escape, t.split())) for t in longest_first]
    either = _alternatives([*terms, *rule.patterns])
    pattern = _pattern(rf"(?<!\w)(?:{either})(?!\w)", where)
    unless = _pattern(_alternatives(rule.unless), where) if rule.unless else None
    parts = frozenset(rule.parts) if rule.parts is not None else None
    return _Compiled(rule, pattern, unless, parts)


def _check(ruleset: RuleSet, schema: Schema, source: str) -> None:
    """The rules fit the schema (known fields, values of the field's type) and
    their patterns compile."""
    for name, part in ruleset.parts.items():
        _pattern(_alternatives(part.lines), f"{source}: parts: {name}")
    if ruleset.schema_name != schema.name:
        raise ExtractionSchemaError(
            f"{source}: rules of schema {ruleset.schema_name!r}, not {schema.name!r}"
        )
    for name, rules in ruleset.fields.items():
        if name not in schema.names:
            raise ExtractionSchemaError(f"{source}: {name}: not a field of the schema")
        field = schema.field(name)
        for i, rule in enumerate(rules.rules):
            where = f"{source}: {name}: rule {i + 1}"
            treatments = {getattr(rule, attr) for _, attr in _QUALIFIERS}
            if "opposite" in treatments and field.type != "boolean":
                raise ExtractionSchemaError(f"{where}: `opposite` is for booleans")
            if rule.value is None and field.type in ("boolean", "enum"):
                raise ExtractionSchemaError(
                    f"{where}: a {field.type} rule needs `value`"
                )
            if problem := field.problem(rule.value):
                raise ExtractionSchemaError(f"{where}: {problem}")
            _compile(rule, where)
        if problem := field.problem(rules.otherwise):
            raise ExtractionSchemaError(f"{source}: {name}: otherwise: {problem}")


def load_rules(schema: Schema, rules: str | Path | None = None) -> RuleSet:
    """The rule set of a file, or the one shipped for the schema, validated."""
    path = find_declared(rules or schema.name, RULES, ExtractionSchemaError, "rule set")
    data = read_yaml(path, ExtractionSchemaError)
    ruleset = validated(RuleSet, data, str(path), ExtractionSchemaError, "a rule set")
    _check(ruleset, schema, str(path))
    return ruleset


def _read(field: SchemaField, raw: str) -> Value:
    """A captured value as the field's type, or None when it cannot be."""
    if field.type == "number":
        try:
            number = float(raw.replace(",", ".").replace(" ", ""))
        except ValueError:
            return None
        return int(number) if number.is_integer() else number
    if field.type == "date":
        m = _DATE.search(raw)
        if m is None:
            return None
        day, month, year = (m[1], m[2], m[3]) if m[1] else (m[6], m[5], m[4])
        try:
            return dt.date(int(year), int(month), int(day)).isoformat()
        except ValueError:
            return None
    return raw.strip() or None


class RulesBackend:
    """Reads a schema's fields with its declared rules: fast, always
    available, every value traced to the words that decided it."""

    name = "rules"
    prompt_version = None

    def __init__(self, schema: Schema, rules: str | Path | None = None) -> None:
        self.ruleset = load_rules(schema, rules)
        self.schema = schema
        self.model = f"{self.ruleset.name} {self.ruleset.version}"
        names = {
            fold(t): part for part, p in self.ruleset.parts.items() for t in p.titles
        }
        self._titles = (names, title_pattern(names))
        self._starts = [
            (part, re.compile(_alternatives(p.lines)))
            for part, p in self.ruleset.parts.items()
            if p.lines
        ]
        self._fields = {
            name: [
                _compile(rule, f"{self.model}: {name}: rule {i + 1}")
                for i, rule in enumerate(rules.rules)
            ]
            for name, rules in self.ruleset.fields.items()
        }

    def extract(self, schema: Schema, texts: Sequence[str]) -> list[Extraction]:
        """One extraction per text, in order, for the schema of these rules."""
        if schema != self.schema:
            raise ExtractionSchemaError(
                f"the rules backend was built for schema {self.schema.name!r} "
                f"{self.schema.version}, not {schema.name!r} {schema.version}"
            )
        return [self.read(text) for text in texts]

    def read(self, text: str) -> Extraction:
        """The fields of one report, with their evidence."""
        folded = fold(text)
        context = Context(text, folded)
        spans = _Spans(*self._parts(text, folded))
        values: dict[str, Value] = {}
        evidence: dict[str, tuple[int, int]] = {}
        for name, compiled in self._fields.items():
            field = self.schema.field(name)
            found = _decide(compiled, field, text, folded, context, spans)
            if found is None:
                values[name] = self.ruleset.fields[name].otherwise
            else:
                values[name], evidence[name] = found
        resolved = self.schema.resolve(values)
        return Extraction(
            resolved,
            {k: v for k, v in evidence.items() if resolved[k] is not None},
        )

    def _parts(self, text: str, folded: str) -> tuple[list, list[str]]:
        """Each sentence and the part of the report it is in: its title's, else
        the part its start places it in, else that of the stretch of text it is
        in (its section, or untitled text), which a sentence placed in a part
        that is not brief carries on."""
        names, pattern = self._titles
        titled = sections(folded, pattern, names)
        starts = [s.start for s in titled]
        ends = [self._covered(folded, s) for s in titled]
        found, parts = sentences(text), []
        stretch, current = None, self.ruleset.lead
        for s in found:
            i = bisect_right(starts, s.start) - 1
            section = titled[i] if i >= 0 and s.start < ends[i] else None
            if section is not stretch:
                stretch = section
                current = section.name if section else self.ruleset.lead
            line = folded[s.start : s.end]
            cue = None
            if section is None or s.start >= section.title_end:
                cue = next((part for part, p in self._starts if p.match(line)), None)
            if cue is not None and not self.ruleset.parts[cue].brief:
                current = cue  # "Résultats : ..." goes on until another part
            parts.append(cue or current)
        return found, parts

    def _covered(self, folded: str, section: Section) -> int:
        """Where a section's text ends: at the next title, or for a brief part
        at the end of its title's line or of the paragraph under the title."""
        if not self.ruleset.parts[section.name].brief:
            return section.end
        line_end = folded.find("\n", section.title_end)
        line_end = len(folded) if line_end < 0 else line_end
        if folded[section.title_end : line_end].strip():
            return min(line_end, section.end)
        blank = _BLANK_LINE.search(folded, line_end + 1)
        return min(blank.start() if blank else len(folded), section.end)


class _Spans:
    """Sentences and their parts, looked up by position."""

    def __init__(self, found: list, parts: list[str]) -> None:
        self.found, self.parts = found, parts
        self.starts = [s.start for s in found]

    def at(self, pos: int) -> tuple[int, int, str] | None:
        """(start, end, part) of the sentence at `pos`."""
        i = bisect_right(self.starts, pos) - 1
        if i < 0 or pos >= self.found[i].end:
            return None
        return self.found[i].start, self.found[i].end, self.parts[i]


def _decide(
    compiled: list[_Compiled],
    field: SchemaField,
    text: str,
    folded: str,
    context: Context,
    spans: _Spans,
) -> tuple[Value, tuple[int, int]] | None:
    """The value of the first rule with a counted mention, and that mention."""
    for c in compiled:
        opposite = None
        for m in c.pattern.finditer(folded):
            where = spans.at(m.start())
            if where is None or (c.parts is not None and where[2] not in c.parts):
                continue
            if c.unless is not None and c.unless.search(folded, where[0], where[1]):
                continue
            flags = context.flags_at(m.start())
            treatments = [getattr(c.rule, a) for q, a in _QUALIFIERS if q in flags]
            if "skip" in treatments:
                continue
            flips = treatments.count("opposite")
            if c.rule.value is None:
                group = "value" if "value" in m.re.groupindex else 0
                if m.group(group) is None:
                    continue
                start, end = m.span(group)
                value = _read(field, text[start:end])
                if value is not None:
                    return value, (start, end)
            elif flips % 2 == 0:
                return c.rule.value, m.span()
            elif opposite is None:
                opposite = (not c.rule.value, m.span())
        if opposite is not None:
            return opposite
    return None
