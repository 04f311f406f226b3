"""Write a :class:`~bot.unit_report.UnitReport` as DOCX, XLSX or PDF, all with the same content.

:func:`sections` turns the report into headed tables of text once; each writer only
lays those out, so the three formats cannot drift apart. The PDF embeds DejaVu Sans
(shipped in ``bot/fonts``), which covers every Vietnamese letter.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.unit_report import UnitReport

FORMATS = ("docx", "xlsx", "pdf")
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
FONTS = Path(__file__).resolve().parent / "fonts"
TITLE = "BÁO CÁO KẾT QUẢ THAM GIA PHONG TRÀO “BÌNH DÂN HỌC VỤ SỐ”"


@dataclass(frozen=True)
class Section:
    """A heading, an optional note, and a table (first row is the header)."""

    heading: str
    rows: list[list[str]]
    note: str = ""


def _day(value) -> str:
    return f"{value:%d/%m/%Y}"


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f} %".replace(".", ",")


def _count_change(value: float | None) -> str:
    return "–" if value is None else (f"{value:+d}" if value else "0")


def _points_change(value: float | None) -> str:
    """A change of a rate, in percentage points."""
    return "–" if value is None else f"{value * 100:+.1f} điểm %".replace(".", ",")


def heading_lines(report: UnitReport) -> list[str]:
    """The lines under the title: unit, period, previous period, when it was made."""
    made = report.created_at.astimezone(ZoneInfo(report.timezone))
    return [
        f"Đơn vị: {report.unit_label}",
        f"Kỳ báo cáo: từ ngày {_day(report.date_from)} đến ngày {_day(report.date_to)}",
        f"So sánh với kỳ trước: từ ngày {_day(report.previous_from)} đến ngày {_day(report.previous_to)}",
        f"Lập lúc: {made:%H:%M} ngày {_day(made)} ({report.timezone})",
    ]


def sections(report: UnitReport) -> list[Section]:
    """The report's content as headed tables of text, in reading order."""
    now, before = report.current, report.previous
    counts = [
        ("Người tham gia trắc nghiệm", "participants"),
        ("Lượt làm bài", "attempts"),
        ("Lượt hoàn thành", "completed"),
        ("Lượt đạt", "passed"),
        ("Câu hỏi đã hỏi trợ lý", "questions_asked"),
    ]
    rates = [
        ("Tỉ lệ hoàn thành", "completion_rate"),
        ("Điểm trung bình", "mean_score"),
        (f"Tỉ lệ đạt (đúng từ {report.pass_ratio * 100:.0f} %)", "pass_rate"),
    ]
    overview = [["Chỉ tiêu", "Kỳ này", "Kỳ trước", "Thay đổi"]]
    overview += [[label, str(now[key]), str(before[key]), _count_change(report.change(key))] for label, key in counts]
    overview += [[label, _percent(now[key]), _percent(before[key]), _points_change(report.change(key))]
                 for label, key in rates]

    summary_header = ["Người tham gia", "Lượt làm bài", "Hoàn thành", "Tỉ lệ đạt"]

    def summary(row: dict) -> list[str]:
        return [str(row["participants"]), str(row["attempts"]), str(row["completed"]), _percent(row["pass_rate"])]

    topics = [["Chủ đề", *summary_header]] + [[row["title"], *summary(row)] for row in report.by_topic]
    units = [["Đơn vị", *summary_header]] + [[row["unit"] or "(chưa khai báo đơn vị)", *summary(row)]
                                             for row in report.by_unit]
    missed = [["Câu hỏi", "Chủ đề", "Lượt trả lời", "Tỉ lệ đúng"]] + [
        [row["question"] or row["question_id"], row["title"], str(row["answers"]), _percent(row["facility"])]
        for row in report.most_missed
    ]
    anchor = report.evidence
    evidence_rows = [["Nội dung", "Giá trị"]]
    if anchor is not None:
        evidence_rows += [
            ["Số sự kiện đã kiểm tra", str(anchor.events)],
            ["Sự kiện cuối", f"#{anchor.last_id}"],
            ["Mã băm sự kiện cuối (SHA-256)", anchor.last_hash],
            ["Kiểm tra chuỗi băm", "Nguyên vẹn" if anchor.intact else f"KHÔNG nguyên vẹn: {anchor.reason}"],
        ]
        if anchor.checkpoint_size is not None:
            signed = anchor.checkpoint_time.astimezone(ZoneInfo(report.timezone))
            evidence_rows += [
                ["Điểm mốc có chữ ký mới nhất", f"{anchor.checkpoint_size} sự kiện, ký lúc {signed:%H:%M %d/%m/%Y}"],
                ["Mã gốc Merkle của điểm mốc", anchor.checkpoint_root],
                ["Khóa công khai kiểm tra chữ ký", anchor.public_key],
            ]
    empty = "Không có số liệu trong kỳ."
    return [
        Section("I. Kết quả chung", overview),
        Section("II. Theo chủ đề", topics, "" if report.by_topic else empty),
        Section("III. Theo đơn vị", units, "" if report.by_unit else empty),
        Section("IV. Các câu hỏi bị trả lời sai nhiều nhất", missed, "" if report.most_missed else empty),
        Section("V. Cơ sở số liệu: nhật ký minh chứng", evidence_rows,
                "Số liệu lập từ nhật ký minh chứng chỉ ghi thêm, có chuỗi băm; đối chiếu bằng "
                "“hocvuso evidence verify --checkpoint” với tờ điểm mốc đơn vị đang giữ."),
    ]


def write_report(report: UnitReport, fmt: str) -> bytes:
    """The report as a file of ``fmt`` (docx, xlsx or pdf)."""
    writers = {"docx": _docx, "xlsx": _xlsx, "pdf": _pdf}
    if fmt not in writers:
        raise ValueError(f"Định dạng “{fmt}” không hỗ trợ; chọn một trong: {', '.join(FORMATS)}.")
    return writers[fmt](report)


def file_name(report: UnitReport, fmt: str) -> str:
    """An ASCII file name: bao-cao-<from>-<to>.<fmt>."""
    return f"bao-cao-{report.date_from.isoformat()}-{report.date_to.isoformat()}.{fmt}"


def _docx(report: UnitReport) -> bytes:
    from docx import Document
    from docx.enum.text import WD_ALIGN_PARAGRAPH

    document = Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    title.add_run(TITLE).bold = True
    for line in heading_lines(report):
        document.add_paragraph(line)
    for section in sections(report):
        document.add_heading(section.heading, level=2)
        if section.note:
            document.add_paragraph(section.note)
        if len(section.rows) > 1:
            table = document.add_table(rows=0, cols=len(section.rows[0]))
            table.style = "Table Grid"
            for index, row in enumerate(section.rows):
                cells = table.add_row().cells
                for cell, text in zip(cells, row):
                    cell.text = text
                    if index == 0:
                        cell.paragraphs[0].runs[0].bold = True
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def _xlsx(report: UnitReport) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Báo cáo"
    sheet.append([TITLE])
    sheet["A1"].font = Font(bold=True)
    for line in heading_lines(report):
        sheet.append([line])
    for section in sections(report):
        sheet.append([])
        sheet.append([section.heading])
        sheet.cell(sheet.max_row, 1).font = Font(bold=True)
        if section.note:
            sheet.append([section.note])
        for index, row in enumerate(section.rows if len(section.rows) > 1 else []):
            sheet.append(row)
            if index == 0:
                for cell in sheet[sheet.max_row]:
                    cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 60
    for column in "BCDE":
        sheet.column_dimensions[column].width = 16
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _pdf(report: UnitReport) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(TITLE)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 12)
    pdf.multi_cell(0, 7, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font("DejaVu", "", 10)
    for line in heading_lines(report):
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    for section in sections(report):
        pdf.ln(3)
        pdf.set_font("DejaVu", "B", 11)
        pdf.multi_cell(0, 7, section.heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", "", 9)
        if section.note:
            pdf.multi_cell(0, 5, section.note, new_x="LMARGIN", new_y="NEXT")
        if len(section.rows) > 1:
            columns = len(section.rows[0])
            widths = (50,) + (50 / (columns - 1),) * (columns - 1) if columns > 2 else (45, 55)
            with pdf.table(col_widths=widths, text_align="LEFT", line_height=5) as table:
                for row in section.rows:
                    cells = table.row()
                    for text in row:
                        cells.cell(text)
    return bytes(pdf.output())
