"""``/v1/quiz``: skill quizzes for a web client, on the same engine and database as the bots.

The client names its user with an opaque id of its choosing (``user_id``); like the
bots, the app only ever stores the pseudonym of channel ``web`` and that id.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.deps import MAX_ID, DatabaseDep, MetricsDep, QuizDep, SettingsDep
from api.errors import ApiError, error_responses
from bot.identity import pseudonym
from bot.quiz import AttemptClosed, InvalidOption, NoQuestions, QuizInProgress, StaleAnswer, UnknownTopic
from hocvuso.db.models import QuizAttempt

router = APIRouter(prefix="/v1/quiz", tags=["Trắc nghiệm"], responses=error_responses(400, 422, 500))

CHANNEL = "web"
USER_ID_DESCRIPTION = "Mã người dùng do ứng dụng web tự đặt (ổn định, không chứa thông tin cá nhân)."
UserIdField = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$", description=USER_ID_DESCRIPTION)
UserIdQuery = Annotated[str, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$",
                                   description=USER_ID_DESCRIPTION)]
AttemptId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã lượt trắc nghiệm.")]


class CourseRef(BaseModel):
    """A course a topic's lesson belongs to (see ``knowledge/courses.yaml``)."""

    id: str
    title: str


class Topic(BaseModel):
    """A quiz topic, the lesson it tests and the courses of that lesson."""

    id: str
    name: str
    lesson: str
    lesson_title: str
    courses: list[CourseRef] = Field(description="Các khóa học có bài học này (công dân, hộ kinh doanh, cán bộ).")
    questions: int


class StartQuiz(BaseModel):
    """Start an attempt on one topic, or on mixed topics when ``topic`` is omitted."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = UserIdField
    topic: str | None = Field(None, max_length=64, description="Mã chủ đề (xem /v1/quiz/topics).")


class QuizQuestion(BaseModel):
    """The current question of an open attempt, options in the order shown."""

    attempt_id: int
    index: int = Field(description="Vị trí câu hỏi trong lượt, từ 0.")
    total: int
    question_id: str
    question: str
    options: list[str]
    topic: str
    topic_name: str


class AnswerQuestion(BaseModel):
    """The option chosen for the current question (0-based, in the order shown)."""

    model_config = ConfigDict(extra="forbid")

    user_id: str = UserIdField
    option: int = Field(ge=0, le=9, description="Thứ tự lựa chọn như đã hiển thị, từ 0.")
    index: int | None = Field(None, ge=0, le=99, description="Vị trí câu đang trả lời; gửi kèm để tránh trả lời nhầm câu khi bấm lại.")


class Citation(BaseModel):
    """The lesson section a question comes from."""

    lesson: str
    title: str
    section: str


class QuizResult(BaseModel):
    """The score and outcome of an attempt."""

    attempt_id: int
    topic: str | None
    topic_name: str | None
    score: int
    total: int
    ratio: float
    passed: bool
    completed: bool
    status: str
    started_at: datetime
    completed_at: datetime | None


class Feedback(BaseModel):
    """Whether the answer was right, why, and what comes next (the next question or the result)."""

    correct: bool
    correct_option: int
    correct_text: str
    explanation: str
    citation: Citation
    next: QuizQuestion | None
    result: QuizResult | None


def _user(settings, user_id: str) -> str:
    return pseudonym(settings.pseudonym_secret.get_secret_value(), CHANNEL, user_id)


def _owned_by(db, attempt_id: int, user: str) -> bool:
    with db.session() as session:
        owner = session.scalar(select(QuizAttempt.user).where(QuizAttempt.id == attempt_id))
    return owner == user


@router.get("/topics", response_model=list[Topic], summary="Các chủ đề trắc nghiệm")
def topics(quiz: QuizDep) -> list[dict]:
    """The quiz topics with their lessons and number of questions."""
    return quiz.topics()


@router.post("/attempts", status_code=201, response_model=QuizQuestion, responses=error_responses(404, 409),
             summary="Bắt đầu một lượt trắc nghiệm")
def start(body: StartQuiz, quiz: QuizDep, settings: SettingsDep, metrics: MetricsDep) -> dict:
    """Open an attempt and return its first question (409 while another attempt is open)."""
    try:
        question = quiz.start(_user(settings, body.user_id), CHANNEL, body.topic)
    except UnknownTopic:
        raise ApiError(404, f"Không có chủ đề “{body.topic}”; xem danh sách ở /v1/quiz/topics.",
                       "topic_not_found") from None
    except NoQuestions:
        raise ApiError(404, "Chủ đề này chưa có câu hỏi nào.", "no_questions") from None
    except QuizInProgress as exc:
        raise ApiError(409, f"Bà con đang làm dở lượt trắc nghiệm số {exc.attempt_id}: hãy làm tiếp "
                            "(/v1/quiz/current) hoặc bỏ lượt đó trước.", "quiz_in_progress") from None
    metrics.quiz_attempts.labels(event="started").inc()
    return question


@router.get("/current", response_model=QuizQuestion, responses=error_responses(404),
            summary="Câu hỏi hiện tại của lượt đang làm")
def current(user_id: UserIdQuery, quiz: QuizDep, settings: SettingsDep) -> dict:
    """The current question of the user's open attempt."""
    question = quiz.current(_user(settings, user_id))
    if question is None:
        raise ApiError(404, "Bà con chưa có lượt trắc nghiệm nào đang làm.", "no_open_attempt")
    return question


@router.delete("/current", status_code=204, summary="Bỏ lượt trắc nghiệm đang làm")
def abandon(user_id: UserIdQuery, quiz: QuizDep, settings: SettingsDep) -> Response:
    """Abandon the user's open attempt, if any."""
    quiz.abandon(_user(settings, user_id))
    return Response(status_code=204)


@router.post("/attempts/{attempt_id}/answers", response_model=Feedback, responses=error_responses(409),
             summary="Trả lời câu hỏi hiện tại")
def answer(attempt_id: AttemptId, body: AnswerQuestion, quiz: QuizDep,
           settings: SettingsDep, metrics: MetricsDep) -> dict:
    """Answer the current question; the feedback carries the next question or the final result."""
    try:
        feedback = quiz.answer(_user(settings, body.user_id), attempt_id, body.option, position=body.index)
    except AttemptClosed:
        raise ApiError(409, f"Lượt trắc nghiệm số {attempt_id} không còn mở (đã xong, đã bỏ hoặc hết hạn).",
                       "attempt_closed") from None
    except StaleAnswer:
        raise ApiError(409, "Câu này đã được trả lời; hãy xem câu hiện tại ở /v1/quiz/current.",
                       "stale_answer") from None
    except InvalidOption as exc:
        raise ApiError(422, f"Lựa chọn phải từ 0 đến {exc.count - 1}.", "invalid_option") from None
    if feedback["result"] is not None:
        metrics.quiz_attempts.labels(event="completed").inc()
    return feedback


@router.get("/attempts/{attempt_id}", response_model=QuizResult, responses=error_responses(404),
            summary="Kết quả một lượt trắc nghiệm")
def result(attempt_id: AttemptId, user_id: UserIdQuery, quiz: QuizDep,
           db: DatabaseDep, settings: SettingsDep) -> dict:
    """The score and outcome of one of the user's attempts."""
    if not _owned_by(db, attempt_id, _user(settings, user_id)):
        raise ApiError(404, f"Không tìm thấy lượt trắc nghiệm số {attempt_id} của bà con.", "attempt_not_found")
    return quiz.result(attempt_id)
