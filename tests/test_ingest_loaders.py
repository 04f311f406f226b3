"""Loaders on real files made in the test: text, markdown, PDF, Word, and broken ones."""

from __future__ import annotations

from pathlib import Path

import docx
import pytest

from ingest.loaders import LoadError, load_text
from ingest.pipeline import read_document


def minimal_pdf(lines: list[str]) -> bytes:
    """A one-page PDF whose text layer holds ``lines`` (ASCII, Helvetica)."""
    escaped = [line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") for line in lines]
    stream = "BT /F1 12 Tf 50 800 Td 14 TL " + " T* ".join(f"({line}) Tj" for line in escaped) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream)} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out


def test_pdf_text_layer_is_read_and_cleaned(tmp_path: Path):
    path = tmp_path / "ke-hoach-mau.pdf"
    path.write_bytes(
        minimal_pdf(
            [
                "KE HOACH",
                "Trien khai phong trao so",
                "Can cu Nghi quyet so 57-",
                "NQ/TW ngay 22/12/2024 cua Bo Chinh tri;",
                "I. MUC DICH",
                "1. Muc dich",
                "- Nang cao nhan thuc ve chuyen doi so.",
                "7",
            ]
        )
    )
    assert "57-" in load_text(path)
    document = read_document(path)
    text = "\n".join(p for s in document.outline.sections for _, sec in s.walk() for p in sec.paragraphs)
    assert "57-NQ/TW ngay 22/12/2024" in text
    assert "- Nang cao nhan thuc ve chuyen doi so." in text
    assert document.kind == "plan" and document.doc_id == "ke-hoach-mau"
    assert [section.label for section in document.outline.sections] == ["Phần mở đầu", "I. MUC DICH"]


def test_docx_paragraphs_and_tables_are_read(tmp_path: Path):
    path = tmp_path / "thong-bao.docx"
    word = docx.Document()
    word.add_paragraph("KẾ HOẠCH")
    word.add_paragraph("Tập huấn kỹ năng số cho người dân xã Nghĩa Trung")
    word.add_paragraph("I. MỤC ĐÍCH")
    word.add_paragraph("- Giúp bà con dùng VNeID và dịch vụ công trực tuyến.")
    table = word.add_table(rows=1, cols=2)
    table.rows[0].cells[0].text = "Thời gian"
    table.rows[0].cells[1].text = "Quý II/2026"
    word.save(str(path))
    text = load_text(path)
    assert "Tập huấn kỹ năng số" in text and "Thời gian | Quý II/2026" in text
    document = read_document(path)
    assert document.metadata["title"] == "Kế hoạch tập huấn kỹ năng số cho người dân xã Nghĩa Trung"
    assert document.metadata["locality"] == "xã Nghĩa Trung"


def test_plain_text_and_markdown(tmp_path: Path):
    note = tmp_path / "ghi-chu.md"
    note.write_text("# Ghi chú\n\n## Lịch học\nThứ bảy hằng tuần tại nhà văn hóa thôn.\n", encoding="utf-8")
    document = read_document(note)
    assert [s.label for s in document.outline.sections] == ["Lịch học"]
    assert document.kind == "plan"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("rong.txt", b"", "rỗng"),
        ("khoang-trang.md", b"  \n\n \t", "rỗng"),
        ("anh.txt", bytes(range(256)) * 8, "nhị phân"),
        ("latin1.txt", "Thông báo số 5, Hà Nội".encode("latin-1", errors="replace"), "UTF-8"),
        ("hong.pdf", b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 9 0 R >>\nendobj\ntrailer <<>>\n%%EOF", "PDF"),
        ("khong-phai-pdf.pdf", b"day khong phai la PDF", "PDF"),
        ("hong.docx", b"PK\x03\x04 not really a zip", "Word"),
        ("bang-tinh.xyz", b"a,b,c\n1,2,3\n", "không được hỗ trợ"),
    ],
)
def test_bad_files_raise_a_clear_error(tmp_path: Path, name: str, content: bytes, message: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=message):
        load_text(path)
