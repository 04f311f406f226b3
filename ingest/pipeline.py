"""Ingest: files -> text -> clean -> structure -> chunks -> vectors -> store + lexical index.

Every document's chunks are checked to hold each cleaned source line exactly once
(``IngestReport.conservation``); a document failing the check is still ingested and
the summary warns about it.

Re-running is cheap and safe: a file whose bytes did not change is skipped, a changed
file only embeds its new chunks and drops its stale ones, a removed file's chunks are
deleted. Documents are read one at a time (memory does not grow with the corpus) and
written to the store in batches of whole documents, new chunks before stale ones are
removed. Ctrl+C stops the run after writing the documents already read: the next run
skips them and completes the rest. The lexical index and the store's generation are
written last, so running servers switch to the new content only once it is whole.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
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
    interrupted: bool = False  # stopped by Ctrl+C; the documents listed above are stored

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
    """A rich progress bar with documents per second (hidden when disabled)."""
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        ProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )
    from rich.text import Text

    class Speed(ProgressColumn):
        def render(self, task) -> Text:
            return Text(f"{task.speed:.1f} tài liệu/giây" if task.speed else "")

    return Progress(
        TextColumn("[bold]Nạp tài liệu[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        Speed(),
        TimeElapsedColumn(),
        TextColumn("còn"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[name]}"),
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

    The lexical index file is updated after every ingest that wrote to the embedded
    store and holds each document's source hash; the pending marker tells an interrupted run.
    """
    from knowledge import index_file
    from knowledge.base import index_path
    from knowledge.embedding import embedder_key

    key = embedder_key(settings.embedding)
    if settings.chroma_url or _pending_marker(settings, key).exists() or not settings.chroma_dir.is_dir():
        return None
    path = index_path(settings, key)
    if index_file.read_meta(path).get("terms_version") != index_file.terms_version():
        return None
    stored = index_file.documents(path)
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
    return IngestReport(unchanged=names, total_chunks=sum(doc["chunks"] for doc in stored.values()))


class BatchWriter:
    """Collects the writes of whole documents and sends them to the store in batches.

    Fewer, larger Chroma calls are much faster than one per document; a batch never
    splits a document, so a document is either stored whole or not at all.
    """

    def __init__(self, store, size: int):
        self._store = store
        self._size = size
        self._fresh: list[Chunk] = []
        self._kept: list[Chunk] = []
        self._stale: list[str] = []
        self._docs: list[tuple[str, bool]] = []  # (doc_id, was stored before)
        self.written: list[tuple[str, bool]] = []  # documents stored so far

    def add(self, doc_id: str, fresh: list[Chunk], kept: list[Chunk], stale: list[str], updated: bool) -> None:
        self._fresh += fresh
        self._kept += kept
        self._stale += stale
        self._docs.append((doc_id, updated))
        if len(self._fresh) + len(self._kept) >= self._size:
            self.flush()

    def flush(self) -> None:
        """Write what was collected (again, if a write was interrupted: writes are idempotent)."""
        store, size = self._store, self._size
        for start in range(0, len(self._fresh), size):
            part = self._fresh[start : start + size]
            store.upsert(part, store.embedder.embed_passages([embedding_text(c) for c in part]))
        for start in range(0, len(self._kept), size):
            store.update_metadata(self._kept[start : start + size])
        for start in range(0, len(self._stale), size):
            store.delete(self._stale[start : start + size])
        self.written.extend(self._docs)
        self._fresh, self._kept, self._stale, self._docs = [], [], [], []


# Chunks per store write: large enough to amortise Chroma's per-call cost, small
# enough to keep memory flat (and within the server's maximum batch size).
BATCH_CHUNKS = 1000


def _ingest(settings, files: list[Path], progress: bool) -> IngestReport:
    from knowledge import index_file
    from knowledge.base import index_is_current, index_path, update_lexical_index
    from knowledge.embedding import make_embedder
    from knowledge.store import ChunkStore

    report = IngestReport()
    store = ChunkStore(settings, make_embedder(settings.embedding))
    marker = _pending_marker(settings, store.embedder.key)
    marker.parent.mkdir(parents=True, exist_ok=True)
    # What the store holds is read from the index file (reading Chroma's metadata of
    # 18,000 chunks takes seconds and hundreds of MB), once the file is in step: after
    # a crashed run (marker left behind), another machine's ingest or new tokenizer
    # rules, it is first compared with the whole store.
    resync = marker.exists() or not index_is_current(settings, store)
    if resync:
        update_lexical_index(settings, store)
    marker.touch()
    stored = index_file.inventory(index_path(settings, store.embedder.key))
    seen: set[str] = set()
    writer = BatchWriter(store, min(BATCH_CHUNKS, store.max_batch()))

    try:
        with _progress(progress) as bar:
            task = bar.add_task("", total=len(files), name="")
            for path in files:
                bar.update(task, name=path.name)
                _ingest_file(path, stored, seen, report, writer)
                bar.advance(task)
            writer.flush()
    except KeyboardInterrupt:
        # Keep what was read: the documents in the current batch are whole, write them.
        report.interrupted = True
        writer.flush()
    for doc_id, updated in writer.written:
        (report.updated if updated else report.added).append(doc_id)

    if not report.interrupted:
        for doc_id, info in stored.items():
            # A stored document whose file is gone was removed; one whose file failed to
            # load this time keeps its chunks until it is fixed.
            if doc_id not in seen and not Path(info["source"]).exists():
                store.delete(sorted(info["ids"]))
                report.removed.append(doc_id)
                report.chunks_deleted += len(info["ids"])

    if report.changed or resync:  # a resync may have found what running servers have not seen
        generation = uuid.uuid4().hex
        changed = [doc_id for doc_id, _ in writer.written] + report.removed
        update_lexical_index(settings, store, generation, changed)
        # Last: running servers see the new generation only once the index is saved.
        store.set_generation(generation)
    marker.unlink()
    report.total_chunks = store.count()
    return report


def _ingest_file(path: Path, stored: dict, seen: set[str], report: IngestReport, writer: BatchWriter) -> None:
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
    stale = sorted(old_ids - {chunk.id for chunk in chunks})
    writer.add(doc_id, fresh, kept, stale, updated=bool(previous))
    report.chunks_written += len(fresh) + len(kept)
    report.chunks_deleted += len(stale)


def embedding_text(chunk: Chunk) -> str:
    """What the dense index sees of a chunk: its document, section path and text."""
    return f"{chunk.title}\n{chunk.section}\n{chunk.text}"
