"""``/v1/quiz``: skill quizzes for a web client, on the same engine and database as the bots.

Starting an attempt returns a session token signed by the server (``token``); every
later call about that attempt sends it in the ``X-Quiz-Token`` header, so nobody can
answer, abandon or read another person's attempt by knowing their id. The token is
HMAC(key, attempt id and the user's pseudonym), the key derived from the pseudonym
secret. The next start may send the last token to stay the same user; ``user_id``
(an id chosen by the client, as before) is still accepted to start, and elsewhere only
as a check that it names the token's user. Like the bots, the app only ever stores
the pseudonym of channel ``web``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Header, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from api.deps import MAX_ID, DatabaseDep, MetricsDep, QuizDep, SettingsDep
from api.errors import ApiError, error_responses
from bot.identity import pseudonym
from bot.quiz import AttemptClosed, InvalidOption, NoQuestions, QuizInProgress, StaleAnswer, UnknownTopic
from hocvuso.db.models import QuizAttempt

router = APIRouter(prefix="/v1/quiz", tags=["Trắc nghiệm"], responses=error_responses(400, 422, 500))

CHANNEL = "web"
USER_ID_DESCRIPTION = ("Cách cũ: mã người dùng do ứng dụng web tự đặt (ổn định, không chứa thông tin cá nhân). "
                       "Chỉ dùng để bắt đầu lượt; ở các lệnh khác chỉ để đối chiếu với mã phiên.")
UserIdField = Field(None, min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$",
                    description=USER_ID_DESCRIPTION)
UserIdQuery = Annotated[str | None, Query(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:@-]+$",
                                          description=USER_ID_DESCRIPTION)]
AttemptId = Annotated[int, Path(ge=1, le=MAX_ID, description="Mã lượt trắc nghiệm.")]
TOKEN_HEADER = "X-Quiz-Token"
QuizToken = Annotated[str | None, Header(alias=TOKEN_HEADER, max_length=200,
                                         description="Mã phiên trắc nghiệm máy chủ cấp khi bắt đầu lượt.")]
_TOKEN_LABEL = b"hocvuso web quiz token v1"


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

    user_id: str | None = UserIdField
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


class StartedQuiz(QuizQuestion):
    """The first question, and the token to send as ``X-Quiz-Token`` with every later call."""

    token: str = Field(description="Mã phiên của lượt này: gửi trong tiêu đề X-Quiz-Token; giữ kín.")


class AnswerQuestion(BaseModel):
    """The option chosen for the current question (0-based, in the order shown)."""

    model_config = ConfigDict(extra="forbid")

    user_id: str | None = UserIdField
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


def _mac(settings, attempt_id: int, user: str) -> str:
    key = hmac.new(settings.pseudonym_secret.get_secret_value().encode("utf-8"), _TOKEN_LABEL, hashlib.sha256).digest()
    digest = hmac.new(key, f"{attempt_id}\n{user}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def issue_token(settings, attempt_id: int, user: str) -> str:
    """The session token of an attempt: its id and a MAC binding it to its user."""
    return f"{attempt_id}.{_mac(settings, attempt_id, user)}"


def quiz_session(db, settings, token: str | None, user_id: str | None) -> tuple[int, str]:
    """The attempt id and user a token stands for; 401 without one, 403 for a forged or foreign one."""
    if not token:
        raise ApiError(401, f"Cần mã phiên trắc nghiệm (tiêu đề {TOKEN_HEADER}) do máy chủ cấp khi bắt đầu lượt.",
                       "quiz_token_required")
    number, _, mac = token.partition(".")
    user = None
    if number.isdigit() and 0 < int(number) <= MAX_ID:
        with db.session() as session:
            user = session.scalar(select(QuizAttempt.user).where(QuizAttempt.id == int(number)))
    if user is None or not hmac.compare_digest(mac.encode(), _mac(settings, int(number), user).encode()):
        raise ApiError(403, "Mã phiên trắc nghiệm không hợp lệ.", "bad_quiz_token")
    if user_id is not None and _user(settings, user_id) != user:
        raise ApiError(403, "Mã phiên này không thuộc người dùng đã gửi (user_id).", "bad_quiz_token")
    return int(number), user


@router.get("/topics", response_model=list[Topic], summary="Các chủ đề trắc nghiệm")
def topics(quiz: QuizDep) -> list[dict]:
    """The quiz topics with their lessons and number of questions."""
    return quiz.topics()


@router.post("/attempts", status_code=201, response_model=StartedQuiz, responses=error_responses(403, 404, 409),
             summary="Bắt đầu một lượt trắc nghiệm")
def start(body: StartQuiz, quiz: QuizDep, db: DatabaseDep, settings: SettingsDep, metrics: MetricsDep,
          token: QuizToken = None) -> dict:
    """Open an attempt and return its first question and session token (409 while another attempt is open).

    The user is the one of the token sent (a previous attempt's), else ``user_id``, else a new one.
    """
    if token:
        user = quiz_session(db, settings, token, body.user_id)[1]
    else:
        user = _user(settings, body.user_id or "web-" + secrets.token_urlsafe(16))
    try:
        question = quiz.start(user, CHANNEL, body.topic)
    except UnknownTopic:
        raise ApiError(404, f"Không có chủ đề “{body.topic}”; xem danh sách ở /v1/quiz/topics.",
                       "topic_not_found") from None
    except NoQuestions:
        raise ApiError(404, "Chủ đề này chưa có câu hỏi nào.", "no_questions") from None
    except QuizInProgress as exc:
        raise ApiError(409, f"Bà con đang làm dở lượt trắc nghiệm số {exc.attempt_id}: hãy làm tiếp "
                            "(/v1/quiz/current) hoặc bỏ lượt đó trước.", "quiz_in_progress") from None
    metrics.quiz_attempts.labels(event="started").inc()
    return {**question, "token": issue_token(settings, question["attempt_id"], user)}


@router.get("/current", response_model=QuizQuestion, responses=error_responses(401, 403, 404),
            summary="Câu hỏi hiện tại của lượt đang làm")
def current(quiz: QuizDep, db: DatabaseDep, settings: SettingsDep, token: QuizToken = None,
            user_id: UserIdQuery = None) -> dict:
    """The current question of the token's attempt, while it is open."""
    attempt_id, user = quiz_session(db, settings, token, user_id)
    question = quiz.current(user)
    if question is None or question["attempt_id"] != attempt_id:
        raise ApiError(404, "Bà con chưa có lượt trắc nghiệm nào đang làm.", "no_open_attempt")
    return question


@router.delete("/current", status_code=204, responses=error_responses(401, 403),
               summary="Bỏ lượt trắc nghiệm đang làm")
def abandon(quiz: QuizDep, db: DatabaseDep, settings: SettingsDep, token: QuizToken = None,
            user_id: UserIdQuery = None) -> Response:
    """Abandon the token's attempt if it is still open."""
    attempt_id, user = quiz_session(db, settings, token, user_id)
    quiz.abandon(user, attempt_id)
    return Response(status_code=204)


@router.post("/attempts/{attempt_id}/answers", response_model=Feedback, responses=error_responses(401, 403, 409),
             summary="Trả lời câu hỏi hiện tại")
def answer(attempt_id: AttemptId, body: AnswerQuestion, quiz: QuizDep, db: DatabaseDep,
           settings: SettingsDep, metrics: MetricsDep, token: QuizToken = None) -> dict:
    """Answer the current question; the feedback carries the next question or the final result."""
    token_attempt, user = quiz_session(db, settings, token, body.user_id)
    if token_attempt != attempt_id:
        raise ApiError(403, f"Mã phiên này không phải của lượt số {attempt_id}.", "bad_quiz_token")
    try:
        feedback = quiz.answer(user, attempt_id, body.option, position=body.index)
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


@router.get("/attempts/{attempt_id}", response_model=QuizResult, responses=error_responses(401, 403, 404),
            summary="Kết quả một lượt trắc nghiệm")
def result(attempt_id: AttemptId, quiz: QuizDep, db: DatabaseDep, settings: SettingsDep,
           token: QuizToken = None, user_id: UserIdQuery = None) -> dict:
    """The score and outcome of the token's attempt."""
    if quiz_session(db, settings, token, user_id)[0] != attempt_id:
        raise ApiError(404, f"Không tìm thấy lượt trắc nghiệm số {attempt_id} của bà con.", "attempt_not_found")
    return quiz.result(attempt_id)
