"""Stage 5, compose: the answer text, quoted from one passage, within a phone's budget.

``choose`` finds the sentence that best answers the question among the best passages;
``extract`` builds the answer around it: the whole passage when short, else the
sentence with its heading and the items it introduces. The rules people see:
never a bare heading, a signature block or a distribution list as the answer; a
question asking for a list gets the whole list (trimmed to the budget with "…và N mục
khác, xem mục …"); at most MAX_ANSWER_CHARS characters.
"""

from __future__ import annotations

import math
import re
from functools import lru_cache

from knowledge.definitions import defined_subjects, defines
from knowledge.lexical import passage_terms
from knowledge.query import Query
from knowledge.ranking import header_length, is_objectives, is_recipients, is_signature
from knowledge.records import SECTION_SEPARATOR, Chunk
from knowledge.textnorm import looks_like_name

CONTEXT = 3  # passages the answer may be quoted from
WHOLE_CHUNK_CHARS = 420  # a passage this short is the answer as a whole
LINE_CHARS = 450  # a paragraph or list item this short is kept whole
HEADING_CHARS = 120  # a first line this short is a heading, shown above its items
MAX_ANSWER_CHARS = 700
POSITION_WEIGHTS = (1.0, 0.75, 0.6)  # prefer sentences of the best-ranked passages
NAMING_WEIGHT = 0.2  # words that name the document say little about the sentence
MISSING_ANCHOR_FACTOR = 0.3  # a sentence without the question's numbers is a poor answer
DEFINITION_FACTOR = 2.0  # "X là gì?" is answered by the sentence "X là ..."
SECTION_SHARE = 0.7  # a sentence matched mostly through its section path stands for the section
# A sentence of the kind asked for (a date for "when"...) weighs this much more; a
# period ("từ 2025 đến 2030") is the most telling shape of an answer.
# Asked for a list ("gồm những gì"), a line enumerating three or more ("... gồm A, B, C"), introducing
# a list ("... bao gồm:") or an item of one is the answer's shape.
CUE_FACTORS = {"when": 0.5, "period": 1.0, "how_many": 0.5, "who": 0.5, "list": 0.5}

MISSING_CUE_FACTOR = 0.5  # asked when or how many, a sentence with no date or number is a poor answer
_MARKER_ONLY_RE = re.compile(r"^\s*(?:[IVX]+|\d+(?:\.\d+)*|[A-ZĐ]{1,4})\.$")  # "1.", "I.", "TM."
_UNIT_SPLIT_RE = re.compile(r"(?<=[.!?])\s+(?=[A-ZĐÀ-Ỹ\"(])|(?<=;)\s+")
_ITEM_RE = re.compile(r"^(?:[-+•]\s|[a-zđ]\)\s|\d+(?:\.\d+)*\.\s)")
# The pattern a sentence answering each kind of question carries (a date for "when").
_RECURRING = r"|hằng (?:năm|tháng|quý|tuần|ngày)|hàng (?:năm|tháng|quý|tuần|ngày)|định kỳ"
ANSWER_PATTERNS = {
    "when": re.compile(
        r"\d{1,2}/\d{1,2}(?:/\d{2,4})?|tháng\s+\d{1,2}|năm\s+\d{4}|quý\s+[IVX]+|\d+\s+(?:giờ|ngày|tuần)" + _RECURRING, re.I
    ),
    "how_many": re.compile(r"\d+\s*%|\d+"),
    "period": re.compile(
        r"(?:19|20)\d{2}\s*(?:-|–|đến(?: năm)?)\s*(?:19|20)\d{2}|\d+\s+(?:giờ|ngày|tuần|tháng|năm)\b(?!\s*\d)" + _RECURRING, re.I
    ),
    "list": re.compile(r":\s*$|^\s*(?:[-+•]\s|[a-zđ]\)\s)|\bgồm\b[^.;:]*,[^.;:]*,", re.I),
    "who": re.compile(
        r"\b(?:Sở|Phòng|Ban|Ủy ban|Uỷ ban|UBND|Hội đồng|Văn phòng|Trung tâm|Bộ|Cơ quan|Công an)\b"
    ),
}


@lru_cache(maxsize=8192)
def _terms(text: str) -> frozenset[str]:
    """Index terms of a piece of text (cached: the same passages come back often)."""
    return frozenset(passage_terms(text))


def weight(retriever, term: str) -> float:
    """A term's weight: its IDF, or the highest IDF when the corpus lacks it."""
    n = max(len(retriever.index.chunks), 1)
    return retriever.index.idf(term) or math.log(1 + (n + 0.5) / 0.5)


def answering(query: Query, ranked: list) -> list:
    """The passages an answer may be quoted from: not a lesson's objectives, a
    distribution list (unless asked where the document was sent), or a signature
    block (unless asked who signed); asked either, the best block or list alone."""
    signer, recipients = "signer" in query.asks, "recipients" in query.asks
    # Asked who signed or where the document was sent: the block or list that says it.
    for asked, kind in ((signer, is_signature), (recipients, is_recipients)):
        if asked and any(kind(chunk) for chunk, _ in ranked):
            return [(chunk, score) for chunk, score in ranked if kind(chunk)][:1]
    return [
        (chunk, score)
        for chunk, score in ranked
        if not is_objectives(chunk) and (recipients or not is_recipients(chunk)) and (signer or not is_signature(chunk))
    ][:CONTEXT]


def choose(query: Query, retriever, ranked) -> tuple[int, int, str] | None:
    """(passage, line, sentence) that best answers the question, or None."""
    terms = query.terms
    cues = [(ANSWER_PATTERNS[name], factor) for name, factor in CUE_FACTORS.items() if name in query.asks]
    signer = "signer" in query.asks
    # Numbers in a question (document numbers, years) must be in the answer.
    anchors = {t for t in terms if t.isdigit()}
    best: tuple[float, int, int, str] | None = None
    for c_index, (chunk, _) in enumerate(ranked):
        # Words naming the document (its title, its place) chose the document;
        # within it, the other words of the question point at the answer.
        naming = _terms(f"{chunk.title}\n{chunk.locality}")
        if all(t in naming for t in terms if "_" not in t):
            naming = frozenset()  # the question is about the document itself ("bdhvs là gì")
        asked = {t: w * NAMING_WEIGHT if t in naming else w for t, w in terms.items()}
        # The section path is context every sentence of the passage shares.
        context = _terms(chunk.section)
        lines = chunk.own_text().split("\n")  # without the headings repeated for context
        opening = _opening(chunk, lines)  # the document's header is never the answer
        for l_index, line in enumerate(lines):
            if l_index < opening:
                continue
            for unit in _units(line):
                held = context | _terms(unit)
                value = sum(w * weight(retriever, t) for t, w in asked.items() if t in held)
                shared = sum(w * weight(retriever, t) for t, w in asked.items() if t in context)
                cue = sum(factor for pattern, factor in cues if pattern.search(unit))
                value *= 1.0 + cue if cue or not cues else MISSING_CUE_FACTOR
                if anchors and not anchors & held:
                    value *= MISSING_ANCHOR_FACTOR
                if query.subject and defines(defined_subjects(unit), query.subject):
                    value *= DEFINITION_FACTOR
                if signer and looks_like_name(unit):
                    value += sum(terms.values()) * weight(retriever, "ki")
                value *= POSITION_WEIGHTS[c_index]
                if best is not None and value <= best[0]:
                    continue
                if l_index > opening and shared > SECTION_SHARE * value:
                    # Matched mostly through the section's heading: the question asks
                    # about the section as a whole, answered from its start.
                    best = (value, c_index, opening, _units(lines[opening])[0])
                else:
                    best = (value, c_index, l_index, unit)
    if best is None or best[0] <= 0:
        return None
    return best[1:]


def extract(query: Query, retriever, chunk: Chunk, l_index: int, unit: str) -> str | None:
    """The answer text around the chosen sentence of ``chunk``."""
    lines = chunk.own_text().split("\n")  # without the headings repeated for context
    if is_signature(chunk):
        return signer_sentence(chunk.text)  # asked who signed
    opening = _opening(chunk, lines)
    lines, l_index = lines[opening:], max(l_index - opening, 0)
    # A heading that shares at most a word with the question ("Lưu ý an toàn" for "công
    # an") says nothing the citation does not; one that shares more ("4. Nộp hồ sơ ...")
    # frames the answer, and one naming an office answers "who" ("d) Sở Nội vụ").
    shared = _content(query) & _terms(lines[0])
    names_office = "who" in query.asks and ANSWER_PATTERNS["who"].search(lines[0])
    keep_heading = bool(names_office) or len(shared) >= 2
    if _is_bare_heading(chunk, lines[0]) and len(lines) > 1 and not keep_heading:
        lines, l_index = lines[1:], max(l_index - 1, 0)
        unit = unit if unit in lines[l_index] else lines[l_index]
    if len("\n".join(lines)) <= WHOLE_CHUNK_CHARS:
        return "\n".join(lines)
    wants_list = "list" in query.asks
    answer = _expand(lines, l_index, unit, wants_list, chunk)
    if answer.endswith(":"):
        # "... chia thành các giai đoạn:": what follows is in the subsections.
        answer += "".join(f"\n- {label}" for label in _subsections(retriever, chunk))
    return _trim(answer)


_SIGNING_MARKS = {"TM.": "thay mặt", "KT.": "ký thay", "Q.": "quyền", "TL.": "thừa lệnh", "TUQ.": "thừa ủy quyền"}


def signer_sentence(block: str) -> str:
    """A signature block as a sentence: "TM. ỦY BAN NHÂN DÂN / KT. CHỦ TỊCH / PHÓ CHỦ TỊCH /
    Bùi Đình Long" -> "Người ký: Bùi Đình Long, Phó chủ tịch (ký thay Chủ tịch; thay mặt Ủy ban nhân dân)."."""
    lines = [line.strip() for line in block.split("\n") if line.strip()]
    names = [line for line in lines if looks_like_name(line)]
    marked, roles = [], []
    for line in lines:
        if line in names:
            continue
        mark = next((m for m in _SIGNING_MARKS if line.startswith(m + " ")), None)
        if mark:
            marked.append(f"{_SIGNING_MARKS[mark]} {line[len(mark):].strip().capitalize()}")
        else:
            roles.append(line.capitalize())
    who = ", ".join(names + roles)
    return f"Người ký: {who}" + (f" ({'; '.join(reversed(marked))})." if marked else ".")


def _opening(chunk: Chunk, lines: list[str]) -> int:
    """Header lines to leave out of the answer; none when nothing else is left."""
    opening = header_length(chunk)
    return opening if opening < len(lines) else 0


def _content(query: Query) -> frozenset[str]:
    """The question's content words and word pairs."""
    return frozenset(t for t, w in query.terms.items() if w >= 1)


def _is_bare_heading(chunk: Chunk, line: str) -> bool:
    """True when ``line`` only repeats the label of the chunk's section."""
    label = chunk.section.split(SECTION_SEPARATOR)[-1].strip()
    stripped = line.strip().rstrip(":")
    return len(stripped) <= HEADING_CHARS and stripped == label.rstrip(":") and not stripped.endswith(".")


def _subsections(retriever, chunk: Chunk) -> list[str]:
    """Labels of the sections right below the chunk's section, in order."""
    prefix = chunk.section + SECTION_SEPARATOR
    labels: list[str] = []
    for other in retriever.index.chunks:
        if other.doc_id == chunk.doc_id and other.section.startswith(prefix):
            label = other.section[len(prefix) :].split(SECTION_SEPARATOR)[0]
            if label not in labels:
                labels.append(label)
    return labels


def _is_item(line: str) -> bool:
    return bool(_ITEM_RE.match(line))


def _expand(lines: list[str], l_index: int, unit: str, wants_list: bool, chunk: Chunk) -> str:
    """The answer around the chosen sentence: its heading, and the items it introduces."""
    first = _with_head(lines[l_index], unit)
    picked = [first]
    is_item = first.startswith(("- ", "+ "))
    heading = lines[0]
    if l_index > 0 and is_item and len(heading) <= HEADING_CHARS and not heading.startswith(("- ", "+ ")):
        # A list item is never shown without its heading ("d) Sở Nội vụ").
        picked.insert(0, heading)
    # A lead-in ("... gồm:"), a heading line, a paragraph right above a list (it
    # introduces the list), or an item of a list asked for as a whole (or short enough
    # to show whole) brings the lines that follow.
    follows = first.endswith(":") or (l_index == 0 and not first.endswith((".", ";")))
    next_line = lines[l_index + 1] if l_index + 1 < len(lines) else ""
    follows = follows or (not is_item and next_line.startswith(("- ", "+ ")))
    if is_item and (wants_list or _list_fits(lines, l_index)):
        # The whole list: from its first item, not from the one that matched best.
        start = l_index
        while start > 0 and _is_item(lines[start - 1]):
            start -= 1
        picked = [lines[start - 1]] if start > 0 else []  # the line introducing the list
        l_index = start - 1
        follows = True
    if follows:
        rest = lines[l_index + 1 :]
        if len("\n".join(picked + rest)) <= MAX_ANSWER_CHARS:
            return "\n".join(picked + rest)
        for position, line in enumerate(rest):
            if len("\n".join(picked)) + len(line) + 1 > MAX_ANSWER_CHARS - 60:
                left = sum(1 for other in rest[position:] if _is_item(other)) or len(rest) - position
                label = chunk.section.split(SECTION_SEPARATOR)[-1]
                picked.append(f"…và {left} mục khác, xem mục {_short_label(label)}.")
                break
            picked.append(line)
    return "\n".join(picked)


def _list_fits(lines: list[str], l_index: int) -> bool:
    """True when the list around an item, with the line above it, fits the budget whole."""
    start, end = l_index, l_index + 1
    while start > 0 and _is_item(lines[start - 1]):
        start -= 1
    while end < len(lines) and _is_item(lines[end]):
        end += 1
    return len("\n".join(lines[max(start - 1, 0) : end])) <= MAX_ANSWER_CHARS


def _short_label(label: str) -> str:
    """A section label short enough to name: "III.2" rather than the whole heading."""
    match = re.match(r"^([IVX]+\.|\d+(?:\.\d+)*\.?|[a-zđ]\))", label)
    if match:
        return match.group(1).rstrip(".")
    return label if len(label) <= 60 else label[:57].rsplit(" ", 1)[0] + "…"


def _units(line: str) -> list[str]:
    """Sentences and clauses of a line, never cut inside a quotation."""
    units: list[str] = []
    start = 0
    for match in _UNIT_SPLIT_RE.finditer(line):
        before = line[start : match.start()]
        if line.count('"', 0, match.start()) % 2 == 0 and not _MARKER_ONLY_RE.match(before):
            units.append(line[start : match.start()])
            start = match.end()
    units.append(line[start:])
    return [unit for unit in units if unit.strip()]


def _with_head(line: str, unit: str) -> str:
    """The whole line when short; else the unit, after the line's head ("Sở Nội vụ: ...")."""
    if len(line) <= LINE_CHARS:
        return line
    head = re.match(r"^[-+]?\s*([^:.;]{3,80}):\s", line)
    if head and not line.startswith(head.group(0) + unit[:10]) and head.group(0) not in unit:
        return f"{head.group(1)}: {unit}"
    return unit


def _trim(text: str) -> str:
    """At most MAX_ANSWER_CHARS, cut after a sentence or a word."""
    if len(text) <= MAX_ANSWER_CHARS:
        return text
    cut = text[:MAX_ANSWER_CHARS]
    end = max(cut.rfind(". "), cut.rfind("; "), cut.rfind("\n"))
    return (cut[: end + 1] if end > MAX_ANSWER_CHARS // 2 else cut[: cut.rfind(" ")]) + " …"
