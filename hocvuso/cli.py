"""The ``hocvuso`` command line: a thin shell over the library.

Each area keeps its commands in its own module; heavy imports happen inside the
commands so ``hocvuso --help`` and ``hocvuso ask`` start fast.
"""

from __future__ import annotations

import importlib
import logging

import click

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
    ("hocvuso.commands.api", "serve"),
    ("hocvuso.commands.api", "keys"),
]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="In thêm nhật ký chi tiết.")
def main(verbose: bool) -> None:
    """Trợ lý Bình dân học vụ số: hỏi đáp kế hoạch, bài học, trắc nghiệm, minh chứng.

    Cấu hình qua biến môi trường HOCVUSO_* (xem README).
    """
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


for module_name, attribute in COMMANDS:
    main.add_command(getattr(importlib.import_module(module_name), attribute))
