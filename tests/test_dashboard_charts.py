"""Chart geometry: whole-number axes for counts, clamped row bars."""

from __future__ import annotations

import pytest

from api.charts import Point, column_chart, count_ticks, row_chart


@pytest.mark.parametrize("largest, ticks", [
    (0, [0, 1]),
    (1, [0, 1]),
    (3, [0, 1, 2, 3]),
    (5, [0, 2, 4, 6]),
    (7, [0, 2, 4, 6, 8]),
    (9, [0, 5, 10]),
    (37, [0, 10, 20, 30, 40]),
    (120, [0, 50, 100, 150]),
])
def test_count_axes_have_whole_number_ticks(largest, ticks):
    assert count_ticks(largest) == ticks


def test_column_chart_gridlines_are_whole_numbers_and_bars_fit():
    chart = column_chart([Point("01/12", 5, "5"), Point("02/12", 2, "2")])
    assert [line.text for line in chart.gridlines] == ["0", "2", "4", "6"]
    tallest = max(chart.bars, key=lambda bar: bar.height)
    assert tallest.point.value == 5 and tallest.y >= 0


def test_row_chart_shares_are_clamped_percentages():
    rows = row_chart([Point("a", 0.25, "25 %"), Point("b", 1.4, ""), Point("c", -0.1, "")])
    assert [row.share for row in rows] == [25.0, 100.0, 0.0]
