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
