"""Server-rendered SVG charts for the dashboard: horizontal bars and the funnel.

No chart library and no JavaScript: Kyiv works through blackouts and weak links, the
Content-Security-Policy forbids inline scripts and styles, and council members print the page.
Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by a ``<desc>``
that repeats the numbers in words; the page shows the same numbers in a table beside it.

Meaning never depends on colour: every bar carries its label and its number as text, and there
is one bar colour (the portal's blue, 6.9:1 against white), so nobody needs to tell colours
apart. Only presentation attributes are used (no ``style``), as the CSP asks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask_babel import format_percent
from flask_babel import gettext as _
from markupsafe import Markup

from portal.core.i18n import format_number

WIDTH = 400
ROW_HEIGHT = 50
LABEL_SIZE = 16  # body text size when the chart is drawn at its full width (CSS .chart)
BAR_HEIGHT = 18
VALUE_ROOM = 72  # room right of the longest bar for its number
BAR_FILL = "#005b99"  # --brand: 6.9:1 against white
BAR_EDGE = "#003f6b"  # --brand-dark
INK = "#1b1b1b"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Noto Sans', sans-serif"


@dataclass(frozen=True)
class Bar:
    label: str
    value: int


def _bars(pairs: Iterable[tuple[Any, int]]) -> list[Bar]:
    # Labels may be lazy strings; render them now, in the reader's language.
    return [Bar(str(label), int(value)) for label, value in pairs]


def percent(share: float) -> str:
    """A share (0.25) as a percentage in the reader's language ("25 %" in Swedish)."""
    return format_percent(share)


def _svg_open(chart_id: str, height: int, title: str, desc: str) -> Markup:
    return Markup(
        '<svg xmlns="http://www.w3.org/2000/svg" class="chart" id="{id}" role="img" '
        'aria-labelledby="{id}-title {id}-desc" viewBox="0 0 {w} {h}" width="{w}" height="{h}" '
        'font-family="{font}" font-size="{size}" fill="{ink}" focusable="false">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>'
    ).format(
        id=chart_id, w=WIDTH, h=height, font=FONT, size=LABEL_SIZE, ink=INK, title=title, desc=desc
    )


def _describe(bars: list[Bar]) -> str:
    return "; ".join(
        _("%(label)s: %(value)s", label=bar.label, value=format_number(bar.value)) for bar in bars
    )


def bar_chart(chart_id: str, title: str, pairs: Iterable[tuple[Any, int]]) -> Markup:
    """A horizontal bar chart of (label, value) pairs: each row has its label above the bar and
    its number after it, so long labels (Ukrainian theme names are long) never hit the bars."""
    bars = _bars(pairs)
    largest = max((bar.value for bar in bars), default=0)
    span = WIDTH - VALUE_ROOM
    height = max(len(bars), 1) * ROW_HEIGHT + 4
    parts = [_svg_open(chart_id, height, title, _describe(bars) or _("No data."))]
    for index, bar in enumerate(bars):
        top = index * ROW_HEIGHT
        length = round(span * bar.value / largest) if largest else 0
        # A zero still gets a hairline, so the row reads as "none" rather than "missing".
        length = max(length, 2)
        parts.append(
            Markup(
                '<g><text x="0" y="{ty}">{label}</text>'
                '<rect x="0" y="{by}" width="{bw}" height="{bh}" fill="{fill}" stroke="{edge}"/>'
                '<text x="{vx}" y="{vy}" font-weight="700">{value}</text></g>'
            ).format(
                ty=top + LABEL_SIZE + 2,
                label=bar.label,
                by=top + LABEL_SIZE + 8,
                bw=length,
                bh=BAR_HEIGHT,
                fill=BAR_FILL,
                edge=BAR_EDGE,
                vx=length + 6,
                vy=top + LABEL_SIZE + 8 + BAR_HEIGHT - 3,
                value=format_number(bar.value),
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)


def funnel_chart(chart_id: str, title: str, pairs: Iterable[tuple[Any, int]]) -> Markup:
    """The funnel: one centred bar per stage, each as wide as its share of the first stage,
    with the stage's name, number and share written above it."""
    bars = _bars(pairs)
    first = bars[0].value if bars else 0
    height = max(len(bars), 1) * ROW_HEIGHT + 4
    described = "; ".join(
        _(
            "%(label)s: %(value)s (%(share)s)",
            label=bar.label,
            value=format_number(bar.value),
            share=percent(bar.value / first if first else 0),
        )
        for bar in bars
    )
    parts = [_svg_open(chart_id, height, title, described or _("No data."))]
    for index, bar in enumerate(bars):
        top = index * ROW_HEIGHT
        share = bar.value / first if first else 0
        length = max(round(WIDTH * share), 2)
        parts.append(
            Markup(
                '<g><text x="{cx}" y="{ty}" text-anchor="middle">{label}: '
                '<tspan font-weight="700">{value}</tspan> ({share})</text>'
                '<rect x="{bx}" y="{by}" width="{bw}" height="{bh}" fill="{fill}" '
                'stroke="{edge}"/></g>'
            ).format(
                cx=WIDTH // 2,
                ty=top + LABEL_SIZE + 2,
                label=bar.label,
                value=format_number(bar.value),
                share=percent(share),
                bx=(WIDTH - length) // 2,
                by=top + LABEL_SIZE + 8,
                bw=length,
                bh=BAR_HEIGHT,
                fill=BAR_FILL,
                edge=BAR_EDGE,
            )
        )
    parts.append(Markup("</svg>"))
    return Markup("").join(parts)
