"""Rewriting tables in place (a filtered copy replaces the table), atomically."""

from __future__ import annotations

from entrepot.warehouse._warehouse import _schema_of


def schema_of(name: str) -> str:
    """The logical schema ('cdm', 'results', 'entrepot') of a table."""
    return _schema_of(name)


def person_tables(wh, *, registry: bool = True) -> dict[str, str]:
    """Every table holding patients' rows → its person column (the opt-out
    registry left out unless `registry`)."""
    out = {}
    for schema in ("cdm", "results", "entrepot"):
        for name in wh.tables(schema):
            # by schema: results also holds tables outside the CDM (cohort_attrition)
            columns = [c.lower() for c in wh.store.table(schema, name).columns]
            if name == "optout" and not registry:
                continue
            if "person_id" in columns:
                out[name] = "person_id"
            elif name == "cohort" and "subject_id" in columns:
                out[name] = "subject_id"
    return out


def ensure_table(wh, name: str):
    """An entrepot bookkeeping table, created empty in a warehouse made before it."""
    from entrepot.errors import UnknownTableError
    from entrepot.warehouse._warehouse import BOOKKEEPING

    try:
        return wh.table(name)
    except UnknownTableError:
        wh.store.create_table("entrepot", name, BOOKKEEPING[name])
        return wh.table(name)
