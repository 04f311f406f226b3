"""Check that ingest loses nothing: every cleaned line of a source is in exactly one chunk.

Independent of how the document was structured: the chunks' own text (without the
headings they repeat for context) must hold every source line, and together exactly
the source's characters, no more, no fewer.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from knowledge.records import Chunk

_SPACE_RE = re.compile(r"\s+")


@dataclass
class Conservation:
    """The outcome of the check for one document."""

    lines: int  # non-blank source lines after cleaning
    missing: list[str] = field(default_factory=list)  # lines found in no chunk
    lost_chars: int = 0  # characters of the source absent from the chunks
    extra_chars: int = 0  # characters in the chunks beyond the source (duplicated text)

    @property
    def ok(self) -> bool:
        """True when every line is kept, once."""
        return not self.missing and not self.lost_chars and not self.extra_chars

    @property
    def kept(self) -> int:
        """Number of source lines found in the chunks."""
        return self.lines - len(self.missing)

    def warning(self) -> str:
        """A Vietnamese description of the problem, for the ingest summary."""
        parts = []
        if self.missing:
            first = self.missing[0]
            parts.append(f"{len(self.missing)}/{self.lines} dòng không có trong đoạn nào (vd. \"{first[:60]}\")")
        if self.lost_chars and not self.missing:
            parts.append(f"thiếu {self.lost_chars} ký tự")
        if self.extra_chars:
            parts.append(f"{self.extra_chars} ký tự bị lặp")
        return "; ".join(parts)


def _squash(text: str) -> str:
    return _SPACE_RE.sub("", text)


def check(lines: list[str], chunks: list[Chunk]) -> Conservation:
    """Compare a document's source lines with its chunks."""
    stream = "".join(_squash(chunk.own_text()) for chunk in chunks)
    missing: list[str] = []
    position = 0
    for line in lines:
        # Lines come mostly in reading order: look ahead first, then anywhere.
        squashed = _squash(line)
        found = stream.find(squashed, position)
        if found < 0:
            found = stream.find(squashed)
        if found < 0:
            missing.append(line)
        else:
            position = found
    source = Counter(_squash("".join(lines)))
    kept = Counter(stream)
    return Conservation(
        lines=len(lines),
        missing=missing,
        lost_chars=sum((source - kept).values()),
        extra_chars=sum((kept - source).values()),
    )
