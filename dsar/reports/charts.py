"""Bar charts as inline SVG, drawn on the server (the CSP allows no inline script, and no
chart library is needed for two bar charts). Every number is also in a table beside the
chart, and each bar carries a <title> for a tooltip and for screen readers.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from markupsafe import Markup, escape

from dsar.reports.figures import Attainment

#: One colour per request type (colour-blind-safe Okabe–Ito palette) and for attainment.
TYPE_COLOURS = {
    "access": "#0072B2", "portability": "#56B4E9", "erasure": "#D55E00", "rectification": "#009E73",
    "restriction": "#E69F00", "objection": "#CC79A7", "withdraw_consent": "#F0E442", "opt_out": "#000000",
}
ON_TIME, LATE = "#1f7a3a", "#b3261e"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class Segment:
    label: str
    value: int
    colour: str


def stacked_bars(title: str, bars: Sequence[tuple[str, Sequence[Segment]]], *, width: int = 720,
                 height: int = 220, label_every: int = 1) -> Markup:
    """A stacked bar chart: ``bars`` is (x label, segments bottom-up) in order."""
    left, bottom, top = 36, 24, 10
    plot_w, plot_h = width - left - 8, height - bottom - top
    peak = max((sum(s.value for s in segments) for _, segments in bars), default=0) or 1
    step = plot_w / max(len(bars), 1)
    bar_w = max(step * 0.8, 1)
    parts = [f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}" '
             f'width="100%" xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{width - 8}" y2="{top + plot_h}" stroke="#888"/>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10">{peak}</text>',
             f'<text x="{left - 4}" y="{top + plot_h}" text-anchor="end" font-size="10">0</text>']
    for index, (label, segments) in enumerate(bars):
        x, y = left + index * step + (step - bar_w) / 2, top + plot_h
        for segment in segments:
            if not segment.value:
                continue
            h = plot_h * segment.value / peak
            y -= h
            parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                         f'fill="{segment.colour}"><title>{escape(label)}: {escape(segment.label)} '
                         f'{segment.value}</title></rect>')
        if index % label_every == 0:
            parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{height - 8}" text-anchor="middle" '
                         f'font-size="10">{escape(label)}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704 - every text above is escaped


def weekly_by_type(weeks: Mapping[date, Counter]) -> Markup:
    bars = [(f"{monday:%d %b}", [Segment(kind.replace("_", " "), counts[kind], colour)
                                 for kind, colour in TYPE_COLOURS.items()])
            for monday, counts in weeks.items()]
    return stacked_bars("Requests received per week, by type", bars, label_every=4)


def attainment_by_month(months: Mapping[int, Attainment]) -> Markup:
    bars = [(MONTHS[month - 1], [Segment("on time", a.on_time, ON_TIME), Segment("late", a.late, LATE)])
            for month, a in months.items()]
    return stacked_bars("Responses within the legal deadline, by month received", bars)
