"""Kaplan-Meier curves as an inline SVG, written by hand (no script, no
library): one step line per cluster, its 95 % interval shaded."""

from __future__ import annotations

from html import escape

PALETTE = ("#0b5cad", "#b42318", "#067647", "#8e6c8a", "#b54708", "#4f9da6")
WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM = 640, 300, 48, 110, 12, 36


def survival_svg(curves: dict[str, dict], title: str) -> str:
    """`curves`: {name: {"times", "survival", "ci_low", "ci_high"}} (years;
    None where a curve stops)."""
    longest = max((t for c in curves.values() for t in c["times"]), default=1) or 1

    def x(t: float) -> float:
        return LEFT + (WIDTH - LEFT - RIGHT) * t / longest

    def y(s: float) -> float:
        return TOP + (HEIGHT - TOP - BOTTOM) * (1 - s)

    body = [
        f'<line x1="{LEFT}" y1="{y(0)}" x2="{x(longest)}" y2="{y(0)}" stroke="#5b6775"/>',
        f'<line x1="{LEFT}" y1="{y(0)}" x2="{LEFT}" y2="{y(1)}" stroke="#5b6775"/>',
    ]
    for s in (0, 0.25, 0.5, 0.75, 1):
        body.append(
            f'<text x="{LEFT - 6}" y="{y(s) + 4:.1f}" text-anchor="end">{s:.0%}</text>'
        )
    for t in range(int(longest) + 1):
        body.append(
            f'<text x="{x(t):.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="middle">{t}</text>'
        )
    body.append(
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 4}" '
        'text-anchor="middle">années depuis la date index</text>'
    )
    for i, (name, curve) in enumerate(curves.items()):
        color = PALETTE[i % len(PALETTE)]
        points = [
            (t, s, lo, hi)
            for t, s, lo, hi in zip(
                curve["times"],
                curve["survival"],
                curve["ci_low"],
                curve["ci_high"],
                strict=True,
            )
            if s is not None
        ]
        if not points:
            continue
        line = _steps([(t, s) for t, s, _, _ in points], x, y)
        band = (
            _steps([(t, hi) for t, _, _, hi in points], x, y)
            + " "
            + " ".join(
                reversed(_steps([(t, lo) for t, _, lo, _ in points], x, y).split())
            )
        )
        body.append(f'<polygon points="{band}" fill="{color}" opacity="0.12"/>')
        body.append(
            f'<polyline points="{line}" fill="none" stroke="{color}" stroke-width="2">'
            f"<title>{escape(name)}</title></polyline>"
        )
        ly = TOP + 16 * i + 8
        body.append(
            f'<line x1="{WIDTH - RIGHT + 12}" y1="{ly}" x2="{WIDTH - RIGHT + 32}" '
            f'y2="{ly}" stroke="{color}" stroke-width="2"/>'
            f'<text x="{WIDTH - RIGHT + 36}" y="{ly + 4}">{escape(name)}</text>'
        )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}" '
        f'font-family="sans-serif" font-size="11"><title>{escape(title)}</title>'
        f"{''.join(body)}</svg>"
    )


def _steps(points: list[tuple[float, float]], x, y) -> str:
    """A step line through (time, value): flat until the next time."""
    coords = []
    for i, (t, s) in enumerate(points):
        if i:
            coords.append(f"{x(t):.1f},{y(points[i - 1][1]):.1f}")
        coords.append(f"{x(t):.1f},{y(s):.1f}")
    return " ".join(coords)
