"""Whole-warehouse analysis: patients exposed at the same time to interacting drugs.

The distinct products of `drug_exposure` (concept, source label, route) are
recognised and checked two by two in Python (a few thousand at most); the
exposures are then joined to the interacting product pairs with Ibis
expressions, so the same code runs on DuckDB and Spark. Patients found are
written to `results.cohort`, one cohort per level.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from hashlib import blake2b

import ibis
import pyarrow as pa

from entrepot.drugs._checking import interaction, unmet
from entrepot.drugs._recognition import Drug, recognize
from entrepot.drugs._thesaurus import LEVELS, Thesaurus, level_rank
from entrepot.errors import DrugInputError

#: OMOP route concepts that are local: they carry no systemic interaction.
_LOCAL_ROUTES = {4263689: "cutaneous", 4262914: "nasal"}


@dataclass(frozen=True)
class ScanResult:
    """Counts of patients with concurrent interacting drugs, and their cohorts."""

    thesaurus: str
    start: date | None
    end: date | None
    exposures: int
    patients: int
    by_level: dict[str, int]
    by_pair: list[dict]
    by_year: list[dict]
    cohorts: dict[str, int]  # level -> cohort_definition_id

    def to_dict(self) -> dict:
        out = self.__dict__.copy()
        out["start"] = self.start.isoformat() if self.start else None
        out["end"] = self.end.isoformat() if self.end else None
        return out


def cohort_definition_id(
    edition: str, start: date | None, end: date | None, level: str
) -> int:
    """The same scan always writes the same cohort: an id from its parameters."""
    text = f"entrepot.drugs.scan|{edition}|{start}|{end}|{level}"
    return int.from_bytes(blake2b(text.encode(), digest_size=4).digest()) >> 1


def scan(
    wh,
    *,
    start: date | None = None,
    end: date | None = None,
    thesaurus: Thesaurus | None = None,
    write_cohorts: bool = True,
) -> ScanResult:
    """Find patients exposed at the same time to interacting drugs over
    `drug_exposure` (between `start` and `end`, both included; open if None)."""
    if start and end and start > end:
        raise DrugInputError(f"the period starts ({start}) after it ends ({end})")
    thesaurus = thesaurus or Thesaurus.current()
    exposures = _exposures(wh, start, end)
    products, pairs = _product_pairs(wh, exposures, thesaurus)
    x = exposures.join(products, "product_key").select(
        "person_id", "product", "start", "end"
    )
    a = x.join(pairs, x["product"] == pairs["product_a"]).select(
        "person_id", "start", "end", "product_b", "rank", "pair"
    )
    b = x.select(
        person_b=x["person_id"],
        product=x["product"],
        start_b=x["start"],
        end_b=x["end"],
    )
    found = a.join(
        b,
        [
            a["person_id"] == b["person_b"],
            a["product_b"] == b["product"],
            a["start"] <= b["end_b"],
            b["start_b"] <= a["end"],
        ],
    ).select(
        person_id=a["person_id"],
        rank=a["rank"],
        pair=a["pair"],
        start=ibis.greatest(a["start"], b["start_b"]),
        end=ibis.least(a["end"], b["end_b"]),
    )
    found = wh.store.materialize(found)
    result = _counts(wh, found, exposures, thesaurus, start, end)
    if write_cohorts:
        _write_cohorts(wh, found, result, thesaurus)
    return result


def _exposures(wh, start: date | None, end: date | None):
    """Exposures with a product key and their days, clipped to the period."""
    de = wh.table("drug_exposure")
    first = de["drug_exposure_start_date"]
    last = de["drug_exposure_end_date"].fill_null(first)
    rows = de.select(
        person_id=de["person_id"],
        concept=de["drug_concept_id"].fill_null(0).cast("int64"),
        label=de["drug_source_value"].fill_null(""),
        route=de["route_concept_id"].fill_null(0).cast("int64"),
        start=first,
        end=ibis.greatest(last, first),
    )
    if start is not None:
        rows = rows.filter(rows["end"] >= start)
    if end is not None:
        rows = rows.filter(rows["start"] <= end)
    if start is not None:
        rows = rows.mutate(start=ibis.greatest(rows["start"], ibis.literal(start)))
    if end is not None:
        rows = rows.mutate(end=ibis.least(rows["end"], ibis.literal(end)))
    key = (
        rows["concept"].cast("string")
        + "|"
        + rows["route"].cast("string")
        + "|"
        + rows["label"]
    )
    return rows.mutate(product_key=key)


def _product_pairs(wh, exposures, thesaurus: Thesaurus):
    """Memtables of the interacting products and of their pairs (a < b)."""
    distinct = exposures.select("product_key", "concept", "label", "route").distinct()
    if wh.has_table("concept"):
        concept = wh.table("concept")
        atc = concept.filter(concept["vocabulary_id"] == "ATC").select(
            concept=concept["concept_id"].cast("int64"), code=concept["concept_code"]
        )
        distinct = distinct.left_join(atc, "concept").select(
            "product_key", "label", "route", "code"
        )
    rows = distinct.to_pyarrow().to_pylist()
    drugs: dict[str, Drug] = {}
    for row in rows:
        drug = _product(row, thesaurus)
        if drug.interactants:
            drugs[row["product_key"]] = drug
    keys = sorted(drugs)
    number = {key: i for i, key in enumerate(keys)}
    by_interactant: dict[str, set[int]] = defaultdict(set)
    for key in keys:
        for _, names in drugs[key].interactants:
            for name in names:
                by_interactant[name].add(number[key])
    schema = pa.schema(
        [
            ("product_a", pa.int64()),
            ("product_b", pa.int64()),
            ("rank", pa.int64()),
            ("pair", pa.string()),
        ]
    )
    pair_rows: dict[str, list] = {name: [] for name in schema.names}
    for key in keys:
        i, drug = number[key], drugs[key]
        partners = set()
        for _, names in drug.interactants:
            for name in names:
                for index, side in thesaurus.by_key.get(name, ()):
                    other = thesaurus.rules[index].keys[1 - side]
                    partners |= {j for j in by_interactant.get(other, ()) if j > i}
        for j in sorted(partners):
            hit = interaction(drug, drugs[keys[j]], thesaurus)
            if hit and not unmet(hit["dose_condition"]):  # below its doses: no risk
                names = sorted({*drug.substances, *drugs[keys[j]].substances})
                pair_rows["product_a"].append(i)
                pair_rows["product_b"].append(j)
                pair_rows["rank"].append(level_rank(hit["level"]))
                pair_rows["pair"].append(" + ".join(names))
    products = wh.store.from_arrow(
        pa.table(
            {
                "product_key": pa.array(keys, pa.string()),
                "product": pa.array(range(len(keys)), pa.int64()),
            }
        )
    )
    pairs = wh.store.from_arrow(pa.table(dict(pair_rows), schema=schema))
    return products, pairs


def _product(row: dict, thesaurus: Thesaurus) -> Drug:
    """A product as recognised from its label, else from its ATC code; an OMOP
    route concept that is local is added to the label as a route word (a label
    that names another route makes the route a guess)."""
    label = row["label"]
    route = _LOCAL_ROUTES.get(row["route"])
    if route:
        label = f"{label} {'cutanée' if route == 'cutaneous' else 'nasal'}"
    drug = recognize(label, thesaurus) if label.strip() else None
    if (drug is None or not drug.recognized) and row.get("code"):
        drug = recognize(f"{row['code']} {label}", thesaurus)
    return drug or Drug(input=label, recognized=False)


def _counts(wh, found, exposures, thesaurus, start, end) -> ScanResult:
    level_names = list(LEVELS)

    def rows(expr) -> list[dict]:
        return expr.to_pyarrow().to_pylist()

    by_level = rows(found.group_by("rank").agg(patients=found.person_id.nunique()))
    by_pair = rows(
        found.group_by(["rank", "pair"]).agg(patients=found.person_id.nunique())
    )
    years = found.mutate(year=found["start"].year())
    by_year = rows(
        years.group_by(["year", "rank"]).agg(patients=years.person_id.nunique())
    )
    patients = int(found.person_id.nunique().to_pyarrow().as_py() or 0)
    total = int(exposures.count().to_pyarrow().as_py())
    return ScanResult(
        thesaurus=thesaurus.edition,
        start=start,
        end=end,
        exposures=total,
        patients=patients,
        by_level={
            level: next((r["patients"] for r in by_level if r["rank"] == i), 0)
            for i, level in enumerate(level_names)
        },
        by_pair=sorted(
            (
                {
                    "pair": r["pair"],
                    "level": level_names[r["rank"]],
                    "patients": r["patients"],
                }
                for r in by_pair
            ),
            key=lambda r: (level_rank(r["level"]), -r["patients"], r["pair"]),
        ),
        by_year=sorted(
            (
                {
                    "year": r["year"],
                    "level": level_names[r["rank"]],
                    "patients": r["patients"],
                }
                for r in by_year
            ),
            key=lambda r: (r["year"], level_rank(r["level"])),
        ),
        cohorts={
            level: cohort_definition_id(thesaurus.edition, start, end, level)
            for level in level_names
        },
    )


def _write_cohorts(wh, found, result: ScanResult, thesaurus: Thesaurus) -> None:
    """One cohort per level: each patient from the first to the last day of
    concurrent exposure; a scan with the same parameters replaces its cohorts."""
    ids = result.cohorts
    id_of = ibis.cases(
        *((found["rank"] == level_rank(level), ids[level]) for level in ids)
    )
    new = (
        found.mutate(cohort_definition_id=id_of.cast("int64"))
        .group_by(["cohort_definition_id", "person_id"])
        .agg(cohort_start_date=found["start"].min(), cohort_end_date=found["end"].max())
        .select(
            "cohort_definition_id",
            subject_id=ibis._["person_id"],
            cohort_start_date=ibis._["cohort_start_date"],
            cohort_end_date=ibis._["cohort_end_date"],
        )
    )
    period = f"{result.start or '…'} – {result.end or '…'}"
    definitions = pa.table(
        {
            "cohort_definition_id": pa.array(list(ids.values()), pa.int64()),
            "cohort_definition_name": [
                f"Interactions ANSM {thesaurus.edition}: {LEVELS[lv]}, {period}"[:255]
                for lv in ids
            ],
            "cohort_definition_description": [
                f"Patients exposed at the same time to two drugs whose most severe "
                f"interaction in the ANSM thesaurus (edition {thesaurus.edition}) is "
                f"'{LEVELS[lv]}', between {period}. Written by entrepot drugs scan."
                for lv in ids
            ],
            "definition_type_concept_id": pa.array([0] * len(ids), pa.int64()),
            "cohort_definition_syntax": [
                json.dumps(
                    {
                        "analysis": "entrepot.drugs.scan",
                        "thesaurus": thesaurus.edition,
                        "level": lv,
                        "start": str(result.start) if result.start else None,
                        "end": str(result.end) if result.end else None,
                    }
                )
                for lv in ids
            ],
            "subject_concept_id": pa.array([0] * len(ids), pa.int64()),
            "cohort_initiation_date": pa.array([date.today()] * len(ids), pa.date32()),
        }
    )
    with wh.store.transaction() as tx:
        for name, rows in (
            ("cohort", new),
            ("cohort_definition", wh.store.from_arrow(definitions)),
        ):
            table = wh.table(name)
            kept = wh.store.materialize(
                table.filter(~table["cohort_definition_id"].isin(list(ids.values())))
            )
            tx.replace("results", name, kept.union(rows.select(*table.columns)))
