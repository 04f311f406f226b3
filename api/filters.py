"""Query filters shared by the statistics endpoints, the exports and the dashboard."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import Depends, Query

from api.deps import SettingsDep, UnitsDep
from api.errors import ApiError
from bot.stats import StatsFilter

# Dates outside this range are typos (or probes), and would overflow date arithmetic downstream.
EARLIEST = date(2000, 1, 1)
LATEST = date(2100, 12, 31)

# Days are calendar days in the configured zone (settings.timezone), not UTC days.
DateFrom = Annotated[date | None, Query(alias="from", description="Từ ngày (YYYY-MM-DD, theo giờ Việt Nam hoặc "
                                                                  "múi giờ HOCVUSO_TIMEZONE, gồm cả ngày này).")]
DateTo = Annotated[date | None, Query(alias="to", description="Đến ngày (YYYY-MM-DD, gồm cả ngày này).")]
# No control characters: a NUL byte, for one, is refused by PostgreSQL.
PLAIN_TEXT = r"^[^\x00-\x1f]*$"

Unit = Annotated[str | None, Query(max_length=200, pattern=PLAIN_TEXT, description="Chỉ tính một đơn vị (tên trong danh sách đơn vị hoặc như người học đã gõ; gõ không dấu, viết tắt cũng được).")]
Topic = Annotated[str | None, Query(max_length=64, pattern=PLAIN_TEXT, description="Chỉ tính một chủ đề trắc nghiệm (mã chủ đề, ví dụ `vneid`).")]


def check_period(date_from: date | None, date_to: date | None) -> None:
    """Refuse dates out of range and periods that end before they start (422)."""
    for name, day in (("from", date_from), ("to", date_to)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ApiError(422, f"Ngày “{name}” phải nằm trong khoảng {EARLIEST.year}–{LATEST.year}.",
                           "invalid_date")
    if date_from and date_to and date_from > date_to:
        raise ApiError(422, "Ngày bắt đầu (from) phải trước hoặc trùng ngày kết thúc (to).", "invalid_period")


def stats_filter(settings: SettingsDep, units: UnitsDep, date_from: DateFrom = None, date_to: DateTo = None,
                 unit: Unit = None, topic: Topic = None) -> StatsFilter:
    """The statistics filter from the query string (days in the configured zone); blank values mean no filter."""
    check_period(date_from, date_to)
    return StatsFilter(date_from=date_from, date_to=date_to, unit=(unit or "").strip() or None,
                       topic=(topic or "").strip() or None, timezone=settings.timezone, units=units)


StatsFilterDep = Annotated[StatsFilter, Depends(stats_filter)]
