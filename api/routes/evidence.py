"""``/v1/evidence``: export the participation evidence and verify its hash chain (trainers)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel

from api.deps import DatabaseDep, SettingsDep, TrainerKey, UnitsDep
from api.errors import error_responses
from api.exports import CONTENT_TYPES, export_response
from api.filters import DateFrom, DateTo, Unit, check_period
from bot.evidence import EvidenceLog
from bot.stats import StatsFilter, unit_spellings

router = APIRouter(prefix="/v1/evidence", tags=["Minh chứng"], responses=error_responses(401, 403, 422, 500))


class Verification(BaseModel):
    """The outcome of walking the evidence chain."""

    ok: bool
    checked: int
    first_bad: int | None
    reason: str


@router.get(
    "/export", response_class=StreamingResponse, summary="Xuất minh chứng (CSV hoặc XLSX)",
    responses={200: {
        "description": "Tệp minh chứng: CSV UTF-8 có BOM hoặc bảng tính XLSX.",
        "content": {media_type.split(";")[0]: {} for media_type in CONTENT_TYPES.values()},
    }},
)
def export_evidence(
    trainer: TrainerKey, db: DatabaseDep, settings: SettingsDep, units: UnitsDep,
    format: Annotated[Literal["csv", "xlsx"], Query(description="Định dạng tệp.")] = "csv",
    date_from: DateFrom = None, date_to: DateTo = None, unit: Unit = None,
) -> StreamingResponse:
    """Download the evidence events of a period (and unit, with every spelling of it) as a file."""
    check_period(date_from, date_to)
    unit = (unit or "").strip() or None
    spellings = unit_spellings(db, StatsFilter(unit=unit, units=units)) if unit else None
    return export_response(db, format, date_from, date_to, spellings, settings.timezone)


@router.get("/verify", response_model=Verification, summary="Kiểm tra tính toàn vẹn của chuỗi minh chứng")
def verify_evidence(trainer: TrainerKey, db: DatabaseDep) -> Verification:
    """Recompute the hash chain and report where it first breaks, if anywhere."""
    return Verification.model_validate(EvidenceLog(db).verify(), from_attributes=True)
