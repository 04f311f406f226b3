"""Geometry of the dashboard's bar charts, drawn by the templates.

Python computes where each bar goes; the Jinja macros in ``templates/charts.html``
only draw, so every label passes through autoescaping. Column charts are inline SVG;
row charts (long question texts) are HTML rows whose labels wrap on narrow screens.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Point:
    """One value to draw: ``label`` under or beside its bar, ``hint`` as its tooltip."""

    label: str
    value: float
    text: str  # the value as shown, e.g. "12" or "75 %"
    hint: str = ""


@dataclass(frozen=True)
class Bar:
    """A bar placed in the chart's coordinates, with where its labels go."""

    point: Point
    x: float
    y: float
    width: float
    height: float
    label_x: float
    label_y: float
    value_x: float
    value_y: float
    show_label: bool = True


@dataclass(frozen=True)
class Row:
    """A horizontal bar drawn as an HTML row, so its long label wraps on a phone."""

    point: Point
    share: float  # bar length in percent of the track


@dataclass(frozen=True)
class Gridline:
    """A horizontal (column chart) or vertical (row chart) reference line with its value."""

    x1: float
    y1: float
    x2: float
    y2: float
    text: str
    text_x: float
    text_y: float


@dataclass(frozen=True)
class Chart:
    """A column chart ready to draw: size, bars and gridlines."""

    width: float
    height: float
    bars: list[Bar] = field(default_factory=list)
    gridlines: list[Gridline] = field(default_factory=list)


def count_ticks(largest: float) -> list[int]:
    """Whole-number axis ticks from 0 to at least ``largest``, in steps of 1, 2, 5, 10, 20, 50...

    Counts of people and attempts are whole, so "2,5" must never label an axis; at most
    four steps keep the labels apart.
    """
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if math.ceil(largest / step) <= 4:
                top = max(1, math.ceil(largest / step)) * step
                return list(range(0, top + 1, step))
        power *= 10


def column_chart(points: list[Point], width: float = 520, height: float = 240,
                 max_labels: int = 16) -> Chart:
    """Vertical bars of counts, one per point, left to right; labels thinned out when there are many."""
    left, right, top, bottom = 36.0, 8.0, 18.0, 34.0
    plot_width, plot_height = width - left - right, height - top - bottom
    ticks = count_ticks(max((p.value for p in points), default=0))
    ceiling = ticks[-1]
    gridlines = []
    for tick in ticks:
        y = top + plot_height * (1 - tick / ceiling)
        gridlines.append(Gridline(left, y, width - right, y, str(tick), left - 6, y + 4))
    if not points:
        return Chart(width, height, [], gridlines)
    slot = plot_width / len(points)
    bar_width = max(2.0, slot * 0.7)
    label_every = max(1, math.ceil(len(points) / max_labels))
    bars = []
    for i, point in enumerate(points):
        bar_height = plot_height * point.value / ceiling
        x = left + slot * i + (slot - bar_width) / 2
        y = top + plot_height - bar_height
        bars.append(Bar(
            point=point, x=x, y=y, width=bar_width, height=bar_height,
            label_x=x + bar_width / 2, label_y=height - bottom + 16,
            value_x=x + bar_width / 2, value_y=y - 4,
            show_label=i % label_every == 0,
        ))
    return Chart(width, height, bars, gridlines)


def row_chart(points: list[Point], max_value: float = 1.0) -> list[Row]:
    """One row per point, top to bottom, its bar as a share of ``max_value`` (clamped to 0–100)."""
    return [Row(point, round(100 * min(max(point.value / max_value, 0.0), 1.0), 1)) for point in points]
