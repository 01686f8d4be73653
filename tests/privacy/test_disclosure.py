import pytest

from entrepot.privacy import mask_count, mask_counts, mask_fields, suppress

#: A cohort's "Table 1": age band x sex. Two cells are small.
TABLE_1 = {
    "0-17": {"F": 3, "M": 40},
    "18-44": {"F": 25, "M": 31},
    "45-64": {"F": 52, "M": 47},
    "65+": {"F": 12, "M": 2},
}


def test_small_counts_are_shown_below_the_threshold():
    assert [mask_count(n) for n in (0, 1, 9, 10)] == [0, "<10", "<10", 10]
    assert mask_count(4, threshold=5) == "<5"
    assert mask_counts({"persons": 7, "sex": {"F": 3, "M": 30}, "name": "x"}) == {
        "persons": "<10",
        "sex": {"F": "<10", "M": 30},
        "name": "x",
    }


def _shown(table) -> dict:
    """Every cell as published, totals included: (row, column) -> value."""
    return {(r, c): v for r, row in table.items() for c, v in row.items()}


def recover(shown: dict, threshold: int = 10) -> dict:
    """The attacker: every value a published table allows for each hidden cell.

    Hidden cells are "<10" (1 to 9) or "*" (at least 10, at most the largest
    total); every row and column adds up to its total.
    """
    rows = sorted({r for r, _ in shown})
    columns = sorted({c for _, c in shown})
    hidden = [k for k, v in shown.items() if isinstance(v, str)]
    ceiling = max(v for v in shown.values() if isinstance(v, int))
    ranges = {
        k: range(1, threshold)
        if shown[k].startswith("<")
        else range(threshold, ceiling + 1)
        for k in hidden
    }
    small = [k for k in hidden if shown[k].startswith("<")]
    others = [k for k in hidden if k not in small]
    lines = _lines(rows, columns)
    possible = {k: set() for k in hidden}

    def search(i: int, known: dict) -> None:
        """Try each value of the i-th small cell, dropping a branch as soon as
        some line's total is out of reach (the same solutions, far fewer tried)."""
        if not _reachable(shown, known, ranges, lines):
            return
        if i == len(small):
            for solution in _solve(shown, known, others, lines):
                if all(solution[k] in ranges[k] for k in others):
                    for k in hidden:
                        possible[k].add(solution[k])
            return
        for value in ranges[small[i]]:
            search(i + 1, known | {small[i]: value})

    search(0, {})
    return possible


def _lines(rows, columns) -> list:
    """Each row and column: its cells, and its total."""
    lines = [([(r, c) for c in columns if c != "total"], (r, "total")) for r in rows]
    return lines + [
        ([(r, c) for r in rows if r != "total"], ("total", c)) for c in columns
    ]


def _reachable(shown, known, ranges, lines) -> bool:
    """Whether every line can still add up to its total, each unknown cell
    anywhere in its range."""

    def bounds(k):
        value = shown[k] if isinstance(shown[k], int) else known.get(k)
        return (value, value) if value is not None else (ranges[k][0], ranges[k][-1])

    for members, total in lines:
        low = sum(bounds(m)[0] for m in members)
        high = sum(bounds(m)[1] for m in members)
        least, most = bounds(total)
        if high < least or low > most:
            return False
    return True


def _solve(shown, known, unknown, lines):
    """Fill `unknown` cells from lines with one unknown left (peeling), then
    enumerate what remains (none in these tables)."""
    cells = {k: v for k, v in shown.items() if isinstance(v, int)} | known
    left = list(unknown)
    moved = True
    while left and moved:
        moved = False
        for members, total in lines:
            missing = [k for k in [*members, total] if k not in cells]
            if len(missing) == 1:
                k = missing[0]
                others = sum(cells[m] for m in members if m != k)
                cells[k] = others if k == total else cells[total] - others
                left.remove(k)
                moved = True
    if not left and all(
        sum(cells[m] for m in members) == cells[total] for members, total in lines
    ):
        yield cells


def test_masking_small_cells_alone_lets_totals_give_them_back():
    naive = {
        r: {c: mask_count(v) for c, v in row.items()} for r, row in TABLE_1.items()
    }
    for r, row in TABLE_1.items():
        naive[r]["total"] = sum(row.values())
    naive["total"] = {c: sum(TABLE_1[r][c] for r in TABLE_1) for c in ("F", "M")}
    naive["total"]["total"] = sum(naive["total"].values())
    possible = recover(_shown(naive))
    assert possible[("0-17", "F")] == {3} and possible[("65+", "M")] == {2}


def test_complementary_suppression_leaves_every_small_cell_unknown():
    published = suppress(TABLE_1).to_dict()
    assert published["0-17"]["F"] == "<10" and published["65+"]["M"] == "<10"
    assert published["total"]["total"] == 212  # margins stay published
    assert sum(isinstance(v, str) for v in _shown(published).values()) > 2
    possible = recover(_shown(published))
    assert possible[("0-17", "F")] == set(range(1, 10))
    assert possible[("65+", "M")] == set(range(1, 10))


def test_a_small_total_is_masked_and_protected():
    published = suppress(
        {"A": {"F": 4, "M": 3}, "B": {"F": 30, "M": 41}, "C": {"F": 25, "M": 28}}
    )
    assert published.row_totals["A"] == "<10"
    assert published.cells["A"] == {"F": "<10", "M": "<10"}
    shown = _shown(published.to_dict())
    possible = recover(shown)
    # a total of at most 9 made of two cells of at least 1: F, M <= 8 anyway
    assert possible[("A", "F")] == possible[("A", "M")] == set(range(1, 9))
    assert len(possible[("A", "total")]) > 1


def test_one_column_counts_and_threshold():
    published = suppress({"female": 12, "male": 30, "unknown": 3}, threshold=5)
    assert published.cells["unknown"] == {"count": "<5"}
    assert published.total == 45
    assert published.cells["female"]["count"] == "*"  # the complement


@pytest.mark.parametrize("threshold", [1, 2])
def test_a_low_threshold_hides_nothing_it_need_not(threshold):
    published = suppress(TABLE_1, threshold=threshold)
    assert published.hidden == []


def test_a_total_published_elsewhere_is_never_hidden_and_still_protects():
    """A cohort's count is in its list: Table 1 cannot hide it, so it hides
    other cells ("total 10: 18-44 = 8, 45-64 = 2" with the total known)."""
    table = {
        "18-44": {"F": 5, "M": 3},
        "45-64": {"F": 1, "M": 1},
        "65+": {"F": 0, "M": 0},
    }
    plain = suppress(table)
    public = suppress(table, public_total=True)
    assert public.total == 10
    assert plain.total == "*"  # without the flag the total was the complement
    possible = recover(_shown(public.to_dict()))
    for key in [("18-44", "M"), ("45-64", "F"), ("45-64", "M"), ("45-64", "total")]:
        assert len(possible[key]) > 1, key


def test_counts_about_masked_persons_are_hidden_with_them():
    from entrepot.privacy import mask_with_persons

    assert mask_with_persons({"notes": 17, "persons": 2}, 10) == {
        "notes": "*",
        "persons": "<10",
    }
    assert mask_with_persons({"notes": 3, "persons": 2}, 10) == {
        "notes": "<10",
        "persons": "<10",
    }
    assert mask_with_persons({"notes": 40, "persons": 12}, 10) == {
        "notes": 40,
        "persons": 12,
    }
    assert mask_with_persons({"notes": 0, "persons": 0}, 10) == {
        "notes": 0,
        "persons": 0,
    }


def test_statistics_computed_from_a_masked_count_are_hidden_with_it():
    rows = {
        "cases": 240,
        "drugs": [
            {"cases_exposed": 4, "ror": 6.2, "ror_ci": [1.8, 21.0], "signal": True},
            {"cases_exposed": 31, "ror": 2.5, "ror_ci": [1.4, 4.4], "signal": True},
        ],
    }
    shown = mask_fields(rows, {"cases", "cases_exposed"}, 10, {"ror", "ror_ci"})
    assert shown == {
        "cases": 240,
        "drugs": [
            {"cases_exposed": "<10", "ror": "*", "ror_ci": "*", "signal": True},
            {"cases_exposed": 31, "ror": 2.5, "ror_ci": [1.4, 4.4], "signal": True},
        ],
    }
    assert mask_fields(rows, {"cases_exposed"}, 10)["drugs"][0]["ror"] == 6.2
