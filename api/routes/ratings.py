"""``/v1/stats/ratings``: the 👍/👎 people gave the assistant's answers, worst-rated answers first."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from api.deps import DatabaseDep, SettingsDep, TrainerKey
from api.errors import error_responses
from api.filters import DateFrom, DateTo, Unit, check_period
from bot import ratings

router = APIRouter(prefix="/v1/stats/ratings", tags=["Thống kê"], responses=error_responses(401, 403, 422, 500))


class UnitRatings(BaseModel):
    """Ratings given by the people of one unit ("": no unit registered, or the web API)."""

    unit: str
    up: int
    down: int


class RatedAnswers(BaseModel):
    """The rated answers that cite one section."""

    citation: str = Field(description="Nguồn đầu tiên của câu trả lời (văn bản, mục).")
    up: int
    down: int
    last_rated: datetime
    questions: list[str] = Field(description="Tối đa 5 câu hỏi (đã xóa số điện thoại, số giấy tờ), "
                                             "câu bị chê trước.")
    excerpt: str = Field(description="Đoạn đầu câu trả lời (câu bị chê gần nhất, nếu có).")


class RatingsSummary(BaseModel):
    """The ratings of the period and unit."""

    up: int
    down: int
    units: list[UnitRatings]
    answers: list[RatedAnswers] = Field(description="Theo nguồn được dẫn, câu trả lời bị chê nhiều nhất trước.")


@router.get("", response_model=RatingsSummary, summary="Đánh giá câu trả lời")
def summary(trainer: TrainerKey, db: DatabaseDep, settings: SettingsDep, date_from: DateFrom = None,
            date_to: DateTo = None, unit: Unit = None) -> dict:
    """Số 👍/👎 trong kỳ, theo đơn vị, và các câu trả lời bị đánh giá kém nhất trước (gộp theo mục được dẫn)."""
    check_period(date_from, date_to)
    return ratings.summary(db, date_from, date_to, (unit or "").strip() or None, settings.timezone).as_dict()
