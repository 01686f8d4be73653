"""The synthetic hospital's INSEE death files (``deces-AAAA.txt`` of the raw
extracts): its patients who died outside the hospital, after their last contact,
with the noise of real files, among many people who are not patients. Rates:
``entrepot/data/synth/insee_deaths.yaml``. The true links go to `synth_truth`
(module ``insee_deaths``); the hospital's own extracts never learn these deaths.
"""

from __future__ import annotations

import unicodedata
import zlib
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from entrepot.linkage import write_insee_deaths
from entrepot.synth._arrow import dates
from entrepot.synth._population import YEAR
from entrepot.synth._reference import commune_mergers, communes, insee_rates, names
from entrepot.warehouse._warehouse import BOOKKEEPING

MODULE = "insee_deaths"  # its name in synth_truth
#: The noise a patient's line may carry: its `synth_truth` subtype joins them by
#: "+" (or is "exact").
NOISE = (
    "married_name",
    "first_names_reordered",
    "first_name_only",
    "typo",
    "unknown_day",
    "unknown_month",
    "merged_birthplace",
)
LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


def death_records(settings, number: int, chunk) -> pa.Table:
    """The lines of chunk number `number` of a hospital, unordered: its patients
    who died outside the hospital before the period's end, then non-patients."""
    rng = np.random.default_rng([settings.seed, number, zlib.crc32(MODULE.encode())])
    patients = _patients(rng, chunk, settings.end)
    others = _others(rng, chunk, len(patients), (settings.start, settings.end))
    table = pa.concat_tables([patients, others])
    return table.append_column(
        "order", pa.array(rng.integers(0, 2**62, len(table)), pa.int64())
    )


def _patients(rng, chunk, end: int) -> pa.Table:
    people, who = chunk.people, chunk.identities
    rates = insee_rates()
    h = rates.hazard
    age = people.age(people.obs_end)
    force = h.excess * h.a * np.exp(h.b * age)
    years = np.log1p(h.b * rng.exponential(1.0, len(people)) / force) / h.b
    died = people.obs_end + np.maximum(1, np.ceil(years * YEAR)).astype(np.int64)
    out = np.flatnonzero(~people.dead & ~people.censored & (died <= end))
    died = died[out]
    n = len(out)
    noise = [[] for _ in range(n)]

    def mark(where: np.ndarray, kind: str) -> None:
        for i in np.flatnonzero(where):
            noise[i].append(kind)

    rows = who.take(pa.array(out)).to_pydict()
    birth_name, used = np.array(rows["birth_name"]), np.array(rows["last_name"])
    married_name = (birth_name != used) & (rng.random(n) < rates.noise.married_name)
    mark(married_name, "married_name")
    surname = np.where(married_name, used, birth_name)
    first = [f.split(" ") for f in rows["first_names"]]
    several = np.array([len(f) > 1 for f in first], bool)
    reordered = several & (rng.random(n) < rates.noise.first_names_reordered)
    only = several & ~reordered & (rng.random(n) < rates.noise.first_name_only)
    mark(reordered, "first_names_reordered")
    mark(only, "first_name_only")
    first = [
        f[1:] + f[:1] if r else f[:1] if o else f
        for f, r, o in zip(first, reordered, only, strict=True)
    ]
    surname, first = _typos(rng, surname, first, mark)
    birth, unknown = _birth(rng, people.birth[out])
    mark(unknown == 1, "unknown_day")
    mark(unknown == 2, "unknown_month")
    place, place_name, merged = _birthplace(
        np.array([nir[5:10] for nir in rows["nir"]]), died
    )
    mark(merged, "merged_birthplace")
    home = communes().insee[people.commune[out]]
    return _lines(
        rng,
        person_id=pa.array(rows["person_id"], pa.int64()),
        noise=["+".join(k) or "exact" for k in noise],
        surname=surname,
        first_names=[" ".join(f) for f in first],
        sex=rows["sex"],
        birth_date=birth,
        birthplace_code=place,
        birthplace_name=place_name,
        birth_country=[None] * n,
        death_date=died,
        death_place_code=np.where(
            rng.random(n) < rates.death_at_home, home, _communes(rng, n)
        ),
    )


def _others(rng, chunk, patient_lines: int, period: tuple[int, int]) -> pa.Table:
    """People who are not patients; some share a patient's surname, birth date
    or both (then the patient's sex too), so that no single field links."""
    rates = insee_rates()
    like = rates.non_patients_like_a_patient
    m = int(round(rates.non_patients_per_patient_line * patient_lines))
    who = chunk.identities
    u = rng.random(m)  # [surname | birth date | both | neither)
    name_only, birth_only = like.surname, like.surname + like.birth_date
    both = birth_only + like.surname_and_birth_date
    twin = (u >= birth_only) & (u < both)
    same_name = (u < name_only) | twin
    same_birth = (u >= name_only) & (u < both)
    patient = rng.integers(0, len(who), m)
    sex = np.where(rng.random(m) < 0.5, "F", "M")
    sex = np.where(twin, np.array(who["sex"].to_pylist())[patient], sex)
    first = _first_names(rng, sex)
    surname = np.where(
        same_name,
        np.array(who["birth_name"].to_pylist())[patient],
        _names(rng, "last", m),
    )
    a = rates.non_patient_age
    age = (np.clip(rng.normal(a.mean, a.sd, m), a.min, a.max) * YEAR).astype(np.int64)
    start, end = period
    died = rng.integers(start, end, m, endpoint=True)
    born = np.where(same_birth, chunk.people.birth[patient], died - age)
    died = np.clip(np.maximum(died, born + int(a.min * YEAR)), None, end)
    birth, _ = _birth(rng, born)
    abroad = rng.random(m) < rates.born_abroad
    country = rng.integers(0, len(rates.abroad), m)
    place = _communes(rng, m)
    by_code = dict(zip(communes().insee, communes().name, strict=True))
    return _lines(
        rng,
        person_id=pa.nulls(m, pa.int64()),
        noise=[None] * m,
        surname=surname,
        first_names=[" ".join(f) for f in first],
        sex=sex,
        birth_date=birth,
        birthplace_code=np.where(
            abroad, [rates.abroad[c].code for c in country], place
        ),
        birthplace_name=np.where(
            abroad, [rates.abroad[c].town for c in country], [by_code[p] for p in place]
        ),
        birth_country=[
            rates.abroad[c].country if x else None
            for c, x in zip(country, abroad, strict=True)
        ],
        death_date=died,
        death_place_code=_communes(rng, m),
    )


def _lines(rng, **columns) -> pa.Table:
    n = len(columns["noise"])
    columns["death_date"] = dates(columns["death_date"])
    columns["certificate"] = rng.integers(1, 3000, n).astype(str)
    return pa.table(
        {
            k: v if isinstance(v, pa.Array) else pa.array(list(v), pa.string())
            for k, v in columns.items()
        }
    )


def _first_names(rng, sex: np.ndarray) -> list[list[str]]:
    """1 to 3 first names (shares of insee_deaths.yaml) for each person of `sex`."""
    shares = insee_rates().first_names
    count = rng.choice(len(shares), len(sex), p=shares) + 1
    drawn = {s: _names(rng, s, (len(sex), len(shares))) for s in ("F", "M")}
    return [
        list(drawn[s][i][:k]) for i, (s, k) in enumerate(zip(sex, count, strict=True))
    ]


def _names(rng, kind: str, shape) -> np.ndarray:
    values, p = names(kind)
    return values[rng.choice(len(values), shape, p=p)]


def _communes(rng, n: int) -> np.ndarray:
    place = communes()
    return place.insee[rng.choice(len(place.weight), n, p=place.weight)]


def _birth(rng, born: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Birth days as AAAAMMJJ, some with an unknown day (1: ``00``) or month and
    day (2: ``0000``)."""
    noise = insee_rates().noise
    text = [str(day).replace("-", "") for day in born.astype("datetime64[D]")]
    u = rng.random(len(born))
    unknown = np.select(
        [u < noise.unknown_month, u < noise.unknown_month + noise.unknown_day],
        [2, 1],
        0,
    )
    kept = np.array([8, 6, 4])[unknown]
    return np.array(
        [t[:k].ljust(8, "0") for t, k in zip(text, kept, strict=True)]
    ), unknown


def _birthplace(code: np.ndarray, died: np.ndarray):
    """The birthplace as INSEE writes it when the death is recorded: the code of
    the commune then (a merged commune's new code), its name; and where it changed."""
    merged = commune_mergers()
    row = {c: i for i, c in enumerate(merged.old_code)}
    by_code = dict(zip(communes().insee, communes().name, strict=True))
    out, name, changed = [], [], np.zeros(len(code), bool)
    for i, (c, day) in enumerate(zip(code, died, strict=True)):
        r = row.get(c)
        if r is None:
            out.append(c)
            name.append(by_code[c])
        elif day >= merged.merged_on[r]:
            out.append(merged.new_code[r])
            name.append(merged.new_name[r])
            changed[i] = True
        else:
            out.append(c)
            name.append(merged.old_name[r])
    return np.array(out), np.array(name), changed


def _typos(rng, surname: np.ndarray, first: list[list[str]], mark):
    """One edit in the surname (two times in three) or the first first name."""
    rate = insee_rates().noise.typo
    typo = rng.random(len(surname)) < rate
    mark(typo, "typo")
    surname = surname.astype(object)
    for i in np.flatnonzero(typo):
        if rng.random() < 2 / 3 or not first[i]:
            surname[i] = _edit(rng, surname[i])
        else:
            first[i] = [_edit(rng, first[i][0]), *first[i][1:]]
    return surname.astype(str), first


def _edit(rng, word: str) -> str:
    """`word` with one edit: a substitution, deletion, insertion or transposition
    (of its capitals without accents, as INSEE writes it)."""
    word = (
        unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode().upper()
    )
    at = int(rng.integers(0, max(len(word) - 1, 1)))
    letter = LETTERS[rng.integers(0, len(LETTERS))]
    kind = rng.integers(0, 4) if len(word) > 2 else 2
    if kind == 0:
        new = word[:at] + letter + word[at + 1 :]
        return new if new != word else word[:at] + word[at + 1 :]
    if kind == 1:
        return word[:at] + word[at + 1 :]
    if kind == 2:
        return word[:at] + letter + word[at:]
    swapped = word[:at] + word[at + 1] + word[at] + word[at + 2 :]
    return swapped if swapped != word else word[:at] + word[at + 1 :]


def write_death_files(parts: Path, folder: Path, years: tuple[int, int]) -> pa.Table:
    """Gather the chunks' lines into one file per year of death,
    ``deces-AAAA.txt`` (every year of the period, empty or not), in a shuffled
    order; return the `synth_truth` rows of the patients' lines."""
    lines = pa.concat_tables(
        [pq.read_table(f) for f in sorted(parts.glob("*.parquet"))]
    )
    lines = lines.append_column("year", pc.year(lines["death_date"])).sort_by(
        [("year", "ascending"), ("order", "ascending")]
    )
    folder.mkdir(parents=True, exist_ok=True)
    schema = BOOKKEEPING["synth_truth"].to_pyarrow()
    truth = [schema.empty_table()]
    for year in range(years[0], years[1] + 1):
        rows = lines.filter(pc.equal(lines["year"], year))
        name = f"deces-{year}.txt"
        write_insee_deaths(rows, folder / name)
        ours = pc.is_valid(rows["person_id"]).to_numpy(zero_copy_only=False)
        linked = rows.filter(ours)
        columns = {
            "person_id": linked["person_id"],
            "module": pa.array([MODULE] * len(linked), pa.string()),
            "subtype": linked["noise"],
            "onset_date": linked["death_date"],
            "field": pa.array([name] * len(linked), pa.string()),
            "value": pa.array((np.flatnonzero(ours) + 1).astype(str), pa.string()),
        }
        truth.append(
            pa.table(
                [columns.get(f.name, pa.nulls(len(linked), f.type)) for f in schema],
                schema=schema,
            )
        )
    return pa.concat_tables(truth)
