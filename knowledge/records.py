"""Typed records passed between the knowledge-base stages."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

Kind = Literal["plan", "lesson", "quiz"]
SECTION_SEPARATOR = " > "  # between the headings of a section path


class Chunk(BaseModel):
    """A passage of a document, cut along its headings, as stored in the index."""

    id: str  # deterministic: doc_id + position + content hash
    doc_id: str
    kind: Kind
    title: str
    section: str  # heading path, e.g. "III. TIÊU CHÍ ... > 1. Tiêu chí thi đua > b) Đối với ..."
    text: str
    locality: str = ""
    metadata: dict[str, str] = Field(default_factory=dict)

    def own_text(self) -> str:
        """The text without the headings repeated at its start for context (``context`` lines)."""
        context = int(self.metadata.get("context", 0) or 0)
        return "\n".join(self.text.split("\n")[context:]) if context else self.text


class Source(BaseModel):
    """A retrieved passage as shown to users and in ``--json`` output."""

    doc_id: str
    title: str
    section: str
    kind: Kind
    text: str
    score: float
    citation: str = ""  # "Luật Căn cước 2023, Điều 19, khoản 1" / "Kế hoạch tỉnh Nghệ An, mục III.1"


class Answer(BaseModel):
    """The assistant's answer to a question: the JSON contract of ``ask --json`` and ``POST /v1/ask``."""

    answer: str
    found: bool
    sources: list[Source] = Field(default_factory=list)
    # Why there is no answer, a key of ``knowledge.scope.MESSAGES`` ("greeting", "secret",
    # "everyday", "place", "year", "holder", "amount", "contact", "not_found"); empty when
    # found. ``answer`` holds the matching reply, for every channel to show as is.
    category: str = ""

    def citations(self, limit: int) -> list[Source]:
        """The first ``limit`` sources to cite, best first, one per (document, citation).

        ``sources`` keeps every retrieved passage (evaluation scores them); people
        reading an answer want each place named once, not once per passage (two
        pieces of one article are both "Điều 2").
        """
        seen: set[tuple[str, str]] = set()
        kept: list[Source] = []
        for source in self.sources:
            if len(kept) >= limit:
                break
            key = (source.doc_id, source.citation or source.section)
            if key not in seen:
                seen.add(key)
                kept.append(source)
        return kept
