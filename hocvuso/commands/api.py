"""The HTTP service commands: ``hocvuso serve`` and ``hocvuso keys add|revoke|list``."""

from __future__ import annotations

import click


def _services():
    from hocvuso.services import Services

    return Services()


@click.command(name="serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Địa chỉ lắng nghe.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Cổng lắng nghe.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Số tiến trình; nhiều hơn 1 thì phải đặt HOCVUSO_API__SESSION_SECRET.")
@click.option("--log-level", default="info", show_default=True,
              type=click.Choice(["critical", "error", "warning", "info", "debug"]), help="Mức nhật ký của máy chủ.")
@click.option("--no-worker", is_flag=True,
              help="Chỉ nhận cập nhật Telegram/Zalo, để các tiến trình `hocvuso worker` xử lý.")
def serve(host: str, port: int, workers: int, log_level: str, no_worker: bool) -> None:
    """Chạy dịch vụ HTTP: API, bảng theo dõi cho giảng viên, webhook của các kênh chat.

    Mặc định mỗi tiến trình cũng xử lý các cập nhật đã nhận, nên một lệnh này là đủ trên một máy.
    """
    import logging
    import os

    import uvicorn

    from hocvuso import logs
    from hocvuso.settings import load_settings

    settings = load_settings()
    if workers > 1 and not settings.api.session_secret.get_secret_value():
        # Each process would sign dashboard sessions with its own random secret.
        raise click.UsageError("Chạy nhiều tiến trình cần đặt HOCVUSO_API__SESSION_SECRET (chuỗi ngẫu nhiên dài).")
    if no_worker:
        os.environ["HOCVUSO_API__RUN_WORKER"] = "false"  # read by each uvicorn process
    click.echo(f"Dịch vụ chạy tại http://{host}:{port} (tài liệu API: /docs, bảng theo dõi: /dashboard)")
    # uvicorn replaces the logging set up by `hocvuso -v`: give it the same redaction and verbosity.
    verbose = logging.getLogger().getEffectiveLevel() <= logging.DEBUG
    log_config = logs.uvicorn_config(verbose, logs.configured_secrets(settings))
    uvicorn.run("api.app:create_app", factory=True, host=host, port=port, workers=workers, log_level=log_level,
                log_config=log_config)


@click.group(name="keys")
def keys() -> None:
    """Khóa API của dịch vụ HTTP: tạo, thu hồi, liệt kê."""


@keys.command(name="add")
@click.option("--role", required=True, type=click.Choice(["trainer", "admin"]),
              help="trainer: xem thống kê, xuất minh chứng; admin: thêm quyền quản trị.")
@click.option("--name", required=True, help="Tên người hoặc đơn vị giữ khóa.")
def add(role: str, name: str) -> None:
    """Tạo khóa mới và in khóa ra MỘT lần duy nhất."""
    from api.keys import create_key

    services = _services()
    try:
        key, raw = create_key(services.db, name, role)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
    finally:
        services.close()
    # Messages on stderr, the key alone on stdout: `KEY=$(hocvuso keys add ...)` works.
    click.echo(f"Đã tạo khóa số {key.id} ({key.role}) cho “{key.name}”.", err=True)
    click.echo("Khóa dưới đây chỉ hiện MỘT lần, hãy lưu lại ngay:", err=True)
    click.echo(raw)


@keys.command(name="revoke")
@click.argument("key_id", type=click.IntRange(1))
def revoke(key_id: int) -> None:
    """Thu hồi khóa số KEY_ID (xem số ở `hocvuso keys list`)."""
    from api.keys import revoke_key

    services = _services()
    try:
        key = revoke_key(services.db, key_id)
    finally:
        services.close()
    if key is None:
        raise click.ClickException(f"Không có khóa số {key_id}.")
    click.echo(f"Đã thu hồi khóa số {key.id} (“{key.name}”).")


@keys.command(name="list")
def list_command() -> None:
    """Liệt kê các khóa (không bao giờ in lại khóa)."""
    from api.keys import list_keys

    services = _services()
    try:
        found = list_keys(services.db)
    finally:
        services.close()
    if not found:
        click.echo("Chưa có khóa nào. Tạo khóa: hocvuso keys add --role trainer --name \"...\"")
        return
    click.echo(f"{'Số':>4}  {'Vai trò':<8}  {'Tiền tố':<13} {'Tạo lúc (UTC)':<17} {'Trạng thái':<24} Tên")
    for key in found:
        state = "đang dùng" if key.active else f"thu hồi {key.revoked_at:%Y-%m-%d %H:%M}"
        click.echo(f"{key.id:>4}  {key.role:<8}  {key.prefix + '…':<13} {key.created_at:%Y-%m-%d %H:%M}  "
                   f"{state:<24} {key.name}")
