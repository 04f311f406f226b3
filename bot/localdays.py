"""Calendar days in the trainers' time zone, mapped onto the UTC times the store keeps.

Trainers in Vietnam mean local days: "20/11" runs from 19/11 17:00 to 20/11 17:00 UTC.
Date filters become half-open UTC ranges, and UTC times are grouped by their local date.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """The UTC time of local midnight at the start of ``day``."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def utc_range(date_from: date | None, date_to: date | None, zone: ZoneInfo) -> tuple[datetime | None, datetime | None]:
    """The UTC range [start, end) covering the local days ``date_from``..``date_to`` (None: open end)."""
    start = day_start(date_from, zone) if date_from else None
    end = day_start(date_to + timedelta(days=1), zone) if date_to else None
    return start, end


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    """The local calendar day of a UTC time."""
    return moment.astimezone(zone).date()
