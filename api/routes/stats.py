"""``/v1/stats``: participation and quiz statistics for trainers, filtered by period, unit and topic."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import DatabaseDep, QuestionTextsDep, SettingsDep, TrainerKey
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
    """The summary of one unit (null: users who registered no unit)."""

    unit: str | None


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


@router.get("/topics", response_model=list[TopicRow], summary="Theo chủ đề")
def topics(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep, settings: SettingsDep) -> list[dict]:
    """The summary per quiz topic, most attempts first."""
    return stats.by_topic(db, f, settings.quiz.pass_ratio)


@router.get("/questions", response_model=list[QuestionRow], summary="Theo câu hỏi")
def questions(trainer: TrainerKey, f: StatsFilterDep, db: DatabaseDep, texts: QuestionTextsDep) -> list[dict]:
    """Facility and discrimination index of each question answered."""
    return stats.per_question(db, f, texts)


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
