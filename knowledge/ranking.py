"""Stage 3, rerank: evidence beyond shared words, as one scoring function over
``Query`` x passage, its weights in one place.

Each feature multiplies a passage's BM25 score (so a passage that matches far better
still wins): the question names the passage's document (its place, issuer, words of
its title), holds its heading, or asks what the passage defines; a passage of another
place than the one named, a lesson's objectives, a distribution list or a signature
block weigh less.
"""

from __future__ import annotations

import math
import re

from knowledge.definitions import defined_subjects, defines
from knowledge.lexical import LexicalIndex, expanded_words, passage_terms
from knowledge.query import PLACE_KINDS, Query
from knowledge.records import SECTION_SEPARATOR, Chunk
from knowledge.textnorm import fold
from knowledge.vocabulary import FOLDED_STOPWORDS

# The question names the document (up to this share), holds the passage's heading,
# or asks what the passage defines ("VNeID là gì?").
DOCUMENT_WEIGHT = 0.5
HEADING_WEIGHT = 0.3
# A heading also counts as held when it holds this IDF-weighted share of the question's
# content words beyond those naming the document: "người sử dụng dịch vụ viễn thông có
# những nghĩa vụ gì" is asked of "Quyền, nghĩa vụ của người sử dụng dịch vụ viễn thông".
HEADING_COVERAGE = 0.8
# A longer section label, or one cut short ("…"), is a sentence of the text, not a heading.
HEADING_CHARS = 100
DEFINITION_WEIGHT = 0.5
# A question naming a place is rarely answered by another place's plan.
OTHER_PLACE_WEIGHT = 0.7
# A lesson's objectives ("## Mục tiêu") announce what it teaches in the very words
# people ask with, and answer nothing: they rank below the passages that do.
OBJECTIVES_WEIGHT = 0.3
# A distribution list ("Nơi nhận") names offices without saying what they do; a
# signature block answers only "who signed".
RECIPIENTS_WEIGHT = 0.3
SIGNATURE_WEIGHT = 0.3
SIGNER_WEIGHT = 1.0  # added to a signature block's factor when the question asks who signed
RECIPIENTS_ASKED_WEIGHT = 2.0  # a distribution list asked for ("gửi tới những nơi nào")
# A question asking when or for how long is answered in the plan's section on time.
TIME_SECTION_WEIGHT = 0.5
_TIME_SECTION_RE = re.compile(r"\b(?:thoi gian|thoi han|giai doan|tien do|lo trinh)\b")

_PLACE_KIND_RE = re.compile(r"^(?:tinh|thanh pho|xa|phuong|huyen|quan|thi xa|thi tran)\s+")
_SIGNATURE_RE = re.compile(r"^(?:TM\.|KT\.|Q\.|TL\.|TUQ\.)\s", re.MULTILINE)
# Lines of a document's header: its number, subject, motto, place and date.
_HEADER_LINE_RE = re.compile(r"^(?:Số\b|Luật số\b|V/v\b|Độc lập\b|[^,.;:]{2,40}, ngày\s+\d)")


def heading_words(heading: str) -> tuple[str, ...]:
    """The folded words of a heading, without its number; empty when shorter than
    three words (too common to point at one section)."""
    label = re.sub(r"^(?:[IVX]+\.|\d+(?:\.\d+)*\.|[a-zđ]\))\s*", "", heading)
    label = re.sub(r"\([^()]*\)", " ", label)  # "Giai đoạn 1 (từ 2026 - 2027)": the dates are not its name
    words = tuple(expanded_words(label))
    return words if len(words) >= 3 else ()


def path_headings(section: str) -> list[tuple[str, ...]]:
    """The words of the headings of a section and of the sections above it."""
    return [words for words in map(heading_words, section.split(SECTION_SEPARATOR)) if words]


def place_name(locality: str) -> tuple[str, ...]:
    """The folded words of a place's name without its kind: "tỉnh Nghệ An" -> ("nghe", "an")."""
    return tuple(_PLACE_KIND_RE.sub("", fold(locality)).split())


def holds_heading(asked, heading: tuple[str, ...]) -> bool:
    """True when the question's words hold the heading's in order, with nothing but
    function words between them ("ai được tham gia" holds "Ai tham gia?")."""
    for start, word in enumerate(asked):
        if word != heading[0]:
            continue
        found, position = 1, start + 1
        while found < len(heading) and position < len(asked):
            if asked[position] == heading[found]:
                found += 1
            elif asked[position] not in FOLDED_STOPWORDS:
                break
            position += 1
        if found == len(heading):
            return True
    return False


def names_place(asked, place: tuple[str, ...], index: LexicalIndex) -> bool:
    """True when the question's words name the place: its words in a row, not ending
    a longer word of the corpus ("công nghệ an toàn" names no Nghệ An)."""
    n = len(place)
    for start in range(len(asked) - n + 1):
        if tuple(asked[start : start + n]) != place:
            continue
        before = asked[start - 1] if start else ""
        if before in FOLDED_STOPWORDS or before in PLACE_KINDS or not index.idf(f"{before}_{place[0]}"):
            return True
    return False


def is_objectives(chunk: Chunk) -> bool:
    """True for a lesson's objectives section, which says what the lesson teaches."""
    return chunk.kind == "lesson" and fold(chunk.section) == "muc tieu"


def is_recipients(chunk: Chunk) -> bool:
    """True for a distribution list ("Nơi nhận: - Bộ Nội vụ; ... - Lưu: VT")."""
    last = fold(chunk.section.split(SECTION_SEPARATOR)[-1])
    return last.startswith("noi nhan") or bool(re.search(r"^-?\s*Lưu:?\s*VT", chunk.text, re.MULTILINE))


def is_signature(chunk: Chunk) -> bool:
    """True for a signature block ("TM. ỦY BAN NHÂN DÂN / CHỦ TỊCH / name")."""
    last = fold(chunk.section.split(SECTION_SEPARATOR)[-1])
    return last == "nguoi ky" or bool(_SIGNATURE_RE.match(chunk.text))


def _in_capitals(line: str) -> bool:
    letters = [ch for ch in line if ch.isalpha()]
    return len(letters) >= 2 and all(ch.isupper() for ch in letters)


def header_length(chunk: Chunk) -> int:
    """How many lines open the document's first passage only to name it: its header
    (issuer and motto in capitals, number, place and date) and its title lines. They
    say what the citation says, and answer nothing."""
    if chunk.metadata.get("position", "0") != "0":
        return 0
    naming = " ".join([chunk.title, *(chunk.metadata.get(k, "") for k in ("doc_type", "issuer", "short_name"))])
    names = set(re.findall(r"\w+", fold(naming)))
    count = 0
    for line in chunk.own_text().split("\n"):
        words = {w for w in re.findall(r"\w+", fold(line)) if w not in FOLDED_STOPWORDS}
        if not (_in_capitals(line) or _HEADER_LINE_RE.match(line) or (words and words <= names)):
            break
        count += 1
    return count


class Ranker:
    """The evidence features of every passage of an index, computed once."""

    def __init__(self, index: LexicalIndex):
        self.index = index
        chunks = index.chunks
        self._names = self._document_names(chunks)
        self._headings = [path_headings(chunk.section) for chunk in chunks]
        # Short headings of each passage's path, by id, and the headings holding each term.
        self._heading_ids: list[list[int]] = []
        self._heading_doc: list[str] = []
        self._term_headings: dict[str, list[int]] = {}
        ids: dict[tuple[str, str], int] = {}
        for chunk in chunks:
            own = []
            for label in chunk.section.split(SECTION_SEPARATOR):
                if len(label) > HEADING_CHARS or label.endswith("…"):
                    continue
                key = (chunk.doc_id, label)
                if key not in ids:
                    ids[key] = len(self._heading_doc)
                    self._heading_doc.append(chunk.doc_id)
                    for term in set(passage_terms(label)):
                        self._term_headings.setdefault(term, []).append(ids[key])
                own.append(ids[key])
            self._heading_ids.append(own)
        self._places = {chunk.doc_id: place_name(chunk.locality) for chunk in chunks if chunk.locality}
        self._defined = [defined_subjects(chunk.text) for chunk in chunks]
        self._factor = [
            OBJECTIVES_WEIGHT if is_objectives(c) else 1.0 for c in chunks
        ]
        self._signature = [is_signature(chunk) for chunk in chunks]
        self._recipients = [is_recipients(chunk) for chunk in chunks]
        self._time = [bool(_TIME_SECTION_RE.search(fold(chunk.section))) for chunk in chunks]

    @staticmethod
    def _document_names(chunks: list[Chunk]) -> dict[str, set[str]]:
        """Per document, the terms that name it: title, place and issuer."""
        names: dict[str, set[str]] = {}
        for chunk in chunks:
            if chunk.doc_id not in names:
                naming = f"{chunk.title}\n{chunk.locality}\n{chunk.metadata.get('issuer', '')}"
                names[chunk.doc_id] = set(passage_terms(naming))
        return names

    def names_of(self, doc_id: str) -> set[str]:
        """The index terms of a document's title, place and issuer."""
        return self._names.get(doc_id, set())

    def document_prior(self, terms) -> dict[str, float]:
        """How strongly the question names each document, from 0 to 1."""
        n = len(self._names)
        scores: dict[str, float] = {}
        for term in terms:
            holders = [doc for doc, names in self._names.items() if term in names]
            if holders and len(holders) < n:
                weight = math.log(n / len(holders))
                for doc in holders:
                    scores[doc] = scores.get(doc, 0.0) + weight
        top = max(scores.values(), default=0.0)
        return {doc: score / top for doc, score in scores.items()} if top else {}

    def named_places(self, query: Query) -> set[tuple[str, ...]]:
        """The documents' places the question names."""
        return {place for place in self._places.values() if names_place(query.words, place, self.index)}

    def covered_headings(self, query: Query) -> set[int]:
        """Ids of the headings holding HEADING_COVERAGE of the IDF weight of the question's
        content words (at least two) that do not name the heading's document."""
        n = max(len(self.index.chunks), 1)
        top = math.log(1 + (n + 0.5) / 0.5)
        content = {t: self.index.idf(t) or top for t in query.terms if "_" not in t and t not in query.frame}
        held: dict[int, float] = {}
        for term, weight in content.items():
            for heading in self._term_headings.get(term, ()):
                if term not in self._names[self._heading_doc[heading]]:
                    held[heading] = held.get(heading, 0.0) + weight
        needed: dict[str, tuple[int, float]] = {}
        covered = set()
        for heading, weight in held.items():
            doc = self._heading_doc[heading]
            if doc not in needed:
                own = [w for t, w in content.items() if t not in self._names[doc]]
                needed[doc] = (len(own), sum(own))
            count, total = needed[doc]
            if count >= 2 and weight >= HEADING_COVERAGE * total:
                covered.add(heading)
        return covered

    def weigh(self, query: Query, lexical: dict[int, float]) -> None:
        """Multiply the BM25 scores in place by the evidence beyond shared words."""
        chunks = self.index.chunks
        prior = self.document_prior(query.terms)
        named = self.named_places(query)
        held: dict[tuple[str, ...], bool] = {}  # sections share headings: check each once
        first_words = set(query.words)
        signer = "signer" in query.asks
        recipients = RECIPIENTS_ASKED_WEIGHT if "recipients" in query.asks else RECIPIENTS_WEIGHT
        timing = bool({"when", "period"} & query.asks)
        # "X là gì" is answered by the definition of X, not by a heading naming X.
        covered = set() if query.subject else self.covered_headings(query)
        for index in lexical:
            chunk = chunks[index]
            factor = 1.0 + DOCUMENT_WEIGHT * prior.get(chunk.doc_id, 0.0)
            # The heading of the passage's section, or of a section above it.
            for heading in self._headings[index]:
                if heading not in held:
                    held[heading] = heading[0] in first_words and holds_heading(query.words, heading)
                if held[heading]:
                    factor += HEADING_WEIGHT
                    break
            else:
                if covered and any(heading in covered for heading in self._heading_ids[index]):
                    factor += HEADING_WEIGHT
            if query.subject and defines(self._defined[index], query.subject):
                factor += DEFINITION_WEIGHT
            if timing and self._time[index]:
                factor += TIME_SECTION_WEIGHT
            if self._recipients[index]:
                factor *= recipients
            if self._signature[index]:
                factor = factor + SIGNER_WEIGHT if signer else factor * SIGNATURE_WEIGHT
            if named and self._places.get(chunk.doc_id) not in named:
                factor *= OTHER_PLACE_WEIGHT
            lexical[index] *= factor * self._factor[index]
