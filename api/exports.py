"""Evidence exports as streamed HTTP downloads (CSV with BOM or XLSX)."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from datetime import UTC, date, datetime

from fastapi.responses import StreamingResponse

from bot.evidence import EvidenceLog
from hocvuso.settings import DEFAULT_TIMEZONE

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK_BYTES = 64 * 1024
# Exports up to this size stay in memory; larger ones spill to a temporary file.
SPOOL_BYTES = 8 * 1024 * 1024


def _chunks(spool) -> Iterator[bytes]:
    try:
        while chunk := spool.read(CHUNK_BYTES):
            yield chunk
    finally:
        spool.close()


def export_filename(fmt: str, date_from: date | None, date_to: date | None) -> str:
    """An ASCII file name saying what period the export covers."""
    period = "-".join(day.isoformat() for day in (date_from, date_to) if day is not None)
    stamp = period or datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"minh-chung-{stamp}.{fmt}"


def export_response(db, fmt: str, date_from: date | None = None, date_to: date | None = None,
                    unit: str | list[str] | None = None, timezone: str = DEFAULT_TIMEZONE) -> StreamingResponse:
    """Write the evidence export to a spooled file, then stream it back in chunks.

    XLSX is a zip archive and needs the whole workbook written before it can be
    read, so the export is produced first (in the caller's worker thread) and then streamed.
    """
    spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)
    try:
        rows = EvidenceLog(db).export(fmt, spool, date_from=date_from, date_to=date_to, unit=unit, timezone=timezone)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    filename = export_filename(fmt, date_from, date_to)
    return StreamingResponse(
        _chunks(spool),
        media_type=CONTENT_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "X-Export-Rows": str(rows),
            "Cache-Control": "no-store",
        },
    )
