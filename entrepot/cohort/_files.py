"""Reading definition files (entrepot YAML or JSON, or Circe JSON from ATLAS),
and writing a definition as entrepot YAML."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

from entrepot._declared import parse_yaml, validated
from entrepot.cohort._model import CohortDefinition
from entrepot.errors import CohortDefinitionError

CIRCE_KEYS = {"PrimaryCriteria", "primaryCriteria", "ConceptSets", "conceptSets"}
CIRCE_KEYS |= {"expression"}  # ATLAS's whole definition, as WebAPI exports it


def is_circe(data: object) -> bool:
    """Whether parsed JSON is a Circe cohort expression or ATLAS's export of a
    whole definition."""
    return isinstance(data, dict) and bool(CIRCE_KEYS & set(data))


def load_definition(path: str | Path) -> CohortDefinition:
    """Read and validate a definition file (YAML, our JSON or Circe JSON)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise CohortDefinitionError(f"{path}: cannot read: {e.strerror}") from e
    data = parse_text(text, str(path), json_only=path.suffix == ".json")
    return definition_from_data(data, str(path), default_name=path.stem)


def parse_text(text: str, source: str, *, json_only: bool = False) -> object:
    """Parse JSON or YAML; a malformed file gives one line naming where."""
    if not json_only:
        return parse_yaml(text, source, CohortDefinitionError)
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise CohortDefinitionError(
            f"{source}: malformed JSON at line {e.lineno}, column {e.colno}: {e.msg}"
        ) from e


def definition_from_data(
    data: object, source: str, *, default_name: str = "cohort"
) -> CohortDefinition:
    """A definition from parsed data, converting Circe JSON when it is that."""
    if is_circe(data):
        from entrepot.cohort._circe import from_circe

        return from_circe(data, source, default_name=default_name)
    try:
        return validated(
            CohortDefinition, data, source, CohortDefinitionError, "a definition"
        )
    except RecursionError:
        raise CohortDefinitionError(
            f"{source}: the definition refers to itself (a cycle)"
        ) from None


def dumped(definition: CohortDefinition) -> dict:
    """A definition as its files write it: defaults left out, each event in
    its short form (`{condition: {concept_set: gi}}`)."""
    data = definition.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    return _short(data)


def _short(node):
    if isinstance(node, list):
        return [_short(v) for v in node]
    if not isinstance(node, dict):
        return node
    node = {k: _short(v) for k, v in node.items()}
    if isinstance(node.get("domain"), str):  # an event
        domain = node.pop("domain")
        return {domain: node}
    return node


def definition_yaml(definition: CohortDefinition) -> str:
    """A definition as a YAML file (`dumped`), that reads back as the same."""
    return yaml.safe_dump(dumped(definition), sort_keys=False, allow_unicode=True)
