"""``hocvuso bot``: run the Telegram and Zalo bots by long polling, manage their webhooks;
``hocvuso worker``: process stored updates; ``hocvuso maintenance prune``: retention."""

from __future__ import annotations

import asyncio
import logging
import re

import click

CHANNELS = ("telegram", "zalo")
_TELEGRAM_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


@click.group(name="bot")
def bot() -> None:
    """Chạy trợ lý trên Telegram và Zalo, đăng ký webhook."""
    # httpx logs each request URL at INFO, and Bot API URLs contain the bot token.
    logging.getLogger("httpx").setLevel(logging.WARNING)


@bot.command(name="telegram")
def telegram_command() -> None:
    """Chạy bot Telegram bằng long polling (không cần máy chủ công khai).

    Cần HOCVUSO_TELEGRAM__TOKEN. Dừng bằng Ctrl+C.
    """
    from telegram.error import InvalidToken, TelegramError

    from bot.channels import telegram

    try:
        _poll_and_work("Telegram", telegram.poll)
    except InvalidToken:
        raise click.ClickException("Telegram từ chối mã bot. Kiểm tra HOCVUSO_TELEGRAM__TOKEN.") from None
    except TelegramError as error:
        raise click.ClickException(f"Không kết nối được với Telegram: {error}") from None


@bot.command(name="zalo")
def zalo_command() -> None:
    """Chạy bot Zalo bằng long polling (không cần máy chủ công khai).

    Cần HOCVUSO_ZALO__TOKEN. Dừng bằng Ctrl+C.
    """
    from bot.channels import zalo

    try:
        _poll_and_work("Zalo", zalo.poll)
    except zalo.ZaloError as error:
        raise click.ClickException(
            f"Zalo từ chối mã bot ({error.code}). Kiểm tra HOCVUSO_ZALO__TOKEN."
        ) from None


def _poll_and_work(name: str, poller) -> None:
    """Poll one channel into the inbox and run a worker beside it, until Ctrl+C or SIGTERM."""
    from bot.channels.relay import ChannelNotConfigured
    from bot.delivery.worker import run_worker
    from hocvuso.services import Services

    services = Services()
    token = getattr(services.settings, name.lower()).token.get_secret_value()
    if not token:
        raise click.ClickException(f"Chưa có mã bot {name}: đặt biến HOCVUSO_{name.upper()}__TOKEN.")
    click.echo(f"Bot {name} đang chạy (long polling). Nhấn Ctrl+C để dừng.", err=True)
    try:
        run_worker(services, pollers=[poller])
    except ChannelNotConfigured as error:
        raise click.ClickException(str(error)) from None
    finally:
        services.close()
    click.echo(f"Đã dừng bot {name}.", err=True)


@bot.command(name="set-webhook")
@click.argument("channel", type=click.Choice(CHANNELS))
@click.option("--url", help="Địa chỉ HTTPS công khai của webhook, ví dụ "
              "https://tenmien.vn/webhooks/telegram (mặc định: HOCVUSO_<KÊNH>__WEBHOOK_URL).")
def set_webhook_command(channel: str, url: str | None) -> None:
    """Đăng ký webhook của một kênh (telegram hoặc zalo) kèm mã bí mật HOCVUSO_<KÊNH>__WEBHOOK_SECRET."""
    from hocvuso.settings import load_settings

    settings = load_settings()
    channel_settings = getattr(settings, channel)
    url = url or channel_settings.webhook_url
    if not url:
        raise click.UsageError(
            f"Thiếu địa chỉ webhook: dùng --url hoặc đặt HOCVUSO_{channel.upper()}__WEBHOOK_URL."
        )
    if not url.startswith("https://"):
        raise click.UsageError("Địa chỉ webhook phải bắt đầu bằng https://.")
    _check_secret(channel, channel_settings.webhook_secret.get_secret_value())
    _run(channel, settings, "set_webhook", url)
    click.echo(f"Đã đăng ký webhook {channel}: {url}")


@bot.command(name="delete-webhook")
@click.argument("channel", type=click.Choice(CHANNELS))
def delete_webhook_command(channel: str) -> None:
    """Hủy webhook của một kênh (telegram hoặc zalo) để chạy lại bằng long polling."""
    from hocvuso.settings import load_settings

    _run(channel, load_settings(), "delete_webhook")
    click.echo(f"Đã hủy webhook {channel}.")


def _check_secret(channel: str, secret: str) -> None:
    name = f"HOCVUSO_{channel.upper()}__WEBHOOK_SECRET"
    if not secret:
        raise click.ClickException(f"Chưa đặt mã bí mật webhook: đặt {name} trước.")
    if channel == "telegram" and not _TELEGRAM_SECRET_RE.match(secret):
        raise click.ClickException(
            f"{name} chỉ được gồm chữ cái Latin, chữ số, '_' và '-' (tối đa 256 ký tự)."
        )
    if channel == "zalo" and not 8 <= len(secret) <= 256:
        raise click.ClickException(f"{name} phải dài từ 8 đến 256 ký tự.")


def _run(channel: str, settings, action: str, *args) -> None:
    """Run one webhook action of a channel, turning its errors into CLI errors."""
    from bot.channels.relay import ChannelNotConfigured

    if channel == "telegram":
        from telegram.error import TelegramError

        from bot.channels import telegram as module

        platform_errors: tuple[type[Exception], ...] = (TelegramError,)
    else:
        from bot.channels import zalo as module

        platform_errors = (module.ZaloError, ConnectionError)
    try:
        asyncio.run(getattr(module, action)(settings, *args))
    except ChannelNotConfigured as error:
        raise click.ClickException(str(error)) from None
    except platform_errors as error:
        raise click.ClickException(f"Không làm được với máy chủ {channel}: {error}") from None


@click.command(name="worker")
@click.option("--concurrency", default=2, show_default=True, type=click.IntRange(1, 64),
              help="Số cập nhật xử lý cùng lúc (các cuộc trò chuyện khác nhau); SQLite luôn là 1.")
def worker(concurrency: int) -> None:
    """Xử lý các cập nhật Telegram/Zalo đã nhận và gửi câu trả lời (chạy thêm bên cạnh `hocvuso serve`).

    Mọi tiến trình dùng chung HOCVUSO_DATABASE_URL (PostgreSQL khi chạy nhiều máy).
    Dừng bằng Ctrl+C: cập nhật đang xử lý hoặc được lưu trọn, hoặc được làm lại sau.
    """
    from bot.delivery.worker import run_worker
    from hocvuso.services import Services

    logging.getLogger("httpx").setLevel(logging.WARNING)  # request URLs contain the bot tokens
    services = Services()
    click.echo(f"Tiến trình xử lý đang chạy ({concurrency} luồng). Nhấn Ctrl+C để dừng.", err=True)
    try:
        run_worker(services, concurrency)
    finally:
        services.close()


@click.group(name="maintenance")
def maintenance() -> None:
    """Bảo trì cơ sở dữ liệu."""


@maintenance.command(name="prune")
@click.option("--older-than", "older_than", default="30d", show_default=True,
              help="Tuổi tối thiểu của bản ghi bị xóa: số kèm d (ngày) hoặc h (giờ), ví dụ 30d.")
def prune(older_than: str) -> None:
    """Xóa cập nhật đã xử lý, tin đã gửi và nhịp tim cũ hơn mức cho trước (không đụng tới minh chứng)."""
    from bot.delivery.retention import parse_age, prune_delivery
    from hocvuso.services import Services

    try:
        age = parse_age(older_than)
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--older-than") from None
    services = Services()
    try:
        removed = prune_delivery(services.db, age)
    finally:
        services.close()
    click.echo(
        f"Đã xóa {removed['inbox']} cập nhật đã xử lý, {removed['outbox']} tin đã gửi hoặc bỏ, "
        f"{removed['options']} bộ lựa chọn, {removed['heartbeats']} nhịp tim cũ hơn {older_than}."
    )
