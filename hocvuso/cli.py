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

from hocvuso import clitext, logs
from hocvuso.secretfiles import SecretFileError

clitext.install()

# (module, attribute) of each top-level command, registered in this order.
COMMANDS = [
    ("hocvuso.commands.knowledge", "ingest"),
    ("hocvuso.commands.knowledge", "ask"),
    ("hocvuso.commands.knowledge", "eval_command"),
    ("hocvuso.commands.documents", "documents"),
    ("hocvuso.commands.learning", "chat"),
    ("hocvuso.commands.learning", "quiz"),
    ("hocvuso.commands.records", "evidence"),
    ("hocvuso.commands.records", "stats"),
    ("hocvuso.commands.reports", "report"),
    ("hocvuso.commands.channels", "bot"),
    ("hocvuso.commands.channels", "worker"),
    ("hocvuso.commands.channels", "maintenance"),
    ("hocvuso.commands.api", "serve"),
    ("hocvuso.commands.api", "keys"),
]


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
        except click.exceptions.NoArgsIsHelpError as error:
            # ``hocvuso`` (or ``hocvuso evidence``) alone asks what it can do: help, and success.
            click.echo(error.ctx.get_help())
            sys.exit(0)
        except click.UsageError as error:
            if error.ctx is not None:
                click.echo(error.ctx.get_usage(), err=True)
                click.echo(f"Xem thêm: {error.ctx.command_path} --help", err=True)
            click.echo(f"Lỗi: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except click.ClickException as error:
            click.echo(f"Lỗi: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except ValidationError as error:
            click.echo(f"Lỗi cấu hình (biến môi trường HOCVUSO_*): {_settings_errors(error)}", err=True)
            sys.exit(2)
        except SecretFileError as error:
            click.echo(f"Lỗi: {error}", err=True)
            sys.exit(1)
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
    logs.install(_secrets_from_environment())


def _secrets_from_environment() -> list[str]:
    """The secrets set in the environment, to keep them out of the logs (none if it cannot be read)."""
    from hocvuso.settings import Settings

    try:
        return logs.configured_secrets(Settings())
    except ValidationError:
        return []  # the command itself will report the bad setting


for module_name, attribute in COMMANDS:
    main.add_command(getattr(importlib.import_module(module_name), attribute))
