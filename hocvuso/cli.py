"""The ``hocvuso`` command line: a thin shell over the library.

Each area keeps its commands in its own module; heavy imports happen inside the
commands so ``hocvuso --help`` and ``hocvuso ask`` start fast.
"""

from __future__ import annotations

import importlib
import logging
import sys

import click
from pydantic import ValidationError

# (module, attribute) of each top-level command, registered in this order.
COMMANDS = [
    ("hocvuso.commands.knowledge", "ingest"),
    ("hocvuso.commands.knowledge", "ask"),
    ("hocvuso.commands.knowledge", "eval_command"),
    ("hocvuso.commands.learning", "chat"),
    ("hocvuso.commands.learning", "quiz"),
    ("hocvuso.commands.records", "evidence"),
    ("hocvuso.commands.records", "stats"),
    ("hocvuso.commands.channels", "bot"),
    ("hocvuso.commands.channels", "worker"),
    ("hocvuso.commands.channels", "maintenance"),
    ("hocvuso.commands.api", "serve"),
    ("hocvuso.commands.api", "keys"),
]


# Click's own usage errors are English; these cover the ones people actually meet.
CLICK_PHRASES = [
    ("Missing option", "Thiếu tùy chọn"),
    ("Missing argument", "Thiếu đối số"),
    ("No such option", "Không có tùy chọn"),
    ("No such command", "Không có lệnh"),
    ("Invalid value for", "Giá trị không hợp lệ cho"),
    ("Got unexpected extra argument", "Thừa đối số"),
    ("Got unexpected extra arguments", "Thừa các đối số"),
    ("requires an argument", "cần một giá trị"),
    ("is not one of", "không thuộc"),
    ("does not exist", "không tồn tại"),
    ("Did you mean", "Có phải ý bạn là"),
    ("Choose from", "Chọn một trong"),
]


def vietnamese_usage_message(message: str) -> str:
    """Translate click's common English usage-error phrases."""
    for english, vietnamese in CLICK_PHRASES:
        message = message.replace(english, vietnamese)
    return message


def _settings_errors(error: ValidationError) -> str:
    """One line per invalid setting: its name and the reason."""
    return "; ".join(
        f"{'.'.join(str(part) for part in item['loc'])}: {item['msg']}" for item in error.errors()
    )


class VietnameseGroup(click.Group):
    """A click group that reports errors in Vietnamese instead of click's English "Error:"."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.UsageError as error:
            if error.ctx is not None:
                click.echo(error.ctx.get_usage().replace("Usage:", "Cách dùng:", 1), err=True)
                click.echo(f"Xem thêm: {error.ctx.command_path} --help", err=True)
            click.echo(f"Lỗi: {vietnamese_usage_message(error.format_message())}", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            click.echo(f"Lỗi: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except ValidationError as error:
            click.echo(f"Lỗi cấu hình (biến môi trường HOCVUSO_*): {_settings_errors(error)}", err=True)
            sys.exit(2)
        except click.Abort:
            click.echo("Đã dừng.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


@click.group(cls=VietnameseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="In thêm nhật ký chi tiết.")
def main(verbose: bool) -> None:
    """Trợ lý Bình dân học vụ số: hỏi đáp kế hoạch, bài học, trắc nghiệm, minh chứng.

    Cấu hình qua biến môi trường HOCVUSO_* (xem README).
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _vietnamese_help_option(command: click.Command) -> None:
    """Give ``command`` and its subcommands a ``-h/--help`` described in Vietnamese (click's is English)."""
    click.help_option("-h", "--help", help="Hiện hướng dẫn này rồi thoát.")(command)
    command.add_help_option = False
    for subcommand in getattr(command, "commands", {}).values():
        _vietnamese_help_option(subcommand)


for module_name, attribute in COMMANDS:
    main.add_command(getattr(importlib.import_module(module_name), attribute))
_vietnamese_help_option(main)
