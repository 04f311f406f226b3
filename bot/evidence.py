"""The participation evidence log: append-only events chained by SHA-256.

Each event's ``hash`` is SHA-256 over the canonical JSON of its id, time, type,
user, channel, unit and data, followed by the previous event's hash (64 zeros for
the first event). Ids form a gapless sequence 1, 2, 3... and a separate head row
names the last event, so an altered, deleted or truncated event breaks the chain
where it happened and :meth:`EvidenceLog.verify` names it.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.orm import Session

from bot.localdays import utc_range
from hocvuso.db.models import GENESIS_HASH, EvidenceEvent, EvidenceHead, utcnow
from hocvuso.settings import DEFAULT_TIMEZONE
from knowledge.textnorm import nfc

EVENT_TYPES = {
    "question_asked": "Hỏi đáp",
    "lesson_read": "Đọc bài học",
    "quiz_started": "Bắt đầu trắc nghiệm",
    "quiz_answered": "Trả lời câu trắc nghiệm",
    "quiz_completed": "Hoàn thành trắc nghiệm",
    "unit_registered": "Đăng ký đơn vị",
}

# Titles of the local time column by zone; other zones are titled by their IANA name.
LOCAL_TIME_NAMES = {"Asia/Ho_Chi_Minh": "giờ Việt Nam", "Asia/Saigon": "giờ Việt Nam"}
EXPORT_HEADER = [
    "Mã sự kiện",
    "Thời gian (UTC)",
    "Thời gian (giờ Việt Nam)",  # the local time column, titled by export_header()
    "Loại sự kiện",
    "Mã loại",
    "Người dùng (bí danh)",
    "Kênh",
    "Đơn vị",
    "Chi tiết",
    "Mã băm trước",
    "Mã băm",
]
EXPORT_FORMATS = ("csv", "xlsx")
_BATCH = 1000


class EvidenceError(Exception):
    """A domain error of the evidence log; its message is shown to the user."""


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain: ``first_bad`` is the id where it first breaks."""

    ok: bool
    checked: int
    first_bad: int | None
    reason: str


def canonical_json(value) -> str:
    """JSON with sorted keys, no spaces and raw UTF-8: one text per value."""
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def event_hash(
    event_id: int,
    created_at: datetime,
    event_type: str,
    user: str,
    channel: str,
    unit: str | None,
    data: dict,
    prev_hash: str,
) -> str:
    """SHA-256 hex of the event's canonical JSON followed by the previous hash."""
    body = canonical_json(
        {
            "id": event_id,
            "created_at": created_at.astimezone(UTC).isoformat(timespec="microseconds"),
            "event_type": event_type,
            "user": user,
            "channel": channel,
            "unit": unit,
            "data": data,
        }
    )
    return hashlib.sha256((body + prev_hash).encode("utf-8")).hexdigest()


def _stored_hash(event: EvidenceEvent) -> str:
    """Recompute the hash of a stored event from its columns."""
    return event_hash(
        event.id,
        event.created_at,
        event.event_type,
        event.user,
        event.channel,
        event.unit,
        json.loads(event.data),
        event.prev_hash,
    )


class EvidenceLog:
    """Appends, verifies and exports the participation evidence of one database."""

    def __init__(self, db):
        self.db = db

    def append(
        self,
        event_type: str,
        user: str,
        channel: str,
        unit: str | None = None,
        data: dict | None = None,
        session: Session | None = None,
    ) -> int:
        """Append one event at the end of the chain and return its id.

        Given the caller's open ``session``, the event joins its transaction: it is
        stored if and only if the caller's own changes commit (e.g. a quiz answer).
        """
        if event_type not in EVENT_TYPES:
            raise EvidenceError(f"Loại sự kiện không hợp lệ: {event_type!r}")
        unit = (nfc(unit).strip() or None) if unit else None
        data_text = canonical_json(data or {})
        if session is None:
            with self.db.engine.begin() as connection:
                return _append(connection, event_type, user, channel, unit, data_text)
        # The caller's pending changes go first, so the chain lock (taken by the append
        # and held until the caller commits) waits on as little work as possible.
        session.flush()
        return _append(session.connection(), event_type, user, channel, unit, data_text)

    def verify(self) -> VerifyResult:
        """Walk the chain from the first event and report where it first breaks, if anywhere."""
        expected_id, prev_hash = 1, GENESIS_HASH
        with self.db.session() as session:
            # Read the head first and walk only up to it: events appended meanwhile are not judged.
            head = session.get(EvidenceHead, 1)
            query = select(EvidenceEvent).order_by(EvidenceEvent.id)
            if head is not None:
                query = query.where(EvidenceEvent.id <= head.last_id)
            for event in session.scalars(query.execution_options(yield_per=_BATCH)):
                problem = _event_problem(event, expected_id, prev_hash)
                if problem:
                    bad_id, reason = problem
                    return VerifyResult(False, expected_id - 1, bad_id, reason)
                expected_id, prev_hash = event.id + 1, event.hash
        return _check_head(head, expected_id - 1, prev_hash)

    def export(
        self,
        fmt: str,
        out: BinaryIO,
        date_from: date | None = None,
        date_to: date | None = None,
        unit: str | Collection[str] | None = None,
        timezone: str = DEFAULT_TIMEZONE,
    ) -> int:
        """Write the events as CSV with BOM or XLSX to ``out``; return the row count.

        ``unit`` is one unit name, or every stored spelling of one unit (see ``bot.stats.unit_spellings``).

        ``date_from``..``date_to`` (inclusive) are calendar days in ``timezone``; each row
        has its time in UTC (as stored and hashed) and in that zone.
        """
        if fmt not in EXPORT_FORMATS:
            raise EvidenceError(f"Định dạng không hỗ trợ: {fmt!r} (chọn csv hoặc xlsx).")
        zone = ZoneInfo(timezone)
        header = export_header(timezone)
        with self.db.session() as session:
            events = _select_events(session, *utc_range(date_from, date_to, zone), unit)
            rows = (_export_row(event, zone) for event in events)
            if fmt == "csv":
                return _write_csv(header, rows, out)
            return _write_xlsx(header, rows, out)


def export_header(timezone: str = DEFAULT_TIMEZONE) -> list[str]:
    """The export's column titles, the local time column named after ``timezone``."""
    header = list(EXPORT_HEADER)
    header[2] = f"Thời gian ({LOCAL_TIME_NAMES.get(timezone, timezone)})"
    return header


def _append(connection, event_type: str, user: str, channel: str, unit: str | None, data_text: str) -> int:
    """Insert one event after the chain head and move the head, in ``connection``'s transaction."""
    events, head = EvidenceEvent.__table__, EvidenceHead.__table__
    # Touching the head row first takes the write lock (SQLite: BEGIN IMMEDIATE, unless the
    # transaction already holds it; PostgreSQL: the row lock, kept until commit), so
    # concurrent appends queue here and never fork.
    last = connection.execute(
        update(head).where(head.c.id == 1).values(last_id=head.c.last_id).returning(head.c.last_id, head.c.last_hash)
    ).one_or_none()
    if last is None:
        raise EvidenceError("Mất bản ghi đầu chuỗi minh chứng: hãy chạy `hocvuso evidence verify`.")
    event_id = last.last_id + 1
    created_at = utcnow()  # taken under the lock, so times never go back along the chain
    digest = event_hash(event_id, created_at, event_type, user, channel, unit, json.loads(data_text), last.last_hash)
    connection.execute(
        insert(events).values(
            id=event_id,
            created_at=created_at,
            event_type=event_type,
            user=user,
            channel=channel,
            unit=unit,
            data=data_text,
            prev_hash=last.last_hash,
            hash=digest,
        )
    )
    connection.execute(update(head).where(head.c.id == 1).values(last_id=event_id, last_hash=digest))
    return event_id


def _select_events(session, start: datetime | None, end: datetime | None, unit) -> Iterator[EvidenceEvent]:
    """Stream the events created in [start, end) (UTC; None: open) of ``unit``, oldest first."""
    query = select(EvidenceEvent).order_by(EvidenceEvent.id)
    if start:
        query = query.where(EvidenceEvent.created_at >= start)
    if end:
        query = query.where(EvidenceEvent.created_at < end)
    if unit:
        spellings = [unit] if isinstance(unit, str) else list(unit)
        query = query.where(EvidenceEvent.unit.in_([nfc(name).strip() for name in spellings]))
    return session.scalars(query.execution_options(yield_per=_BATCH))


def _event_problem(event: EvidenceEvent, expected_id: int, prev_hash: str) -> tuple[int, str] | None:
    """Why ``event`` breaks the chain at this point (bad id and reason), or None when it fits."""
    if event.id != expected_id:
        return expected_id, f"Thiếu sự kiện #{expected_id} (đã bị xoá?): sau #{expected_id - 1} là #{event.id}."
    if event.prev_hash != prev_hash:
        return event.id, f"Sự kiện #{event.id} không nối với sự kiện trước (mã băm trước không khớp)."
    try:
        recomputed = _stored_hash(event)
    except ValueError:  # the data column is no longer valid JSON
        recomputed = None
    if recomputed != event.hash:
        return event.id, f"Sự kiện #{event.id} đã bị sửa (mã băm không khớp với nội dung)."
    return None


def _check_head(head: EvidenceHead | None, last_id: int, last_hash: str) -> VerifyResult:
    """Compare the end of the walked chain with the head row."""
    if head is None:
        return VerifyResult(False, last_id, last_id + 1, "Mất bản ghi đầu chuỗi minh chứng.")
    if head.last_id > last_id:
        reason = f"Thiếu sự kiện #{last_id + 1}–#{head.last_id} ở cuối chuỗi (đã bị xoá?)."
        return VerifyResult(False, last_id, last_id + 1, reason)
    if head.last_hash != last_hash:
        reason = f"Đầu chuỗi không khớp với sự kiện cuối #{last_id} (bản ghi đầu chuỗi bị sửa?)."
        return VerifyResult(False, last_id, last_id, reason)
    return VerifyResult(True, last_id, None, f"Chuỗi minh chứng nguyên vẹn: {last_id} sự kiện.")


def _export_row(event: EvidenceEvent, zone: ZoneInfo) -> list:
    """One export row, in the order of :data:`EXPORT_HEADER`; times without zone (spreadsheets have none)."""
    return [
        event.id,
        event.created_at.replace(tzinfo=None),
        event.created_at.astimezone(zone).replace(tzinfo=None),
        EVENT_TYPES.get(event.event_type, event.event_type),
        event.event_type,
        event.user,
        event.channel,
        event.unit or "",
        event.data,
        event.prev_hash,
        event.hash,
    ]


def _write_csv(header: list[str], rows, out: BinaryIO) -> int:
    """Write UTF-8 CSV with a BOM (so Excel reads Vietnamese correctly)."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow([_csv_text(value) for value in row])
            count += 1
        text.flush()
    finally:
        text.detach()  # leave the caller's stream open
    return count


def _csv_text(value):
    """A CSV cell: times as "YYYY-MM-DD HH:MM:SS", text a spreadsheet would run as a formula quoted.

    A unit named "=cmd|..." must stay text, not become a formula in Excel.
    """
    if isinstance(value, datetime):
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value
    return value


def _write_xlsx(header: list[str], rows, out: BinaryIO) -> int:
    """Write an XLSX workbook in openpyxl's streaming (write-only) mode."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
    from openpyxl.styles import Font

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Minh chứng")
    for column, width in zip("ABCDEFGHIJK", (10, 20, 24, 24, 16, 20, 10, 24, 40, 20, 20), strict=True):
        sheet.column_dimensions[column].width = width

    def text_cell(value: str) -> WriteOnlyCell:
        # Always a string cell: openpyxl would otherwise store "=..." as a formula.
        cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"
        return cell

    titles = [text_cell(title) for title in header]
    for cell in titles:
        cell.font = Font(bold=True)
    sheet.append(titles)
    count = 0
    for row in rows:
        sheet.append([text_cell(value) if isinstance(value, str) else value for value in row])
        count += 1
    workbook.save(out)
    return count
