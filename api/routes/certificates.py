"""Certificates: issued after a passed web quiz, downloaded as PDF, verified by anyone at ``/verify/{code}``.

The verify page is public and needs no login: whoever holds a certificate (an employer,
a commune official) scans its QR code and sees whether it is valid, revoked or forged.
"""

from __future__ import annotations

from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from api.deps import AdminKey, DatabaseDep, QuizDep, SettingsDep, get_quiz
from api.errors import ApiError, error_responses
from api.routes.quiz import AttemptId, QuizToken, quiz_session
from bot.certificate_pdf import certificate_pdf
from bot.certificates import CertificateError, Certificates, CertificateView, Verification
from bot.evidence import EvidenceLog

router = APIRouter(tags=["Chứng nhận"], responses=error_responses(400, 422, 500))
Code = Annotated[str, Path(min_length=5, max_length=20, pattern=r"^[A-Za-z0-9-]+$",
                           description="Mã xác minh in trên giấy chứng nhận, ví dụ ABCDE-23456.")]


class IssueCertificate(BaseModel):
    """The name to print on the certificate, as the person wants it."""

    model_config = ConfigDict(extra="forbid")

    display_name: str = Field(min_length=1, max_length=80, description="Tên in trên giấy chứng nhận.")


class CertificateOut(BaseModel):
    """A certificate and where to download and check it."""

    code: str
    display_name: str
    topic: str | None
    course: str | None = Field(description="Mã khóa học khi là giấy chứng nhận hoàn thành cả khóa.")
    topic_title: str = Field(description="Tên chủ đề, hoặc tên khóa học với giấy của cả khóa.")
    unit: str | None
    score: int
    total: int
    issued_at: str
    revoked: bool
    pdf_url: str
    verify_url: str


class VerificationOut(BaseModel):
    """The outcome of checking a code against the evidence log."""

    status: str = Field(description="valid, revoked, invalid hoặc not_found.")
    certificate: CertificateOut | None
    checks: list[dict]
    notes: list[str] = Field(description="Điều chưa kiểm được và lý do (ví dụ: chưa có điểm mốc bao hàm giấy).")


class Revoke(BaseModel):
    """Why a certificate is revoked."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field("", max_length=200)


def certificates(request: Request) -> Certificates:
    """The certificate service on the app's database, quiz bank, courses and evidence log."""
    services = request.app.state.services
    quiz = get_quiz(request)
    titles = {topic["id"]: topic["name"] for topic in quiz.topics()}
    lessons = {topic["id"]: topic["lesson"] for topic in quiz.topics()}
    return Certificates(services.db, EvidenceLog(services.db), services.settings.quiz.pass_ratio, titles,
                        quiz.courses, lessons)


def _out(request: Request, view: CertificateView) -> dict:
    return {
        "code": view.code, "display_name": view.display_name, "topic": view.topic, "course": view.course,
        "topic_title": view.topic_title,
        "unit": view.unit, "score": view.score, "total": view.total, "issued_at": view.issued_at.isoformat(),
        "revoked": view.revoked_at is not None,
        "pdf_url": str(request.url_for("certificate_pdf", code=view.code)),
        "verify_url": str(request.url_for("verify_page", code=view.code)),
    }


@router.post("/v1/quiz/attempts/{attempt_id}/certificate", response_model=CertificateOut, status_code=201,
             summary="Nhận giấy chứng nhận", responses=error_responses(401, 403, 409))
def issue(attempt_id: AttemptId, body: IssueCertificate, request: Request, quiz: QuizDep, db: DatabaseDep,
          settings: SettingsDep, token: QuizToken = None) -> dict:
    """Cấp giấy chứng nhận cho lượt đã đạt của chính người làm bài (gửi X-Quiz-Token), in tên họ chọn."""
    token_attempt, user = quiz_session(db, settings, token, None)
    if token_attempt != attempt_id:
        raise ApiError(403, f"Mã phiên này không phải của lượt số {attempt_id}.", "bad_quiz_token")
    try:
        view = certificates(request).issue(user, attempt_id, body.display_name)
    except CertificateError as error:
        raise ApiError(409, str(error), "certificate_refused") from error
    return _out(request, view)


@router.post("/v1/courses/{course_id}/certificate", response_model=CertificateOut, status_code=201,
             summary="Nhận giấy chứng nhận hoàn thành khóa học", responses=error_responses(401, 403, 409))
def issue_course(course_id: Annotated[str, Path(max_length=64, pattern=r"^[a-z0-9-]+$")], body: IssueCertificate,
                 request: Request, db: DatabaseDep, settings: SettingsDep, token: QuizToken = None) -> dict:
    """Cấp giấy chứng nhận khóa học (ví dụ `cong-dan`) khi người dùng của mã phiên (X-Quiz-Token của một lượt
    bất kỳ của họ) đã đạt mọi chủ đề của khóa."""
    user = quiz_session(db, settings, token, None)[1]
    try:
        view = certificates(request).issue_course(user, course_id, body.display_name)
    except CertificateError as error:
        raise ApiError(409, str(error), "certificate_refused") from error
    return _out(request, view)


def _verification(request: Request, code: str) -> Verification:
    return certificates(request).verify(code)


@router.get("/v1/certificates/{code}", response_model=VerificationOut, summary="Kiểm tra giấy chứng nhận")
def verify(code: Code, request: Request) -> dict:
    """Đối chiếu giấy chứng nhận với nhật ký minh chứng (công khai)."""
    result = _verification(request, code)
    return {
        "status": result.status,
        "certificate": _out(request, result.certificate) if result.certificate else None,
        "checks": [{"check": name, "ok": ok} for name, ok in result.checks],
        "notes": result.notes,
    }


@router.get("/v1/certificates/{code}/pdf", name="certificate_pdf", response_class=Response,
            summary="Tải giấy chứng nhận (PDF)",
            responses={200: {"content": {"application/pdf": {}}}, **error_responses(404)})
def pdf(code: Code, request: Request, settings: SettingsDep) -> Response:
    """Giấy chứng nhận dạng PDF, có mã QR dẫn tới trang kiểm tra."""
    result = _verification(request, code)
    if result.certificate is None:
        raise ApiError(404, "Không có giấy chứng nhận mang mã này.", "not_found")
    view = result.certificate
    content = certificate_pdf(view, str(request.url_for("verify_page", code=view.code)), settings.timezone)
    return Response(content, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="chung-nhan-{view.code}.pdf"'})


@router.post("/v1/admin/certificates/{code}/revoke", status_code=204, summary="Thu hồi giấy chứng nhận",
             responses=error_responses(401, 403, 404))
def revoke(code: Code, body: Revoke, request: Request, admin: AdminKey) -> Response:
    """Thu hồi: trang kiểm tra sẽ báo giấy chứng nhận đã bị thu hồi."""
    if not certificates(request).revoke(code, body.reason):
        raise ApiError(404, "Không có giấy chứng nhận mang mã này.", "not_found")
    return Response(status_code=204)


@router.get("/verify/{code}", name="verify_page", response_class=HTMLResponse, include_in_schema=False)
def verify_page(code: Code, request: Request, settings: SettingsDep) -> Response:
    """The public verify page: works on a phone, needs no login, says plainly what was checked."""
    result = _verification(request, code)
    issued = result.certificate.issued_at.astimezone(ZoneInfo(settings.timezone)) if result.certificate else None
    response = request.app.state.templates.TemplateResponse(
        request, "verify.html", {"result": result, "code": code, "issued": f"{issued:%d/%m/%Y}" if issued else ""},
        status_code=404 if result.status == "not_found" else 200,
    )
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'self'; base-uri 'none'"
    return response
