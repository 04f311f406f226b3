"""The certificate as a one-page PDF: name, topic, score, unit, date, code and a QR code to verify it.

Drawn with fpdf2 and the DejaVu Sans font shipped in ``bot/fonts`` (every Vietnamese
letter); the QR code's modules are drawn as squares from segno's matrix, so no image
library is needed. The text layer keeps the code readable by machines and screen readers.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

import segno
from fpdf import FPDF

from bot.certificates import CertificateView
from bot.report_files import FONTS

TITLE = "GIẤY CHỨNG NHẬN"
MOVEMENT = "Phong trào “Bình dân học vụ số”"


def _qr(pdf: FPDF, text: str, x: float, y: float, size: float) -> None:
    """Draw a QR code of ``text`` as black squares in a ``size`` mm square at (x, y)."""
    rows = list(segno.make_qr(text, error="m").matrix_iter(border=2))
    module = size / len(rows)
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(rows):
        for column_index, dark in enumerate(row):
            if dark:
                pdf.rect(x + column_index * module, y + row_index * module, module, module, style="F")


def certificate_pdf(certificate: CertificateView, verify_url: str, timezone: str) -> bytes:
    """The PDF of ``certificate``; ``verify_url`` is the page the QR code opens."""
    issued = certificate.issued_at.astimezone(ZoneInfo(timezone))
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_auto_page_break(False)
    pdf.add_font("DejaVu", "", str(FONTS / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_title(f"{TITLE} {certificate.code}")
    pdf.add_page()
    pdf.set_draw_color(11, 93, 122)
    pdf.set_line_width(1.2)
    pdf.rect(10, 10, 277, 190)

    pdf.set_y(24)
    pdf.set_font("DejaVu", "", 13)
    pdf.cell(0, 8, MOVEMENT, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 30)
    pdf.set_text_color(11, 93, 122)
    pdf.cell(0, 18, TITLE, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)
    pdf.set_font("DejaVu", "", 14)
    pdf.cell(0, 10, "Chứng nhận", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "B", 24)
    pdf.cell(0, 14, certificate.display_name, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 14)
    if certificate.course:
        what = f"đã hoàn thành khóa học kỹ năng số\n«{certificate.topic_title}»"
        result = f"Đạt bài trắc nghiệm của cả {certificate.total} chủ đề trong khóa"
    else:
        what = f"đã hoàn thành và đạt bài trắc nghiệm kỹ năng số chủ đề\n«{certificate.topic_title}»"
        result = f"Kết quả: {certificate.score}/{certificate.total} câu đúng"
    pdf.multi_cell(0, 9, what, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 9, result, align="C", new_x="LMARGIN", new_y="NEXT")
    if certificate.unit:
        pdf.cell(0, 9, f"Đơn vị: {certificate.unit}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, 9, f"Ngày cấp: {issued:%d/%m/%Y}", align="C", new_x="LMARGIN", new_y="NEXT")

    _qr(pdf, verify_url, 236, 148, 40)
    pdf.set_xy(20, 160)
    pdf.set_font("DejaVu", "B", 13)
    pdf.cell(200, 8, f"Mã xác minh: {certificate.code}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_x(20)
    pdf.set_font("DejaVu", "", 10)
    pdf.multi_cell(200, 6, f"Kiểm tra giấy chứng nhận: quét mã QR hoặc mở {verify_url}\n"
                           "Giấy chứng nhận được đối chiếu với nhật ký minh chứng của phong trào.")
    return bytes(pdf.output())
