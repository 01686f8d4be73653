"""Small inline SVG plots, written by hand: no library, no CDN, no script."""

from __future__ import annotations

from html import escape

PALETTE = (
    "#3b6ea5",
    "#c8553d",
    "#5b8c5a",
    "#8e6c8a",
    "#d4a72c",
    "#4f9da6",
    "#7a7a7a",
    "#b5651d",
)


def _number(value) -> float:
    """A plotted count: masked counts ("<10") are drawn as 0."""
    return float(value) if isinstance(value, int | float) else 0.0


def _svg(width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" '
        'font-family="sans-serif" font-size="11">'
        f"<title>{escape(title)}</title>{''.join(body)}</svg>"
    )


def age_pyramid(rows: list[dict], title: str = "Age pyramid") -> str:
    """Persons per age band: women to the right, men to the left."""
    bands = sorted(
        {r["age_band"] for r in rows}, key=lambda b: int(b.split("-")[0].rstrip("+"))
    )
    sexes = sorted({r["sex"] for r in rows})
    left, right = (sexes + ["", ""])[:2]
    count = {(r["age_band"], r["sex"]): _number(r["persons"]) for r in rows}
    top = max(count.values(), default=1) or 1
    width, half, bar = 560, 220, 18
    height = 30 + bar * len(bands)
    mid = width // 2
    body = [
        f'<text x="{mid - half}" y="14">{escape(left)}</text>',
        f'<text x="{mid + half}" y="14" text-anchor="end">{escape(right)}</text>',
    ]
    for i, band in enumerate(reversed(bands)):
        y = 22 + i * bar
        for sex, sign, color in ((left, -1, PALETTE[0]), (right, 1, PALETTE[1])):
            n = count.get((band, sex), 0.0)
            w = half * n / top
            x = mid - w if sign < 0 else mid
            body.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{bar - 3}" fill="{color}"><title>{escape(sex)} {band}: {n:g}</title></rect>'
            )
        body.append(
            f'<text x="{mid}" y="{y + 12}" text-anchor="middle" fill="#fff" font-weight="bold" stroke="#333" stroke-width="0.3">{band}</text>'
        )
    return _svg(width, height, body, title)


def lines(series: dict[str, list[tuple[int, float]]], title: str, y_label: str) -> str:
    """One line per series (records per year per domain), with a legend."""
    points = [p for s in series.values() for p in s]
    if not points:
        return ""
    xs = [p[0] for p in points]
    x0, x1 = min(xs), max(xs)
    top = max(_number(p[1]) for p in points) or 1
    width, height, pad = 640, 260, 50

    def sx(x):
        return pad + (width - 2 * pad) * ((x - x0) / ((x1 - x0) or 1))

    def sy(y):
        return height - 30 - (height - 60) * (_number(y) / top)

    body = [
        f'<line x1="{pad}" y1="{height - 30}" x2="{width - pad}" y2="{height - 30}" stroke="#999"/>',
        f'<text x="{pad}" y="14">{escape(y_label)} (max {top:,.0f})</text>',
        f'<text x="{pad}" y="{height - 12}">{x0}</text>',
        f'<text x="{width - pad}" y="{height - 12}" text-anchor="end">{x1}</text>',
    ]
    for i, (name, values) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in sorted(values))
        body.append(
            f'<polyline points="{path}" fill="none" stroke="{color}" stroke-width="2"><title>{escape(name)}</title></polyline>'
        )
        body.append(
            f'<text x="{width - pad + 4}" y="{30 + 14 * i}" fill="{color}">{escape(name)}</text>'
        )
    return _svg(width + 110, height, body, title)


def box_plots(rows: list[dict], title: str) -> str:
    """One horizontal box per lab test: 5th, 25th, 50th, 75th and 95th percentiles,
    each on its own scale (units differ), min and max as labels."""
    rows = [r for r in rows if r.get("p50") is not None]
    if not rows:
        return ""
    width, label, bar = 680, 300, 22
    height = 10 + bar * len(rows)
    span = width - label - 90
    body = []
    for i, r in enumerate(rows):
        y = 6 + i * bar
        low, high = r["p05"], r["p95"]

        def sx(v, low=low, high=high):
            return label + span * ((v - low) / ((high - low) or 1))

        name = f"{r['test']}"[:44] + (f" ({r['unit']})" if r.get("unit") else "")
        body.append(f'<text x="0" y="{y + 13}">{escape(name[:58])}</text>')
        body.append(
            f'<line x1="{sx(low):.1f}" y1="{y + 9}" x2="{sx(high):.1f}" y2="{y + 9}" stroke="#555"/>'
        )
        body.append(
            f'<rect x="{sx(r["p25"]):.1f}" y="{y + 2}" width="{max(sx(r["p75"]) - sx(r["p25"]), 1):.1f}" height="14" fill="{PALETTE[0]}" opacity="0.7"/>'
        )
        body.append(
            f'<line x1="{sx(r["p50"]):.1f}" y1="{y + 1}" x2="{sx(r["p50"]):.1f}" y2="{y + 17}" stroke="#000" stroke-width="2"/>'
        )
        body.append(
            f'<text x="{label + span + 6}" y="{y + 13}" fill="#555">{low:g}–{high:g}</text>'
        )
    return _svg(width, height, body, title)
