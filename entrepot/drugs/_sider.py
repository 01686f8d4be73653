"""An adverse effect data pack in SIDER 4.1's layout, loaded into a warehouse.

SIDER (sideeffects.embl.de) is CC BY-NC-SA: it is never shipped, a site loads
its own copy. Its tab-separated files, without header:

- `drug_names.tsv`: STITCH flat id, drug name;
- `meddra_all_se.tsv`: STITCH flat id, STITCH stereo id, UMLS id on the label,
  MedDRA concept type (LLT, PT), UMLS id of the MedDRA term, side effect name;
- `meddra_freq.tsv`: the same ids, "placebo" or nothing, frequency description
  ("5%", "1-10%", "rare", "postmarketing"…), lower bound, upper bound, then the
  three MedDRA columns;
- `drug_atc.tsv` (optional): STITCH flat id, ATC code; without it a drug's
  name is recognised as a prescription line is.

SIDER gives no organ system: an optional `meddra_soc.tsv` of the site's own
(UMLS id of the MedDRA term, SOC abbreviation "Gastr", "Skin"…, made from its
MedDRA licence) classes the terms; the others are shown "non classé"."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from entrepot.drugs._effects import COLUMNS, EffectRow, EffectSource, EffectTable
from entrepot.drugs._organs import (
    FREQUENCIES,
    SOCS,
    UNKNOWN_FREQUENCY,
    class_of_share,
    frequency_rank,
)
from entrepot.drugs._recognition import recognize
from entrepot.drugs._text import fold
from entrepot.errors import InputFileError, LoadError, first_line

TABLE = "drug_effect"
REQUIRED = ("drug_names.tsv", "meddra_all_se.tsv", "meddra_freq.tsv")
#: SIDER's frequency words, as CIOMS classes.
_WORDS = {
    "very common": "très fréquent",
    "common": "fréquent",
    "frequent": "fréquent",
    "uncommon": "peu fréquent",
    "infrequent": "peu fréquent",
    "rare": "rare",
    "very rare": "très rare",
    "postmarketing": UNKNOWN_FREQUENCY,
}


def _read(path: Path, fields: int) -> list[list[str]]:
    """The rows of a tab-separated file, each with `fields` fields."""
    rows = []
    try:
        with path.open(encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                row = line.rstrip("\r\n").split("\t")
                if len(row) != fields or not row[0].strip():
                    raise InputFileError(
                        f"{path.name}, line {number}: {len(row)} fields, "
                        f"{fields} expected (SIDER 4.1's layout)"
                    )
                rows.append([v.strip() for v in row])
    except UnicodeDecodeError as e:
        raise InputFileError(f"{path.name}: not UTF-8 text ({e.reason})") from None
    return rows


def _frequency(description: str, lower: str, path: str, number: int) -> str:
    word = _WORDS.get(description.lower())
    if word:
        return word
    try:
        share = float(lower)
    except ValueError:
        raise InputFileError(
            f"{path}, line {number}: frequency {description!r} with lower bound "
            f"{lower!r} is not read"
        ) from None
    return class_of_share(share) if share > 0 else UNKNOWN_FREQUENCY


def read_pack(folder: Path) -> list[EffectRow]:
    """The effect rows of a pack, checked; any bad line is a one-line error."""
    folder = Path(folder)
    if not folder.is_dir():
        raise InputFileError(f"{folder}: not a folder")
    missing = [n for n in REQUIRED if not (folder / n).is_file()]
    if missing:
        raise InputFileError(
            f"{folder}: not a SIDER 4.1 pack, missing {', '.join(missing)}"
        )
    names = dict((r[0], r[1]) for r in _read(folder / "drug_names.tsv", 2))
    atc: dict[str, set[str]] = {}
    if (folder / "drug_atc.tsv").is_file():
        for number, (drug, code) in enumerate(_read(folder / "drug_atc.tsv", 2), 1):
            if len(code) != 7:
                raise InputFileError(
                    f"drug_atc.tsv, line {number}: {code!r} is no level-5 ATC code"
                )
            atc.setdefault(drug, set()).add(code)
    soc = {}
    if (folder / "meddra_soc.tsv").is_file():
        for number, (cui, abbrev) in enumerate(_read(folder / "meddra_soc.tsv", 2), 1):
            if abbrev not in SOCS:
                raise InputFileError(
                    f"meddra_soc.tsv, line {number}: unknown organ system "
                    f"{abbrev!r} (one of {', '.join(SOCS)})"
                )
            soc[cui] = abbrev
    frequency: dict[tuple[str, str], str] = {}
    freq_rows = _read(folder / "meddra_freq.tsv", 10)
    for number, row in enumerate(freq_rows, start=1):
        if row[3] == "placebo":
            continue
        found = _frequency(row[4], row[5], "meddra_freq.tsv", number)
        key = (row[0], row[8])
        if key not in frequency or frequency_rank(found) < frequency_rank(
            frequency[key]
        ):
            frequency[key] = found
    effects = list(enumerate(_read(folder / "meddra_all_se.tsv", 6), start=1))
    preferred = [(n, r) for n, r in effects if r[3] == "PT"] or effects
    rows, seen = [], set()
    for number, (drug, _stereo, _label, _kind, cui, term) in preferred:
        if drug not in names or not term:
            problem = (
                f"drug {drug} is not in drug_names.tsv"
                if term
                else "no side effect name"
            )
            raise InputFileError(f"meddra_all_se.tsv, line {number}: {problem}")
        codes = atc.get(drug) or set(recognize(names[drug]).atc)
        for code in sorted(codes):
            row = EffectRow(
                atc=code,
                substance=names[drug],
                soc=soc.get(cui),
                frequency=frequency.get((drug, cui), UNKNOWN_FREQUENCY),
                term=term,
                source=f"SIDER 4.1 ({folder.name})",
            )
            if (code, fold(term)) not in seen:
                seen.add((code, fold(term)))
                rows.append(row)
    return rows


def load_effects(wh, folder: Path) -> dict:
    """Replace the warehouse's effect pack with the pack in `folder`, atomically:
    a bad pack leaves the one before as it was."""
    from entrepot.warehouse._warehouse import BOOKKEEPING

    rows = read_pack(folder)
    if not rows:
        raise InputFileError(f"{folder}: no effect of a drug with an ATC code")
    if not wh.has_table(TABLE):
        wh.store.create_table("entrepot", TABLE, BOOKKEEPING[TABLE])
    data = pa.Table.from_pylist(
        [{c: getattr(r, c) for c in COLUMNS} for r in rows],
        schema=BOOKKEEPING[TABLE].to_pyarrow(),
    )
    try:
        wh.replace_tables({TABLE: data})
    except Exception as e:
        raise LoadError(
            f"{folder}: {first_line(e)}; the effects were left as they were"
        ) from e
    return {
        "drugs": len({r.atc for r in rows}),
        "effects": len(rows),
        "classified": sum(r.soc is not None for r in rows),
        "frequencies": {f: sum(r.frequency == f for r in rows) for f in FREQUENCIES},
    }


class WarehouseEffects:
    """The pack loaded in a warehouse, read for the codes asked."""

    name = "SIDER 4.1 (pack)"

    def __init__(self, wh) -> None:
        self.wh = wh

    def rows(self, codes: list[str]) -> list[EffectRow]:
        t = self.wh.table(TABLE)
        found = t.filter(t.atc.isin(codes)).to_pyarrow().to_pylist()
        return [EffectRow(**r) for r in found]


def effect_table(wh=None) -> EffectSource:
    """The pack loaded in `wh`, else the curated table shipped with entrepot."""
    if wh is not None and wh.has_table(TABLE) and wh.count(TABLE):
        return WarehouseEffects(wh)
    return EffectTable.curated()
