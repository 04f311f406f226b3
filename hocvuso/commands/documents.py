"""``hocvuso documents list|show``: the ingested documents, the CLI twin of ``/v1/documents``."""

from __future__ import annotations

import json

import click

from hocvuso.commands.knowledge import _open_kb

# Fields of a document in ``list`` (and at the head of ``show``), in order.
FIELDS = ["doc_id", "source", "title", "doc_type", "number", "date", "issuer", "signer", "locality", "chunks"]
_LABELS = {
    "doc_id": "Mã",
    "source": "Tệp",
    "title": "Tiêu đề",
    "doc_type": "Loại",
    "number": "Số, ký hiệu",
    "date": "Ngày",
    "issuer": "Cơ quan ban hành",
    "signer": "Người ký",
    "locality": "Địa phương",
    "chunks": "Số đoạn",
}


def _summary(document: dict) -> dict:
    return {name: document.get(name, "") for name in FIELDS}


@click.group(name="documents")
def documents() -> None:
    """Xem các tài liệu đã nạp: danh sách, thông tin và toàn văn theo mục."""


@documents.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="In danh sách dạng JSON.")
def list_command(as_json: bool) -> None:
    """Liệt kê tài liệu đã nạp với số, ngày, cơ quan ban hành, người ký, số đoạn."""
    rows = [_summary(document) for document in _open_kb().documents()]
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"{len(rows)} tài liệu đã nạp (đủ các trường: --json)")
    table.add_column("Mã", no_wrap=True)
    table.add_column("Loại")
    table.add_column("Số, ký hiệu")
    table.add_column("Ngày")
    table.add_column("Số đoạn", justify="right")
    for row in rows:
        cells = (row["doc_id"], row["doc_type"], row["number"], row["date"], str(row["chunks"]))
        table.add_row(*(cell or "—" for cell in cells))
    Console().print(table)


@documents.command(name="show")
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True, help="In dạng JSON, kèm 'sections': các mục theo thứ tự đọc.")
def show_command(doc_id: str, as_json: bool) -> None:
    """Thông tin và toàn văn một tài liệu, theo từng mục.

    DOC_ID là mã tài liệu (tên tệp không đuôi), xem bằng `hocvuso documents list`.
    """
    kb = _open_kb()
    sections = kb.reading(doc_id)
    if sections is None:
        known = ", ".join(sorted(d["doc_id"] for d in kb.documents()))
        raise click.ClickException(f"Không có tài liệu mã “{doc_id}”. Các mã hiện có: {known}.")
    document = next(d for d in kb.documents() if d["doc_id"] == doc_id)
    if as_json:
        click.echo(json.dumps({**_summary(document), "sections": sections}, ensure_ascii=False, indent=2))
        return
    for name in FIELDS:
        click.echo(f"{_LABELS[name]}: {document.get(name, '') or '—'}")
    for section in sections:
        click.echo(f"\n## {section['path'] or '(không có mục)'}")
        click.echo(section["text"])
