"""``POST /v1/ask``: answer a question from the plans and lessons; ``POST /v1/answers/{id}/rating``: rate it."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DatabaseDep, KnowledgeDep, MetricsDep, SettingsDep
from api.errors import ApiError, error_responses
from bot import ratings, unanswered
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


class AskResponse(Answer):
    """The answer, and the id to rate it by when the knowledge base found one."""

    answer_id: str | None = Field(None, description="Mã câu trả lời để đánh giá 👍/👎 "
                                                     "(`POST /v1/answers/{answer_id}/rating`); null khi không tìm thấy.")


class RatingRequest(BaseModel):
    """A 👍 (``up``) or 👎 (``down``) on an answer."""

    model_config = ConfigDict(extra="forbid")

    rating: Literal["up", "down"] = Field(description="`up`: hữu ích; `down`: chưa hữu ích.")


class RatingResult(BaseModel):
    """The rating as kept: one per answer; rating again changes it."""

    answer_id: str
    rating: Literal["up", "down"]
    changed: bool = Field(description="false khi câu trả lời đã có đúng đánh giá này từ trước.")


def check_question_length(question: str, limit: int) -> None:
    """Refuse questions longer than ``limit`` with the same 422 as any other invalid field."""
    if len(question) > limit:
        raise RequestValidationError([{
            "type": "string_too_long", "loc": ("body", "question"), "msg": "String too long",
            "input": question[:50], "ctx": {"max_length": limit},
        }])


@router.post("/ask", response_model=AskResponse, summary="Hỏi đáp về kế hoạch và bài học")
def ask(body: AskRequest, kb: KnowledgeDep, db: DatabaseDep, settings: SettingsDep, metrics: MetricsDep) -> dict:
    """Answer a question with its sources (the same JSON as ``hocvuso ask --json``) and an id to rate it by."""
    check_question_length(body.question, settings.api.max_question_chars)
    answer = kb.ask(body.question, kind=body.kind, doc_id=body.doc_id, locality=body.locality,
                    doc_type=body.doc_type, issuer=body.issuer)
    metrics.questions.labels(outcome="answered" if answer.found else "unanswered").inc()
    answer_id = None
    # Callers of the API are anonymous: questions and answers are kept without a user.
    if answer.found and answer.answer.strip():
        with db.session() as session:
            answer_id = ratings.remember(session, "", "api", None, body.question, answer).token
    elif unanswered.is_need(answer):
        with db.session() as session:
            unanswered.record(session, "", "api", None, body.question)
    return {**answer.model_dump(), "answer_id": answer_id}


@router.post("/answers/{answer_id}/rating", response_model=RatingResult, summary="Đánh giá câu trả lời 👍/👎",
             responses=error_responses(404))
def rate(answer_id: str, body: RatingRequest, db: DatabaseDep) -> dict:
    """Ghi 👍/👎 cho một câu trả lời của `POST /v1/ask`; gửi lại chỉ đổi đánh giá, không thêm lượt mới."""
    with db.session() as session:
        try:
            answer = ratings.find(session, token=answer_id[:64])
        except ratings.UnknownAnswer:
            raise ApiError(404, "Không có câu trả lời mang mã này.", "not_found") from None
        changed = ratings.rate(session, answer, "", None, body.rating)
    return {"answer_id": answer_id, "rating": body.rating, "changed": changed}
