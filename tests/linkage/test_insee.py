"""INSEE's death file format (entrepot.linkage): hand-written lines in the
official layout, read back, refused, and written."""

from __future__ import annotations

import datetime as dt
import time

import pyarrow as pa
import pytest

from entrepot.errors import InputFileError
from entrepot.linkage import read_insee_deaths, write_insee_deaths


def line(names, sex, birth, code, commune, country, death, place, act, tail=""):
    """A line as INSEE writes it, field by field at its width."""
    return (
        f"{names:<80}{sex}{birth}{code:<5}{commune:<30}{country:<30}"
        f"{death}{place:<5}{act:<9}{tail}"
    )


DUPONT = line(
    "DUPONT*MARIE CLAIRE  ANNE/",
    "2",
    "19380400",
    "59350",
    "LILLE",
    "",
    "20230114",
    "75113",
    "123",
)
NGUYEN = line(
    "NGUYEN*VAN/",
    "1",
    "19450912",
    "99243",
    "HANOI",
    "VIET NAM",
    "20230102",
    "93048",
    "A0042",
    tail="   xx",
)
ABROAD_UNKNOWN = line(
    "MARTIN*/", "1", "00000000", "99350", "", "MAROC", "20230130", "94028", "7"
)


def test_the_official_layout_is_read_field_by_field(tmp_path):
    assert len(DUPONT) == 176
    path = tmp_path / "deces-2023-m01.txt"
    path.write_text("\n".join([DUPONT, NGUYEN, ABROAD_UNKNOWN]) + "\n")
    rows, rejected = read_insee_deaths(path)
    assert rejected == []
    first = rows.to_pylist()[0]
    assert first == {
        "file": "deces-2023-m01.txt",
        "line": 1,
        "surname": "DUPONT",
        "first_names": "MARIE CLAIRE ANNE",
        "sex": "F",
        "birth_date": "19380400",
        "birth_year": 1938,
        "birth_month": 4,
        "birth_day": None,
        "birthplace_code": "59350",
        "birthplace_name": "LILLE",
        "birth_country": None,
        "death_date": dt.date(2023, 1, 14),
        "death_place_code": "75113",
        "certificate": "123",
    }
    # characters after the last field are not significant (INSEE's note)
    assert rows["certificate"].to_pylist() == ["123", "A0042", "7"]
    assert rows["birth_country"].to_pylist() == [None, "VIET NAM", "MAROC"]
    assert rows["sex"].to_pylist() == ["F", "M", "M"]
    third = rows.to_pylist()[2]
    assert (third["first_names"], third["birth_year"], third["birth_month"]) == (
        None,
        None,
        None,
    )


def test_bad_lines_are_rejected_with_their_number_and_reason(tmp_path):
    path = tmp_path / "deces.txt"
    wrong_date = DUPONT.replace("20230114", "20230231")
    path.write_text("\n".join([DUPONT, DUPONT[:150], wrong_date, NGUYEN, ""]) + "\n")
    rows, rejected = read_insee_deaths(path)
    assert rows["line"].to_pylist() == [1, 4]
    assert [(r.file, r.line) for r in rejected] == [
        ("deces.txt", 2),
        ("deces.txt", 3),
        ("deces.txt", 5),
    ]
    assert rejected[0].reason == "line of 150 characters, 176 expected"
    assert rejected[1].reason == "death date '20230231' is not a date"


def test_a_file_of_another_format_is_one_error_naming_its_first_line(tmp_path):
    path = tmp_path / "deces-2023.csv"
    path.write_text('"nomprenom";"sexe"\n"DUPONT*MARIE/";"2"\n')
    with pytest.raises(InputFileError, match=r"deces-2023.csv:1: not an INSEE death"):
        read_insee_deaths(path)
    with pytest.raises(InputFileError, match="no such INSEE death file"):
        read_insee_deaths(tmp_path / "missing.txt")


def test_utf8_and_latin1_files_and_windows_line_ends(tmp_path):
    accented = line(
        "LEFÈVRE*HÉLÈNE/",
        "2",
        "19500101",
        "75056",
        "PARIS",
        "",
        "20230105",
        "75056",
        "9",
    )
    for encoding in ("utf-8", "latin-1"):
        path = tmp_path / f"deces-{encoding}.txt"
        path.write_bytes((accented + "\r\n" + DUPONT + "\r\n").encode(encoding))
        rows, rejected = read_insee_deaths(path)
        assert rejected == []
        assert rows["surname"].to_pylist() == ["LEFÈVRE", "DUPONT"]
        assert rows["first_names"].to_pylist()[0] == "HÉLÈNE"


def test_the_writer_writes_the_layout_the_reader_reads(tmp_path):
    path = tmp_path / "out.txt"
    written = write_insee_deaths(
        [
            {
                "surname": "Lefèvre",
                "first_names": "Hélène Marie",
                "sex": "F",
                "birth_date": "19500100",
                "birthplace_code": "75056",
                "birthplace_name": "Paris",
                "birth_country": None,
                "death_date": dt.date(2023, 1, 5),
                "death_place_code": "75056",
                "certificate": "12",
            }
        ],
        path,
    )
    assert written == 1
    text = path.read_text()
    assert (
        text
        == line(
            "LEFEVRE*HELENE MARIE/",
            "2",
            "19500100",
            "75056",
            "PARIS",
            "",
            "20230105",
            "75056",
            "12",
        )
        + "\n"
    )
    rows, _ = read_insee_deaths(path)
    assert rows.to_pylist()[0]["birth_month"] == 1
    assert rows.to_pylist()[0]["birth_day"] is None


def test_a_million_lines_are_read_in_seconds(tmp_path):
    path = tmp_path / "deces-big.txt"
    n = 1_000_000
    path.write_text((DUPONT + "\n" + NGUYEN + "\n") * (n // 2))
    started = time.process_time()  # CPU time: the test machine is shared
    rows, rejected = read_insee_deaths(path)
    seconds = time.process_time() - started
    assert (len(rows), rejected) == (n, [])
    assert rows["line"][-1].as_py() == n
    assert rows.schema.field("death_date").type == pa.date32()
    assert seconds < 10, f"{seconds:.1f} s"
