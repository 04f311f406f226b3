"""``/v1/announcements``: a trainer's short announcement to a unit's opted-in chat users, and its counts."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DatabaseDep, SettingsDep, TrainerKey, UnitsDep
from api.errors import ApiError, error_responses
from api.filters import PLAIN_TEXT
from bot import announcements

router = APIRouter(prefix="/v1/announcements", tags=["Thông báo"],
                   responses=error_responses(400, 401, 403, 422, 500))


class NewAnnouncement(BaseModel):
    """What to send, and to which unit."""

    model_config = ConfigDict(extra="forbid")

    unit: str = Field(min_length=1, max_length=200, pattern=PLAIN_TEXT,
                      description="Đơn vị nhận (tên trong danh sách đơn vị hoặc như người học đã gõ).")
    # Newlines are allowed in the text; other control characters are removed before sending.
    text: str = Field(min_length=1, max_length=4 * announcements.MAX_TEXT,
                      description=f"Nội dung, chữ thường (không định dạng), tối đa {announcements.MAX_TEXT} ký tự.")


class AnnouncementOut(BaseModel):
    """An announcement and what became of its messages."""

    id: int
    created_at: datetime
    created_by: str = Field(description="Tên khóa API đã gửi.")
    unit: str
    text: str
    recipients: int = Field(description="Số người nhận (đã đăng ký /nhanthongbao) lúc gửi.")
    sent: int = Field(description="Số tin nền tảng đã nhận.")
    pending: int = Field(description="Số tin đang chờ gửi hoặc gửi lại.")
    failed: int = Field(description="Số tin nền tảng từ chối hẳn (ví dụ người dùng chặn bot, hoặc đã tắt thông báo).")


@router.post("", response_model=AnnouncementOut, status_code=201, summary="Gửi thông báo cho một đơn vị")
def send(body: NewAnnouncement, trainer: TrainerKey, db: DatabaseDep, settings: SettingsDep, units: UnitsDep) -> dict:
    """Gửi thông báo ngắn tới những người học của đơn vị đã đăng ký nhận (qua hàng đợi gửi tin, có giới hạn tốc độ)."""
    try:
        delivery = announcements.announce(db, settings.pseudonym_secret.get_secret_value(), units,
                                          body.unit, body.text, trainer.name)
    except announcements.AnnouncementError as error:
        raise ApiError(422, str(error), "announcement_refused") from error
    return delivery.as_dict()


@router.get("", response_model=list[AnnouncementOut], summary="Các thông báo đã gửi")
def list_announcements(trainer: TrainerKey, db: DatabaseDep) -> list[dict]:
    """Các thông báo gần nhất (mới trước) với số người nhận, đã gửi, đang chờ, thất bại."""
    return [delivery.as_dict() for delivery in announcements.deliveries(db)]
