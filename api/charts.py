"""Geometry of the dashboard's bar charts, drawn as inline SVG by the templates.

Python computes where each bar goes; the Jinja macros in ``templates/charts.html``
only draw, so every label passes through autoescaping.
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
    """A bar chart ready to draw: size, bars and gridlines."""

    kind: str  # "columns" | "rows"
    width: float
    height: float
    bars: list[Bar] = field(default_factory=list)
    gridlines: list[Gridline] = field(default_factory=list)


def _nice_ceiling(value: float) -> float:
    """A round upper bound for the axis: 1, 2, 5 or 10 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if value <= step * power:
            return float(step * power)
    return float(10 * power)


def _format_tick(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.1f}".replace(".", ",")


def column_chart(points: list[Point], width: float = 520, height: float = 240,
                 max_labels: int = 16) -> Chart:
    """Vertical bars, one per point, left to right; labels thinned out when there are many."""
    left, right, top, bottom = 36.0, 8.0, 18.0, 34.0
    plot_width, plot_height = width - left - right, height - top - bottom
    ceiling = _nice_ceiling(max((p.value for p in points), default=0))
    gridlines = []
    for fraction in (0.0, 0.5, 1.0):
        y = top + plot_height * (1 - fraction)
        gridlines.append(Gridline(left, y, width - right, y, _format_tick(ceiling * fraction), left - 6, y + 4))
    if not points:
        return Chart("columns", width, height, [], gridlines)
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
    return Chart("columns", width, height, bars, gridlines)


def row_chart(points: list[Point], max_value: float = 1.0, width: float = 1080,
              row_height: float = 22, label_width: float = 150) -> Chart:
    """Horizontal bars, one row per point, top to bottom, against a fixed ``max_value``."""
    top, bottom, value_width = 8.0, 24.0, 56.0
    plot_width = width - label_width - value_width
    height = top + row_height * len(points) + bottom
    gridlines = []
    for fraction in (0.0, 0.5, 1.0):
        x = label_width + plot_width * fraction
        gridlines.append(Gridline(x, top, x, height - bottom, f"{round(fraction * 100)} %", x, height - 6))
    bars = []
    for i, point in enumerate(points):
        y = top + row_height * i
        bar_width = plot_width * min(max(point.value / max_value, 0.0), 1.0)
        bars.append(Bar(
            point=point, x=label_width, y=y + 3, width=bar_width, height=row_height - 6,
            label_x=label_width - 8, label_y=y + row_height / 2 + 4,
            value_x=label_width + bar_width + 6, value_y=y + row_height / 2 + 4,
        ))
    return Chart("rows", width, height, bars, gridlines)
