"""The heading structure of plans (administrative documents) and lessons (markdown).

Plans use ``I.`` > ``1.`` > ``1.1.`` > ``a)`` > ``-`` > ``+``; lessons use markdown
``##`` / ``###`` headings under a YAML front matter.
"""

from __future__ import annotations

import re

import yaml

from ingest.cleaning import is_capitals
from ingest.records import Outline, Section
from knowledge.textnorm import fold, looks_like_name

# Heading styles of plans, from the outermost; "- heading" is a short dash line
# without final stop that introduces paragraphs or "+" items.
_RANKS = [
    (1, re.compile(r"^[IVX]{1,4}\.\s")),
    (3, re.compile(r"^\d{1,2}\.\d{1,2}\.\s")),
    (2, re.compile(r"^\d{1,2}\.\s")),
    (4, re.compile(r"^[a-zđ]\)\.?\s")),
]
_DOC_TYPES = {
    "ke hoach", "quyet dinh", "chuong trinh", "thong bao", "huong dan", "bao cao",
    "cong van", "nghi quyet", "chi thi", "to trinh",
}
_CLOSING_RE = re.compile(r"^(?:Trên đây là|Nơi nhận)")
# "TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH": the signature block.
_SIGNATURE_RE = re.compile(
    r"^(?:TM|KT|TL|TUQ|Q)\.\s|^(?:PHÓ\s+)?(?:CHỦ TỊCH|GIÁM ĐỐC|CHÁNH VĂN PHÒNG|TRƯỞNG BAN|BÍ THƯ|THỦ TRƯỞNG)\b"
)
_LABEL_LIMIT = 80

PREAMBLE_LABEL = "Phần mở đầu"
CLOSING_LABEL = "Phần kết"
RECIPIENTS_LABEL = "Nơi nhận"
SIGNATURE_LABEL = "Người ký"


def heading_rank(paragraph: str) -> int:
    """The rank of a plan heading (1 for ``I.`` ... 5 for a dash heading), 0 for body text."""
    for rank, pattern in _RANKS:
        if pattern.match(paragraph):
            return rank
    if paragraph.startswith("- ") and len(paragraph) <= _LABEL_LIMIT:
        if not paragraph.endswith((".", ";", ",", ":", "…", "!", "?")):
            return 5
    return 0


def heading_label(heading: str) -> str:
    """A short label for a heading: up to its first colon or full stop, at most ~80 characters."""
    heading = heading.removeprefix("- ").strip()
    cut = re.search(r":\s|\.\s(?=[A-ZĐÀ-Ỹ])", heading[4:])
    if cut and cut.start() + 4 <= _LABEL_LIMIT:
        heading = heading[: cut.start() + 4]
    heading = heading.rstrip(":;,. ")
    if len(heading) <= _LABEL_LIMIT:
        return heading
    return heading[: heading.rfind(" ", 0, _LABEL_LIMIT - 1)].rstrip(",;: ") + " …"


def _find_title(paragraphs: list[str]) -> int | None:
    """Index of the document type line (``KẾ HOẠCH``) within the first paragraphs."""
    for index, paragraph in enumerate(paragraphs[:15]):
        if is_capitals(paragraph) and fold(paragraph).strip(" :") in _DOC_TYPES:
            return index
    return None


def _title_and_start(paragraphs: list[str]) -> tuple[str, list[str], int]:
    """The document title, the header lines above it and where the body starts."""
    type_index = _find_title(paragraphs)
    if type_index is None:
        first = paragraphs[0] if paragraphs else ""
        return (first if len(first) <= 200 else ""), [], 0
    doc_type = paragraphs[type_index].strip(" :")
    subject: list[str] = []
    index = type_index + 1
    while index < len(paragraphs) and len(subject) < 2:
        paragraph = paragraphs[index]
        if heading_rank(paragraph) or paragraph.startswith(("Căn cứ", "Thực hiện")):
            break
        if paragraph.endswith((";", ":")) or len(paragraph) > 300:
            break
        subject.append(paragraph)
        index += 1
    text = " ".join(subject)
    title = doc_type.capitalize() + (f" {text[:1].lower()}{text[1:]}" if text else "")
    return title, paragraphs[:type_index], index


def _split_closing(paragraphs: list[str]) -> tuple[list[str], list[str], list[str], list[str]]:
    """Split the end of a plan into body, closing words, recipients and signature."""
    start = next((i for i, p in enumerate(paragraphs) if _CLOSING_RE.match(p)), len(paragraphs))
    body, tail = paragraphs[:start], paragraphs[start:]
    closing: list[str] = []
    recipients: list[str] = []
    signature: list[str] = []
    in_recipients = False
    for paragraph in tail:
        if paragraph.startswith("Nơi nhận"):
            in_recipients = True
            rest = paragraph.removeprefix("Nơi nhận").strip(" :")
            if rest:
                recipients.append(rest)
        elif _SIGNATURE_RE.match(paragraph) or (
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
        rank = heading_rank(paragraph)
        if rank == 5:
            # A short dash line is a heading only when something hangs under it.
            following = paragraphs[index + 1] if index + 1 < len(paragraphs) else ""
            if not following or following.startswith("- ") or heading_rank(following):
                rank = 0
        if not rank:
            (stack[-1].paragraphs if stack else lead).append(paragraph)
            continue
        section = Section(label=heading_label(paragraph), heading=paragraph, rank=rank)
        while stack and stack[-1].rank >= rank:
            stack.pop()
        (stack[-1].children if stack else roots).append(section)
        stack.append(section)
    return lead, roots


def outline_plan(text: str) -> Outline:
    """Cut a cleaned plan (one paragraph per line) into header, title, sections and signature."""
    paragraphs = [line for line in text.split("\n") if line.strip()]
    title, header, start = _title_and_start(paragraphs)
    body, closing, recipients, signature = _split_closing(paragraphs[start:])
    lead, sections = _nest(body)
    preamble = lead
    if preamble:
        sections.insert(0, Section(label=PREAMBLE_LABEL, paragraphs=preamble))
    if closing:
        sections.append(Section(label=CLOSING_LABEL, paragraphs=closing))
    if recipients:
        sections.append(Section(label=RECIPIENTS_LABEL, paragraphs=recipients))
    if signature:
        sections.append(Section(label=SIGNATURE_LABEL, paragraphs=signature))
    return Outline(
        title=title, sections=sections, header=header, preamble=preamble, signature=signature
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


def outline_markdown(text: str) -> Outline:
    """Cut a markdown document (a lesson) along its ``##``/``###`` headings."""
    front, body = split_front_matter(text)
    title = str(front.get("title") or "")
    roots: list[Section] = []
    stack: list[Section] = []
    lead: list[str] = []
    for raw in body.split("\n"):
        line = _EMPHASIS_RE.sub(r"\2", raw.strip())
        if not line:
            continue
        match = _MD_HEADING_RE.match(line)
        if match and len(match.group(1)) == 1 and not roots and not stack:
            title = title or match.group(2)
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
    return Outline(title=title, sections=roots, front_matter=front)
