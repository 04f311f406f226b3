"""Ingest: files -> text -> clean -> structure -> chunks -> vectors -> store + lexical index.

Every document's chunks are checked to hold each cleaned source line exactly once
(``IngestReport.conservation``); a document failing the check is still ingested and
the summary warns about it.

Re-running is cheap and safe: a file whose bytes did not change is skipped, a changed
file only embeds its new chunks and drops its stale ones, a removed file's chunks are
deleted. Each document is written on its own, new chunks before stale ones are
removed, so an interrupted run leaves a usable store that the next run completes.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from ingest.chunking import chunk_document
from ingest.cleaning import clean_line, clean_text, normalize_chars, source_lines
from ingest.conservation import Conservation, check
from ingest.loaders import LoadError, load_text
from ingest.metadata import lesson_metadata, plan_metadata
from ingest.records import Document
from ingest.structure import markdown_lines, outline_markdown, outline_plan, split_front_matter
from knowledge.records import Chunk

# Bump when cleaning or chunking changes, so unchanged files are processed again.
PIPELINE_VERSION = "3"


@dataclass
class IngestReport:
    """What one ingest run did."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    quiz_errors: list[str] = field(default_factory=list)  # each names the quiz file and item
    # Per document read in this run: does every source line sit in exactly one chunk?
    conservation: dict[str, Conservation] = field(default_factory=dict)
    chunks_written: int = 0
    chunks_deleted: int = 0
    total_chunks: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """True when every file was read and the quiz bank is valid."""
        return not self.failed and not self.quiz_errors

    @property
    def changed(self) -> bool:
        """True when the store was modified."""
        return bool(self.chunks_written or self.chunks_deleted)


def default_paths(settings) -> list[Path]:
    """The shipped plans, legal documents (when the knowledge folder has them) and lessons."""
    laws = settings.knowledge_dir / "laws"
    return [settings.knowledge_dir / "plans", *([laws] if laws.is_dir() else []), settings.knowledge_dir / "lessons"]


def collect_files(paths: list[Path]) -> tuple[list[Path], list[tuple[str, str]]]:
    """Files to ingest from files and folders, and the paths that do not exist."""
    files: list[Path] = []
    missing: list[tuple[str, str]] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                p
                for p in sorted(path.rglob("*"))
                if p.is_file() and not p.name.startswith((".", "_")) and p.stem.upper() != "README"
            )
        elif path.is_file():
            files.append(path)
        else:
            missing.append((str(path), "không tìm thấy tệp hoặc thư mục"))
    return files, missing


def source_hash(data: bytes) -> str:
    """Hash of a file's bytes and of the pipeline version."""
    return hashlib.sha256(PIPELINE_VERSION.encode() + b"\0" + data).hexdigest()


def read_document(path: Path) -> Document:
    """Load, clean and structure one file; raises LoadError for bad input."""
    raw = normalize_chars(load_text(path))
    front, _ = split_front_matter(raw)
    is_markdown = path.suffix.lower() == ".md" and (front or re.search(r"(?m)^#{1,6} ", raw))
    if is_markdown:
        text = "\n".join(clean_line(line) for line in raw.split("\n"))
        outline = outline_markdown(text)
        lines = markdown_lines(split_front_matter(text)[1])
    else:
        text = clean_text(raw)
        outline = outline_plan(text)
        lines = source_lines(raw)
    if front or path.parent.name == "lessons":
        kind, metadata = "lesson", lesson_metadata(outline)
    else:
        # Plans and legal texts are one kind, "plan" (official documents, as opposed to
        # lessons); doc_type tells a Luật from a Kế hoạch.
        kind, metadata = "plan", plan_metadata(outline, text)
    if not metadata["title"]:
        metadata["title"] = path.stem.replace("-", " ").replace("_", " ").capitalize()
    metadata["short_name"] = metadata["short_name"] or metadata["title"]
    return Document(doc_id=path.stem, kind=kind, outline=outline, metadata=metadata, lines=lines)


def _progress(enabled: bool):
    """A rich progress bar (hidden when disabled)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(
        TextColumn("[bold]Nạp tài liệu[/bold] {task.fields[name]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        disable=not enabled,
        transient=True,
    )


def ingest_paths(settings, paths: list[Path] | None = None, progress: bool = True) -> IngestReport:
    """Ingest files and folders (default: the shipped plans and lessons) into the knowledge base."""
    started = time.perf_counter()
    files, failed = collect_files([Path(p) for p in (paths or default_paths(settings))])
    report = _unchanged(settings, files) or _ingest(settings, files, progress)
    report.failed = failed + report.failed
    report.quiz_errors = check_quiz_bank(settings)
    report.seconds = time.perf_counter() - started
    return report


def check_quiz_bank(settings) -> list[str]:
    """Errors of the quiz bank next to the lessons (none when there is no quiz folder).

    The quizzes are not ingested, but they cite the lessons' sections: checking them
    with every ingest catches a lesson edit that breaks a quiz before the bots load it.
    Only what would stop the bots is checked; the authoring rules of the whole bank
    (items per lesson, answer lengths) are for `hocvuso quiz validate`.
    A knowledge folder without quizzes (documents only) is not an error here.
    """
    from knowledge.quizbank import validate_dir

    quizzes = settings.knowledge_dir / "quizzes"
    return validate_dir(quizzes, settings.knowledge_dir / "lessons", standards=False) if quizzes.is_dir() else []


def _pending_marker(settings, key: str) -> Path:
    """A file that exists while an ingest writes to the store (left behind by a crash)."""
    return settings.data_dir / "index" / f"ingest-{key}.pending"


def _unchanged(settings, files: list[Path]) -> IngestReport | None:
    """The report of a run with nothing to do, found without opening the store; else None.

    The lexical index is saved after every ingest that wrote to the embedded store
    and holds each chunk's source hash; the pending marker tells an interrupted run.
    """
    from knowledge.base import index_path
    from knowledge.embedding import embedder_key
    from knowledge.inventory import inventory
    from knowledge.lexical import LexicalIndex

    key = embedder_key(settings.embedding)
    if settings.chroma_url or _pending_marker(settings, key).exists() or not settings.chroma_dir.is_dir():
        return None
    rows = LexicalIndex.stored_rows(index_path(settings, key))
    if rows is None:
        return None
    stored = inventory(rows)
    names = [path.stem for path in files]
    if len(set(names)) != len(names):
        return None
    for path in files:
        doc = stored.get(path.stem)
        try:
            if not doc or doc["source_hash"] != source_hash(path.read_bytes()):
                return None
        except OSError:
            return None
    if any(doc_id not in names and not Path(doc["source"]).exists() for doc_id, doc in stored.items()):
        return None
    return IngestReport(unchanged=names, total_chunks=len(rows))


def _ingest(settings, files: list[Path], progress: bool) -> IngestReport:
    from knowledge.base import index_path, rebuild_lexical_index
    from knowledge.embedding import make_embedder
    from knowledge.store import ChunkStore

    report = IngestReport()
    store = ChunkStore(settings, make_embedder(settings.embedding))
    marker = _pending_marker(settings, store.embedder.key)
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.touch()
    stored = store.documents()
    seen: set[str] = set()

    with _progress(progress) as bar:
        task = bar.add_task("", total=len(files), name="")
        for path in files:
            bar.update(task, name=path.name)
            _ingest_file(path, store, stored, seen, report)
            bar.advance(task)

    for doc_id, info in stored.items():
        # A stored document whose file is gone was removed; one whose file failed to
        # load this time keeps its chunks until it is fixed.
        if doc_id not in seen and not Path(info["source"]).exists():
            store.delete(sorted(info["ids"]))
            report.removed.append(doc_id)
            report.chunks_deleted += len(info["ids"])

    if report.changed or not index_path(settings, store.embedder.key).exists():
        rebuild_lexical_index(settings, store)
    marker.unlink()
    report.total_chunks = store.count()
    return report


def _ingest_file(path: Path, store, stored: dict, seen: set[str], report: IngestReport) -> None:
    doc_id = path.stem
    if doc_id in seen:
        report.failed.append((str(path), f"trùng mã tài liệu '{doc_id}' với một tệp khác"))
        return
    try:
        digest = source_hash(path.read_bytes())
    except OSError as error:
        report.failed.append((str(path), f"không đọc được tệp ({error.strerror})"))
        return
    previous = stored.get(doc_id)
    if previous and previous["source_hash"] == digest:
        seen.add(doc_id)
        report.unchanged.append(doc_id)
        return
    try:
        document = read_document(path)
    except LoadError as error:
        report.failed.append((str(path), str(error)))
        return
    seen.add(doc_id)
    document.metadata.update(source=str(path.resolve()), source_hash=digest)
    chunks = chunk_document(document)
    report.conservation[doc_id] = check(document.lines, chunks)
    if not chunks:
        report.failed.append((str(path), "không tìm thấy đoạn văn nào để nạp"))
        return
    old_ids = previous["ids"] if previous else set()
    # Unchanged passages keep their vectors; only new ones are embedded. Every chunk
    # is rewritten, though, so document metadata (source, hash) stays current.
    fresh = [chunk for chunk in chunks if chunk.id not in old_ids]
    kept = [chunk for chunk in chunks if chunk.id in old_ids]
    store.upsert(fresh, store.embedder.embed_passages([embedding_text(c) for c in fresh]))
    store.update_metadata(kept)
    stale = sorted(old_ids - {chunk.id for chunk in chunks})
    store.delete(stale)
    report.chunks_written += len(fresh) + len(kept)
    report.chunks_deleted += len(stale)
    (report.updated if previous else report.added).append(doc_id)


def embedding_text(chunk: Chunk) -> str:
    """What the dense index sees of a chunk: its document, section path and text."""
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"
