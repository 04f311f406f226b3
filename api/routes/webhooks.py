"""Webhook routes of the chat channels: ``/webhooks/telegram`` and ``/webhooks/zalo``.

Each checks the channel's secret header before reading anything (403 otherwise),
refuses a body that is not a JSON object (400), and acknowledges at once; the
update is answered in the background (Telegram: PTB's update queue; Zalo: a task).
:func:`startup` and :func:`shutdown` are called by the app's lifespan.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any

from fastapi import APIRouter, FastAPI, Request

from api.errors import ApiError, error_responses

log = logging.getLogger(__name__)

router = APIRouter(prefix="/webhooks", tags=["Kênh chat"])

TELEGRAM_SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ZALO_SECRET_HEADER = "X-Bot-Api-Secret-Token"
# Updates are a few kilobytes; anything much larger is not from the platform.
MAX_BODY_BYTES = 256 * 1024
_RESPONSES = error_responses(400, 403, 404, 413, 503)


@router.post("/telegram", responses=_RESPONSES, summary="Nhận cập nhật từ Telegram")
async def telegram_webhook(request: Request) -> dict:
    """Accept one Telegram update and queue it for the bot."""
    settings = request.app.state.services.settings.telegram
    _check_configured(settings, "Telegram")
    _check_secret(request, TELEGRAM_SECRET_HEADER, settings.webhook_secret.get_secret_value())
    application = getattr(request.app.state, "telegram_app", None)
    if application is None:
        raise ApiError(503, "Kênh Telegram chưa sẵn sàng; vui lòng thử lại sau.", "unavailable")
    data = await _json_object(request)

    from telegram import Update

    try:
        update = Update.de_json(data, application.bot)
    except Exception:  # PTB raises whatever the malformed dict provokes
        raise ApiError(400, "Cập nhật không đúng định dạng của Telegram.", "bad_request") from None
    await application.update_queue.put(update)
    return {"ok": True}


@router.post("/zalo", responses=_RESPONSES, summary="Nhận cập nhật từ Zalo")
async def zalo_webhook(request: Request) -> dict:
    """Accept one Zalo update and answer it in the background."""
    settings = request.app.state.services.settings.zalo
    _check_configured(settings, "Zalo")
    _check_secret(request, ZALO_SECRET_HEADER, settings.webhook_secret.get_secret_value())
    bot = getattr(request.app.state, "zalo_bot", None)
    if bot is None:
        raise ApiError(503, "Kênh Zalo chưa sẵn sàng; vui lòng thử lại sau.", "unavailable")
    data = await _json_object(request)
    # The documented body is {"ok": true, "result": <update>}; accept a bare update too.
    update = data.get("result", data)
    if not isinstance(update, dict) or "event_name" not in update:
        raise ApiError(400, "Cập nhật không đúng định dạng của Zalo.", "bad_request")
    bot.dispatch(update)
    return {"ok": True}


async def startup(app: FastAPI) -> None:
    """Start the channels that have a token; a channel that cannot start is logged and left off."""
    services = app.state.services
    app.state.telegram_app = None
    app.state.zalo_bot = None
    if services.settings.telegram.token.get_secret_value():
        from bot.channels.telegram import start_for_webhook

        try:
            app.state.telegram_app = await start_for_webhook(services)
        except Exception:
            # Telegram unreachable or token refused: the rest of the API still serves.
            log.exception("Telegram channel not started")
    if services.settings.zalo.token.get_secret_value():
        from bot.channels.zalo import build_bot

        app.state.zalo_bot = build_bot(services)


async def shutdown(app: FastAPI) -> None:
    """Finish the updates in flight and close the channels."""
    application = getattr(app.state, "telegram_app", None)
    if application is not None:
        from bot.channels.telegram import stop_for_webhook

        await stop_for_webhook(application)
        app.state.telegram_app = None
    bot = getattr(app.state, "zalo_bot", None)
    if bot is not None:
        await bot.close()
        app.state.zalo_bot = None


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
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "Nội dung gửi lên không phải JSON hợp lệ.", "bad_request") from None
    if not isinstance(data, dict):
        raise ApiError(400, "Nội dung gửi lên phải là một đối tượng JSON.", "bad_request")
    return data
