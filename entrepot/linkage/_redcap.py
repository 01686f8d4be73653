"""REDCap's files: the data dictionary, and which export column is which field.

The dictionary (Project Setup > Data Dictionary, CSV) has one row per field:
`Variable / Field Name`, `Form Name`, `Field Type`, `Field Label`, `Choices,
Calculations, OR Slider Labels` ("1, Yes | 0, No"), `Text Validation Type OR
Show Slider Number` (date_ymd, integer, number...), `Identifier?` and `Field
Annotation`. A raw CSV export has a column per field (a checkbox one per
option, `field___code`, holding 0 or 1), beside REDCap's own: the record id,
`redcap_event_name`, `redcap_repeat_instrument`, `redcap_repeat_instance`,
`<form>_complete`...

Standard codes: a field's annotation may name the standard concept it
records with an `@OMOP=VOCABULARY:CODE` action tag (`@OMOP=LOINC:4548-4`,
`@OMOP=SNOMED:44054006`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from entrepot.errors import InputFileError
from entrepot.linkage._tabular import CsvFile, number, shown

#: REDCap's own columns of an export, never a field of the study.
REDCAP_COLUMNS = frozenset(
    {
        "redcap_event_name",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
        "redcap_data_access_group",
        "redcap_survey_identifier",
    }
)
_NUMBER_VALIDATIONS = ("integer", "number")
_TAG = re.compile(r"@OMOP=([A-Za-z0-9_-]{1,20}):([^\s]{1,50})")
_MARKUP = re.compile(r"<[^>]*>")
_COLUMNS = {  # a dictionary's columns, by how their header starts
    "name": "variable",
    "form": "form name",
    "type": "field type",
    "label": "field label",
    "choices": "choices",
    "validation": "text validation type",
    "identifier": "identifier",
    "annotation": "field annotation",
}


@dataclass(frozen=True)
class Field:
    """One variable of a study: how its values are read, and why it is left
    out (`skipped`) when it is."""

    name: str
    label: str
    kind: str  # number, choice, checkbox, date; or text (never loaded)
    choices: dict[str, str] = field(default_factory=dict)
    standard: tuple[str, str] | None = None  # (vocabulary_id, concept_code)
    skipped: str | None = None


def read_dictionary(file: CsvFile) -> dict[str, Field]:
    """The fields of a REDCap data dictionary, by name."""
    columns = _dictionary_columns(file)
    fields = {}
    for line, row in file.rows:
        name = row[columns["name"]].strip()
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,99}", name):
            raise InputFileError(
                f"{file.path}, line {line}: {shown(name)} is not a REDCap field name"
            )
        fields[name] = _field(file, line, name, row, columns)
    return fields


def infer_dictionary(file: CsvFile, id_column: str) -> dict[str, Field]:
    """Fields of an export given without its dictionary: dates (YYYY-MM-DD) and
    numbers where every value is one; text otherwise (left out)."""
    fields = {}
    for name in file.header:
        if name == id_column or name in REDCAP_COLUMNS or name.endswith("_complete"):
            continue
        filled = [row[name] for _, row in file.rows if row[name].strip()]
        kind = "text"
        if filled and all(read_date(v) for v in filled):
            kind = "date"
        elif filled and all(number(v) is not None for v in filled):
            kind = "number"
        skipped = "free text (may identify)" if kind == "text" else None
        fields[name] = Field(name, name, kind, skipped=skipped)
    return fields


def read_date(text: str) -> date | None:
    """A date as REDCap exports it (YYYY-MM-DD, maybe with a time), or None."""
    text = text.strip()
    for form, length in (("%Y-%m-%d", 10), ("%Y-%m-%d %H:%M", 16)):
        try:
            return datetime.strptime(text[:length], form).date()
        except ValueError:
            continue
    return None


def _dictionary_columns(file: CsvFile) -> dict[str, str]:
    found = {}
    for key, start in _COLUMNS.items():
        for column in file.header:
            if column.strip().lower().startswith(start):
                found[key] = column
                break
    lacking = [_COLUMNS[k] for k in ("name", "type", "label") if k not in found]
    if lacking:
        raise InputFileError(
            f"{file.path}: not a REDCap data dictionary (no column "
            f"{', '.join(repr(c) for c in lacking)})"
        )
    return found


def _field(file, line: int, name: str, row: dict, columns: dict) -> Field:
    def cell(key: str) -> str:
        return row[columns[key]].strip() if key in columns else ""

    kind = cell("type").lower()
    validation = cell("validation").lower()
    label = _MARKUP.sub("", cell("label")).strip() or name
    tag = _TAG.search(cell("annotation"))
    standard = (tag.group(1), tag.group(2)) if tag else None
    choices = _choices(file, line, cell("choices"))
    if cell("identifier").lower() in ("y", "yes", "1"):
        return Field(name, label, "text", skipped="identifier")
    if kind in ("yesno", "truefalse"):
        yes, no = ("Yes", "No") if kind == "yesno" else ("True", "False")
        return Field(name, label, "choice", {"1": yes, "0": no}, standard)
    if kind in ("dropdown", "radio", "checkbox"):
        if not choices:
            raise InputFileError(f"{file.path}, line {line}: {name} lists no choices")
        kind = "checkbox" if kind == "checkbox" else "choice"
        return Field(name, label, kind, choices, standard)
    if kind in ("calc", "slider") or validation.startswith(_NUMBER_VALIDATIONS):
        return Field(name, label, "number", standard=standard)
    if validation.startswith(("date_", "datetime_")):
        return Field(name, label, "date", standard=standard)
    reason = "free text (may identify)" if kind in ("text", "notes") else kind
    return Field(name, label, "text", skipped=reason or "no field type")


def _choices(file, line: int, text: str) -> dict[str, str]:
    """REDCap's "1, Yes | 0, No" as {"1": "Yes", "0": "No"}."""
    found = {}
    for part in text.split("|"):
        if not part.strip():
            continue
        code, comma, label = part.partition(",")
        if not comma or not code.strip():
            raise InputFileError(
                f"{file.path}, line {line}: choice {shown(part.strip())} is not "
                "'code, label'"
            )
        found[code.strip()] = label.strip()
    return found


def field_of(column: str, fields: dict[str, Field]) -> tuple[Field, str | None] | None:
    """The field an export column holds, and the option of a checkbox column
    (`name___code`); None for a column of no field."""
    if column in fields and fields[column].kind != "checkbox":
        return fields[column], None
    name, sep, option = column.partition("___")
    if sep and name in fields and fields[name].kind == "checkbox":
        return fields[name], option
    return None
