"""Charts drawn on the server as inline SVG (PL-05): no JavaScript, no CDN, the same markup in the page and the PDF.

Each chart carries a <title> and a <desc> (what it shows, in words, with its figures) and is labelled by them,
so a screen reader announces it; the page shows the same figures as a table next to it. Colours come with
a second cue (value labels, dashes), never alone.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

PALETTE = ("#1f5fa8", "#c4501b", "#2e7d32", "#6a3d9a", "#8d6e00", "#00838f")
DASHES = ("", "6 4", "2 3", "8 3 2 3", "1 0", "4 2")
FONT = 'font-family="DejaVu Sans, Arial, sans-serif"'
_ids = itertools.count(1)


@dataclass(frozen=True)
class Series:
    """One line of a line chart: its name and one value per x label."""

    name: str
    values: Sequence[float]


def nice_ceiling(value: float) -> float:
    """The smallest 1, 2, 2.5 or 5 times 10^n at or above `value` (at least 1), for a readable axis."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover


def _number(value: float) -> str:
    return f"{value:g}"


def _frame(width: int, height: int, title: str, desc: str, body: list[str], chart_id: str | None) -> SafeString:
    uid = chart_id or f"chart{next(_ids)}"
    return mark_safe(  # noqa: S308 -- every text below is escaped
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" aria-labelledby="{uid}-title {uid}-desc" {FONT} font-size="12">'
        f'<title id="{uid}-title">{escape(title)}</title><desc id="{uid}-desc">{escape(desc)}</desc>'
        + "".join(body)
        + "</svg>"
    )


def bar_chart(
    data: Sequence[tuple[str, float]], *, title: str, unit: str = "", width: int = 640, chart_id: str | None = None
) -> SafeString:
    """Horizontal bars, one per (label, value), each with its value written at its end."""
    label_width, row, top, bottom = 190, 26, 8, 24
    plot = width - label_width - 60
    height = top + bottom + row * max(len(data), 1)
    ceiling = nice_ceiling(max((v for _l, v in data), default=0))
    desc = "; ".join(f"{label}: {_number(value)}{(' ' + unit) if unit else ''}" for label, value in data) or "—"
    body = [f'<line x1="{label_width}" y1="{top}" x2="{label_width}" y2="{height - bottom}" stroke="#555"/>']
    for i, (label, value) in enumerate(data):
        y = top + i * row
        length = plot * value / ceiling if ceiling else 0
        shown = label if len(label) <= 30 else label[:29] + "…"
        body.append(
            f'<text x="{label_width - 6}" y="{y + row / 2 + 4}" text-anchor="end" fill="#222">{escape(shown)}</text>'
            f'<rect x="{label_width}" y="{y + 4}" width="{length:.1f}" height="{row - 8}" '
            f'fill="{PALETTE[i % len(PALETTE)] if len(data) <= len(PALETTE) else PALETTE[0]}"/>'
            f'<text x="{label_width + length + 4:.1f}" y="{y + row / 2 + 4}" fill="#222">{_number(value)}</text>'
        )
    for fraction in (0, 0.5, 1):
        x = label_width + plot * fraction
        body.append(
            f'<text x="{x:.1f}" y="{height - 6}" text-anchor="middle" fill="#555" font-size="10">'
            f"{_number(ceiling * fraction)}</text>"
        )
    return _frame(width, height, title, desc, body, chart_id)


def line_chart(
    labels: Sequence[str],
    series: Sequence[Series],
    *,
    title: str,
    width: int = 640,
    height: int = 260,
    chart_id: str | None = None,
) -> SafeString:
    """One line per series over the x labels (months, say), with a legend; every n-th x label is written."""
    left, right, top, bottom, legend = 40, 28, 12, 36, 20
    plot_w, plot_h = width - left - right, height - top - bottom - legend
    ceiling = nice_ceiling(max((v for s in series for v in s.values), default=0))
    n = max(len(labels), 1)
    step_x = plot_w / max(n - 1, 1)

    def point(i: int, value: float) -> tuple[float, float]:
        return left + i * step_x, top + plot_h - plot_h * value / ceiling

    desc_parts = []
    for s in series:
        total = sum(s.values)
        peaks = [f"{labels[i]}: {_number(v)}" for i, v in enumerate(s.values) if v]
        desc_parts.append(f"{s.name}: {_number(total)} in all" + (f" ({', '.join(peaks)})" if peaks else ""))
    body = []
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        y = top + plot_h - plot_h * fraction
        body.append(
            f'<line x1="{left}" y1="{y:.1f}" x2="{width - right}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{left - 4}" y="{y + 4:.1f}" text-anchor="end" fill="#555" font-size="10">'
            f"{_number(round(ceiling * fraction, 2))}</text>"
        )
    every = max(1, math.ceil(n / 8))
    for i, label in enumerate(labels):
        if i % every == 0 or i == n - 1:
            x = left + i * step_x
            body.append(
                f'<text x="{x:.1f}" y="{top + plot_h + 14}" text-anchor="middle" fill="#555" font-size="10">'
                f"{escape(label)}</text>"
            )
    for k, s in enumerate(series):
        colour, dash = PALETTE[k % len(PALETTE)], DASHES[k % len(DASHES)]
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in (point(i, v) for i, v in enumerate(s.values)))
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        body.append(f'<polyline points="{points}" fill="none" stroke="{colour}" stroke-width="2"{dash_attr}/>')
        for i, v in enumerate(s.values):
            if v:
                x, y = point(i, v)
                body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}"/>')
        lx = left + k * 170
        ly = height - 8
        body.append(
            f'<line x1="{lx}" y1="{ly - 4}" x2="{lx + 24}" y2="{ly - 4}" stroke="{colour}" '
            f'stroke-width="2"{dash_attr}/>'
            f'<text x="{lx + 30}" y="{ly}" fill="#222">{escape(s.name)}</text>'
        )
    return _frame(width, height, title, "; ".join(desc_parts) or "—", body, chart_id)
