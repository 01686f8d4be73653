"""The release gate's attrition: no step's losses can be worked out small."""

from __future__ import annotations

from entrepot.privacy import Decision


def _decision(mask_below: int | None) -> Decision:
    return Decision("u", "researcher", "count", "p", None, mask_below)


def _steps(*persons: int) -> list[dict]:
    return [
        {"rule": f"r{i}", "persons": n, "entries": n} for i, n in enumerate(persons)
    ]


def test_a_step_losing_one_to_nine_is_hidden():
    shown = _decision(10).attrition(_steps(120, 119, 100, 100, 95, 7))
    assert [s["persons"] for s in shown] == [120, "*", 100, 100, "*", "<10"]
    # every shown pair differs by 0 or 10 at least
    kept = [s["persons"] for s in shown if isinstance(s["persons"], int)]
    assert all(a - b == 0 or a - b >= 10 for a, b in zip(kept, kept[1:], strict=False))


def test_a_hidden_step_is_compared_with_the_last_shown_one():
    shown = _decision(10).attrition(_steps(120, 115, 111, 109))
    assert [s["persons"] for s in shown] == [120, "*", "*", 109]


def test_rows_read_as_they_are():
    steps = _steps(120, 119, 3)
    assert _decision(None).attrition(steps) == steps


def test_the_last_step_tells_nothing_the_released_count_hides():
    """The differencing defence released 100 persons for a cohort that lost
    her at its last rule (99): shown as they are, the steps would end on 99,
    or on a hidden loss the world where she stays in would not show. Both
    worlds must read the same steps."""
    lost = _decision(10).attrition(_steps(120, 100, 99), released=100)
    kept = _decision(10).attrition(_steps(120, 100, 100), released=100)
    assert [s["persons"] for s in lost] == [s["persons"] for s in kept]
    assert [s["persons"] for s in lost] == [120, 100, 100]


def test_persons_moved_out_of_the_count_leave_every_step():
    """The defence took one person out of a count of 101 (100 released):
    every step holds the cohort's persons, so every step loses her, and no
    step's difference to the released count gives 101 back."""
    shown = _decision(10).attrition(_steps(130, 111, 101), released=100)
    assert [s["persons"] for s in shown] == [129, 110, 100]
    small = _decision(10).attrition(_steps(30, 10), released=9)
    assert [s["persons"] for s in small] == [29, "<10"]
