"""``/v1/evidence``: export the participation evidence, verify it, and its signed checkpoints (trainers)."""

from __future__ import annotations

from typing import Annotated, Literal

from datetime import datetime

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from api.deps import DatabaseDep, SettingsDep, TrainerKey, UnitsDep
from api.errors import ApiError, error_responses
from api.exports import CONTENT_TYPES, export_response
from api.filters import DateFrom, DateTo, Unit, check_period
from bot.checkpoint import CheckpointError, VerifierKey, parse
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


class SignedCheckpoint(BaseModel):
    """A signed checkpoint of the evidence log: what it covers, the note and the key to check it."""

    origin: str = Field(description="Tên (định danh) của sổ minh chứng.")
    size: int = Field(description="Số sự kiện điểm mốc bao trùm.")
    root_hash: str = Field(description="Mã gốc Merkle (RFC 6962, SHA-256), dạng hex.")
    time: datetime
    public_key: str = Field(description="Khóa công khai Ed25519 dạng tên+mã+base64.")
    note: str = Field(description="Điểm mốc đã ký, định dạng C2SP tlog-checkpoint.")
    document: str = Field(description="Tệp để lưu giữ: vài dòng giải thích rồi điểm mốc đã ký.")


class CheckpointToVerify(BaseModel):
    """A checkpoint kept by a unit (the file's text or the bare signed note)."""

    model_config = ConfigDict(extra="forbid")

    checkpoint: str = Field(min_length=1, max_length=20_000)
    public_key: str | None = Field(None, max_length=500,
                                   description="Khóa công khai để kiểm tra chữ ký (mặc định: khóa của máy chủ).")


class CheckpointVerification(Verification):
    """The outcome of checking the log against a checkpoint; ``size``/``root_hash`` are the log's now."""

    size: int
    root_hash: str


@router.get("/checkpoint", response_model=SignedCheckpoint, responses=error_responses(404),
            summary="Điểm mốc đã ký mới nhất của sổ minh chứng")
def latest_checkpoint(trainer: TrainerKey, db: DatabaseDep, settings: SettingsDep) -> SignedCheckpoint:
    """The newest signed checkpoint, with the public key that checks it."""
    log = EvidenceLog(db)
    latest = log.latest_checkpoint()
    if latest is None or log.key is None:
        raise ApiError(404, "Chưa có điểm mốc nào; máy chủ ký điểm mốc định kỳ, hoặc chạy "
                            "`hocvuso evidence checkpoint`.", "no_checkpoint")
    key = log.key.verifier(latest.origin)
    return SignedCheckpoint(origin=latest.origin, size=latest.size, root_hash=latest.root_hex, time=latest.time,
                            public_key=str(key), note=latest.note, document=latest.document(key, settings.timezone))


@router.post("/verify", response_model=CheckpointVerification, responses=error_responses(400),
             summary="Kiểm tra sổ minh chứng theo một điểm mốc đã lưu")
def verify_against_checkpoint(body: CheckpointToVerify, trainer: TrainerKey, db: DatabaseDep) -> CheckpointVerification:
    """Whether the log now is the one the checkpoint signed, or that log with events appended (ok false otherwise)."""
    try:
        checkpoint = parse(body.checkpoint)
        key = VerifierKey.parse(body.public_key) if body.public_key else None
    except CheckpointError as error:
        raise ApiError(400, f"Không đọc được điểm mốc: {error}", "bad_checkpoint") from None
    result = EvidenceLog(db).verify(checkpoint, key)
    return CheckpointVerification(ok=result.ok, checked=result.checked, first_bad=result.first_bad,
                                  reason=result.reason, size=result.checked, root_hash=result.root.hex())
