"""``POST /v1/ask``: answer a question from the plans and lessons."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DatabaseDep, KnowledgeDep, MetricsDep, SettingsDep
from api.errors import error_responses
from bot import unanswered
from knowledge.records import Answer

router = APIRouter(prefix="/v1", tags=["Hỏi đáp"], responses=error_responses(400, 422, 500))


class AskRequest(BaseModel):
    """A question, optionally restricted to one kind of document, one document, a type, an issuer or a locality."""

    model_config = ConfigDict(extra="forbid")

    # The upper bound comes from settings (api.max_question_chars); the app writes it into the schema.
    question: str = Field(min_length=1, pattern=r"\S", description="Câu hỏi, tiếng Việt có hoặc không dấu.")
    kind: Literal["plan", "lesson"] | None = Field(
        None, description="Chỉ tìm trong văn bản (plan: kế hoạch, văn bản pháp luật) hoặc bài học (lesson)."
    )
    doc_id: str | None = Field(None, max_length=100, description="Chỉ tìm trong một văn bản (mã văn bản).")
    locality: str | None = Field(
        None, max_length=100,
        description="Chỉ tìm văn bản của một địa phương; tên tỉnh gồm cả văn bản của các xã thuộc tỉnh.",
    )
    doc_type: str | None = Field(None, max_length=50, description="Chỉ tìm một loại văn bản (Luật, Kế hoạch, ...).")
    issuer: str | None = Field(None, max_length=100, description="Chỉ tìm văn bản của một cơ quan ban hành.")


def check_question_length(question: str, limit: int) -> None:
    """Refuse questions longer than ``limit`` with the same 422 as any other invalid field."""
    if len(question) > limit:
        raise RequestValidationError([{
            "type": "string_too_long", "loc": ("body", "question"), "msg": "String too long",
            "input": question[:50], "ctx": {"max_length": limit},
        }])


@router.post("/ask", response_model=Answer, summary="Hỏi đáp về kế hoạch và bài học")
def ask(body: AskRequest, kb: KnowledgeDep, db: DatabaseDep, settings: SettingsDep, metrics: MetricsDep) -> Answer:
    """Answer a question with its sources: the same JSON as ``hocvuso ask --json``."""
    check_question_length(body.question, settings.api.max_question_chars)
    answer = kb.ask(body.question, kind=body.kind, doc_id=body.doc_id, locality=body.locality,
                    doc_type=body.doc_type, issuer=body.issuer)
    metrics.questions.labels(outcome="answered" if answer.found else "unanswered").inc()
    if unanswered.is_need(answer):
        # Callers of the API are anonymous: the question is kept without a user.
        with db.session() as session:
            unanswered.record(session, "", "api", None, body.question)
    return answer
