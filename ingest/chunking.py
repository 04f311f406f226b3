"""Cut a structured document into passages along its headings, losing nothing.

A section with its own paragraphs gives its own passages (its heading and
paragraphs); a long one is cut between list items, each piece opening again with
the heading. An article (Điều) is one passage when it fits, else it is cut between
its khoản and điểm, each piece opening with the article's heading (and the khoản's
lead-in). A short list whose items have nothing under them stays with its heading. A
heading with nothing of its own ("I. MỤC ĐÍCH, YÊU CẦU", "Chương II") opens the next
passage. Repeated headings are context: the chunk's ``context`` metadata counts
those leading lines, so every line of the document is owned by exactly one chunk.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from ingest.records import Document, Section
from ingest.structure import ARTICLE_RANK
from knowledge.records import SECTION_SEPARATOR, Chunk

MAX_CHARS = 1000
HEADING_PREFIX_CHARS = 200  # a longer heading is content, not repeated on every piece
_SENTENCE_END_RE = re.compile(r"(?<=[.;!?])\s+(?=[A-ZĐÀ-Ỹ\"(-])")


@dataclass
class Piece:
    """One passage before it becomes a chunk: its section path, lines, and how many
    leading lines repeat a heading for context."""

    path: tuple[str, ...]
    lines: list[str]
    context: int = 0


def chunk_id(doc_id: str, position: int, section: str, text: str) -> str:
    """Deterministic id: the document, the position and a hash of the content."""
    digest = hashlib.sha256(f"{section}\n{text}".encode()).hexdigest()[:12]
    return f"{doc_id}:{position:04d}:{digest}"


def _units(paragraphs: list[str]) -> list[str]:
    """Group paragraphs into units that must stay together: an item with its sub-items."""
    units: list[str] = []
    for paragraph in paragraphs:
        starts_unit = paragraph.startswith("- ") or not units
        # A "+" sub-item or a loose paragraph after an item belongs to that item.
        if starts_unit or not units[-1].startswith("- "):
            units.append(paragraph)
        else:
            units[-1] = f"{units[-1]}\n{paragraph}"
    return units


def _split_long(unit: str, limit: int) -> list[str]:
    """Cut one over-long unit between sentences."""
    pieces: list[str] = []
    current = ""
    for sentence in _SENTENCE_END_RE.split(unit):
        if current and len(current) + len(sentence) + 1 > limit:
            pieces.append(current)
            current = sentence
        else:
            current = f"{current} {sentence}".strip()
    if current:
        pieces.append(current)
    return pieces


def _size(lines: list[str]) -> int:
    return sum(len(line) + 1 for line in lines)


def _heading_lines(section: Section) -> list[str]:
    return section.heading.split("\n") if section.heading else []


def section_pieces(section: Section, limit: int = MAX_CHARS) -> list[tuple[list[str], int]]:
    """The passages of one section's own text as (lines, context lines), each about ``limit``."""
    heading = _heading_lines(section)
    if _size(heading + section.paragraphs) <= limit + 1:
        return [(heading + section.paragraphs, 0)]
    # Repeat a short heading on every piece; a long one is content and stays in the first.
    prefix = heading if heading and len(section.heading) <= HEADING_PREFIX_CHARS else []
    units = _units(section.paragraphs)
    if heading and not prefix:
        units = heading + units
    budget = limit - _size(prefix)
    pieces: list[list[str]] = []
    current: list[str] = []
    for unit in units:
        for part in _split_long(unit, budget) if len(unit) > budget else [unit]:
            if current and _size(current) + len(part) > budget:
                pieces.append(current)
                current = []
            current.append(part)
    if current:
        pieces.append(current)
    return [(prefix + piece, len(prefix) if index else 0) for index, piece in enumerate(pieces)]


def _rows(section: Section, path: tuple[str, ...]) -> list[tuple[tuple[str, ...], str]]:
    """Every line of a section and its subsections with the path of the section it belongs to."""
    rows = [(path, line) for line in _heading_lines(section) + section.paragraphs]
    for child in section.children:
        rows += _rows(child, (*path, child.label))
    return rows


def _common(paths: list[tuple[str, ...]]) -> tuple[str, ...]:
    first = paths[0]
    length = len(first)
    for path in paths[1:]:
        length = min(length, next((i for i, (a, b) in enumerate(zip(first, path)) if a != b), len(path)))
    return first[:length]


def _cut(rows: list, start: int, end: int, depth: int, limit: int) -> int:
    """Where to end a piece begun at ``start`` that cannot take row ``end``: before the
    outermost heading past its first third, up to ``end`` (a khoản before a điểm)."""
    best, best_depth = end, None
    for index in range(start + 1, end + 1):
        path = rows[index][0]
        if _size([row[1] for row in rows[start:index]]) < limit // 3:
            continue
        opens = path != rows[index - 1][0] and len(path) > depth
        if opens and (best_depth is None or len(path) <= best_depth):
            best, best_depth = index, len(path)
    return best


def _pack(section: Section, path: tuple[str, ...], limit: int) -> list[Piece]:
    """Passages of an article (or a list) that does not fit in one: cut between its
    khoản and điểm, each piece opening with the heading and the khoản's lead-in."""
    heading = _heading_lines(section)
    rows: list[tuple[tuple[str, ...], str]] = []
    budget = limit - _size(heading)
    for row_path, line in _rows(section, path):
        parts = _split_long(line, budget - 200) if len(line) > budget - 200 else [line]
        rows += [(row_path, part) for part in parts]
    pieces: list[Piece] = []
    start = 0
    while start < len(rows):
        context = [] if start == 0 else list(heading)
        lead = _lead(rows, start, len(path))
        if lead is not None:
            context.append(lead)
        end = start
        while end < len(rows) and (end == start or _size(context + [r[1] for r in rows[start : end + 1]]) <= limit):
            end += 1
        if end < len(rows):
            end = _cut(rows, start, end, len(path), limit)
        group = rows[start:end]
        pieces.append(Piece(_common([r[0] for r in group]), context + [r[1] for r in group], len(context)))
        start = end
    return pieces


def _lead(rows: list, start: int, depth: int) -> str | None:
    """The lead-in of the khoản a piece starts inside of (not at its first line), else None."""
    path = rows[start][0]
    if start == 0 or len(path) <= depth + 1:
        return None
    khoan = path[: depth + 1]
    first = next(i for i, row in enumerate(rows) if row[0][: depth + 1] == khoan)
    return rows[first][1] if first < start else None


def _packed(section: Section, in_article: bool) -> bool:
    """True when a section goes as a whole (cut between its parts if it must): an article
    or part of one, or a list whose items are bare lines (kept whole only when it fits)."""
    if not section.children:
        return False
    return in_article or all(not c.paragraphs and not c.children for c in section.children)


def document_pieces(document: Document, limit: int = MAX_CHARS) -> list[Piece]:
    """The passages of a document, in reading order."""
    pieces: list[Piece] = []
    carry = list(document.outline.head)  # heading lines waiting for the next passage

    def add(new: list[Piece]) -> None:
        if carry and new:
            new[0].lines[new[0].context : new[0].context] = carry
            carry.clear()
        pieces.extend(new)

    def emit(section: Section, parents: tuple[str, ...], in_article: bool) -> None:
        path = (*parents, section.label)
        in_article = in_article or section.rank == ARTICLE_RANK
        if _packed(section, in_article):
            lines = [line for _, line in _rows(section, path)]
            if _size(lines) <= limit + 1:
                add([Piece(path, lines)])
                return
            if in_article:
                add(_pack(section, path, limit))
                return
            # A long list of long items: each item gives its own passages, as below.
        if section.paragraphs or not section.children:
            add([Piece(path, lines, context) for lines, context in section_pieces(section, limit)])
        else:
            carry.extend(_heading_lines(section))
        for child in section.children:
            emit(child, path, in_article)

    for root in document.outline.sections:
        emit(root, (), False)
    if carry:  # only a document with headings and nothing else
        pieces.append(Piece((), list(carry)))
    return pieces


def chunk_document(document: Document, limit: int = MAX_CHARS) -> list[Chunk]:
    """All chunks of a document, in reading order, with their section paths."""
    chunks: list[Chunk] = []
    doc_meta = {k: v for k, v in document.metadata.items() if k not in {"title", "locality"}}
    for piece in document_pieces(document, limit):
        section_path = SECTION_SEPARATOR.join(piece.path)
        text = "\n".join(piece.lines)
        position = len(chunks)
        metadata = {**doc_meta, "position": str(position)}
        if piece.context:
            metadata["context"] = str(piece.context)
        chunks.append(
            Chunk(
                id=chunk_id(document.doc_id, position, section_path, text),
                doc_id=document.doc_id,
                kind=document.kind,
                title=document.metadata.get("title", ""),
                section=section_path,
                text=text,
                locality=document.metadata.get("locality", ""),
                metadata=metadata,
            )
        )
    # Each chunk knows how many its document has: a store missing some (after an
    # interrupted run) is seen as incomplete and the document is written again.
    for chunk in chunks:
        chunk.metadata["doc_chunks"] = str(len(chunks))
    return chunks
