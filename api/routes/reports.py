"""``/v1/reports``: the periodic unit report as a DOCX, XLSX or PDF download (trainers)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from api.deps import DatabaseDep, QuestionTextsDep, QuizDep, SettingsDep, TrainerKey
from api.errors import error_responses
from api.filters import Unit, check_period
from bot.report_files import CONTENT_TYPES, file_name, write_report
from bot.unit_report import build_unit_report

router = APIRouter(prefix="/v1/reports", tags=["Báo cáo"], responses=error_responses(401, 403, 422, 500))

ReportFormat = Literal["docx", "xlsx", "pdf"]


def report_response(db, settings, quiz, texts, date_from: date, date_to: date, unit: str | None,
                    fmt: ReportFormat) -> Response:
    """Build the report of ``unit`` for the period and send it as a file download."""
    check_period(date_from, date_to)
    report = build_unit_report(
        db, date_from, date_to, (unit or "").strip() or None,
        timezone=settings.timezone, pass_ratio=settings.quiz.pass_ratio,
        topic_titles={topic["id"]: topic["name"] for topic in quiz.topics()}, question_texts=texts,
    )
    return Response(
        write_report(report, fmt),
        media_type=CONTENT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{file_name(report, fmt)}"'},
    )


@router.get(
    "/unit",
    summary="Báo cáo kết quả của đơn vị",
    response_class=Response,
    responses={200: {"content": {media: {} for media in CONTENT_TYPES.values()},
                     "description": "Tệp báo cáo (DOCX, XLSX hoặc PDF)."}},
)
def unit_report(
    trainer: TrainerKey, db: DatabaseDep, settings: SettingsDep, quiz: QuizDep, texts: QuestionTextsDep,
    date_from: Annotated[date, Query(alias="from", description="Từ ngày (YYYY-MM-DD, gồm cả ngày này).")],
    date_to: Annotated[date, Query(alias="to", description="Đến ngày (YYYY-MM-DD, gồm cả ngày này).")],
    unit: Unit = None,
    format: Annotated[ReportFormat, Query(description="docx, xlsx hoặc pdf.")] = "docx",
) -> Response:
    """Người tham gia, hoàn thành, tỉ lệ đạt theo chủ đề và đơn vị, so với kỳ trước cùng độ dài,
    các câu sai nhiều nhất và trạng thái nhật ký minh chứng mà số liệu dựa vào."""
    return report_response(db, settings, quiz, texts, date_from, date_to, unit, format)
