"""``hocvuso bot``: run the Telegram and Zalo bots by long polling, manage their webhooks."""

from __future__ import annotations

import asyncio
import logging
import re
import signal

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

    from bot.channels.relay import ChannelNotConfigured
    from bot.channels.telegram import build_application, run_polling
    from hocvuso.services import Services

    services = Services()
    try:
        application = build_application(services, polling=True)
        click.echo("Bot Telegram đang chạy (long polling). Nhấn Ctrl+C để dừng.", err=True)
        run_polling(application)
    except ChannelNotConfigured as error:
        raise click.ClickException(str(error)) from None
    except InvalidToken:
        raise click.ClickException("Telegram từ chối mã bot. Kiểm tra HOCVUSO_TELEGRAM__TOKEN.") from None
    except TelegramError as error:
        raise click.ClickException(f"Không kết nối được với Telegram: {error}") from None
    finally:
        services.close()


@bot.command(name="zalo")
def zalo_command() -> None:
    """Chạy bot Zalo bằng long polling (không cần máy chủ công khai).

    Cần HOCVUSO_ZALO__TOKEN. Dừng bằng Ctrl+C.
    """
    from bot.channels.relay import ChannelNotConfigured
    from bot.channels.zalo import ZaloError, build_bot
    from hocvuso.services import Services

    services = Services()
    try:
        zalo_bot = build_bot(services)
    except ChannelNotConfigured as error:
        raise click.ClickException(str(error)) from None
    click.echo("Bot Zalo đang chạy (long polling). Nhấn Ctrl+C để dừng.", err=True)

    async def run() -> None:
        stop = asyncio.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        try:
            await zalo_bot.run_polling(stop)
        finally:
            await zalo_bot.close()
        click.echo("Đã dừng bot Zalo.", err=True)

    try:
        asyncio.run(run())
    except ZaloError as error:
        raise click.ClickException(
            f"Zalo từ chối mã bot ({error.code}). Kiểm tra HOCVUSO_ZALO__TOKEN."
        ) from None
    finally:
        services.close()


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
