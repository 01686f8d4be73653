"""Mapping local codes to standard concepts, as OHDSI's Usagi does, in French.

`propose` ranks a vocabulary's concepts for each local code by the similarity
of labels (character n-gram TF-IDF over the concept's name and French
synonyms, local abbreviations expanded), of units (UCUM) and of reference
ranges. A person sets `status` to `approved` on the right proposal; `approve`
writes those as OMOP `source_to_concept_map` rows, which ingestion applies.
"""

from __future__ import annotations

import csv
import math
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import cache
from pathlib import Path

import ibis
import pyarrow as pa

from entrepot.errors import InputFileError, ParameterError
from entrepot.warehouse.vocabulary._concept import FRENCH, read_csv

#: `--target` → vocabulary_id in the warehouse.
TARGETS = {"LOINC": "LOINC", "ATC": "ATC", "CIM10": "CIM10"}
#: The source vocabulary of the lab system's local codes (source_to_concept_map).
LOCAL_LAB = "LOCAL_LAB"
SOURCE_COLUMNS = ("source_code", "source_label")
MAPPING_COLUMNS = (
    "source_code",
    "source_label",
    "rank",
    "concept_id",
    "concept_code",
    "concept_name",
    "score",
    "status",
)
#: Weights of the label, unit and range similarities in a proposal's score.
WEIGHTS = (0.7, 0.15, 0.15)


@dataclass(frozen=True)
class Source:
    """A local code as the source system's catalogue gives it."""

    code: str
    label: str
    unit: str | None = None
    low: float | None = None
    high: float | None = None
    count: int | None = None


@dataclass(frozen=True)
class Candidate:
    """A concept that may be proposed, with its labels, unit and range."""

    concept_id: int
    code: str
    name: str
    labels: tuple[str, ...]
    unit: str | None = None
    low: float | None = None
    high: float | None = None


def _float(text: str | None, where: str) -> float | None:
    if text is None or not text.strip():
        return None
    try:
        return float(text.replace(",", "."))
    except ValueError:
        raise InputFileError(f"{where}: not a number: {text!r}") from None


def read_sources(path: str | Path) -> list[Source]:
    """The local codes of SOURCE.csv (`source_code,source_label[,unit][,low]
    [,high][,count]`)."""
    rows = _read_rows(Path(path), SOURCE_COLUMNS)
    out = []
    for n, r in enumerate(rows, start=2):
        where = f"{path}, line {n}"
        if not (r.get("source_code") or "").strip():
            raise InputFileError(f"{where}: empty source_code")
        count = _float(r.get("count"), where)
        out.append(
            Source(
                code=r["source_code"].strip(),
                label=(r.get("source_label") or "").strip(),
                unit=(r.get("unit") or "").strip() or None,
                low=_float(r.get("low"), where),
                high=_float(r.get("high"), where),
                count=None if count is None else int(count),
            )
        )
    return out


def _read_rows(path: Path, required: tuple[str, ...]) -> list[dict[str, str]]:
    try:
        with path.open(encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            missing = [c for c in required if c not in (reader.fieldnames or ())]
            if missing:
                raise InputFileError(f"{path}: missing column(s) {', '.join(missing)}")
            return list(reader)
    except (OSError, UnicodeDecodeError) as e:
        raise InputFileError(f"{path}: cannot be read: {e}") from e


# -- similarity ------------------------------------------------------------


def _plain(text: str) -> str:
    """Lower case, no accents, words separated by single spaces."""
    text = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.findall(r"[a-z0-9]+", text))


@cache
def _abbreviations() -> dict[str, str]:
    return {
        _plain(r["abbreviation"]): r["expansion"]
        for r in read_csv("fr_lab_abbreviations.csv")
    }


def expand(label: str) -> str:
    """A label in plain form, each known abbreviation followed by its expansion."""
    text = _plain(label)
    words = text.split()
    extra = [
        _abbreviations()[w]
        for n in (1, 2)
        for w in (" ".join(words[i : i + n]) for i in range(len(words) - n + 1))
        if w in _abbreviations()
    ]
    return " ".join([text, *extra])


@cache
def _units() -> dict[str, str]:
    return {r["written"]: r["ucum"] for r in read_csv("ucum_synonyms.csv")}


def ucum(unit: str | None) -> str | None:
    """A unit as a lab system writes it (`µmol/l`, `G/L`, `mUI/L`) in UCUM, or
    the unit itself when unknown. The case is read first as written (`G/L`
    is giga per litre, `g/L` grams), then ignored."""
    if not unit:
        return None
    unit = unit.strip()
    return _units().get(unit) or _units().get(unit.lower(), unit)


def unit_similarity(source: str | None, target: str | None) -> float:
    """1 for the same UCUM unit, 0 for different ones, ½ when either is missing."""
    if not source or not target:
        return 0.5
    return 1.0 if ucum(source) == ucum(target) else 0.0


def range_similarity(a: Source, b: Candidate) -> float:
    """Overlap of two reference ranges over their union (in the same unit);
    ½ when either is unknown or the units differ."""
    if None in (a.low, a.high, b.low, b.high) or ucum(a.unit) != ucum(b.unit):
        return 0.5
    union = max(a.high, b.high) - min(a.low, b.low)
    overlap = min(a.high, b.high) - max(a.low, b.low)
    if union <= 0:
        return 1.0 if overlap >= 0 else 0.0
    return max(overlap, 0.0) / union


# -- candidates ------------------------------------------------------------


def candidates(wh, target: str) -> list[Candidate]:
    """The valid concepts of `target`'s vocabulary with their English name and
    French synonyms; LOINC lab tests carry the bundled unit and reference range."""
    from entrepot.warehouse.vocabulary._lab import lab_tests

    if target not in TARGETS:
        raise ParameterError(
            f"unknown target {target!r}: one of {', '.join(sorted(TARGETS))}"
        )
    c = wh.table("concept")
    c = c.filter(
        (c.vocabulary_id == TARGETS[target]) & c.invalid_reason.isnull()
    ).select("concept_id", "concept_code", "concept_name")
    s = wh.table("concept_synonym")
    s = s.filter(s.language_concept_id == FRENCH).select(
        "concept_id", "concept_synonym_name"
    )
    s = s.filter(s.concept_id.isin(c.concept_id))
    concepts = c.to_pyarrow().to_pylist()
    if not concepts:
        raise ParameterError(
            f"the warehouse has no {target} concept: load a vocabulary"
        )
    synonyms: dict[int, list[str]] = {}
    for r in s.to_pyarrow().to_pylist():
        synonyms.setdefault(r["concept_id"], []).append(r["concept_synonym_name"])
    tests = {t.loinc: t for t in lab_tests()} if target == "LOINC" else {}
    out = []
    for r in sorted(concepts, key=lambda r: r["concept_id"]):
        test = tests.get(r["concept_code"])
        out.append(
            Candidate(
                concept_id=r["concept_id"],
                code=r["concept_code"],
                name=r["concept_name"],
                labels=(*sorted(synonyms.get(r["concept_id"], ())), r["concept_name"]),
                unit=test.unit if test else None,
                low=test.low if test else None,
                high=test.high if test else None,
            )
        )
    return out


def propose(
    sources: list[Source], concepts: list[Candidate], *, top: int = 5
) -> list[dict]:
    """The `top` best concepts for each source code, as MAPPING.csv rows."""
    import numpy as np
    from sklearn.feature_extraction.text import TfidfVectorizer

    owners = [i for i, c in enumerate(concepts) for _ in c.labels]
    texts = [expand(label) for c in concepts for label in c.labels]
    vectoriser = TfidfVectorizer(
        analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True
    )
    labels = vectoriser.fit_transform(texts)
    queries = vectoriser.transform([expand(s.label) for s in sources])
    by_label = (queries @ labels.T).toarray()
    owner = np.array(owners)
    rows = []
    for s, sims in zip(sources, by_label, strict=True):
        best = np.zeros(len(concepts))
        np.maximum.at(best, owner, sims)
        w_label, w_unit, w_range = WEIGHTS
        scores = [
            w_label * best[i]
            + w_unit * unit_similarity(s.unit, c.unit)
            + w_range * range_similarity(s, c)
            for i, c in enumerate(concepts)
        ]
        order = sorted(range(len(concepts)), key=lambda i: (-scores[i], i))[:top]
        for rank, i in enumerate(order, start=1):
            c = concepts[i]
            rows.append(
                {
                    "source_code": s.code,
                    "source_label": s.label,
                    "rank": rank,
                    "concept_id": c.concept_id,
                    "concept_code": c.code,
                    "concept_name": c.name,
                    "score": round(float(scores[i]), 4),
                    "status": "proposed",
                }
            )
    return rows


def write_mapping(rows: list[dict], path: str | Path) -> None:
    """MAPPING.csv, for a person to review."""
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=MAPPING_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


# -- approved maps ---------------------------------------------------------


def approved(path: str | Path) -> list[dict]:
    """The rows of a reviewed MAPPING.csv whose status is `approved`, one per
    source code."""
    rows = _read_rows(Path(path), MAPPING_COLUMNS)
    chosen: dict[str, dict] = {}
    for n, r in enumerate(rows, start=2):
        if (r["status"] or "").strip().lower() != "approved":
            continue
        code = r["source_code"].strip()
        if code in chosen:
            raise InputFileError(
                f"{path}, line {n}: a second approved concept for {code!r}"
            )
        try:
            r["concept_id"] = int(r["concept_id"])
        except ValueError:
            raise InputFileError(
                f"{path}, line {n}: concept_id is not a number: {r['concept_id']!r}"
            ) from None
        chosen[code] = r
    return list(chosen.values())


def approve(wh, path: str | Path, *, vocabulary: str = LOCAL_LAB) -> int:
    """Write the approved maps of `path` as `source_to_concept_map` rows of
    the source vocabulary `vocabulary`, replacing earlier maps of the same
    codes; the number of maps written."""
    return approve_maps(wh, approved(path), vocabulary=vocabulary, source=str(path))


def approve_maps(
    wh, rows: list[dict], *, vocabulary: str = LOCAL_LAB, source: str = "mapping"
) -> int:
    """Write maps (`source_code`, `source_label`, `concept_id`) as
    `source_to_concept_map` rows of `vocabulary`, replacing earlier maps of
    the same codes; a concept not in the vocabulary (named in an error from
    `source`) writes nothing."""
    ids = [r["concept_id"] for r in rows]
    c = wh.table("concept")
    known = c.filter(c.concept_id.isin(ids)).select("concept_id", "vocabulary_id")
    target = {
        r["concept_id"]: r["vocabulary_id"] for r in known.to_pyarrow().to_pylist()
    }
    unknown = sorted(set(ids) - set(target))
    if unknown:
        raise InputFileError(
            f"{source}: concept_id {', '.join(map(str, unknown))} not in the vocabulary"
        )
    table = wh.table("source_to_concept_map")
    codes = [r["source_code"] for r in rows]
    kept = table.filter(
        ~((table.source_vocabulary_id == vocabulary) & table.source_code.isin(codes))
    ).to_pyarrow()
    new = pa.table(
        {
            "source_code": codes,
            "source_concept_id": [0] * len(rows),
            "source_vocabulary_id": [vocabulary] * len(rows),
            "source_code_description": [r["source_label"][:255] for r in rows],
            "target_concept_id": ids,
            "target_vocabulary_id": [target[i] for i in ids],
            "valid_start_date": [date.today()] * len(rows),
            "valid_end_date": [date(2099, 12, 31)] * len(rows),
            "invalid_reason": pa.nulls(len(rows), pa.string()),
        }
    )
    wh.replace_tables(
        {"source_to_concept_map": pa.concat_tables([kept, new.cast(kept.schema)])}
    )
    return len(rows)


def unmapped_codes(wh, vocabulary: str = LOCAL_LAB) -> list[Source]:
    """The local codes of the warehouse's measurements that have no concept
    (0) and no map of `vocabulary` yet, commonest first, each with its rows,
    unit and widest reference range: what is left to map. Ingestion keeps a
    row's code, not its label: the code is the label proposals are ranked on."""
    m = wh.table("measurement")
    m = m.filter((m.measurement_concept_id == 0) & m.measurement_source_value.notnull())
    mapped = sorted(source_maps(wh, vocabulary))
    if mapped:
        m = m.filter(~m.measurement_source_value.isin(mapped))
    codes = m.group_by(code=m.measurement_source_value).aggregate(
        count=m.count(),
        unit=m.unit_source_value.min(),
        low=m.range_low.min(),
        high=m.range_high.max(),
    )
    rows = codes.order_by([ibis.desc("count"), "code"]).to_pyarrow().to_pylist()
    return [
        Source(
            r["code"],
            r["code"],
            r["unit"],
            None if r["low"] is None else float(r["low"]),
            None if r["high"] is None else float(r["high"]),
            int(r["count"]),
        )
        for r in rows
    ]


def mapping_review(
    wh, *, target: str = "LOINC", top: int = 5, vocabulary: str = LOCAL_LAB
) -> list[dict]:
    """Each code `unmapped_codes` finds, with its rows, unit, range and the
    `top` concepts `propose` ranks for it (as `vocab map` writes them)."""
    sources = unmapped_codes(wh, vocabulary)
    if not sources:
        return []
    proposed: dict[str, list[dict]] = {}
    for r in propose(sources, candidates(wh, target), top=top):
        proposed.setdefault(r["source_code"], []).append(
            {k: r[k] for k in MAPPING_COLUMNS[2:-1]}
        )
    return [
        {
            "source_code": s.code,
            "rows": s.count,
            "unit": s.unit,
            "low": s.low,
            "high": s.high,
            "proposals": proposed[s.code],
        }
        for s in sources
    ]


def source_maps(wh, vocabulary: str = LOCAL_LAB) -> dict[str, int]:
    """The valid approved maps of a source vocabulary: source code → concept."""
    t = wh.table("source_to_concept_map")
    t = t.filter((t.source_vocabulary_id == vocabulary) & t.invalid_reason.isnull())
    rows = t.select("source_code", "target_concept_id").to_pyarrow().to_pylist()
    return {r["source_code"]: int(r["target_concept_id"]) for r in rows}


def accuracy(rows: list[dict], truth: dict[str, str]) -> dict[str, float]:
    """Top-1 and top-5 accuracy of proposals against true concept codes."""
    hits: dict[str, int] = {}
    for r in rows:
        if r["concept_code"] == truth.get(r["source_code"]):
            hits[r["source_code"]] = min(hits.get(r["source_code"], 99), r["rank"])
    n = len(truth)
    return {
        "codes": n,
        "top1": sum(1 for k in truth if hits.get(k) == 1) / n if n else math.nan,
        "top5": sum(1 for k in truth if k in hits and hits[k] <= 5) / n
        if n
        else math.nan,
    }
