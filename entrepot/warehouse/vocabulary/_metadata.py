"""OMOP's own concepts (gender, visit, type...) and the tables that describe the
vocabularies, domains, concept classes and relationships used."""

from __future__ import annotations

from datetime import date

from entrepot import __version__
from entrepot.warehouse.vocabulary._concept import (
    VALID_END,
    Concept,
    Part,
    local_concept_id,
    read_csv,
)


def omop_part() -> Part:
    """The OMOP concepts whose official ids every OMOP tool expects."""
    part = Part()
    for row in read_csv("omop_concepts.csv"):
        part.concepts.append(
            Concept(
                concept_id=int(row["concept_id"]),
                concept_name=row["concept_name"],
                domain_id=row["domain_id"],
                vocabulary_id=row["vocabulary_id"],
                concept_class_id=row["concept_class_id"],
                standard_concept=row["standard_concept"] or None,
                concept_code=row["concept_code"],
                valid_end_date=(
                    date.fromisoformat(row["valid_end_date"])
                    if row["valid_end_date"]
                    else VALID_END
                ),
                invalid_reason=row["invalid_reason"] or None,
            )
        )
    return part


def _metadata_concept(kind: str, key: str, name: str, official_id: str) -> Concept:
    """The concept that stands for a vocabulary, domain, class or relationship."""
    return Concept(
        concept_id=int(official_id) if official_id else local_concept_id(kind, key),
        concept_name=name,
        domain_id="Metadata",
        vocabulary_id=kind,
        concept_class_id=kind,
        standard_concept=None,
        concept_code=key,
    )


#: The tables a hand-written file describes, and that file.
_DESCRIBED = {
    "vocabulary": "omop_vocabularies.csv",
    "domain": "omop_domains.csv",
    "relationship": "omop_relationships.csv",
}


def metadata_tables(
    concepts: list[Concept],
) -> tuple[dict[str, list[dict[str, object]]], list[Concept]]:
    """Rows of the vocabulary, domain, concept_class and relationship tables for
    the concepts given, and the concepts that stand for each row."""
    rows: dict[str, list[dict[str, object]]] = {}
    extra: list[Concept] = []

    def add(table: str, row: dict[str, str], official_id: str = "") -> None:
        kind = table.replace("_", " ").title()  # concept_class -> Concept Class
        key, name = row[f"{table}_id"], row[f"{table}_name"]
        concept = _metadata_concept(kind, key, name, official_id)
        extra.append(concept)
        rows.setdefault(table, []).append(
            row | {f"{table}_concept_id": concept.concept_id}
        )

    for table, file in _DESCRIBED.items():
        for row in read_csv(file):
            official_id = row.pop(f"{table}_concept_id")
            del row["verified"]
            if table == "vocabulary":
                source = row.pop("source")
                row["vocabulary_version"] = f"entrepot {__version__} ({source})"
            add(table, row, official_id)
    classes = [c.concept_class_id for c in concepts + extra] + ["Concept Class"]
    for class_id in dict.fromkeys(classes):
        add(
            "concept_class",
            {"concept_class_id": class_id, "concept_class_name": class_id},
        )
    _check_known(concepts + extra, rows)
    return rows, extra


def _check_known(
    concepts: list[Concept], rows: dict[str, list[dict[str, object]]]
) -> None:
    """Every vocabulary and domain a concept names must be described."""
    for table in ("vocabulary", "domain"):
        known = {row[f"{table}_id"] for row in rows[table]}
        used = {getattr(c, f"{table}_id") for c in concepts}
        if used - known:
            raise ValueError(f"undescribed {table} ids: {sorted(used - known)}")
