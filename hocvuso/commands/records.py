"""Commands over the participation records: ``hocvuso evidence`` and ``hocvuso stats``."""

from __future__ import annotations

import json
import logging
import os
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import click

log = logging.getLogger(__name__)


class DateParam(click.ParamType):
    """A calendar date written YYYY-MM-DD."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"“{value}” không phải ngày dạng YYYY-MM-DD (ví dụ 2025-03-26).", param, ctx)


DATE = DateParam()
DAY_HELP = "{} (theo giờ Việt Nam, hoặc múi giờ HOCVUSO_TIMEZONE; tính cả ngày này)."


def _check_range(date_from: date | None, date_to: date | None) -> None:
    """Refuse a date range that ends before it starts."""
    if date_from and date_to and date_from > date_to:
        raise click.BadParameter("ngày bắt đầu (--from) đứng sau ngày kết thúc (--to).")


@contextmanager
def _services():
    """The application's services, closed afterwards; database failures become a clear message."""
    from sqlalchemy.exc import ArgumentError, OperationalError

    from hocvuso.services import Services

    services = Services()
    try:
        yield services
    except (ArgumentError, OperationalError) as error:
        cause = getattr(error, "orig", None) or error
        raise click.ClickException(f"Không mở được cơ sở dữ liệu {_shown_url(services.settings)}: {cause}") from error
    finally:
        services.close()


@click.group(name="evidence")
def evidence() -> None:
    """Minh chứng tham gia: kiểm tra tính toàn vẹn và xuất dữ liệu."""


def _shown_url(settings) -> str:
    """The database URL without its password, for error messages."""
    from sqlalchemy import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(settings.sqlalchemy_url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(HOCVUSO_DATABASE_URL không hợp lệ)"


@evidence.command(name="verify")
@click.option("--checkpoint", "checkpoint_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Tệp điểm mốc đã lưu (từ `hocvuso evidence checkpoint`): sổ phải đúng là sổ đó, chỉ được ghi thêm.")
@click.option("--public-key", help="Khóa công khai để kiểm tra chữ ký (mặc định: khóa của máy chủ này).")
def verify(checkpoint_file: Path | None, public_key: str | None) -> None:
    """Kiểm tra sổ minh chứng; mã thoát khác 0 nếu có sự kiện bị sửa, xoá, chèn hoặc sổ bị cắt ngắn."""
    from bot.checkpoint import CheckpointError, VerifierKey, parse
    from bot.evidence import EvidenceLog

    checkpoint = key = None
    try:
        if checkpoint_file is not None:
            checkpoint = parse(checkpoint_file.read_text(encoding="utf-8"))
        if public_key:
            key = VerifierKey.parse(public_key)
    except (CheckpointError, UnicodeDecodeError) as error:
        raise click.ClickException(f"Không đọc được điểm mốc: {error}") from error
    with _services() as services:
        result = EvidenceLog(services.db).verify(checkpoint, key)
    if result.ok:
        click.echo(result.reason)
        return
    if result.first_bad is not None:
        click.echo(f"Chuỗi minh chứng KHÔNG toàn vẹn, lỗi đầu tiên tại sự kiện #{result.first_bad}.", err=True)
    else:
        click.echo("Sổ minh chứng KHÔNG khớp điểm mốc đã ký.", err=True)
    click.echo(result.reason, err=True)
    click.echo(f"Đã kiểm tra hợp lệ {result.checked} sự kiện trước đó.", err=True)
    raise SystemExit(1)


@evidence.command(name="checkpoint")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path),
              help="Ghi điểm mốc vào tệp này (mặc định: in ra màn hình).")
def checkpoint(out: Path | None) -> None:
    """Ký một điểm mốc của sổ minh chứng (số sự kiện, mã gốc Merkle, thời điểm) để lưu giữ ngoài máy chủ."""
    from bot.checkpoint import CheckpointError
    from bot.evidence import EvidenceError, EvidenceLog

    with _services() as services:
        log_ = EvidenceLog(services.db)
        try:
            signed = log_.checkpoint()
            document = signed.document(log_.key.verifier(signed.origin), services.settings.timezone)
        except (EvidenceError, CheckpointError) as error:
            raise click.ClickException(str(error)) from error
    if out is None:
        click.echo(document, nl=False)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(document, encoding="utf-8")
    click.echo(f"Đã ký điểm mốc {signed.size} sự kiện vào {out}. Hãy lưu tệp này ở nơi khác máy chủ (hoặc in ra).")


@evidence.command(name="export")
@click.option("--format", "fmt", default=None, metavar="csv|xlsx",
              help="Định dạng tệp (mặc định: theo đuôi tệp --out, không có đuôi thì csv).")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Tệp kết quả (ghi đè nếu đã có).")
@click.option("--from", "date_from", type=DATE, help=DAY_HELP.format("Từ ngày"))
@click.option("--to", "date_to", type=DATE, help=DAY_HELP.format("Đến ngày"))
@click.option("--unit", help="Chỉ xuất sự kiện của đơn vị này.")
def export(fmt: str | None, out: Path, date_from: date | None, date_to: date | None, unit: str | None) -> None:
    """Xuất minh chứng ra CSV (UTF-8 có BOM) hoặc Excel, tiêu đề cột tiếng Việt."""
    from bot.evidence import EXPORT_FORMATS, EvidenceError, EvidenceLog

    _check_range(date_from, date_to)
    fmt = (fmt or out.suffix.lstrip(".") or "csv").lower()
    if fmt not in EXPORT_FORMATS:
        raise click.BadParameter(f"định dạng “{fmt}” không hỗ trợ; chọn csv hoặc xlsx.", param_hint="--format")
    out.parent.mkdir(parents=True, exist_ok=True)
    # Write beside the target and rename at the end: an interrupted export leaves no half file.
    partial = out.with_name(out.name + ".partial")
    with _services() as services:
        spellings = None
        if unit:  # every spelling of the unit, so what users typed before it was listed is included
            from bot.stats import StatsFilter, unit_spellings

            spellings = unit_spellings(services.db, StatsFilter(unit=unit, units=_units(services)))
        try:
            with partial.open("wb") as stream:
                rows = EvidenceLog(services.db).export(
                    fmt, stream, date_from, date_to, spellings, timezone=services.settings.timezone
                )
            os.replace(partial, out)
        except EvidenceError as error:
            raise click.ClickException(str(error)) from error
        finally:
            partial.unlink(missing_ok=True)
    click.echo(f"Đã xuất {rows} sự kiện vào {out}.")


@click.command(name="stats")
@click.option("--from", "date_from", type=DATE, help=DAY_HELP.format("Từ ngày"))
@click.option("--to", "date_to", type=DATE, help=DAY_HELP.format("Đến ngày"))
@click.option("--unit", help="Chỉ tính đơn vị này.")
@click.option("--topic", help="Chỉ tính chủ đề này (ví dụ vneid).")
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
def stats(date_from: date | None, date_to: date | None, unit: str | None, topic: str | None, as_json: bool) -> None:
    """Thống kê cho giảng viên: người tham gia, lượt làm bài, điểm, câu hỏi hay sai, câu cần xem lại, theo đơn vị."""
    from bot.stats import StatsFilter, report

    _check_range(date_from, date_to)
    with _services() as services:
        bank = _quiz_bank(services.settings)
        result = report(
            services.db,
            StatsFilter(date_from, date_to, unit, topic, timezone=services.settings.timezone, units=_units(services)),
            questions={qid: item.question for qid, item in bank.items()} if bank is not None else None,
            pass_ratio=services.settings.quiz.pass_ratio,
            difficulties={qid: item.difficulty for qid, item in bank.items()} if bank is not None else None,
        )
    if as_json:
        click.echo(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        _print_report(result)


def _quiz_bank(settings) -> dict | None:
    """The quiz bank's questions by id, or None when the bank cannot be read."""
    from knowledge.quizbank import QuizBankError, load_bank

    try:
        bank = load_bank(settings.knowledge_dir / "quizzes", settings.knowledge_dir / "lessons")
    except (QuizBankError, OSError) as error:
        log.warning("Không đọc được ngân hàng câu hỏi, thống kê sẽ thiếu nội dung và độ khó câu hỏi: %s", error)
        return None
    return bank.questions


def _question_texts(settings) -> dict[str, str] | None:
    """Question texts from the quiz bank, or None when the bank cannot be read."""
    bank = _quiz_bank(settings)
    return {qid: item.question for qid, item in bank.items()} if bank is not None else None


def _units(services):
    """The deployment's unit list; the CLI stops with a Vietnamese message when the file is broken."""
    from bot.units import UnitListError

    try:
        return services.units.directory()
    except UnitListError as error:
        raise click.ClickException(str(error)) from None


def _group_name(row: dict, key: str, empty: str) -> str:
    """A unit or topic cell; a unit outside the unit list is marked for the trainer."""
    name = row[key] or empty
    return f"{name} (chưa có trong danh sách)" if row.get("listed") is False else name


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value * 100:.1f}%"


def _number(value: float | None) -> str:
    return "–" if value is None else f"{value:+.2f}"


def _print_report(result: dict) -> None:
    """Print the report as readable Vietnamese tables."""
    from rich.console import Console
    from rich.table import Table

    from bot.stats import DIFFICULTY_NAMES, FLAG_NAMES

    console = Console()
    summary = result["overview"]
    overview = Table(title="Tổng quan", show_header=False)
    overview.add_row("Người tham gia trắc nghiệm", str(summary["participants"]))
    overview.add_row("Lượt làm bài", str(summary["attempts"]))
    overview.add_row("Lượt hoàn thành", str(summary["completed"]))
    overview.add_row("Tỉ lệ hoàn thành", _percent(summary["completion_rate"]))
    overview.add_row("Điểm trung bình", _percent(summary["mean_score"]))
    overview.add_row(f"Tỉ lệ đạt (≥ {result['pass_ratio']:.0%})", _percent(summary["pass_rate"]))
    overview.add_row("Câu hỏi đã hỏi trợ lý", str(summary["questions_asked"]))
    console.print(overview)

    for key, title, label, empty in (
        ("by_unit", "Theo đơn vị", "Đơn vị", "(chưa đăng ký)"),
        ("by_topic", "Theo chủ đề", "Chủ đề", "(tổng hợp)"),
    ):
        if not result[key]:
            continue
        table = Table(title=title)
        for header in (label, "Người", "Lượt", "Hoàn thành", "Điểm TB", "Đạt"):
            table.add_column(header, justify="left" if header == label else "right")
        for row in result[key]:
            table.add_row(
                _group_name(row, key.removeprefix("by_"), empty),
                str(row["participants"]),
                str(row["attempts"]),
                _percent(row["completion_rate"]),
                _percent(row["mean_score"]),
                _percent(row["pass_rate"]),
            )
        console.print(table)

    if result["most_missed"]:
        table = Table(title="Câu hay trả lời sai nhất")
        for header in ("Mã câu", "Câu hỏi", "Lượt trả lời", "Sai", "Độ dễ", "Độ phân biệt"):
            table.add_column(header, justify="left" if header in ("Mã câu", "Câu hỏi") else "right")
        for row in result["most_missed"]:
            table.add_row(
                row["question_id"],
                row["question"] or "",
                str(row["answers"]),
                str(row["wrong"]),
                _percent(row["facility"]),
                _number(row["discrimination"]),
            )
        console.print(table)

    if result["unlisted_units"]:
        table = Table(title="Đơn vị chưa có trong danh sách (units.yaml): cần kiểm tra")
        for header in ("Đơn vị", "Cách gõ", "Người"):
            table.add_column(header, justify="right" if header == "Người" else "left")
        for row in result["unlisted_units"]:
            table.add_row(row["unit"], "; ".join(row["spellings"]), str(row["users"]))
        console.print(table)

    if result["flagged_questions"]:
        table = Table(title="Câu cần xem lại (độ khó thực tế khác nhãn, hoặc độ phân biệt âm)")
        for header in ("Mã câu", "Lượt trả lời", "Độ dễ", "Nhãn", "Thực tế", "Độ phân biệt", "Vấn đề"):
            table.add_column(header, justify="left" if header in ("Mã câu", "Vấn đề") else "right")
        for row in result["flagged_questions"]:
            table.add_row(
                row["question_id"],
                str(row["answers"]),
                _percent(row["facility"]),
                DIFFICULTY_NAMES.get(row["difficulty"], "–"),
                DIFFICULTY_NAMES[row["observed"]],
                _number(row["discrimination"]),
                "; ".join(FLAG_NAMES[flag] for flag in row["flags"]),
            )
        console.print(table)

    if result["score_distribution"]:
        counts = ", ".join(f"{row['score']} điểm: {row['attempts']}" for row in result["score_distribution"])
        console.print(f"Phân bố điểm (lượt hoàn thành): {counts}")
    if not summary["attempts"] and not summary["questions_asked"]:
        console.print("Chưa có dữ liệu trong phạm vi đã chọn.")
