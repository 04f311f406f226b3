"""Read the text of .txt, .md, .pdf (text layer) and .docx files.

Every failure becomes a :class:`LoadError` whose message, in Vietnamese, tells the
user what is wrong with the file; ingest reports it and goes on with the others.
"""

from __future__ import annotations

import logging
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".pdf", ".docx")


class LoadError(Exception):
    """A file that cannot be read as a document; the message is shown to the user."""


def _check_bytes(data: bytes) -> None:
    if not data.strip():
        raise LoadError("tệp rỗng, không có nội dung")
    sample = data[:4096]
    controls = sum(1 for byte in sample if byte < 32 and byte not in (9, 10, 12, 13))
    if b"\x00" in sample or controls > len(sample) * 0.05:
        raise LoadError("tệp nhị phân, không phải văn bản")


def read_plain(path: Path) -> str:
    """Text of a .txt or .md file, which must be UTF-8."""
    data = path.read_bytes()
    _check_bytes(data)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LoadError(
            f"không đọc được theo mã UTF-8 (byte lạ ở vị trí {error.start}); "
            "hãy lưu lại tệp với mã hóa UTF-8"
        ) from None
    if not text.strip():
        raise LoadError("tệp rỗng, không có nội dung")
    return text


def read_pdf(path: Path) -> str:
    """Text layer of a PDF, page after page."""
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    data = path.read_bytes()
    if not data.strip():
        raise LoadError("tệp rỗng, không có nội dung")
    if not data.lstrip().startswith(b"%PDF"):
        raise LoadError("không phải tệp PDF hợp lệ (thiếu phần đầu %PDF)")
    # pypdf logs every repair it attempts; the summary reports the outcome instead.
    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as error:
        raise LoadError(f"tệp PDF bị hỏng, không đọc được ({error.__class__.__name__})") from None
    text = "\n".join(pages)
    if not text.strip():
        raise LoadError("PDF không có lớp văn bản (có thể là bản quét ảnh); cần nhận dạng chữ trước")
    return text


def read_docx(path: Path) -> str:
    """Paragraphs and table cells of a Word .docx file."""
    import zipfile

    import docx
    from docx.opc.exceptions import PackageNotFoundError

    if not path.read_bytes().strip():
        raise LoadError("tệp rỗng, không có nội dung")
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as error:
        raise LoadError(f"tệp Word bị hỏng, không đọc được ({error.__class__.__name__})") from None
    lines = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append(" | ".join(cell.text.strip() for cell in row.cells))
    text = "\n".join(lines)
    if not text.strip():
        raise LoadError("tệp Word không có chữ")
    return text


def load_text(path: Path) -> str:
    """The raw text of a supported file; raises :class:`LoadError` when it cannot."""
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(SUPPORTED_SUFFIXES)
        raise LoadError(f"định dạng {suffix or '(không có đuôi)'} không được hỗ trợ (chỉ nhận {supported})")
    if not path.is_file():
        raise LoadError("không tìm thấy tệp")
    if suffix == ".pdf":
        return read_pdf(path)
    if suffix == ".docx":
        return read_docx(path)
    return read_plain(path)
