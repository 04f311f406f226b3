"""The participation evidence log: append-only events chained by SHA-256, anchored by signed checkpoints.

Each event's ``hash`` is SHA-256 over the canonical JSON of its id, time, type,
user, channel, unit and data, followed by the previous event's hash (64 zeros for
the first event). Ids form a gapless sequence 1, 2, 3... and a separate head row
names the last event, so an altered, deleted or truncated event breaks the chain
where it happened and :meth:`EvidenceLog.verify` names it.

Anyone who can write to the database could recompute all of that, so two things
live outside it: the evidence key (``bot.checkpoint.EvidenceKey``) *seals* every event
(HMAC of its hash), and signs checkpoints, C2SP notes of the log's size and the RFC 6962
Merkle root over its events (leaf i = the 32 bytes of event i's hash). A checkpoint
kept by a unit proves the log it is later shown is the same log or one that only grew:
:meth:`EvidenceLog.verify` with ``checkpoint=`` refuses anything else.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
from collections.abc import Collection, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import BinaryIO
from zoneinfo import ZoneInfo

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from bot import merkle
from bot.checkpoint import Checkpoint, CheckpointError, EvidenceKey, VerifierKey, check_signature, parse
from bot.localdays import utc_range
from hocvuso.db.models import GENESIS_HASH, EvidenceCheckpoint, EvidenceEvent, EvidenceHead, utcnow
from hocvuso.settings import DEFAULT_TIMEZONE
from knowledge.textnorm import nfc

EVENT_TYPES = {
    "question_asked": "Hỏi đáp",
    "lesson_read": "Đọc bài học",
    "quiz_started": "Bắt đầu trắc nghiệm",
    "quiz_answered": "Trả lời câu trắc nghiệm",
    "quiz_completed": "Hoàn thành trắc nghiệm",
    "unit_registered": "Đăng ký đơn vị",
    "certificate_issued": "Cấp giấy chứng nhận",
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

log = logging.getLogger(__name__)


class EvidenceError(Exception):
    """A domain error of the evidence log; its message is shown to the user."""


@dataclass(frozen=True)
class VerifyResult:
    """Outcome of walking the chain: ``first_bad`` is the id where it first breaks.

    ``size`` and ``root`` are the Merkle tree head over the ``checked`` events.
    """

    ok: bool
    checked: int
    first_bad: int | None
    reason: str
    root: bytes = merkle.EMPTY_ROOT
    origin: str | None = None


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
    """Appends, verifies, anchors and exports the participation evidence of one database.

    ``key`` seals appended events and signs checkpoints; by default the key the
    application's services attached to ``db`` (none for a bare database: events are
    then appended unsealed, as before seals existed).
    """

    def __init__(self, db, key: EvidenceKey | None = None):
        self.db = db
        self.key = key if key is not None else getattr(db, "evidence_key", None)

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
                return _append(connection, event_type, user, channel, unit, data_text, self.key)
        # The caller's pending changes go first, so the chain lock (taken by the append
        # and held until the caller commits) waits on as little work as possible.
        session.flush()
        return _append(session.connection(), event_type, user, channel, unit, data_text, self.key)

    def verify(self, checkpoint: Checkpoint | None = None, public_key: VerifierKey | None = None) -> VerifyResult:
        """Walk every stored event and report where the log first breaks, if anywhere.

        With a ``checkpoint``, also require its signature (by ``public_key``, default this
        log's key) and that the log is the one it signed, or that log with events appended.
        """
        with self.db.session() as session:
            # The head before and after the walk: events appended meanwhile are neither
            # missing (before) nor past the head (after).
            head_before = _head(session)
            # Seals can only be checked with the secret key; a verifier given another public
            # key (e.g. on a machine with only a copy of the database) relies on the checkpoint.
            sealing = self.key if public_key is None or self._holds(public_key) else None
            walk = _Walk(sealing, checkpoint.size if checkpoint else None)
            query = select(EvidenceEvent).order_by(EvidenceEvent.id).execution_options(yield_per=_BATCH)
            for event in session.scalars(query):
                if not walk.take(event):
                    break
            head_after = _head(session)
        result = walk.result(head_before, head_after)
        if checkpoint is None or not result.ok:
            return result
        return _against_checkpoint(result, walk, checkpoint, public_key or self._verifier(result.origin))

    def checkpoint(self, now: datetime | None = None) -> Checkpoint:
        """Sign a checkpoint of the log as it is, store it and return it; refused if the log is broken."""
        if self.key is None:
            raise EvidenceError("Chưa có khóa ký điểm mốc minh chứng.")
        result = self.verify()
        if not result.ok:
            raise EvidenceError(f"Không ký điểm mốc cho sổ minh chứng đã hỏng: {result.reason}")
        if not result.origin:
            raise EvidenceError("Sổ minh chứng chưa có tên (bản ghi đầu chuỗi thiếu origin).")
        signed = Checkpoint(result.origin, result.checked, result.root, (now or utcnow()).replace(microsecond=0)).signed(
            self.key
        )
        with self.db.session() as session:
            session.add(EvidenceCheckpoint(created_at=signed.time, origin=signed.origin, size=signed.size,
                                           root_hash=signed.root_hex, note=signed.note))
        return signed

    def latest_checkpoint(self) -> Checkpoint | None:
        """The newest stored checkpoint, or None."""
        with self.db.session() as session:
            row = session.scalars(select(EvidenceCheckpoint).order_by(EvidenceCheckpoint.id.desc()).limit(1)).first()
        return parse(row.note) if row is not None else None

    def verifier(self) -> VerifierKey | None:
        """The public key of this log's checkpoints, or None without a key."""
        with self.db.session() as session:
            head = session.get(EvidenceHead, 1)
        return self._verifier(head.origin if head else None)

    def _holds(self, public_key: VerifierKey) -> bool:
        return self.key is not None and self.key.public_bytes == public_key.public_key

    def _verifier(self, origin: str | None) -> VerifierKey | None:
        if self.key is None or not origin:
            return None
        return self.key.verifier(origin)

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
        anchor = self.checkpoint_lines(timezone)
        with self.db.session() as session:
            events = _select_events(session, *utc_range(date_from, date_to, zone), unit)
            rows = (_export_row(event, zone) for event in events)
            if fmt == "csv":
                return _write_csv(header, rows, out, anchor)
            return _write_xlsx(header, rows, out, anchor)

    def checkpoint_lines(self, timezone: str = DEFAULT_TIMEZONE) -> list[str]:
        """The latest checkpoint as the lines a person keeps (with the public key); empty when none."""
        latest = self.latest_checkpoint()
        if latest is None or self.key is None:
            return []
        return latest.document(self.key.verifier(latest.origin), timezone).splitlines()


def export_header(timezone: str = DEFAULT_TIMEZONE) -> list[str]:
    """The export's column titles, the local time column named after ``timezone``."""
    header = list(EXPORT_HEADER)
    header[2] = f"Thời gian ({LOCAL_TIME_NAMES.get(timezone, timezone)})"
    return header


def _append(connection, event_type: str, user: str, channel: str, unit: str | None, data_text: str,
            key: EvidenceKey | None) -> int:
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
    highest = connection.execute(select(func.max(events.c.id))).scalar() or 0
    if highest >= event_id:
        # Rows past the head were written by someone else: never chain onto them, never fail
        # on their ids; append after them so `verify` still finds and names them.
        log.warning("Có sự kiện lạ #%s–#%s sau đầu chuỗi minh chứng (#%s): hãy chạy `hocvuso evidence verify`.",
                    event_id, highest, last.last_id)
        event_id = highest + 1
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
            seal=key.seal(digest) if key is not None else None,
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


@dataclass(frozen=True)
class _HeadState:
    last_id: int
    last_hash: str
    origin: str | None


def _head(session) -> _HeadState | None:
    head = session.get(EvidenceHead, 1, populate_existing=True)
    return _HeadState(head.last_id, head.last_hash, head.origin) if head is not None else None


class _Walk:
    """Checks events one by one in id order, building the Merkle tree as it goes."""

    def __init__(self, key: EvidenceKey | None, mark: int | None):
        self.key = key
        self.mark = mark  # the size whose root to remember (a checkpoint's)
        self.mark_root: bytes | None = merkle.EMPTY_ROOT if mark == 0 else None
        self.tree = merkle.CompactRange()
        self.expected_id, self.prev_hash = 1, GENESIS_HASH
        self.sealed = False  # a sealed event was seen: every later one must be sealed too
        self.problem: tuple[int, str] | None = None

    def take(self, event: EvidenceEvent) -> bool:
        """Check one event; False once the log is broken there (the walk stops)."""
        self.problem = _event_problem(event, self.expected_id, self.prev_hash) or self._seal_problem(event)
        if self.problem:
            return False
        self.tree.append(merkle.leaf_hash(bytes.fromhex(event.hash)))
        if self.tree.size == self.mark:
            self.mark_root = self.tree.root()
        self.expected_id, self.prev_hash = event.id + 1, event.hash
        return True

    def _seal_problem(self, event: EvidenceEvent) -> tuple[int, str] | None:
        if self.key is None:
            return None
        if event.seal is None:
            if self.sealed:
                return event.id, f"Sự kiện #{event.id} không có dấu niêm phong (không do máy chủ ghi)."
            return None  # written before seals existed
        self.sealed = True
        if not self.key.seal_ok(event.hash, event.seal):
            return event.id, f"Sự kiện #{event.id} có dấu niêm phong sai (không do máy chủ ghi, hoặc đã bị sửa)."
        return None

    def result(self, before: _HeadState | None, after: _HeadState | None) -> VerifyResult:
        last_id, last_hash = self.expected_id - 1, self.prev_hash
        origin = (after or before).origin if (after or before) else None
        done = {"root": self.tree.root(), "origin": origin}
        if self.problem is not None:
            bad_id, reason = self.problem
            if after is not None and bad_id > after.last_id:
                reason = f"Sự kiện #{bad_id} nằm sau đầu chuỗi (#{after.last_id}): bị ghi thêm từ ngoài. " + reason
            return VerifyResult(False, last_id, bad_id, reason, **done)
        if before is None or after is None:
            return VerifyResult(False, last_id, last_id + 1, "Mất bản ghi đầu chuỗi minh chứng.", **done)
        if last_id < before.last_id:
            reason = f"Thiếu sự kiện #{last_id + 1}–#{before.last_id} ở cuối chuỗi (đã bị xoá?)."
            return VerifyResult(False, last_id, last_id + 1, reason, **done)
        if last_id > after.last_id:
            reason = f"Sự kiện #{after.last_id + 1}–#{last_id} nằm sau đầu chuỗi (#{after.last_id}): bị ghi thêm từ ngoài."
            return VerifyResult(False, after.last_id, after.last_id + 1, reason, **done)
        known = {before.last_id: before.last_hash, after.last_id: after.last_hash}
        if last_id in known and known[last_id] != last_hash:
            reason = f"Đầu chuỗi không khớp với sự kiện cuối #{last_id} (bản ghi đầu chuỗi bị sửa?)."
            return VerifyResult(False, last_id, last_id, reason, **done)
        return VerifyResult(True, last_id, None, f"Chuỗi minh chứng nguyên vẹn: {last_id} sự kiện.", **done)


def _against_checkpoint(result: VerifyResult, walk: _Walk, checkpoint: Checkpoint,
                        key: VerifierKey | None) -> VerifyResult:
    """Judge an intact walk against a checkpoint: signed by ``key``, same log, same or longer."""

    def fail(reason: str) -> VerifyResult:
        return VerifyResult(False, result.checked, None, reason, result.root, result.origin)

    if key is None:
        return fail("Không có khóa công khai để kiểm tra chữ ký của điểm mốc.")
    try:
        check_signature(checkpoint, key)
    except CheckpointError as error:
        return fail(str(error))
    if checkpoint.origin != result.origin:
        return fail(f"Điểm mốc thuộc sổ minh chứng khác ({checkpoint.origin}), không phải sổ này ({result.origin}).")
    if result.checked < checkpoint.size:
        return fail(
            f"Sổ chỉ còn {result.checked} sự kiện, ít hơn {checkpoint.size} sự kiện điểm mốc đã ký: "
            "các sự kiện cuối đã bị xoá (sổ bị cắt ngắn)."
        )
    if walk.mark_root != checkpoint.root:
        return fail(
            f"{checkpoint.size} sự kiện đầu không còn như lúc ký điểm mốc (mã gốc Merkle khác): "
            "có sự kiện đã bị sửa, chèn, xoá hoặc đổi thứ tự, dù mã băm đã được tính lại."
        )
    added = result.checked - checkpoint.size
    reason = (
        f"Sổ minh chứng khớp điểm mốc ký lúc {checkpoint.time:%Y-%m-%d %H:%M} UTC: "
        f"{checkpoint.size} sự kiện đã ký vẫn nguyên vẹn"
        + (f", thêm {added} sự kiện mới ghi nối sau." if added else ", chưa có sự kiện mới.")
    )
    return VerifyResult(True, result.checked, None, reason, result.root, result.origin)


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


def _write_csv(header: list[str], rows, out: BinaryIO, anchor: list[str]) -> int:
    """Write UTF-8 CSV with a BOM (so Excel reads Vietnamese correctly); the checkpoint after a blank row."""
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="")
    try:
        writer = csv.writer(text)
        writer.writerow(header)
        count = 0
        for row in rows:
            writer.writerow([_csv_text(value) for value in row])
            count += 1
        if anchor:
            # One multi-line cell that starts with a letter: copied whole, never read as a formula.
            writer.writerow([])
            writer.writerow(["\n".join(anchor) + "\n"])
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


def _write_xlsx(header: list[str], rows, out: BinaryIO, anchor: list[str]) -> int:
    """Write an XLSX workbook in openpyxl's streaming (write-only) mode; the checkpoint on a second sheet."""
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
    if anchor:
        checkpoint_sheet = workbook.create_sheet("Điểm mốc")
        checkpoint_sheet.column_dimensions["A"].width = 120
        for line in anchor:
            checkpoint_sheet.append([text_cell(line)])
    workbook.save(out)
    return count
