"""Evidence export: XLSX opened with openpyxl, CSV with BOM, filters by local (Vietnam) days, CLI."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import text

from bot.evidence import EvidenceError, EvidenceLog
from hocvuso.cli import main

HEADER = [
    "Mã sự kiện",
    "Thời gian (UTC)",
    "Thời gian (giờ Việt Nam)",
    "Loại sự kiện",
    "Mã loại",
    "Người dùng (bí danh)",
    "Kênh",
    "Đơn vị",
    "Chi tiết",
    "Mã băm trước",
    "Mã băm",
]
# Either side of midnight in Vietnam (UTC+7): 23:59 on 1 March and 00:01 on 2 March, local time.
DAYS = {1: datetime(2025, 3, 1, 16, 59, tzinfo=UTC), 2: datetime(2025, 3, 1, 17, 1, tzinfo=UTC)}


@pytest.fixture
def log(database) -> EvidenceLog:
    """Six events over two units; events 1-3 on 2025-03-01 and 4-6 on 2025-03-02, Vietnam time."""
    log = EvidenceLog(database)
    for number in range(6):
        unit = "Xã An Phú" if number % 2 == 0 else '=HYPERLINK("http://x")'
        log.append("question_asked", f"{number:064x}", "zalo", unit, {"answered": number % 3 != 0, "n": number})
    # Dates are set afterwards for the filter tests; the chain is not verified here.
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE evidence_events SET created_at = :t WHERE id <= 3"), {"t": DAYS[1].replace(tzinfo=None)}
        )
        connection.execute(
            text("UPDATE evidence_events SET created_at = :t WHERE id > 3"), {"t": DAYS[2].replace(tzinfo=None)}
        )
    return log


def read_xlsx(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data), read_only=True).active
    return list(sheet.iter_rows(values_only=True))


def test_xlsx_has_vietnamese_header_and_every_event(log):
    out = io.BytesIO()
    assert log.export("xlsx", out) == 6
    rows = read_xlsx(out.getvalue())
    assert list(rows[0]) == HEADER
    assert [row[0] for row in rows[1:]] == [1, 2, 3, 4, 5, 6]
    first = rows[1]
    assert first[1] == DAYS[1].replace(tzinfo=None)
    assert first[2] == datetime(2025, 3, 1, 23, 59)
    assert first[3:8] == ("Hỏi đáp", "question_asked", "0" * 64, "zalo", "Xã An Phú")
    assert json.loads(first[8]) == {"answered": False, "n": 0}
    assert first[9] == "0" * 64 and len(first[10]) == 64


def test_xlsx_keeps_user_text_as_text_not_formula(log):
    out = io.BytesIO()
    log.export("xlsx", out)
    sheet = load_workbook(io.BytesIO(out.getvalue())).active
    cell = sheet.cell(row=3, column=8)
    assert cell.value == '=HYPERLINK("http://x")'
    assert cell.data_type == "s"


def test_csv_is_utf8_with_bom_and_parses_back(log):
    out = io.BytesIO()
    assert log.export("csv", out) == 6
    data = out.getvalue()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[0] == HEADER
    assert [row[0] for row in rows[1:]] == ["1", "2", "3", "4", "5", "6"]
    assert rows[1][1:3] == ["2025-03-01 16:59:00", "2025-03-01 23:59:00"]
    assert rows[4][1:3] == ["2025-03-01 17:01:00", "2025-03-02 00:01:00"]
    assert rows[1][7] == "Xã An Phú"
    assert rows[2][7] == '\'=HYPERLINK("http://x")'  # a spreadsheet shows it, never runs it
    assert not out.closed


def test_date_and_unit_filters(log):
    def exported_ids(**filters) -> list[int]:
        out = io.BytesIO()
        log.export("xlsx", out, **filters)
        return [row[0] for row in read_xlsx(out.getvalue())[1:]]

    assert exported_ids(date_from=date(2025, 3, 2)) == [4, 5, 6]
    assert exported_ids(date_to=date(2025, 3, 1)) == [1, 2, 3]
    assert exported_ids(date_from=date(2025, 3, 1), date_to=date(2025, 3, 2), unit="Xã An Phú") == [1, 3, 5]
    assert exported_ids(date_from=date(2025, 3, 3)) == []
    # The same events counted in UTC days all fall on 1 March.
    assert exported_ids(date_from=date(2025, 3, 1), date_to=date(2025, 3, 1), timezone="UTC") == [1, 2, 3, 4, 5, 6]


def test_an_evening_event_in_utc_counts_on_the_next_local_day(database):
    log = EvidenceLog(database)
    log.append("lesson_read", "b2" * 32, "telegram", "Phường Bến Thủy", {"lesson": "02-vneid"})
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE evidence_events SET created_at = :t"), {"t": datetime(2026, 11, 20, 18, 30)})

    def exported(day: date, timezone: str = "Asia/Ho_Chi_Minh") -> list[list[str]]:
        out = io.BytesIO()
        log.export("csv", out, date_from=day, date_to=day, timezone=timezone)
        return list(csv.reader(io.StringIO(out.getvalue().decode("utf-8-sig"))))

    assert len(exported(date(2026, 11, 20))) == 1, "only the header: it is already 21/11 in Vietnam"
    rows = exported(date(2026, 11, 21))
    assert rows[1][1:3] == ["2026-11-20 18:30:00", "2026-11-21 01:30:00"]
    utc_rows = exported(date(2026, 11, 20), timezone="UTC")
    assert utc_rows[0][2] == "Thời gian (UTC)" and utc_rows[1][2] == "2026-11-20 18:30:00"


def test_unknown_format_is_refused(log):
    with pytest.raises(EvidenceError, match="csv hoặc xlsx"):
        log.export("pdf", io.BytesIO())


def test_cli_export_writes_the_file(log, database_url, tmp_path):
    env = {"HOCVUSO_DATABASE_URL": database_url}
    target = tmp_path / "bao-cao" / "minh-chung.xlsx"
    args = ["evidence", "export", "--out", str(target), "--from", "2025-03-02", "--unit", "Xã An Phú"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 0, result.output
    assert "Đã xuất 1 sự kiện" in result.output
    assert [row[0] for row in read_xlsx(target.read_bytes())[1:]] == [5]
    assert list(target.parent.iterdir()) == [target]

    csv_target = tmp_path / "minh-chung.txt"
    result = CliRunner().invoke(main, ["evidence", "export", "--format", "csv", "--out", str(csv_target)], env=env)
    assert result.exit_code == 0, result.output
    assert csv_target.read_bytes().startswith(b"\xef\xbb\xbf")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2025-02-30"], "không phải ngày dạng YYYY-MM-DD"),
        (["--from", "2025-03-05", "--to", "2025-03-01"], "đứng sau ngày kết thúc"),
        (["--format", "pdf"], "không hỗ trợ"),
    ],
)
def test_cli_export_refuses_bad_input_without_writing(args, message, tmp_path):
    target = tmp_path / "out.xlsx"
    env = {"HOCVUSO_DATA_DIR": str(tmp_path), "HOCVUSO_DATABASE_URL": ""}
    result = CliRunner().invoke(main, ["evidence", "export", "--out", str(target), *args], env=env)
    assert result.exit_code == 2
    assert message in result.output
    assert not target.exists()
