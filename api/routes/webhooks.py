"""Webhook routes of the chat channels: ``/webhooks/telegram`` and ``/webhooks/zalo``.

Each checks the channel's secret header before reading anything (403 otherwise),
refuses a body that is not a JSON object or not an update (400), stores the update
in the inbox and answers 200 only once it is committed (a platform re-sends what
did not get 200). Workers answer it later (:mod:`bot.delivery`); :func:`startup`
starts one in this process unless ``HOCVUSO_API__RUN_WORKER=false``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from api.errors import ApiError, error_responses
from bot.delivery.faults import crash_point

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["Kênh chat"])

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
# Updates are a few kilobytes; anything much larger is not from the platform.
MAX_BODY_BYTES = 256 * 1024
_RESPONSES = error_responses(400, 403, 404, 413, 503)


@router.post("/telegram", responses=_RESPONSES, summary="Nhận cập nhật từ Telegram")
async def telegram_webhook(request: Request) -> dict:
    """Store one Telegram update; answer 200 only once it is committed."""
    settings = request.app.state.services.settings.telegram
    _check_configured(settings, "Telegram")
    _check_secret(request, TELEGRAM_SECRET_HEADER, settings.webhook_secret.get_secret_value())
    data = await _json_object(request)

    from bot.channels.telegram import intake_keys

    try:
        update_key, chat_key = intake_keys(data)
    except ValueError:
        raise ApiError(400, "Cập nhật không đúng định dạng của Telegram.", "bad_request") from None
    await _store(request, "telegram", update_key, chat_key, data)
    return {"ok": True}


@router.post("/zalo", responses=_RESPONSES, summary="Nhận cập nhật từ Zalo")
async def zalo_webhook(request: Request) -> dict:
    """Store one Zalo update; answer 200 only once it is committed."""
    settings = request.app.state.services.settings.zalo
    _check_configured(settings, "Zalo")
    _check_secret(request, ZALO_SECRET_HEADER, settings.webhook_secret.get_secret_value())
    data = await _json_object(request)
    # The documented body is {"ok": true, "result": <update>}; accept a bare update too.
    update = data.get("result", data)
    if not isinstance(update, dict) or not isinstance(update.get("event_name"), str):
        raise ApiError(400, "Cập nhật không đúng định dạng của Zalo.", "bad_request")

    from bot.channels.zalo import intake_keys

    update_key, chat_key = intake_keys(update)
    await _store(request, "zalo", update_key, chat_key, update)
    return {"ok": True}


async def _store(request: Request, channel: str, update_key: str, chat_key: str, update: dict) -> None:
    """Commit the update to the inbox (a repeat is dropped there) and wake the local worker."""
    from bot.delivery import inbox

    services = request.app.state.services
    try:
        await run_in_threadpool(inbox.accept, services.db, channel, update_key, chat_key, update)
    except SQLAlchemyError:
        # Not stored, so not acknowledged: the platform will send it again.
        log.exception("%s update not stored", channel)
        raise ApiError(503, "Chưa lưu được cập nhật; vui lòng gửi lại sau.", "unavailable") from None
    crash_point("intake.after_commit")
    worker = getattr(request.app.state, "worker", None)
    if worker is not None:
        worker.notify()


async def startup(app: FastAPI) -> None:
    """Publish the Telegram command menu and start this process's worker, if channels are on."""
    services = app.state.services
    settings = services.settings
    app.state.worker = None
    app.state.worker_task = None
    app.state.worker_stop = None
    if settings.telegram.token.get_secret_value():
        from bot.channels.telegram import publish_commands

        await publish_commands(settings)
    channels_on = settings.telegram.token.get_secret_value() or settings.zalo.token.get_secret_value()
    if channels_on and settings.api.run_worker:
        from bot.delivery.worker import Worker

        stop = asyncio.Event()
        worker = await run_in_threadpool(Worker, services)  # opens the database
        app.state.worker, app.state.worker_stop = worker, stop
        app.state.worker_task = asyncio.create_task(worker.run(stop))


async def shutdown(app: FastAPI) -> None:
    """Stop the worker: the update in hand commits or rolls back; unsent replies wait in the outbox."""
    task = getattr(app.state, "worker_task", None)
    if task is not None:
        app.state.worker_stop.set()
        await task
        app.state.worker = app.state.worker_task = None


def _check_configured(settings, name: str) -> None:
    if not settings.token.get_secret_value():
        raise ApiError(404, f"Kênh {name} chưa được bật trên máy chủ này.", "not_found")


def _check_secret(request: Request, header: str, expected: str) -> None:
    # No configured secret means nobody may post: the webhook stays closed.
    received = request.headers.get(header, "")
    if not expected or not hmac.compare_digest(received.encode(), expected.encode()):
        raise ApiError(403, "Thiếu hoặc sai mã bí mật của webhook.", "forbidden")


async def _json_object(request: Request) -> dict[str, Any]:
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY_BYTES:
            raise ApiError(413, "Cập nhật gửi lên quá lớn.", "too_large")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: absurdly nested JSON
        raise ApiError(400, "Nội dung gửi lên không phải JSON hợp lệ.", "bad_request") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Nội dung gửi lên phải là một đối tượng JSON.", "bad_request")
    return data
