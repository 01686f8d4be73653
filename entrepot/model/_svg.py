"""Small inline SVG charts for the model report: lines and horizontal bars,
with axes from 0 to 1 (or the data's range), no plotting library needed.
Every text is escaped."""

from __future__ import annotations

from html import escape

WIDTH, HEIGHT, PAD = 360, 260, 44
COLOURS = ("#1f5fa8", "#c0392b", "#7f8c8d", "#27ae60")


def line_chart(
    title: str,
    series: list[tuple[str, list[tuple[float, float]]]],
    x_label: str,
    y_label: str,
    y_range: tuple[float, float] = (0.0, 1.0),
) -> str:
    """Lines through (x, y) points, x from 0 to 1; `series` is (name, points)."""
    lo, hi = y_range
    span = (hi - lo) or 1.0

    def at(x: float, y: float) -> str:
        px = PAD + x * (WIDTH - 2 * PAD)
        py = HEIGHT - PAD - (min(max(y, lo), hi) - lo) / span * (HEIGHT - 2 * PAD)
        return f"{px:.1f},{py:.1f}"

    lines = [
        f'<polyline fill="none" stroke="{COLOURS[i % len(COLOURS)]}" '
        f'stroke-width="2" points="{" ".join(at(x, y) for x, y in points)}">'
        f"<title>{escape(name)}</title></polyline>"
        for i, (name, points) in enumerate(series)
        if points
    ]
    legend = [
        f'<text x="{PAD + 8}" y="{PAD + 14 * (i + 1)}" font-size="11" '
        f'fill="{COLOURS[i % len(COLOURS)]}">{escape(name)}</text>'
        for i, (name, _) in enumerate(series)
    ]
    ticks = [
        f'<text x="{PAD - 6}" y="{HEIGHT - PAD + 4}" font-size="10" '
        f'text-anchor="end">{lo:g}</text>',
        f'<text x="{PAD - 6}" y="{PAD + 4}" font-size="10" text-anchor="end">{hi:g}</text>',
        f'<text x="{PAD}" y="{HEIGHT - PAD + 14}" font-size="10">0</text>',
        f'<text x="{WIDTH - PAD}" y="{HEIGHT - PAD + 14}" font-size="10" '
        'text-anchor="end">1</text>',
    ]
    return _frame(title, x_label, y_label, lines + legend + ticks)


def bar_chart(title: str, bars: list[tuple[str, float]], x_label: str) -> str:
    """Horizontal bars, longest first as given; values of 0 or more."""
    top = max((v for _, v in bars), default=0) or 1.0
    row = 18
    height = PAD + row * len(bars) + PAD
    items = []
    for i, (name, value) in enumerate(bars):
        y = PAD + i * row
        length = value / top * (WIDTH - 2 * PAD - 110)
        items.append(
            f'<text x="{PAD + 104}" y="{y + 12}" font-size="10" text-anchor="end">'
            f"{escape(_short(name))}</text>"
            f'<rect x="{PAD + 110}" y="{y + 3}" width="{length:.1f}" height="{row - 6}" '
            f'fill="{COLOURS[0]}"><title>{escape(name)}: {value:.4g}</title></rect>'
        )
    return _frame(title, x_label, "", items, height)


def _short(name: str, size: int = 22) -> str:
    return name if len(name) <= size else name[: size - 1] + "…"


def _frame(title: str, x_label: str, y_label: str, body: list[str], height=HEIGHT):
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{WIDTH}" '
        f'height="{height}" viewBox="0 0 {WIDTH} {height}">'
        f"<title>{escape(title)}</title>"
        f'<text x="{WIDTH / 2}" y="16" font-size="13" text-anchor="middle">'
        f"{escape(title)}</text>"
        f'<line x1="{PAD}" y1="{height - PAD}" x2="{WIDTH - PAD}" y2="{height - PAD}" '
        'stroke="#333"/>'
        f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{height - PAD}" stroke="#333"/>'
        f'<text x="{WIDTH / 2}" y="{height - 8}" font-size="11" text-anchor="middle">'
        f"{escape(x_label)}</text>"
        f'<text x="12" y="{height / 2}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 12 {height / 2})">{escape(y_label)}</text>'
        + "".join(body)
        + "</svg>"
    )
