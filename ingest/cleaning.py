"""Cleaning of text extracted from PDF and Word files.

PDF text layers break lines at the page width, split words such as ``57-NQ/TW``
across lines, leave page numbers alone on a line and scatter odd spaces, quotes and
dashes. :func:`clean_text` turns such text into one paragraph per line, in NFC.
"""

from __future__ import annotations

import re

from knowledge.textnorm import nfc

# Typographic variants mapped to one form, so search and comparison see one character.
_CHAR_MAP = str.maketrans(
    {
        "\u00a0": " ",  # no-break space
        "\u2007": " ",
        "\u202f": " ",
        "\t": " ",
        "\u00ad": None,  # soft hyphen
        "\u200b": None,  # zero-width space
        "\ufeff": None,  # byte order mark
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
    }
)

# Vietnamese capital letters, for patterns (regular expressions have no Unicode classes).
UPPER = "A-ZĐÂĂÊÔƠƯÁÀẢÃẠẤẦẨẪẬẮẰẲẴẶÉÈẺẼẸẾỀỂỄỆÍÌỈĨỊÓÒỎÕỌỐỒỔỖỘỚỜỞỠỢÚÙỦŨỤỨỪỬỮỰÝỲỶỸỴ"
# Headings and list markers of Vietnamese administrative documents (and lessons).
_HEADING_RE = re.compile(
    r"""^(?:
        [IVX]{1,4}\.\s            # I. II. III.
      | \d{1,2}(?:\.\d{1,2})*\.\s # 1. 1.1.
      | [a-zđ]\)\.?\s              # a) b) đ) (and the slip "g). ")
      | [-+•]\s                   # - item, + sub-item
      | \#{1,6}\s                 # markdown headings (lessons)
      | (?:Phần|Chương)\s+(?:thứ\s+\w+|[IVXLC]+|\d+)(?:\.|\s|$)  # legal divisions
      | (?:Mục|Tiểu\ mục)\s+\d+\.?(?:\s+["""
    + UPPER
    + r"""]{2}|$)  # Mục 1. TITLE
      | Điều\s+\d+[a-zđ]?\.(?:\s|$) # an article
    )""",
    re.VERBOSE,
)
# Other paragraph openings: grounds, distribution list, document number.
_OPENING_RE = re.compile(r"^(?:Căn cứ\s|Thực hiện\s|Nơi nhận|Số:)")
# Words a heading never ends on: a line ending on them was cut mid-phrase.
_CONNECTORS = frozenset(
    "của và các về với trong cho tại theo để từ đến là những được có hoặc hay "
    "như trên dưới thuộc số ngày tháng năm một".split()
)
_PAGE_NUMBER_RE = re.compile(r"^\d{1,3}$")
_RULE_RE = re.compile(r"\s*_{3,}\s*")  # the underlines below headers and titles
_SPACES_RE = re.compile(r" {2,}")
_END_PUNCT = tuple(".;:!?…")
# A word cut after its hyphen at a line end: "57-" + "NQ/TW", "03/NQ-" + "CP".
_SPLIT_SYMBOL_RE = re.compile(r"[\w/]-$")


def normalize_chars(text: str) -> str:
    """NFC, one kind of space, quote and dash; no soft hyphens or BOMs."""
    return nfc(text).replace("\r\n", "\n").replace("\r", "\n").translate(_CHAR_MAP)


def clean_line(line: str) -> str:
    """Strip decorative underlines and repeated spaces from one line."""
    line = _RULE_RE.sub(" ", line)
    return _SPACES_RE.sub(" ", line).strip()


def is_heading(line: str) -> bool:
    """True when ``line`` opens a heading or a list item."""
    return bool(_HEADING_RE.match(line.lstrip('"')))


def is_capitals(line: str) -> bool:
    """True for lines in capitals: header blocks, ``KẾ HOẠCH``, signature titles."""
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def is_paragraph_start(line: str) -> bool:
    """True when ``line`` opens a heading, a list item, a clause of grounds or a header line."""
    return is_heading(line) or bool(_OPENING_RE.match(line)) or is_capitals(line)


def _is_complete(paragraph: str, wrapped: bool) -> bool:
    """True when a paragraph can end here: it ends a sentence or is a short heading.

    ``wrapped`` tells that its last line filled the page width, so the line break
    came from the layout and the heading goes on.
    """
    if paragraph.endswith(_END_PUNCT) or is_capitals(paragraph):
        return True
    if wrapped or paragraph.endswith(("-", ",")):
        return False
    if paragraph.rsplit(" ", 1)[-1].lower() in _CONNECTORS:
        return False
    # Headings ("1. Mục đích", "- Hình thức khen thưởng") carry no final stop.
    limit = 90 if paragraph.startswith(("- ", "+ ")) else 160
    return is_heading(paragraph) and len(paragraph) <= limit


def _starts_lower(line: str) -> bool:
    first = line.lstrip('"(')[:1]
    return first.islower() or first.isdigit()


def _page_width(lines: list[str]) -> int:
    """The usual length of a full line (its 90th percentile)."""
    lengths = sorted(len(line) for line in lines if line)
    return lengths[int(len(lengths) * 0.9)] if lengths else 0


def join_lines(lines: list[str], width: int | None = None) -> list[str]:
    """Re-join lines broken at the page width into paragraphs."""
    width = _page_width(lines) if width is None else width
    paragraphs: list[str] = []
    wrapped = False
    for line in lines:
        if not line:
            continue
        if paragraphs:
            previous = paragraphs[-1]
            complete = _is_complete(previous, wrapped)
            marker = is_paragraph_start(line)
            starts_item = line.startswith(("- ", "+ "))
            # "Phòng Văn hóa" + "- Xã hội": a dash after an unfinished phrase continues it.
            new = (marker and (complete or not starts_item)) or (
                not marker and complete and not _starts_lower(line)
            )
            if not new:
                glue = "" if _SPLIT_SYMBOL_RE.search(previous) and line[:1].isupper() else " "
                paragraphs[-1] = previous + glue + line
                wrapped = len(line) >= 0.85 * width
                continue
        paragraphs.append(line)
        wrapped = len(line) >= 0.85 * width
    return paragraphs


def _cleaned(text: str) -> list[str]:
    lines = [clean_line(line) for line in normalize_chars(text).split("\n")]
    return [line for line in lines if not _PAGE_NUMBER_RE.match(line)]


def source_lines(text: str) -> list[str]:
    """The non-blank lines of a text once cleaned: underlines, extra spaces and page numbers removed.

    Ingest keeps every one of them: each ends up in exactly one chunk.
    """
    return [line for line in _cleaned(text) if line]


def _blocks(lines: list[str], width: int) -> list[list[str]]:
    """Blocks of lines between blank lines, when blank lines separate blocks.

    Text typed or converted from Word puts a blank line between blocks (a title, an
    article); PDF extraction puts one after every line, or at page breaks only. A
    blank line ends a paragraph when blank lines are rare, the line above it is
    shorter than the page width and the line below does not go on in lower case.
    """
    filled = [line for line in lines if line]
    blanks = sum(1 for a, b in zip(lines, lines[1:]) if a and not b)
    if not filled or blanks > 0.4 * len(filled):
        return [filled]
    blocks: list[list[str]] = [[]]
    blank = False
    for line in lines:
        if not line:
            blank = True
            continue
        previous = blocks[-1][-1] if blocks[-1] else ""
        unfinished = previous.endswith(("-", ",")) or previous.rsplit(" ", 1)[-1].lower() in _CONNECTORS
        if blank and previous and len(previous) < 0.85 * width and not unfinished and not _starts_lower(line):
            blocks.append([])
        blocks[-1].append(line)
        blank = False
    return blocks


def clean_text(text: str) -> str:
    """Clean extracted text: one paragraph per line, page numbers and noise removed."""
    lines = _cleaned(text)
    width = _page_width([line for line in lines if line])
    return "\n".join(p for block in _blocks(lines, width) for p in join_lines(block, width))
