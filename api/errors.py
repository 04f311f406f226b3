"""JSON errors with Vietnamese messages, and the exception handlers that produce them.

Every error the API returns has the shape ``{"detail": "...", "code": "..."}``;
validation errors add ``errors`` with one entry per offending field.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from starlette.exceptions import HTTPException as StarletteHTTPException

log = logging.getLogger(__name__)

# Messages for errors raised by the framework itself (unknown path, wrong method...).
STATUS_MESSAGES = {
    400: ("bad_request", "Yêu cầu không hợp lệ."),
    401: ("unauthorized", "Thiếu hoặc sai khóa API (gửi tiêu đề Authorization: Bearer <khóa>)."),
    403: ("forbidden", "Khóa API này không có quyền dùng chức năng này."),
    404: ("not_found", "Không tìm thấy địa chỉ hoặc tài nguyên được yêu cầu."),
    405: ("method_not_allowed", "Địa chỉ này không hỗ trợ phương thức HTTP đã dùng."),
    409: ("conflict", "Yêu cầu xung đột với trạng thái hiện tại."),
    413: ("too_large", "Dữ liệu gửi lên quá lớn."),
    415: ("unsupported_media_type", "Kiểu dữ liệu gửi lên không được hỗ trợ."),
    422: ("validation_error", "Dữ liệu gửi lên không hợp lệ."),
    500: ("internal_error", "Máy chủ gặp lỗi ngoài dự kiến; vui lòng thử lại sau."),
    503: ("unavailable", "Dịch vụ tạm thời chưa sẵn sàng; vui lòng thử lại sau."),
}

# Vietnamese wording for pydantic's error types (the ones a client can trigger).
VALIDATION_MESSAGES = {
    "missing": "thiếu trường bắt buộc",
    "string_too_short": "chuỗi quá ngắn (tối thiểu {min_length} ký tự)",
    "string_too_long": "chuỗi quá dài (tối đa {max_length} ký tự)",
    "string_pattern_mismatch": "giá trị không đúng định dạng",
    "string_type": "phải là chuỗi ký tự",
    "int_parsing": "phải là số nguyên",
    "int_type": "phải là số nguyên",
    "int_from_float": "phải là số nguyên",
    "bool_parsing": "phải là true hoặc false",
    "bool_type": "phải là true hoặc false",
    "greater_than_equal": "phải lớn hơn hoặc bằng {ge}",
    "greater_than": "phải lớn hơn {gt}",
    "less_than_equal": "phải nhỏ hơn hoặc bằng {le}",
    "less_than": "phải nhỏ hơn {lt}",
    "literal_error": "giá trị không được chấp nhận (chỉ nhận: {expected})",
    "enum": "giá trị không được chấp nhận (chỉ nhận: {expected})",
    "date_parsing": "ngày không hợp lệ (định dạng YYYY-MM-DD)",
    "date_from_datetime_parsing": "ngày không hợp lệ (định dạng YYYY-MM-DD)",
    "date_from_datetime_inexact": "ngày không hợp lệ (định dạng YYYY-MM-DD)",
    "date_type": "ngày không hợp lệ (định dạng YYYY-MM-DD)",
    "json_invalid": "JSON không hợp lệ",
    "model_attributes_type": "phải là một đối tượng JSON",
    "dict_type": "phải là một đối tượng JSON",
    "extra_forbidden": "trường không được phép",
}


class FieldError(BaseModel):
    """One invalid field of a request."""

    loc: list[str | int]
    msg: str
    type: str


class ErrorBody(BaseModel):
    """The JSON body of every error response."""

    detail: str
    code: str
    errors: list[FieldError] | None = None


class ApiError(StarletteHTTPException):
    """An HTTP error with a Vietnamese message and a stable machine-readable code."""

    def __init__(self, status_code: int, detail: str, code: str, headers: dict[str, str] | None = None):
        super().__init__(status_code=status_code, detail=detail, headers=headers)
        self.code = code


def error_responses(*statuses: int) -> dict[int | str, dict]:
    """OpenAPI ``responses`` entries documenting the error body for these statuses."""
    return {
        status: {"model": ErrorBody, "description": STATUS_MESSAGES[status][1]}
        for status in statuses
    }


def error_response(status: int, detail: str | None = None, code: str | None = None,
                   errors: list[dict] | None = None, headers: dict | None = None) -> JSONResponse:
    """Build the JSON response of an error."""
    default_code, default_detail = STATUS_MESSAGES.get(status, ("error", "Đã có lỗi xảy ra."))
    body = ErrorBody(detail=detail or default_detail, code=code or default_code, errors=errors)
    return JSONResponse(body.model_dump(exclude_none=True), status_code=status, headers=headers)


def describe_validation_error(error: dict) -> FieldError:
    """Turn one pydantic error into a field error with a Vietnamese message."""
    template = VALIDATION_MESSAGES.get(error["type"], "giá trị không hợp lệ")
    try:
        msg = template.format(**(error.get("ctx") or {}))
    except (KeyError, IndexError):
        msg = template
    loc = [part if isinstance(part, int) else str(part) for part in error.get("loc", ())]
    return FieldError(loc=loc, msg=msg, type=error["type"])


def validation_response(errors: list[dict]) -> JSONResponse:
    """The 422 response for a list of pydantic errors: a summary plus one entry per field."""
    fields = [describe_validation_error(error) for error in errors]
    first = fields[0] if fields else None
    detail = STATUS_MESSAGES[422][1]
    if first is not None:
        where = ".".join(str(part) for part in first.loc if part not in ("body",)) or "yêu cầu"
        detail = f"Dữ liệu gửi lên không hợp lệ: {where}: {first.msg}."
    return error_response(422, detail=detail, errors=[field.model_dump() for field in fields])


async def _http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if isinstance(exc, ApiError):
        return error_response(exc.status_code, exc.detail, exc.code, headers=exc.headers)
    # Errors raised by the framework carry English details: use ours instead.
    return error_response(exc.status_code, headers=exc.headers)


async def _validation_error(request: Request, exc: RequestValidationError) -> JSONResponse:
    return validation_response(list(exc.errors()))


async def _server_error(request: Request, exc: Exception) -> JSONResponse:
    log.exception("Lỗi khi xử lý %s %s", request.method, request.url.path, exc_info=exc)
    return error_response(500)


def install_error_handlers(app: FastAPI) -> None:
    """Make every error of the app a JSON body with a Vietnamese message."""
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _server_error)
