"""The periodic unit report: DOCX, XLSX and PDF opened with real libraries, figures checked
against the statistics API for the same filters, and the previous period beside them."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from click.testing import CliRunner
from docx import Document
from fixtures_api import Play, api_settings, bearer, client, seed_attempts, services, trainer_key  # noqa: F401
from openpyxl import load_workbook
from pypdf import PdfReader

from bot.unit_report import previous_period

DAY = date(2026, 11, 10)
UNIT = "Xã Nghĩa Trung"
# This period (10–16/11): 3 people of the unit, one of them twice; one person of another unit.
# The previous period (3–9/11): one attempt of the unit.
PLAYS = [
    Play("an", UNIT, DAY, "vneid", 5),
    Play("binh", UNIT, DAY + timedelta(days=1), "lua-dao", 2),
    Play("chi", UNIT, DAY + timedelta(days=2), "vneid", 4),
    Play("an", UNIT, DAY + timedelta(days=3), "mat-khau", 5),
    Play("dung", "Phường Thành Sen", DAY + timedelta(days=1), "vneid", 1),
    Play("em", UNIT, DAY - timedelta(days=3), "vneid", 1),
]
PERIOD = {"from": "2026-11-10", "to": "2026-11-16", "unit": UNIT}


def text_of(fmt: str, content: bytes) -> str:
    """Every piece of text in the file, as a reader would see it."""
    if fmt == "docx":
        document = Document(io.BytesIO(content))
        parts = [paragraph.text for paragraph in document.paragraphs]
        parts += [cell.text for table in document.tables for row in table.rows for cell in row.cells]
        return "\n".join(parts)
    if fmt == "xlsx":
        sheet = load_workbook(io.BytesIO(content)).active
        return "\n".join(" | ".join(str(cell) for cell in row if cell is not None) for row in sheet.iter_rows(values_only=True))
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def percent(value: float) -> str:
    return f"{value * 100:.1f} %".replace(".", ",")


def test_previous_period_has_the_same_length_and_ends_the_day_before():
    assert previous_period(date(2026, 11, 10), date(2026, 11, 16)) == (date(2026, 11, 3), date(2026, 11, 9))
    assert previous_period(date(2026, 3, 1), date(2026, 3, 31)) == (date(2026, 1, 29), date(2026, 2, 28))


@pytest.mark.parametrize("fmt", ["docx", "xlsx", "pdf"])
def test_report_files_carry_the_figures_of_the_stats_api(client, services, trainer_key, fmt):  # noqa: F811
    from bot.evidence import EvidenceLog

    seed_attempts(services, PLAYS)
    checkpoint = EvidenceLog(services.db).checkpoint()
    headers = bearer(trainer_key)
    overview = client.get("/v1/stats/overview", params=PERIOD, headers=headers).json()
    topics = client.get("/v1/stats/topics", params=PERIOD, headers=headers).json()
    before = client.get("/v1/stats/overview", params={**PERIOD, "from": "2026-11-03", "to": "2026-11-09"},
                        headers=headers).json()
    assert (overview["participants"], overview["attempts"], before["attempts"]) == (3, 4, 1)

    response = client.get("/v1/reports/unit", params={**PERIOD, "format": fmt}, headers=headers)
    assert response.status_code == 200
    assert response.headers["content-disposition"].endswith(f'bao-cao-2026-11-10-2026-11-16.{fmt}"')
    text = text_of(fmt, response.content)
    assert "BÁO CÁO KẾT QUẢ THAM GIA" in text and f"Đơn vị: {UNIT}" in text
    assert "từ ngày 10/11/2026 đến ngày 16/11/2026" in text and "từ ngày 03/11/2026 đến ngày 09/11/2026" in text
    compact = " ".join(text.split())
    # Overview rows: label, this period, previous period, change.
    assert f"Người tham gia trắc nghiệm {overview['participants']} {before['participants']} +2" in compact.replace(" | ", " ")
    assert f"Lượt làm bài {overview['attempts']} {before['attempts']} +3" in compact.replace(" | ", " ")
    assert percent(overview["pass_rate"]) in text
    # Topics by title (not slug), with the API's figures; the other unit is not counted.
    assert "Tài khoản định danh điện tử VNeID" in text
    vneid = next(row for row in topics if row["topic"] == "vneid")
    assert f"Tài khoản định danh điện tử VNeID {vneid['participants']} {vneid['attempts']}" in compact.replace(" | ", " ")
    assert "Phường Thành Sen" not in text
    # The evidence the figures rest on.
    assert "Nguyên vẹn" in text and "nhật ký minh chứng" in text
    # ... and the signed checkpoint a unit can keep and check it against (wrapped in the PDF's cells).
    assert f"{checkpoint.size} sự kiện, ký lúc" in text and checkpoint.root_hex[:24] in compact.replace(" ", "")


def test_report_needs_a_trainer_and_a_valid_period(client, trainer_key):  # noqa: F811
    assert client.get("/v1/reports/unit", params=PERIOD).status_code == 401
    wrong = client.get("/v1/reports/unit", params={**PERIOD, "from": "2026-11-20"}, headers=bearer(trainer_key))
    assert wrong.status_code == 422 and "from" in wrong.json()["detail"]
    bad = client.get("/v1/reports/unit", params={**PERIOD, "format": "odt"}, headers=bearer(trainer_key))
    assert bad.status_code == 422


def test_cli_writes_each_format(services, tmp_path, monkeypatch):  # noqa: F811
    from hocvuso.cli import main

    seed_attempts(services, PLAYS)
    monkeypatch.setenv("HOCVUSO_DATA_DIR", str(services.settings.data_dir))
    monkeypatch.setenv("HOCVUSO_EMBEDDING__BACKEND", "none")
    for fmt in ("docx", "xlsx", "pdf"):
        out = tmp_path / f"bao-cao.{fmt}"
        result = CliRunner().invoke(main, ["report", "--unit", UNIT, "--from", "2026-11-10", "--to", "2026-11-16",
                                           "--out", str(out)], prog_name="hocvuso")
        assert result.exit_code == 0, result.output
        assert f"Đã ghi báo cáo {UNIT} (3 người tham gia, 4 lượt hoàn thành)" in result.output
        assert "Lượt làm bài" in text_of(fmt, out.read_bytes())
    refused = CliRunner().invoke(main, ["report", "--from", "2026-11-16", "--to", "2026-11-10"], prog_name="hocvuso")
    assert refused.exit_code == 2 and "ngày bắt đầu" in refused.output


def test_dashboard_report_button_downloads_the_filtered_report(client, services, trainer_key):  # noqa: F811
    seed_attempts(services, PLAYS)
    page = client.get("/dashboard/login")
    token = page.text.split('name="csrf_token" value="')[1].split('"')[0]
    client.post("/dashboard/login", data={"key": trainer_key, "csrf_token": token})
    html = client.get("/dashboard", params={"from": "2026-11-10", "to": "2026-11-16", "unit": UNIT}).text
    assert 'id="report-pdf"' in html
    response = client.get("/dashboard/report", params={**PERIOD, "format": "pdf"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/pdf"
    assert f"Đơn vị: {UNIT}" in text_of("pdf", response.content)
