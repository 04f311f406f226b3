"""The heading structure of administrative and legal documents, and of lessons (markdown).

Legal documents nest ``Phần`` > ``Chương`` > ``Mục`` > ``Tiểu mục`` > ``Điều n.`` >
khoản ``1.`` > điểm ``a)``; plans nest ``I.`` > ``1.`` > ``1.1.`` > ``a)`` > ``-``.
Both come with a header (issuer, number, date), a type line (``LUẬT``, ``KẾ HOẠCH``)
and a closing (``Nơi nhận``, signature). Lessons use markdown ``##`` / ``###``
headings under a YAML front matter.
"""

from __future__ import annotations

import re

import yaml

from ingest.cleaning import UPPER, is_capitals
from ingest.records import Outline, Section
from knowledge.textnorm import fold, looks_like_name

# Heading styles from the outermost; within an article (Điều) "1." is a khoản and
# "a)" a điểm. "- heading" is a short dash line without final stop that introduces
# paragraphs or "+" items.
ARTICLE_RANK = 5
_RANKS = [
    (1, re.compile(r"^(?:Phần|PHẦN)\s+(?:thứ\s+\w+|THỨ\s+\w+|[IVXLC]+\b|\d+\b)")),
    (2, re.compile(r"^(?:Chương|CHƯƠNG)\s+(?:[IVXLC]+|\d+)\b")),
    (3, re.compile(rf"^(?:Mục|MỤC)\s+\d+\.?(?:\s+[{UPPER}]{{2}}|$)")),
    (4, re.compile(rf"^(?:Tiểu mục|TIỂU MỤC)\s+\d+\.?(?:\s+[{UPPER}]{{2}}|$)")),
    (ARTICLE_RANK, re.compile(r"^Điều\s+\d+[a-zđ]?\.(?:\s|$)")),
    (6, re.compile(r"^[IVX]{1,4}[.\-]\s")),
    (8, re.compile(r"^\d{1,2}\.\d{1,2}\.\s")),
    (7, re.compile(r"^\d{1,2}\.\s")),
    (9, re.compile(r"^[a-zđ]\)\.?\s")),
]
DASH_RANK = 10
# Divisions whose title is on the next line(s) in capitals: "Chương I" / "NHỮNG QUY ĐỊNH CHUNG".
_TITLED_RANKS = (1, 2)
_DIVISION_LABEL_RE = re.compile(r"^(?:Phần|PHẦN|Chương|CHƯƠNG|Mục|MỤC|Tiểu mục|TIỂU MỤC)\s+(?:thứ\s+\w+|THỨ\s+\w+|\w+)")
DOC_TYPES = {
    "ke hoach": "Kế hoạch", "quyet dinh": "Quyết định", "chuong trinh": "Chương trình",
    "thong bao": "Thông báo", "huong dan": "Hướng dẫn", "bao cao": "Báo cáo", "cong van": "Công văn",
    "nghi quyet": "Nghị quyết", "chi thi": "Chỉ thị", "to trinh": "Tờ trình", "luat": "Luật",
    "bo luat": "Bộ luật", "nghi dinh": "Nghị định", "thong tu": "Thông tư", "phap lenh": "Pháp lệnh",
    "thong tu lien tich": "Thông tư liên tịch",
}
# Types whose subject is a name ("LUẬT / AN NINH MẠNG" -> "Luật An ninh mạng").
_NAMED_TYPES = ("Luật", "Bộ luật", "Pháp lệnh")
_CLOSING_RE = re.compile(
    r"^(?:Trên đây là|Nơi nhận"
    r"|(?:Luật|Bộ luật|Pháp lệnh|Nghị quyết|Nghị định|Quyết định|Thông tư|Chỉ thị) này "
    r"(?:được [^.]*thông qua|phổ biến đến))"
)
# "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "T/M BỘ CHÍNH TRỊ", "PHÓ CHỦ TỊCH": the signature block.
_SIGNATURE_RE = re.compile(
    r"^(?:TM|KT|TL|TUQ|Q|T/M|K/T|T/L)\.?\s"
    r"|^(?:PHÓ\s+)?(?:CHỦ TỊCH|GIÁM ĐỐC|CHÁNH VĂN PHÒNG|TRƯỞNG BAN|BÍ THƯ|TỔNG BÍ THƯ|THỦ TRƯỚNG|"
    r"THỦ TƯỚNG|BỘ TRƯỞNG|THỨ TRƯỞNG)\b"
)
# "CỦA BỘ CHÍNH TRỊ" under "NGHỊ QUYẾT": the issuing body, not part of the subject.
# The capitals may run on into the subject ("CỦA BỘ CHÍNH TRỊ về đột phá ...").
ISSUER_LINE_RE = re.compile(rf"^CỦA\s+([{UPPER} ]+?)(?:\s+(?=[^{UPPER}\s])(.*))?$")
_LABEL_LIMIT = 80
_ARTICLE_LABEL_LIMIT = 100

PREAMBLE_LABEL = "Phần mở đầu"
CLOSING_LABEL = "Phần kết"
RECIPIENTS_LABEL = "Nơi nhận"
SIGNATURE_LABEL = "Người ký"


def heading_rank(paragraph: str, in_article: bool = False) -> int:
    """The rank of a heading (1 for ``Phần`` ... 10 for a dash heading), 0 for body text."""
    for rank, pattern in _RANKS:
        if pattern.match(paragraph):
            return rank
    if in_article:
        return 0
    if paragraph.startswith("- ") and len(paragraph) <= _LABEL_LIMIT:
        if not paragraph.endswith((".", ";", ",", ":", "…", "!", "?")):
            return DASH_RANK
    return 0


def _shorten(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    return text[: text.rfind(" ", 0, limit - 1)].rstrip(",;: ") + " …"


def heading_label(heading: str) -> str:
    """A short label for a plan heading: up to its first colon or full stop, at most ~80 characters."""
    heading = heading.removeprefix("- ").strip()
    cut = re.search(r":\s|\.\s(?=[A-ZĐÀ-Ỹ])", heading[4:])
    if cut and cut.start() + 4 <= _LABEL_LIMIT:
        heading = heading[: cut.start() + 4]
    return _shorten(heading.rstrip(":;,. "), _LABEL_LIMIT)


def section_label(heading: str, rank: int, in_article: bool) -> str:
    """How a heading is named in a section path, the way a citation names it.

    Divisions by their number (``Chương III``, ``Mục 2``), an article by its number
    and title (``Điều 35. Quyền ...``), a khoản or điểm inside an article by its
    marker (``1.``, ``a)``), a plan heading by its first words.
    """
    first = heading.split("\n", 1)[0]
    if rank < ARTICLE_RANK:
        match = _DIVISION_LABEL_RE.match(first)
        return match.group(0) if match else heading_label(first)
    if rank == ARTICLE_RANK:
        return _shorten(first.rstrip(":;,. "), _ARTICLE_LABEL_LIMIT)
    if in_article:
        return first.split(" ", 1)[0]
    return heading_label(first)


def doc_type_of(line: str) -> str:
    """The document type named by a capitals line (``NGHỊ ĐỊNH`` -> ``Nghị định``), else ""."""
    if not is_capitals(line):
        return ""
    return DOC_TYPES.get(fold(line).strip(" :"), "")


def _find_title(paragraphs: list[str]) -> int | None:
    """Index of the document type line (``KẾ HOẠCH``, ``LUẬT``) within the first paragraphs."""
    for index, paragraph in enumerate(paragraphs[:15]):
        if doc_type_of(paragraph):
            return index
    return None


def _sentence_case(text: str) -> str:
    return text[:1].upper() + text[1:].lower() if is_capitals(text) else text


def _title_and_start(paragraphs: list[str]) -> tuple[str, list[str], int, str]:
    """The title, the header lines above the type line, where the body starts, the type."""
    type_index = _find_title(paragraphs)
    if type_index is None:
        # A letter (công văn) has no type line: its header ends where the text begins,
        # and its subject is the "V/v ..." line.
        start = 0
        while start < min(len(paragraphs), 8) and _is_header_line(paragraphs[start]):
            start += 1
        subject = next((p for p in paragraphs[:start] if p.startswith("V/v")), "")
        if subject:
            return f"Công văn {subject.removeprefix('V/v').strip(' :.')}", paragraphs[:start], start, ""
        first = paragraphs[start] if start < len(paragraphs) else ""
        title = first if start == 0 and len(first) <= 200 and not heading_rank(first) else ""
        return title, paragraphs[:start], start, ""
    doc_type = doc_type_of(paragraphs[type_index])
    subject: list[str] = []
    index = type_index + 1
    while index < len(paragraphs) and len(subject) < 3:
        paragraph = paragraphs[index]
        if heading_rank(paragraph) or paragraph.startswith(("Căn cứ", "Thực hiện")):
            break
        if paragraph.endswith((";", ":", ".")) or len(paragraph) > 300:
            break
        issuer = ISSUER_LINE_RE.match(paragraph)
        if issuer:
            paragraph = issuer.group(2) or ""
        if paragraph:
            subject.append(_sentence_case(paragraph))
        index += 1
    text = " ".join(subject)
    if doc_type in _NAMED_TYPES:
        title = f"{doc_type} {text}".strip()
    else:
        title = doc_type + (f" {text[:1].lower()}{text[1:]}" if text else "")
    return title, paragraphs[:type_index], index, doc_type


_HEADER_LINE_RE = re.compile(r"^(?:Số\b|V/v\b|Độc lập\b|[^,]{2,40}, ngày\b)")


def _is_header_line(paragraph: str) -> bool:
    """A line of a header block: the issuer or motto in capitals, number, subject, place and date."""
    return (is_capitals(paragraph) and len(paragraph) <= 120) or bool(_HEADER_LINE_RE.match(paragraph))


def _is_signature(paragraph: str) -> bool:
    return bool(_SIGNATURE_RE.match(paragraph))


def _closing_start(paragraphs: list[str]) -> int:
    """Where the closing of a document starts: closing words, recipients or the signature."""
    start = next((i for i, p in enumerate(paragraphs) if _CLOSING_RE.match(p)), None)
    if start is not None:
        return start
    # No closing words: a signature block (titles in capitals, then a name) at the very end.
    index = len(paragraphs)
    if index and looks_like_name(paragraphs[-1]):
        index -= 1
        while index and (_is_signature(paragraphs[index - 1]) or is_capitals(paragraphs[index - 1])):
            index -= 1
        if index < len(paragraphs) - 1 and _is_signature(paragraphs[index]):
            return index
    return len(paragraphs)


def _split_closing(paragraphs: list[str]) -> tuple[list[str], list[str], list[str], list[str]]:
    """Split the end of a document into body, closing words, recipients and signature."""
    start = _closing_start(paragraphs)
    body, tail = paragraphs[:start], paragraphs[start:]
    closing: list[str] = []
    recipients: list[str] = []
    signature: list[str] = []
    in_recipients = False
    for paragraph in tail:
        if paragraph.startswith("Nơi nhận"):
            in_recipients = True
            recipients.append(paragraph)
        elif _is_signature(paragraph) or (
            is_capitals(paragraph) and not paragraph.startswith("- ") and (signature or in_recipients)
        ):
            signature.append(paragraph)
        elif signature and looks_like_name(paragraph):
            signature.append(paragraph)
        elif in_recipients:
            recipients.append(paragraph)
        else:
            closing.append(paragraph)
    return body, closing, recipients, signature


def _nest(paragraphs: list[str]) -> tuple[list[str], list[Section]]:
    """Nest body paragraphs under their headings; return the loose lead-in and the sections."""
    lead: list[str] = []
    roots: list[Section] = []
    stack: list[Section] = []
    for index, paragraph in enumerate(paragraphs):
        in_article = any(s.rank == ARTICLE_RANK for s in stack)
        rank = heading_rank(paragraph, in_article)
        if rank == DASH_RANK:
            # A short dash line is a heading only when something hangs under it.
            following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
            if not following or following.startswith("- ") or heading_rank(following):
                rank = 0
        if not rank:
            top = stack[-1] if stack else None
            if top and top.rank in _TITLED_RANKS and not top.paragraphs and not top.children \
                    and is_capitals(paragraph):
                top.heading += "\n" + paragraph  # "Chương I" / "NHỮNG QUY ĐỊNH CHUNG"
                continue
            (top.paragraphs if top else lead).append(paragraph)
            continue
        while stack and stack[-1].rank >= rank:
            stack.pop()
        in_article = rank > ARTICLE_RANK and any(s.rank == ARTICLE_RANK for s in stack)
        section = Section(label=section_label(paragraph, rank, in_article), heading=paragraph, rank=rank)
        (stack[-1].children if stack else roots).append(section)
        stack.append(section)
    return lead, roots


def outline_plan(text: str) -> Outline:
    """Cut a cleaned document (one paragraph per line) into header, title, sections and closing.

    Nothing is left out: the header and title lines open the preamble section, the
    closing words, recipients and signature close the document in sections of their own.
    """
    paragraphs = [line for line in text.split("\n") if line.strip()]
    title, header, start, doc_type = _title_and_start(paragraphs)
    body, closing, recipients, signature = _split_closing(paragraphs[start:])
    lead, sections = _nest(body)
    opening = paragraphs[:start] + lead
    if opening:
        sections.insert(0, Section(label=PREAMBLE_LABEL, paragraphs=opening))
    if closing:
        sections.append(Section(label=CLOSING_LABEL, paragraphs=closing))
    if recipients:
        sections.append(Section(label=RECIPIENTS_LABEL, paragraphs=recipients))
    if signature:
        sections.append(Section(label=SIGNATURE_LABEL, paragraphs=signature))
    return Outline(
        title=title,
        sections=sections,
        header=header,
        preamble=lead,
        signature=signature,
        doc_type=doc_type,
        title_lines=paragraphs[len(header) : start],
    )


_FRONT_MATTER_RE = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.DOTALL)
_MD_HEADING_RE = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_EMPHASIS_RE = re.compile(r"(\*\*|__)(.+?)\1")


def split_front_matter(text: str) -> tuple[dict, str]:
    """Separate a YAML front matter block from markdown text."""
    match = _FRONT_MATTER_RE.match(text)
    if not match:
        return {}, text
    try:
        data = yaml.safe_load(match.group(1))
    except yaml.YAMLError:
        return {}, text
    return (data if isinstance(data, dict) else {}), text[match.end() :]


def markdown_lines(body: str) -> list[str]:
    """The non-blank lines of a markdown body as text: heading marks and emphasis removed."""
    lines: list[str] = []
    for raw in body.split("\n"):
        line = _EMPHASIS_RE.sub(r"\2", raw.strip())
        match = _MD_HEADING_RE.match(line)
        if match:
            line = match.group(2)
        if line:
            lines.append(line)
    return lines


def outline_markdown(text: str) -> Outline:
    """Cut a markdown document (a lesson) along its ``##``/``###`` headings.

    The ``#`` title line names the document and opens its first passage.
    """
    front, body = split_front_matter(text)
    title = str(front.get("title") or "")
    roots: list[Section] = []
    stack: list[Section] = []
    lead: list[str] = []
    head: list[str] = []
    for raw in body.split("\n"):
        line = _EMPHASIS_RE.sub(r"\2", raw.strip())
        if not line:
            continue
        match = _MD_HEADING_RE.match(line)
        if match and len(match.group(1)) == 1 and not roots and not stack and not head:
            title = title or match.group(2)
            head.append(match.group(2))
            continue
        if match:
            rank = len(match.group(1))
            section = Section(label=match.group(2), heading=match.group(2), rank=rank)
            while stack and stack[-1].rank >= rank:
                stack.pop()
            (stack[-1].children if stack else roots).append(section)
            stack.append(section)
            continue
        (stack[-1].paragraphs if stack else lead).append(line)
    if lead:
        roots.insert(0, Section(label=PREAMBLE_LABEL, paragraphs=lead))
    return Outline(title=title, sections=roots, front_matter=front, head=head)
