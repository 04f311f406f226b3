"""``/v1/stats/unanswered``: the questions the assistant could not answer, grouped by wording."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import BaseModel, Field

from api.deps import DatabaseDep, SettingsDep, TrainerKey
from api.errors import ApiError, error_responses
from api.filters import DateFrom, DateTo, Unit, check_period
from bot import unanswered

router = APIRouter(prefix="/v1/stats/unanswered", tags=["Thống kê"], responses=error_responses(401, 403, 422, 500))


class UnansweredGroup(BaseModel):
    """Questions of similar wording that no document or lesson answered."""

    id: int = Field(description="Mã nhóm (mã câu hỏi đầu tiên của nhóm); dùng để đánh dấu đã xử lý.")
    example: str = Field(description="Câu hỏi đầu tiên của nhóm (đã xóa số điện thoại, số giấy tờ).")
    count: int = Field(description="Số lần được hỏi.")
    people: int = Field(description="Số người hỏi (bí danh khác nhau).")
    units: list[str]
    first_asked: datetime
    last_asked: datetime
    handled: bool
    questions: list[str] = Field(description="Tối đa 10 cách hỏi khác nhau trong nhóm.")


class Handled(BaseModel):
    """How many questions were marked handled."""

    handled: int


def _groups(db, settings, date_from, date_to, unit, include_handled: bool) -> list[unanswered.Group]:
    check_period(date_from, date_to)
    return unanswered.groups(db, date_from, date_to, (unit or "").strip() or None, settings.timezone, include_handled)


@router.get("", response_model=list[UnansweredGroup], summary="Câu hỏi chưa trả lời được")
def list_groups(trainer: TrainerKey, db: DatabaseDep, settings: SettingsDep, date_from: DateFrom = None,
                date_to: DateTo = None, unit: Unit = None,
                handled: Annotated[bool, Query(description="Gồm cả các nhóm đã xử lý.")] = False) -> list[dict]:
    """Các câu hỏi trợ lý chưa trả lời được, gộp theo cách diễn đạt gần nhau, nhóm hỏi nhiều nhất trước."""
    return [group.as_dict() for group in _groups(db, settings, date_from, date_to, unit, handled)]


@router.post("/{group_id}/handled", response_model=Handled, summary="Đánh dấu nhóm đã xử lý",
             responses=error_responses(404))
def mark_handled(group_id: int, trainer: TrainerKey, db: DatabaseDep) -> dict:
    """Đánh dấu mọi câu hỏi đang mở của nhóm là đã xử lý (ví dụ đã bổ sung bài học)."""
    count = unanswered.mark_handled(db, group_id, trainer.name)
    if not count:
        raise ApiError(404, f"Không có nhóm câu hỏi đang mở mang mã {group_id}.", "not_found")
    return {"handled": count}


EXPORT_HEADER = ["Mã nhóm", "Câu hỏi tiêu biểu", "Số lần hỏi", "Số người hỏi", "Đơn vị",
                 "Lần đầu (giờ Việt Nam)", "Lần cuối (giờ Việt Nam)", "Đã xử lý", "Các cách hỏi"]


def export_rows(groups: list[unanswered.Group], timezone: str) -> list[list]:
    """One row per group, times in the configured zone."""
    zone = ZoneInfo(timezone)

    def local(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%d/%m/%Y %H:%M")

    return [[g.id, g.example, g.count, len(g.people), ", ".join(sorted(g.units)), local(g.first), local(g.last),
             "có" if g.handled else "chưa", " | ".join(g.texts)] for g in groups]


@router.get("/export", summary="Xuất câu hỏi chưa trả lời được", response_class=Response)
def export(trainer: TrainerKey, db: DatabaseDep, settings: SettingsDep, date_from: DateFrom = None,
           date_to: DateTo = None, unit: Unit = None,
           format: Annotated[Literal["csv", "xlsx"], Query()] = "csv") -> Response:
    """Mọi nhóm (cả đã xử lý) dạng CSV (UTF-8 có BOM) hoặc Excel."""
    return unanswered_file(_groups(db, settings, date_from, date_to, unit, True), settings.timezone, format)


def unanswered_file(groups: list[unanswered.Group], timezone: str, format: str) -> Response:
    """The groups as a CSV (UTF-8 with BOM) or XLSX download."""
    rows = export_rows(groups, timezone)
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(EXPORT_HEADER)
        writer.writerows(rows)
        content, media = buffer.getvalue().encode("utf-8-sig"), "text/csv; charset=utf-8"
    else:
        from openpyxl import Workbook

        workbook = Workbook()
        sheet = workbook.active
        sheet.title = "Câu hỏi chưa trả lời"
        sheet.append(EXPORT_HEADER)
        for row in rows:
            sheet.append(row)
        stream = io.BytesIO()
        workbook.save(stream)
        content = stream.getvalue()
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(content, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="cau-hoi-chua-tra-loi.{format}"'})
