"""``/v1/stats``: participation and quiz statistics for trainers, filtered by period, unit and topic."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import DatabaseDep, QuestionLabelsDep, QuestionTextsDep, SettingsDep, TrainerKey
from api.errors import error_responses
from api.filters import StatsFilterDep
from bot import stats

router = APIRouter(prefix="/v1/stats", tags=["Thống kê"], responses=error_responses(401, 403, 422, 500))


class Summary(BaseModel):
    """Participation and results of the selected quiz attempts (rates and means from 0 to 1)."""

    participants: int
    attempts: int
    completed: int
    passed: int
    completion_rate: float | None = Field(description="Lượt hoàn thành / lượt làm bài; null khi chưa có lượt nào.")
    mean_score: float | None = Field(description="Điểm trung bình (điểm / số câu) của các lượt hoàn thành.")
    pass_rate: float | None = Field(description="Tỉ lệ lượt hoàn thành đạt ngưỡng đỗ.")


class Overview(Summary):
    """The summary plus the number of questions asked to the assistant."""

    questions_asked: int


class UnitRow(Summary):
    """The summary of one unit (null: users who registered no unit); spellings of one unit are grouped."""

    unit: str | None
    listed: bool | None = Field(description="Đơn vị có trong danh sách đơn vị (units.yaml) không; null khi "
                                            "chưa đăng ký đơn vị hoặc nơi triển khai không có danh sách.")


class UnlistedUnit(BaseModel):
    """A unit users registered that is not in the unit list: for the trainer to add or correct."""

    unit: str
    spellings: list[str] = Field(description="Các cách gõ tên này của người học.")
    users: int


class TopicRow(Summary):
    """The summary of one quiz topic (null: mixed-topic quizzes)."""

    topic: str | None


class QuestionRow(BaseModel):
    """How one quiz question performs."""

    question_id: str
    topic: str
    question: str | None
    answers: int
    correct: int
    facility: float = Field(description="Độ dễ: tỉ lệ trả lời đúng (0..1).")
    discrimination: float | None = Field(description="Độ phân biệt (nhóm 27% cao trừ nhóm 27% thấp), -1..1.")
    difficulty: Literal["easy", "medium", "hard"] | None = Field(description="Nhãn độ khó trong ngân hàng câu hỏi.")
    observed: Literal["easy", "medium", "hard"] | None = Field(
        description="Độ khó thực tế theo độ dễ (dễ ≥ 0,80; khó < 0,50); null khi chưa đủ 20 lượt trả lời.")
    flags: list[Literal["label_mismatch", "negative_discrimination"]] = Field(
        description="Vấn đề cần xem lại: nhãn độ khó khác thực tế; độ phân biệt âm.")


class MissedRow(QuestionRow):
    """A question often answered wrongly."""

    wrong: int


class DayRow(BaseModel):
    """Activity of one calendar day in the configured time zone (Vietnam's by default)."""

    date: date
    participants: int
    attempts: int
    questions_asked: int
    active_users: int


class ScoreRow(BaseModel):
    """How many completed attempts reached one score."""

    score: int
    attempts: int


@router.get("/overview", response_model=Overview, summary="Tổng quan")
def overview(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep, settings: SettingsDep) -> dict:
    """Participants, attempts, completion, mean score, pass rate and questions asked."""
    return stats.overview(db, f, settings.quiz.pass_ratio)


@router.get("/units", response_model=list[UnitRow], summary="Theo đơn vị")
def units(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep, settings: SettingsDep) -> list[dict]:
    """The summary per unit, most attempts first."""
    return stats.by_unit(db, f, settings.quiz.pass_ratio)


@router.get("/unlisted-units", response_model=list[UnlistedUnit], summary="Đơn vị chưa có trong danh sách")
def unlisted(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep) -> list[dict]:
    """Units typed by users that match no unit of the list, most users first (empty without a list)."""
    return stats.unlisted_units(db, f)


@router.get("/topics", response_model=list[TopicRow], summary="Theo chủ đề")
def topics(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep, settings: SettingsDep) -> list[dict]:
    """The summary per quiz topic, most attempts first."""
    return stats.by_topic(db, f, settings.quiz.pass_ratio)


@router.get("/questions", response_model=list[QuestionRow], summary="Theo câu hỏi")
def questions(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep, texts: QuestionTextsDep,
              labels: QuestionLabelsDep) -> list[dict]:
    """Facility, discrimination index and flags of each question answered."""
    return stats.per_question(db, f, texts, labels)


@router.get("/missed", response_model=list[MissedRow], summary="Câu hỏi sai nhiều nhất")
def missed(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep, texts: QuestionTextsDep) -> list[dict]:
    """The ten questions most often answered wrongly."""
    return stats.most_missed(db, f, 10, texts)


@router.get("/daily", response_model=list[DayRow], summary="Theo ngày")
def daily(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep) -> list[dict]:
    """Participants, attempts, questions asked and active users per day."""
    return stats.daily(db, f)


@router.get("/scores", response_model=list[ScoreRow], summary="Phân bố điểm")
def scores(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep) -> list[dict]:
    """How many completed attempts reached each score."""
    return stats.score_distribution(db, f)
