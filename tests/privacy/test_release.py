"""Differencing: two overlapping counts whose difference isolates one person."""

import pytest

from entrepot.privacy import mask_count, release_count

DIABETICS = list(range(1, 101))
TARGET = 57  # the attacker knows she is diabetic, and wants to know about HIV
OTHERS = list(range(200, 215))  # 15 patients the attacker uses as padding


@pytest.fixture
def wh(make_warehouse):
    """An empty warehouse on each engine."""
    return make_warehouse("w")


def _worlds(query):
    """The answers of one attack in the world where the target has HIV and
    the one where she does not: the attack works when they differ."""
    return [query(has_hiv) for has_hiv in (True, False)]


def _undefended(has_hiv: bool) -> list:
    hiv = {TARGET} if has_hiv else set()
    first = mask_count(len(DIABETICS))
    second = mask_count(len(set(DIABETICS) - hiv))  # "diabetics without HIV"
    return [first, second]


def test_without_the_defence_the_difference_tells_who_has_hiv():
    with_hiv, without = _worlds(_undefended)
    assert with_hiv == [100, 99] and without == [100, 100]


def _defended(wh, padded: bool):
    def query(has_hiv: bool) -> list:
        project = f"p-{has_hiv}-{padded}"
        hiv = {TARGET} if has_hiv else set()
        answers = [release_count(wh, project, DIABETICS, 10)]
        if padded:
            answers.append(release_count(wh, project, OTHERS, 10))
        second = (set(DIABETICS) | (set(OTHERS) if padded else set())) - hiv
        answers.append(release_count(wh, project, second, 10))
        return answers

    return query


@pytest.mark.parametrize("padded", [False, True], ids=["direct", "padded"])
def test_with_the_defence_both_worlds_get_the_same_answers(wh, padded):
    with_hiv, without = _worlds(_defended(wh, padded))
    assert with_hiv == without
    assert without == ([100, 15, 115] if padded else [100, 100])


def test_disjoint_counts_are_exact_and_small_ones_masked(wh):
    assert release_count(wh, "p", DIABETICS, 10) == 100
    assert release_count(wh, "p", range(300, 350), 10) == 50
    assert release_count(wh, "p", [400, 401, 402], 10) == "<10"
    rows = wh.table("released_persons").to_pyarrow()
    assert rows.num_rows == 150  # the masked count is not remembered
    assert release_count(wh, "other project", [*DIABETICS[:-1]], 10) == 99
    actions = wh.table("audit_log").action.to_pyarrow().to_pylist()
    assert actions.count("release.count") == 4
