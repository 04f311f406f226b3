"""Knowledge commands: ``hocvuso ingest``, ``hocvuso ask``, ``hocvuso eval``.

A thin shell over ``ingest.pipeline`` and ``knowledge.base``; heavy imports (Chroma,
the embedder) happen inside the commands so ``hocvuso --help`` stays instant.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

DEFAULT_EVAL_FILE = Path("../shared/eval/questions.jsonl")
CITATIONS_SHOWN = 3


def _open_kb():
    """Open the knowledge base or stop with a Vietnamese message."""
    from hocvuso.services import Services
    from knowledge.errors import EmbeddingError, StoreError

    try:
        kb = Services().kb
    except (EmbeddingError, StoreError) as error:
        raise click.ClickException(str(error)) from error
    if kb.is_empty():
        raise click.ClickException("Kho tri thức còn trống: hãy chạy `hocvuso ingest` trước.")
    return kb


@click.command(name="ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("-q", "--quiet", is_flag=True, help="Không hiện thanh tiến trình.")
def ingest(paths: tuple[Path, ...], quiet: bool) -> None:
    """Nạp tài liệu (.txt, .md, .pdf, .docx) vào kho tri thức.

    Không chỉ đường dẫn thì nạp các kế hoạch, văn bản pháp luật và bài học có sẵn
    (knowledge/plans, knowledge/laws, knowledge/lessons). Chạy lại chỉ xử lý tệp đã đổi;
    tệp đã xóa được gỡ khỏi kho. Mỗi tài liệu được kiểm tra không mất dòng nào; mỗi
    lần nạp cũng kiểm tra bộ câu hỏi trắc nghiệm (knowledge/quizzes).
    """
    from hocvuso.settings import load_settings
    from ingest.pipeline import ingest_paths
    from knowledge.errors import EmbeddingError, StoreError

    settings = load_settings()
    try:
        report = ingest_paths(settings, list(paths) or None, progress=not quiet)
    except (EmbeddingError, StoreError) as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"Đã nạp xong trong {report.seconds:.1f} giây: {len(report.added)} tài liệu mới, "
        f"{len(report.updated)} cập nhật, {len(report.unchanged)} không đổi, "
        f"{len(report.removed)} đã gỡ; ghi {report.chunks_written} đoạn, xóa {report.chunks_deleted} đoạn; "
        f"kho có {report.total_chunks} đoạn.",
        err=True,
    )
    _print_conservation(report)
    for path, reason in report.failed:
        click.secho(f"Bỏ qua {path}: {reason}", fg="red", err=True)
    if report.failed:
        click.secho(f"{len(report.failed)} tệp không nạp được.", fg="red", err=True)
    if report.quiz_errors:
        click.secho(
            f"Bộ câu hỏi trắc nghiệm ({settings.knowledge_dir / 'quizzes'}) có {len(report.quiz_errors)} lỗi; "
            "tài liệu vẫn được nạp, nhưng cần sửa các lỗi này trước khi chạy bot:",
            fg="red",
            err=True,
        )
        for error in report.quiz_errors:
            click.secho(f"  - {error}", fg="red", err=True)
    if not report.ok:
        sys.exit(1)


def _print_conservation(report) -> None:
    """One line on the documents read in this run: every line kept, or which were not."""
    checks = report.conservation
    if not checks:
        return
    lines = sum(check.lines for check in checks.values())
    broken = {doc_id: check for doc_id, check in checks.items() if not check.ok}
    click.echo(
        f"Kiểm tra không mất nội dung: {len(checks) - len(broken)}/{len(checks)} tài liệu giữ đủ "
        f"{sum(c.kept for c in checks.values())}/{lines} dòng, mỗi dòng trong đúng một đoạn.",
        err=True,
    )
    for doc_id, check in broken.items():
        click.secho(
            f"Cảnh báo: tài liệu {doc_id} vẫn được nạp nhưng cắt đoạn chưa trọn: {check.warning()}. "
            "Hãy báo lỗi này kèm tệp gốc.",
            fg="yellow",
            err=True,
        )


def _print_answer(answer) -> None:
    click.echo(answer.answer)
    citations = answer.citations(CITATIONS_SHOWN)
    if citations:
        click.echo("\nNguồn:" if answer.found else "\nTài liệu có thể liên quan:")
        for number, source in enumerate(citations, 1):
            click.echo(f"  {number}. {source.citation or source.title}")


@click.command(name="ask")
@click.argument("question", required=False)
@click.option("--json", "as_json", is_flag=True, help="In kết quả dạng JSON.")
@click.option(
    "--batch",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Tệp câu hỏi JSONL (mỗi dòng có 'id' và 'question'); in một kết quả mỗi dòng.",
)
@click.option(
    "--kind",
    type=click.Choice(["plan", "lesson"]),
    help="Chỉ tìm trong văn bản (plan: kế hoạch, văn bản pháp luật) hoặc bài học (lesson).",
)
@click.option("--doc", "doc_id", help="Chỉ tìm trong một tài liệu (mã tài liệu, vd. tinh-nghe-an).")
@click.option("--explain", is_flag=True, help="In thêm từng bước xử lý câu hỏi (hiểu, tìm, quyết định, soạn).")
def ask(
    question: str | None, as_json: bool, batch: Path | None, kind: str | None, doc_id: str | None, explain: bool
) -> None:
    """Hỏi đáp từ kho tri thức, kèm nguồn trích dẫn.

    QUESTION là câu hỏi, gõ có hoặc không dấu; nhiều câu một lúc thì dùng --batch.
    """
    from knowledge.evaluation import QuestionFileError, load_questions

    if not question and not batch:
        raise click.UsageError('Hãy nhập câu hỏi, ví dụ: hocvuso ask "Bình dân học vụ số là gì?"')
    if question and batch:
        raise click.UsageError("Chỉ dùng một trong hai: câu hỏi hoặc --batch.")
    kb = _open_kb()
    if question:
        trace: list | None = [] if explain else None
        answer = kb.ask(question, kind=kind, doc_id=doc_id, trace=trace)
        if explain:
            from knowledge.answering import describe

            click.echo("\n".join(describe(trace)) + "\n", err=as_json)
        if as_json:
            click.echo(json.dumps(answer.model_dump(), ensure_ascii=False))
        else:
            _print_answer(answer)
        return
    try:
        questions = load_questions(batch)
    except QuestionFileError as error:
        raise click.ClickException(str(error)) from error
    for item in questions:
        answer = kb.ask(item["question"], kind=kind, doc_id=doc_id)
        if as_json:
            click.echo(json.dumps({"id": item["id"], **answer.model_dump()}, ensure_ascii=False))
        else:
            click.echo(f"[{item['id']}] {item['question']}")
            _print_answer(answer)
            click.echo()


_COLUMNS = [("hit1", "hit@1"), ("hit5", "hit@5"), ("mrr10", "MRR@10"), ("answer_ok", "answer_ok"), ("refuse", "refuse")]
_ROW_NAMES = {
    "overall": "Tất cả",
    "kind:plan": "Văn bản (plan)",
    "kind:lesson": "Bài học (lesson)",
    "kind:any": "Bất kỳ (any)",
    "kind:none": "Ngoài phạm vi (none)",
    "no_diacritics": "Gõ không dấu",
    "with_diacritics": "Gõ có dấu",
}


@click.command(name="eval")
@click.argument("file", required=False, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="In điểm dạng JSON.")
def eval_command(file: Path | None, as_json: bool) -> None:
    """Chấm điểm trả lời trên một tệp câu hỏi (mặc định ../shared/eval/questions.jsonl)."""
    from rich.console import Console
    from rich.table import Table

    from knowledge.evaluation import QuestionFileError, load_questions, score

    if file is None:
        if not DEFAULT_EVAL_FILE.is_file():
            raise click.UsageError(f"Không thấy {DEFAULT_EVAL_FILE}: hãy chỉ đường dẫn tệp câu hỏi.")
        file = DEFAULT_EVAL_FILE
    try:
        questions = load_questions(file)
    except QuestionFileError as error:
        raise click.ClickException(str(error)) from error
    kb = _open_kb()
    answers = [kb.ask(item["question"]).model_dump() for item in questions]
    report = score(questions, answers)
    if as_json:
        click.echo(json.dumps(report, ensure_ascii=False, indent=2))
        return
    table = Table(title=f"Kết quả chấm {file} ({len(questions)} câu)")
    table.add_column("Nhóm")
    table.add_column("Số câu", justify="right")
    for _, header in _COLUMNS:
        table.add_column(header, justify="right")
    for key, metrics in report.items():
        cells = [f"{metrics[name]:.2f}" if name in metrics else "—" for name, _ in _COLUMNS]
        table.add_row(_ROW_NAMES.get(key, key), str(metrics["questions"]), *cells)
    Console().print(table)
