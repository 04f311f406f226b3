"""``/v1/admin``: trigger a re-ingest of the documents, manage API keys and the unit list (admin keys only)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from api.deps import MAX_ID, AdminKey, DatabaseDep, UnitCatalogDep
from api.errors import ApiError, error_responses
from api.jobs import IngestJob, IngestRunning
from api.keys import NAME_MAX_CHARS, KeyInfo, create_key, list_keys, revoke_key
from bot import stats
from bot.units import MAX_UNIT_CHARS, UnitExists


router = APIRouter(prefix="/v1/admin", tags=["Quản trị"], responses=error_responses(400, 401, 403, 422, 500))


class IngestJobOut(BaseModel):
    """The state of an ingest run."""

    id: int
    status: Literal["running", "succeeded", "failed"]
    started_at: datetime
    finished_at: datetime | None = None
    report: dict | None = None
    error: str | None = None


class KeyOut(BaseModel):
    """An API key as listed: never the key itself."""

    id: int
    name: str
    role: Literal["trainer", "admin"]
    prefix: str
    created_at: datetime
    revoked_at: datetime | None = None


class NewKey(BaseModel):
    """A key to create."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=NAME_MAX_CHARS, pattern=r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$",
                      description="Tên người hoặc đơn vị giữ khóa.")
    role: Literal["trainer", "admin"]


class CreatedKey(KeyOut):
    """A newly created key, with the key itself: shown only this once."""

    key: str


UnitName = Annotated[str, Field(min_length=1, max_length=MAX_UNIT_CHARS, pattern=r"^[^\x00-\x1f]*\S[^\x00-\x1f]*$")]


class UnitOut(BaseModel):
    """A listed unit: from ``units.yaml`` (``file``) or added here (``admin``)."""

    name: str
    aliases: list[str]
    source: Literal["file", "admin"]


class NewUnit(BaseModel):
    """A unit to list, with other names people use for it."""

    model_config = ConfigDict(extra="forbid")

    name: UnitName = Field(description="Tên đầy đủ, ví dụ “Phường Vĩnh Phú”.")
    aliases: list[UnitName] = Field(default_factory=list, max_length=20,
                                    description="Tên khác, ví dụ “UBND phường Vĩnh Phú”.")


class UnlistedUnitOut(BaseModel):
    """A unit users typed that matches no listed unit."""

    unit: str
    spellings: list[str]
    users: int


class UnitsOut(BaseModel):
    """The unit list and the units typed by users that are not in it."""

    units: list[UnitOut]
    unlisted: list[UnlistedUnitOut]


def _job_out(job: IngestJob) -> IngestJobOut:
    return IngestJobOut.model_validate(job, from_attributes=True)


def _key_out(key: KeyInfo) -> KeyOut:
    return KeyOut.model_validate(key, from_attributes=True)


@router.post("/ingest", status_code=202, response_model=IngestJobOut, responses=error_responses(409),
             summary="Nạp lại tài liệu (chạy nền)")
def start_ingest(admin: AdminKey, request: Request) -> IngestJobOut:
    """Start re-ingesting the plans and lessons in a background thread; poll the returned job."""
    try:
        job = request.app.state.ingest_jobs.start()
    except IngestRunning as running:
        raise ApiError(409, f"Đang có lượt nạp tài liệu số {running.job.id} chạy; hãy chờ lượt đó xong.",
                       "ingest_running") from None
    return _job_out(job)


@router.get("/ingest", response_model=list[IngestJobOut], summary="Các lượt nạp tài liệu gần đây")
def list_ingest_jobs(admin: AdminKey, request: Request) -> list[IngestJobOut]:
    """The recent ingest runs, newest first."""
    return [_job_out(job) for job in request.app.state.ingest_jobs.all()]


@router.get("/ingest/{job_id}", response_model=IngestJobOut, responses=error_responses(404),
            summary="Trạng thái một lượt nạp tài liệu")
def get_ingest_job(admin: AdminKey, job_id: Annotated[int, Path(ge=1, le=MAX_ID)], request: Request) -> IngestJobOut:
    """The state of one ingest run."""
    job = request.app.state.ingest_jobs.get(job_id)
    if job is None:
        raise ApiError(404, f"Không có lượt nạp tài liệu số {job_id}.", "job_not_found")
    return _job_out(job)


@router.post("/keys", status_code=201, response_model=CreatedKey, summary="Tạo khóa API")
def add_key(admin: AdminKey, body: NewKey, db: DatabaseDep) -> CreatedKey:
    """Create a key; the response is the only time the key itself is shown."""
    key, raw = create_key(db, body.name, body.role)
    return CreatedKey(**_key_out(key).model_dump(), key=raw)


@router.get("/keys", response_model=list[KeyOut], summary="Danh sách khóa API")
def get_keys(admin: AdminKey, db: DatabaseDep) -> list[KeyOut]:
    """All keys, active and revoked (without the keys themselves)."""
    return [_key_out(key) for key in list_keys(db)]


@router.delete("/keys/{key_id}", response_model=KeyOut, responses=error_responses(404, 409),
               summary="Thu hồi khóa API")
def delete_key(admin: AdminKey, key_id: Annotated[int, Path(ge=1, le=MAX_ID)], db: DatabaseDep) -> KeyOut:
    """Revoke a key; requests with it get 401 from then on."""
    if key_id == admin.id:
        raise ApiError(409, "Không thể thu hồi chính khóa đang dùng; hãy dùng khóa quản trị khác "
                            "hoặc lệnh `hocvuso keys revoke`.", "own_key")
    key = revoke_key(db, key_id)
    if key is None:
        raise ApiError(404, f"Không có khóa API số {key_id}.", "key_not_found")
    return _key_out(key)


@router.get("/units", response_model=UnitsOut, summary="Danh sách đơn vị")
def get_units(admin: AdminKey, catalog: UnitCatalogDep, db: DatabaseDep) -> UnitsOut:
    """The listed units (file and added), and the units users typed that match none of them."""
    unlisted = stats.unlisted_units(db, stats.StatsFilter(units=catalog.directory()))
    return UnitsOut(units=catalog.entries(), unlisted=unlisted)


@router.post("/units", status_code=201, response_model=UnitOut, responses=error_responses(409),
             summary="Thêm đơn vị vào danh sách")
def add_unit(admin: AdminKey, body: NewUnit, catalog: UnitCatalogDep) -> UnitOut:
    """List a unit; from then on what users type for it (and what they typed before) counts for it."""
    try:
        return UnitOut(**catalog.add(body.name, body.aliases))
    except UnitExists as exists:
        raise ApiError(409, f"Tên này đã ứng với đơn vị “{exists.unit}” trong danh sách.", "unit_exists") from None
