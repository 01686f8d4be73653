"""The synthetic hospital's INSEE death files (`synth --raw`): its patients who
died outside the hospital, with the noise of real files, among non-patients;
the true links in `synth_truth` (module insee_deaths)."""

from __future__ import annotations

import csv
import unicodedata
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from entrepot.linkage import read_insee_deaths
from entrepot.synth import load_modules, patient_ipp
from entrepot.synth._chunk import Settings, make_chunk
from entrepot.synth._insee import NOISE, death_records, write_death_files
from entrepot.synth._reference import commune_mergers, insee_rates
from tests.synth.conftest import PATIENTS


def _upper(text: str) -> str:
    return (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().upper()
    )


def _one_edit(a: str, b: str) -> bool:
    """Whether `a` is `b` with one substitution, deletion, insertion or swap."""
    if abs(len(a) - len(b)) > 1 or a == b:
        return False
    i = next(
        (k for k in range(min(len(a), len(b))) if a[k] != b[k]), min(len(a), len(b))
    )
    return (
        a[i + 1 :] == b[i + 1 :]
        or a[i + 1 :] == b[i:]
        or a[i:] == b[i + 1 :]
        or (a[i : i + 2] == b[i : i + 2][::-1] and a[i + 2 :] == b[i + 2 :])
    )


@pytest.fixture(scope="module")
def files(hospital_result, sql):
    """(lines by (file, line), truth rows, patients.csv rows by IPP)."""
    folder = Path(hospital_result.raw)
    lines = {}
    for path in sorted(folder.glob("deces-*.txt")):
        rows, rejected = read_insee_deaths(path)
        assert rejected == []
        lines |= {(r["file"], r["line"]): r for r in rows.to_pylist()}
    truth = sql(
        """SELECT person_id, subtype, onset_date, field, value FROM entrepot.synth_truth
           WHERE module = 'insee_deaths' ORDER BY field, value::int"""
    )
    with open(folder / "patients.csv", encoding="utf-8") as f:
        patients = {p["ipp"]: p for p in csv.DictReader(f)}
    return lines, truth, patients


def test_one_file_a_year_with_patients_and_many_more_non_patients(
    hospital_result, files
):
    lines, truth, _ = files
    names = sorted(p.name for p in Path(hospital_result.raw).glob("deces-*.txt"))
    assert names == [f"deces-{y}.txt" for y in range(2008, 2026)]
    assert 0.05 * PATIENTS < len(truth) < 0.25 * PATIENTS
    others = len(lines) - len(truth)
    rate = insee_rates().non_patients_per_patient_line
    assert others == pytest.approx(rate * len(truth), abs=len(truth))
    assert {(f, int(n)) for *_, f, n in truth} <= set(lines)
    # the file's order does not give the patients away: they are spread over it
    first_half = sum(
        int(n) <= sum(1 for k in lines if k[0] == f) / 2 for *_, f, n in truth
    )
    assert 0.35 < first_half / len(truth) < 0.65


def test_truth_rows_are_patients_who_died_outside_the_hospital(files, sql):
    lines, truth, patients = files
    ends = dict(
        sql("SELECT person_id, observation_period_end_date FROM observation_period")
    )
    in_hospital = {p for (p,) in sql("SELECT person_id FROM death")}
    ipps = patient_ipp([t[0] for t in truth])
    for (person, _, died, file, line), ipp in zip(truth, ipps, strict=True):
        row, patient = lines[(file, int(line))], patients[ipp]
        assert row["death_date"] == died > ends[person]
        assert file == f"deces-{died.year}.txt"
        assert row["sex"] == patient["sex"]
        assert person not in in_hospital
        assert patient["death_date"] == ""  # the extracts never learn these deaths
    assert len({t[0] for t in truth}) == len(truth)


def test_each_noise_is_what_its_label_says(files):
    lines, truth, patients = files
    mergers = commune_mergers()
    new_code = dict(zip(mergers.old_code, mergers.new_code, strict=True))
    for person, noise, _, file, line in truth:
        row, patient = lines[(file, int(line))], patients[patient_ipp([person])[0]]
        kinds = set(noise.split("+"))
        birth = patient["birth_date"].replace("-", "")
        code = patient["nir"][5:10]
        firsts = _upper(patient["first_names"]).split(" ")
        surname = _upper(
            patient["last_name" if "married_name" in kinds else "birth_name"]
        )
        if "first_names_reordered" in kinds:
            firsts = firsts[1:] + firsts[:1]
        elif "first_name_only" in kinds:
            assert len(firsts) > 1
            firsts = firsts[:1]
        written = row["first_names"].split(" ")
        if "typo" in kinds:  # one edit, in the surname or the first first name
            assert (
                (row["surname"], written[1:]) == (surname, firsts[1:])
                and _one_edit(written[0], firsts[0])
                or (written == firsts and _one_edit(row["surname"], surname))
            )
        else:
            assert (row["surname"], written) == (surname, firsts)
        if "unknown_month" in kinds:
            assert row["birth_date"] == birth[:4] + "0000"
        elif "unknown_day" in kinds:
            assert row["birth_date"] == birth[:6] + "00"
        else:
            assert row["birth_date"] == birth
        if "merged_birthplace" in kinds:
            assert row["birthplace_code"] == new_code[code] != code
        else:
            assert row["birthplace_code"] == code


def test_noise_rates_are_the_declared_ones(files):
    """Each kind's count is within four standard deviations of its rate times
    the lines it can touch (married women's lines, lines of several first names)."""
    lines, truth, patients = files
    rates = insee_rates().noise
    rows = [(set(n.split("+")), patients[patient_ipp([p])[0]]) for p, n, *_ in truth]
    married = [k for k, p in rows if p["birth_name"] != p["last_name"]]
    several = [k for k, p in rows if " " in p["first_names"]]
    everyone = [k for k, _ in rows]
    reorder = rates.first_names_reordered
    checks = {
        "married_name": (married, rates.married_name),
        "first_names_reordered": (several, reorder),
        "first_name_only": (several, (1 - reorder) * rates.first_name_only),
        "typo": (everyone, rates.typo),
        "unknown_day": (everyone, rates.unknown_day),
        "unknown_month": (everyone, rates.unknown_month),
    }
    for kind, (among, p) in checks.items():
        count, n = sum(kind in k for k in among), len(among)
        assert abs(count - n * p) <= 4 * (n * p * (1 - p)) ** 0.5 + 1, kind
    counts = {kind: sum(kind in k for k in everyone) for kind in NOISE}
    assert all(counts[k] > 0 for k in NOISE if k != "unknown_month"), counts
    assert 0.3 < sum(k == {"exact"} for k in everyone) / len(everyone) < 0.8


def test_non_patients_share_surnames_and_birth_dates_with_patients(files):
    lines, truth, patients = files
    ours = {(f, int(n)) for *_, f, n in truth}
    others = [r for k, r in lines.items() if k not in ours]
    names = {_upper(p["birth_name"]) for p in patients.values()}
    births = {p["birth_date"].replace("-", "") for p in patients.values()}
    pairs = {
        (_upper(p["birth_name"]), p["birth_date"].replace("-", ""))
        for p in patients.values()
    }
    same_name = sum(r["surname"] in names for r in others)
    same_birth = sum(r["birth_date"] in births for r in others)
    both = sum((r["surname"], r["birth_date"]) in pairs for r in others)
    like = insee_rates().non_patients_like_a_patient
    assert same_name >= (like.surname + like.surname_and_birth_date) * len(others) / 2
    assert (
        same_birth >= (like.birth_date + like.surname_and_birth_date) * len(others) / 2
    )
    assert both >= like.surname_and_birth_date * len(others) / 2 > 0
    abroad = [r for r in others if r["birthplace_code"].startswith("99")]
    assert abroad and all(r["birth_country"] for r in abroad)


def test_a_chunk_without_outside_deaths_writes_empty_files(tmp_path):
    start, end = (
        np.datetime64(d, "D").astype(int) for d in ("2024-01-01", "2025-12-31")
    )
    settings = Settings(3, 2, int(start), int(end), tuple(load_modules()), notes=False)
    lines = death_records(settings, 0, make_chunk(settings, 0))
    assert len(lines) == 0
    pq.write_table(lines, tmp_path / "part-000000.parquet")
    truth = write_death_files(tmp_path, tmp_path / "raw", (2024, 2025))
    assert len(truth) == 0
    assert {p.name: p.read_bytes() for p in (tmp_path / "raw").iterdir()} == {
        "deces-2024.txt": b"",
        "deces-2025.txt": b"",
    }
