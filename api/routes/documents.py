"""``/v1/documents``: browse the plans and lessons, their section tree and section texts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from api.deps import KnowledgeDep
from api.errors import ApiError, error_responses

router = APIRouter(prefix="/v1/documents", tags=["Văn bản"], responses=error_responses(422, 500))

DocId = Annotated[str, Path(max_length=100, description="Mã văn bản, ví dụ `tinh-nghe-an`, `02-vneid`.")]


class DocumentSummary(BaseModel):
    """A document's metadata."""

    doc_id: str
    source: str | None = Field(None, description="Tên tệp gốc.")
    kind: str
    title: str
    short_name: str | None = Field(None, description="Tên ngắn dùng khi trích dẫn, vd. `Luật Căn cước 2023`.")
    doc_type: str | None = Field(None, description="Loại văn bản: Luật, Nghị định, Nghị quyết, Kế hoạch...")
    issuer: str | None = None
    locality: str | None = None
    number: str | None = None
    date: str | None = None
    signer: str | None = None
    chunks: int = 0


class Section(BaseModel):
    """A heading of a document and the headings under it."""

    path: str = Field(description="Đường dẫn mục, dùng cho `/sections/{path}` (mã hóa URL).")
    title: str
    children: list[Section] = Field(default_factory=list)


class DocumentDetail(DocumentSummary):
    """A document's metadata and section tree."""

    sections: list[Section] = Field(default_factory=list)


class SectionText(BaseModel):
    """The text of one section, with its subsections."""

    doc_id: str
    path: str
    text: str


def _not_found(doc_id: str) -> ApiError:
    return ApiError(404, f"Không có văn bản mã “{doc_id}”.", "document_not_found")


@router.get("", response_model=list[DocumentSummary], summary="Danh sách văn bản")
def list_documents(kb: KnowledgeDep) -> list[dict]:
    """All ingested plans and lessons with their metadata."""
    return kb.documents()


@router.get("/{doc_id}", response_model=DocumentDetail, responses=error_responses(404),
            summary="Thông tin và mục lục một văn bản")
def get_document(doc_id: DocId, kb: KnowledgeDep) -> dict:
    """One document's metadata and its section tree."""
    document = kb.document(doc_id)
    if document is None:
        raise _not_found(doc_id)
    return document


@router.get("/{doc_id}/sections/{path:path}", response_model=SectionText, responses=error_responses(404),
            summary="Nội dung một mục của văn bản")
def get_section(doc_id: DocId, path: str, kb: KnowledgeDep) -> SectionText:
    """The text of one section (and its subsections); ``path`` as given in the section tree, URL-encoded."""
    text = kb.section_text(doc_id, path)
    if text is None:
        if kb.document(doc_id) is None:
            raise _not_found(doc_id)
        raise ApiError(404, f"Văn bản “{doc_id}” không có mục “{path}”.", "section_not_found")
    return SectionText(doc_id=doc_id, path=path, text=text)
