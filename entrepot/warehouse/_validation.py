"""Check a warehouse against the OMOP CDM v5.4 specification."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import ibis.expr.datatypes as dt

from entrepot.warehouse.cdm import CDM_VERSION, Field, cdm_tables


@dataclass(frozen=True)
class Problem:
    """One way the warehouse departs from the CDM."""

    check: str  # missing_table, extra_table, missing_column, extra_column, wrong_type,
    #             required_null, duplicate_key, orphan_reference
    table: str
    field: str | None
    message: str
    rows: int | None = None


def _same_family(have: dt.DataType, want: dt.DataType) -> bool:
    if want.is_integer():
        return have.is_integer()
    if want.is_floating():
        return have.is_floating() or have.is_decimal()
    if want.is_string():
        return have.is_string()
    if want.is_date():
        return have.is_date()
    return have.is_timestamp()


def validate(wh) -> dict:
    """`{"ok": bool, "problems": [...]}`: every departure from the CDM found."""
    problems: list[Problem] = []
    specs = cdm_tables()
    present = {n for n in wh.tables("cdm") if n in specs and specs[n].role != "results"}
    present |= {n for n in wh.tables("results") if n in specs}
    for name in sorted(set(wh.tables("cdm")) - set(specs)):
        problems.append(
            Problem(
                "extra_table", name, None, f"{name} is not a CDM v{CDM_VERSION} table"
            )
        )
    for name, spec in specs.items():
        if name not in present:
            if spec.role != "results":  # results tables are created when first needed
                problems.append(
                    Problem("missing_table", name, None, f"table {name} is missing")
                )
            continue
        table = wh.table(name)
        have = table.schema()
        for f in spec.fields:
            if f.name not in have:
                problems.append(
                    Problem(
                        "missing_column", name, f.name, f"{name}.{f.name} is missing"
                    )
                )
            elif not _same_family(have[f.name], f.dtype):
                problems.append(
                    Problem(
                        "wrong_type",
                        name,
                        f.name,
                        f"{name}.{f.name} is {have[f.name]}, expected {f.datatype}",
                    )
                )
        for column in have.names:
            if column not in spec.columns:
                problems.append(
                    Problem(
                        "extra_column",
                        name,
                        column,
                        f"{name}.{column} is not in the CDM",
                    )
                )
        fields = [
            f
            for f in spec.fields
            if f.name in have and _same_family(have[f.name], f.dtype)
        ]
        problems += _row_problems(wh, name, table, fields, present)
    return {"ok": not problems, "problems": [asdict(p) for p in problems]}


def _row_problems(
    wh, name: str, table, fields: list[Field], present: set[str]
) -> list[Problem]:
    """Null required values, duplicate keys and orphan references in one table."""
    required = [f for f in fields if f.required]
    keys = [f for f in fields if f.primary_key]
    metrics = {"_rows": table.count()}
    metrics |= {f"null_{f.name}": table[f.name].isnull().sum() for f in required}
    metrics |= {f"dup_{f.name}": table.count() - table[f.name].nunique() for f in keys}
    stats = table.aggregate(**metrics).to_pyarrow().to_pylist()[0]
    if not stats["_rows"]:
        return []
    problems = [
        Problem(
            "required_null", name, f.name, f"{name}.{f.name} is required but null", n
        )
        for f in required
        if (n := int(stats[f"null_{f.name}"] or 0))
    ]
    problems += [
        Problem(
            "duplicate_key", name, f.name, f"{name}.{f.name} has duplicate values", n
        )
        for f in keys
        if (n := int(stats[f"dup_{f.name}"] or 0))
    ]
    for f in fields:
        if f.primary_key or not f.fk_table or f.fk_table not in present:
            continue
        target = wh.table(f.fk_table)
        if f.fk_field not in target.columns:
            continue
        value = table[f.name]
        refs = table.filter(
            value.notnull() & (value != 0)
            if f.fk_field == "concept_id"
            else value.notnull()
        )
        orphans = refs.anti_join(target, refs[f.name] == target[f.fk_field]).count()
        n = int(orphans.to_pyarrow().as_py())
        if n:
            problems.append(
                Problem(
                    "orphan_reference",
                    name,
                    f.name,
                    f"{name}.{f.name} has values not in {f.fk_table}.{f.fk_field}",
                    n,
                )
            )
    return problems


__all__ = ["Problem", "validate"]
