"""Cut a structured document into passages along its headings.

Each chunk is the text of one section (its heading line and its own paragraphs); a
long section is cut between list items, and every piece starts again with the
section's heading, so a list item never loses its heading.
"""

from __future__ import annotations

import hashlib
import re

from ingest.records import Document, Section
from knowledge.records import SECTION_SEPARATOR, Chunk

MAX_CHARS = 1000
_SENTENCE_END_RE = re.compile(r"(?<=[.;!?])\s+(?=[A-ZĐÀ-Ỹ\"(-])")


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


def section_pieces(section: Section, limit: int = MAX_CHARS) -> list[str]:
    """The passages of one section's own text, each at most about ``limit`` characters."""
    heading = section.heading
    paragraphs = ([heading] if heading else []) + section.paragraphs
    text = "\n".join(paragraphs)
    if len(text) <= limit:
        return [text] if section.paragraphs or len(heading) > len(section.label) + 2 else []
    # Repeat a short heading on every piece; a long one is content and stays in the first.
    prefix = heading if heading and len(heading) <= 200 else ""
    units = _units(section.paragraphs)
    if heading and not prefix:
        units.insert(0, heading)
    budget = limit - len(prefix)
    pieces: list[str] = []
    current: list[str] = []
    for unit in units:
        for part in _split_long(unit, budget) if len(unit) > budget else [unit]:
            if current and sum(len(p) + 1 for p in current) + len(part) > budget:
                pieces.append("\n".join(current))
                current = []
            current.append(part)
    if current:
        pieces.append("\n".join(current))
    return [f"{prefix}\n{piece}" if prefix else piece for piece in pieces]


def chunk_document(document: Document, limit: int = MAX_CHARS) -> list[Chunk]:
    """All chunks of a document, in reading order, with their section paths."""
    chunks: list[Chunk] = []
    doc_meta = {k: v for k, v in document.metadata.items() if k not in {"title", "locality"}}
    for root in document.outline.sections:
        for path, section in root.walk():
            section_path = SECTION_SEPARATOR.join(path)
            for text in section_pieces(section, limit):
                position = len(chunks)
                chunks.append(
                    Chunk(
                        id=chunk_id(document.doc_id, position, section_path, text),
                        doc_id=document.doc_id,
                        kind=document.kind,
                        title=document.metadata.get("title", ""),
                        section=section_path,
                        text=text,
                        locality=document.metadata.get("locality", ""),
                        metadata={**doc_meta, "position": str(position)},
                    )
                )
    # Each chunk knows how many its document has: a store missing some (after an
    # interrupted run) is seen as incomplete and the document is written again.
    for chunk in chunks:
        chunk.metadata["doc_chunks"] = str(len(chunks))
    return chunks
