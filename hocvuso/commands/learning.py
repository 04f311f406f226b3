"""Learning commands: ``hocvuso chat`` (terminal channel) and ``hocvuso quiz`` (quiz bank tools)."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command(name="chat")
@click.option("--user", "user_id", required=True, help="Mã người dùng trên kênh terminal (chỉ lưu dạng ẩn danh).")
@click.option("--unit", default=None, help="Đăng ký đơn vị (xã/phường, cơ quan) trước khi trò chuyện.")
def chat(user_id: str, unit: str | None) -> None:
    """Trò chuyện với trợ lý trên terminal: đọc từng dòng từ bàn phím hoặc từ tệp/ống dẫn.

    Nút bấm hiện thành các lựa chọn đánh số [1], [2]...: gõ số để chọn. Hết dữ liệu vào (Ctrl+D) thì thoát.
    """
    from bot.channels.terminal import run_terminal
    from hocvuso.services import Services

    interactive = sys.stdin.isatty()
    stdin = click.get_text_stream("stdin")
    services = Services()
    try:
        if interactive:
            click.echo("Gõ tin nhắn rồi nhấn Enter (gõ /help để xem hướng dẫn, Ctrl+D để thoát).\n")
        lines = _prompted(stdin) if interactive else stdin
        run_terminal(services.assistant, user_id, lines, write=click.echo, unit=unit, echo=not interactive)
    finally:
        services.close()


def _prompted(stream):
    """Lines of an interactive terminal, each read after a "Bạn: " prompt."""
    from bot.channels.terminal import USER_PREFIX

    while True:
        click.echo(USER_PREFIX, nl=False)
        line = stream.readline()
        if not line:
            click.echo()
            return
        yield line


@click.group(name="quiz")
def quiz() -> None:
    """Công cụ cho ngân hàng câu hỏi trắc nghiệm (knowledge/quizzes/*.yaml)."""


_DIRECTORY = click.argument(
    "directory", required=False, type=click.Path(file_okay=False, path_type=Path)
)
_LESSONS = click.option(
    "--lessons",
    "lessons_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Thư mục bài học để đối chiếu (mặc định: thư mục lessons cạnh thư mục trắc nghiệm).",
)


def _quiz_dir(directory: Path | None) -> Path:
    """The given directory, or the configured knowledge dir's quizzes."""
    if directory is not None:
        return directory
    from hocvuso.settings import load_settings

    return load_settings().knowledge_dir / "quizzes"


@quiz.command(name="validate")
@_DIRECTORY
@_LESSONS
def validate(directory: Path | None, lessons_dir: Path | None) -> None:
    """Kiểm tra ngân hàng trắc nghiệm và in báo cáo về ngân hàng.

    Kiểm tra từng câu: cấu trúc, đúng 4 lựa chọn, không có lựa chọn kiểu "tất cả đều đúng",
    đáp án, id trùng, bài học và mục ## được dẫn; kiểm tra cả ngân hàng: mỗi bài ít nhất 8 câu,
    tối đa 30% số câu có đáp án đúng dài nhất. Báo cáo: số câu theo chủ đề, độ khó, vị trí
    đáp án đúng, tỉ lệ đáp án đúng dài nhất và ngắn nhất.

    DIRECTORY là thư mục trắc nghiệm (mặc định: knowledge/quizzes, hoặc quizzes trong HOCVUSO_KNOWLEDGE_DIR).
    """
    from knowledge.quizbank import audit_dir, describe_bank

    directory = _quiz_dir(directory)
    bank, errors = audit_dir(directory, lessons_dir)
    for error in errors:
        click.echo(error, err=True)
    if not errors:
        click.echo(f"Hợp lệ: {len(bank.topics)} chủ đề, {len(bank.questions)} câu hỏi ({directory}).")
    for line in describe_bank(bank):
        click.echo(line)
    if errors:
        raise click.ClickException(f"{len(errors)} lỗi trong {directory}.")


@quiz.command(name="topics")
@_DIRECTORY
@_LESSONS
def topics(directory: Path | None, lessons_dir: Path | None) -> None:
    """Liệt kê các chủ đề trắc nghiệm, số câu hỏi và bài học tương ứng.

    DIRECTORY là thư mục trắc nghiệm (mặc định: knowledge/quizzes, hoặc quizzes trong HOCVUSO_KNOWLEDGE_DIR).
    """
    from knowledge.quizbank import QuizBankError, load_bank

    try:
        bank = load_bank(_quiz_dir(directory), lessons_dir)
    except QuizBankError as exc:
        raise click.ClickException(f"Ngân hàng câu hỏi có lỗi, chạy `hocvuso quiz validate`:\n{exc}") from exc
    for topic in bank.topics.values():
        click.echo(f"{topic.id}\t{len(topic.question_ids)} câu\t{topic.name} (bài {topic.lesson})")
