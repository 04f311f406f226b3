"""``hocvuso report``: the periodic unit report as DOCX, XLSX or PDF."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from hocvuso.commands.records import DATE, DAY_HELP, _check_range, _question_texts, _services


@click.command(name="report")
@click.option("--unit", help="Đơn vị cần báo cáo (bỏ trống: mọi đơn vị).")
@click.option("--from", "date_from", type=DATE, required=True, help=DAY_HELP.format("Từ ngày"))
@click.option("--to", "date_to", type=DATE, required=True, help=DAY_HELP.format("Đến ngày"))
@click.option("--format", "fmt", type=click.Choice(["docx", "xlsx", "pdf"]), default=None,
              help="Định dạng (mặc định: theo đuôi tệp --out, không có đuôi thì docx).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Tệp kết quả (mặc định: bao-cao-<từ>-<đến>.<định dạng> ở thư mục hiện tại).")
def report(unit: str | None, date_from: date, date_to: date, fmt: str | None, out: Path | None) -> None:
    """Báo cáo kết quả của đơn vị trong một kỳ: người tham gia, hoàn thành, tỉ lệ đạt, so với kỳ trước."""
    from bot.report_files import file_name, write_report
    from bot.unit_report import build_unit_report

    _check_range(date_from, date_to)
    fmt = fmt or (out.suffix.lstrip(".").lower() if out and out.suffix else "docx")
    if fmt not in ("docx", "xlsx", "pdf"):
        raise click.BadParameter(f"đuôi tệp “.{fmt}” không hỗ trợ; chọn docx, xlsx hoặc pdf.", param_hint="--out")
    with _services() as services:
        settings = services.settings
        questions = _question_texts(settings)
        built = build_unit_report(
            services.db, date_from, date_to, unit.strip() if unit else None,
            timezone=settings.timezone, pass_ratio=settings.quiz.pass_ratio,
            topic_titles=_topic_titles(settings), question_texts=questions,
        )
    out = out or Path(file_name(built, fmt))
    out.parent.mkdir(parents=True, exist_ok=True)
    # Written beside the target and renamed: an interrupted run leaves no half file.
    partial = out.with_name(out.name + ".partial")
    try:
        partial.write_bytes(write_report(built, fmt))
        os.replace(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    current = built.current
    click.echo(f"Đã ghi báo cáo {built.unit_label} ({current['participants']} người tham gia, "
               f"{current['completed']} lượt hoàn thành) vào {out}.")


def _topic_titles(settings) -> dict[str, str]:
    """Topic id -> title from the quiz bank (empty when it cannot be read)."""
    from knowledge.quizbank import QuizBankError, load_bank

    try:
        bank = load_bank(settings.knowledge_dir / "quizzes", settings.knowledge_dir / "lessons")
    except (QuizBankError, OSError):
        return {}
    return {topic.id: topic.name for topic in bank.topics.values()}
