"""`entrepot vocab upgrade`: a new vocabulary release, with the data that uses it.

The new release (the bundled vocabulary, or an Athena download) is read into
temporary tables first: a broken release fails there, before anything is
written. Concepts that were standard and are not any more, and that 'Maps to'
exactly one valid standard concept of the new release, are replaced by it in
every `*_concept_id` column of the clinical tables (never in the source
concept and value columns, which keep what the hospital sent); one that maps
to none or to several is left, and counted. The vocabulary tables, the
rewritten clinical tables and the eras rebuilt from them are then replaced in
one transaction of the store: all or nothing.

Saved cohort definitions are resolved and counted before and after; those
whose concept sets resolve to other concepts, or that select other persons,
are listed. Their stored rows are not regenerated: `entrepot cohort run`
does that, when their owner decides to.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np

from entrepot.cohort import CohortDefinition, compile_definition
from entrepot.errors import EntrepotError, LoadError, first_line
from entrepot.warehouse.cdm import CLINICAL_TABLES
from entrepot.warehouse.eras import condition_eras, drug_eras
from entrepot.warehouse.vocabulary import bundled_vocabulary
from entrepot.warehouse.vocabulary._athena import ATHENA_TABLES, read_athena

#: Rebuilt from the other clinical tables, not remapped.
ERAS = ("condition_era", "drug_era")
#: What `cdm_source.vocabulary_version` holds (varchar(20) in the CDM).
_VERSION_LENGTH = 20


@dataclass
class CohortChange:
    """A saved cohort the new release changes: its concepts and persons."""

    cohort_definition_id: int
    name: str
    concepts_added: int
    concepts_removed: int
    before: np.ndarray  # person ids selected before the upgrade
    after: np.ndarray | None  # after; None when it no longer compiles
    error: str | None = None


@dataclass
class VocabularyUpgrade:
    """What an upgrade changed (`as_dict` holds no person count)."""

    previous: str
    release: str
    vocabulary: dict[str, int]
    remapped: dict[str, int]  # rows whose concept was replaced, per table
    left: dict[str, int]  # rows keeping a concept no longer standard
    concepts: dict[str, int]  # concepts remapped and left
    eras: dict[str, int]
    cohorts: list[CohortChange] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {
            "from": self.previous,
            "to": self.release,
            "vocabulary": self.vocabulary,
            "remapped": self.remapped,
            "left": self.left,
            "concepts": self.concepts,
            "eras": self.eras,
        }


class _Upgraded:
    """The warehouse as the upgrade will leave it, for the era code to read."""

    def __init__(self, wh, tables: dict[str, ir.Table]) -> None:
        self.wh, self.tables = wh, tables

    def table(self, name: str) -> ir.Table:
        return self.tables[name] if name in self.tables else self.wh.table(name)


def release_of(vocabulary: ir.Table) -> str:
    """A vocabulary release's name: the version of its 'None' row, as Athena
    writes it, else its vocabularies' versions."""
    rows = vocabulary.select("vocabulary_id", "vocabulary_version").to_pyarrow()
    versions = dict(
        zip(
            rows["vocabulary_id"].to_pylist(),
            rows["vocabulary_version"].to_pylist(),
            strict=True,
        )
    )
    if versions.get("None"):
        return versions["None"]
    return "; ".join(sorted({v for v in versions.values() if v})) or "unknown"


def upgrade_vocabulary(
    wh, folder: Path | None = None, *, progress=None
) -> VocabularyUpgrade:
    """Load the bundled release (or the Athena download in `folder`), remap
    the clinical rows and rebuild the eras in one transaction."""
    source = str(folder) if folder is not None else "the bundled vocabulary"
    with wh.store.temporary() as scratch:
        if progress:
            progress("vocabulary")
        try:
            new = _release(wh, folder)
            kept = {
                name: scratch.keep(f"_vocab_upgrade_{name}", rows)
                for name, rows in new.items()
            }
        except EntrepotError:
            raise
        except Exception as e:
            raise LoadError(
                f"{source}: {first_line(e)}; the vocabulary was left as it was"
            ) from e
        before = _saved_cohorts(wh)
        previous = release_of(wh.table("vocabulary"))
        release = release_of(kept["vocabulary"])
        maps, became = _maps(wh.table("concept"), kept)
        maps = scratch.keep("_vocab_upgrade_maps", maps)
        became = scratch.keep("_vocab_upgrade_became", became)
        remapped, left, rewritten = {}, {}, {}
        for name in CLINICAL_TABLES:
            if name in ERAS or not wh.has_table(name):
                continue
            if progress:
                progress(name)
            moved, kept_rows, rows = _remap(wh.table(name), maps, became)
            if moved:
                remapped[name] = moved
                rewritten[name] = scratch.keep(f"_vocab_upgrade_{name}", rows)
            if kept_rows - moved:
                left[name] = kept_rows - moved
        if wh.has_table("cdm_source"):  # where OMOP tools read the release
            cdm_source = rewritten.get("cdm_source", wh.table("cdm_source"))
            named = ibis.literal(release[:_VERSION_LENGTH])
            rewritten["cdm_source"] = scratch.keep(
                "_vocab_upgrade_release", cdm_source.mutate(vocabulary_version=named)
            )
        upgraded = _Upgraded(wh, kept | rewritten)
        eras = {"condition_era": condition_eras(upgraded)}
        eras["drug_era"] = drug_eras(upgraded)
        if progress:
            progress("transaction")
        wh.replace_tables(kept | rewritten | eras)
        concepts = _concepts(maps, became)
    return VocabularyUpgrade(
        previous=previous,
        release=release,
        vocabulary={name: wh.count(name) for name in ATHENA_TABLES},
        remapped=remapped,
        left=left,
        concepts=concepts,
        eras={name: wh.count(name) for name in ERAS},
        cohorts=_changed(wh, before),
    )


def _release(wh, folder: Path | None) -> dict[str, ir.Table]:
    """The new release's vocabulary tables."""
    if folder is not None:
        return read_athena(wh, folder)
    return {name: wh.store.from_arrow(t) for name, t in bundled_vocabulary().items()}


def _maps(old: ir.Table, new: dict[str, ir.Table]) -> tuple[ir.Table, ir.Table]:
    """(`old_id`, `new_id`): concepts standard before and not now, with their
    one valid standard 'Maps to' target; and every such concept (`old_id`)."""
    concept = new["concept"]
    valid = concept.invalid_reason.isnull()
    standard = (concept.standard_concept == "S").fill_null(False) & valid
    was = old.filter(old.standard_concept == "S").select(
        old_id=old.concept_id.cast("int64")
    )
    now = concept.filter(~standard).select(old_id=concept.concept_id.cast("int64"))
    became = now.semi_join(was, "old_id")
    targets = concept.filter(standard).select(new_id=concept.concept_id.cast("int64"))
    r = new["concept_relationship"]
    pairs = r.filter(
        (r.relationship_id == "Maps to")
        & r.invalid_reason.isnull()
        & (r.concept_id_1 != r.concept_id_2)
    ).select(old_id=r.concept_id_1.cast("int64"), new_id=r.concept_id_2.cast("int64"))
    pairs = pairs.semi_join(became, "old_id").semi_join(targets, "new_id").distinct()
    single = pairs.group_by("old_id").aggregate(n=pairs.count()).filter(ibis._.n == 1)
    return pairs.semi_join(single, "old_id"), became


def _concept_columns(rows: ir.Table) -> list[str]:
    """The standard concept columns of a clinical table (not its source ones)."""
    return [
        c
        for c in rows.columns
        if c.endswith("_concept_id") and not c.endswith("_source_concept_id")
    ]


def _remap(
    rows: ir.Table, maps: ir.Table, became: ir.Table
) -> tuple[int, int, ir.Table]:
    """Rows whose concepts are remapped, rows holding a concept no longer
    standard, and the table with each such concept replaced by its target."""
    columns = _concept_columns(rows)
    if not columns:
        return 0, 0, rows
    touched = ibis.or_(*(rows[c].isin(became.old_id) for c in columns))
    mapped = ibis.or_(*(rows[c].isin(maps.old_id) for c in columns))
    counts = rows.aggregate(
        touched=touched.cast("int64").sum(), mapped=mapped.cast("int64").sum()
    ).to_pyarrow()
    moved, kept = (int(counts[c][0].as_py() or 0) for c in ("mapped", "touched"))
    if not moved:
        return 0, kept, rows
    out = rows
    for i, c in enumerate(columns):
        target = maps.select(**{f"_old{i}": maps.old_id, f"_new{i}": maps.new_id})
        out = out.left_join(target, out[c] == target[f"_old{i}"])
        value = ibis.coalesce(out[f"_new{i}"], out[c]).cast(rows[c].type())
        out = out.mutate(**{c: value}).drop(f"_old{i}", f"_new{i}")
    return moved, kept, out.select(*rows.columns)


def _concepts(maps: ir.Table, became: ir.Table) -> dict[str, int]:
    """How many concepts no longer standard are remapped, and left."""
    mapped = int(maps.count().to_pyarrow().as_py())
    return {
        "remapped": mapped,
        "left": int(became.count().to_pyarrow().as_py()) - mapped,
    }


@dataclass
class _Saved:
    """A saved cohort definition, its concept sets resolved, its persons."""

    name: str
    definition: CohortDefinition
    concepts: dict[str, list[int]]
    persons: np.ndarray


def _resolved(wh, definition: CohortDefinition, source: str):
    """(concept sets resolved, person ids selected) of a definition now."""
    compiled = compile_definition(wh, definition, source)
    periods = compiled.periods()
    ids = periods.select(person_id=periods.person_id.cast("int64")).distinct()
    persons = ids.to_pyarrow()["person_id"].to_numpy()
    return compiled.context.concepts, np.sort(persons)


def _saved_cohorts(wh) -> dict[int, _Saved]:
    """Every saved definition that compiles now, by cohort id."""
    if "cohort_definition" not in wh.store.list_tables("results"):
        return {}
    defs = wh.store.table("results", "cohort_definition").rename(str.lower)
    rows = defs.select(
        "cohort_definition_id", "cohort_definition_name", "cohort_definition_syntax"
    ).to_pyarrow()
    saved = {}
    for row in rows.to_pylist():
        cid = int(row["cohort_definition_id"])
        try:
            definition = CohortDefinition.model_validate_json(
                row["cohort_definition_syntax"] or "null"
            )
            concepts, persons = _resolved(wh, definition, f"cohort {cid}")
        except Exception:  # noqa: BLE001 - not listed: it did not run before either
            continue
        saved[cid] = _Saved(
            row["cohort_definition_name"], definition, concepts, persons
        )
    return saved


def _changed(wh, before: dict[int, _Saved]) -> list[CohortChange]:
    """The saved cohorts whose concepts or persons the upgrade changed."""
    changes = []
    for cid, old in before.items():
        try:
            concepts, persons = _resolved(wh, old.definition, f"cohort {cid}")
            error = None
        except EntrepotError as e:  # a code the new release no longer has
            concepts, persons, error = {}, None, str(e)
        was = {c for ids in old.concepts.values() for c in ids}
        now = {c for ids in concepts.values() for c in ids}
        same = persons is not None and np.array_equal(persons, old.persons)
        if concepts == old.concepts and same:
            continue
        changes.append(
            CohortChange(
                cid,
                old.name,
                len(now - was),
                len(was - now),
                old.persons,
                persons,
                error,
            )
        )
    return changes
