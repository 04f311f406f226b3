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


class Ranker:
    """The evidence features of every passage of an index, computed once."""

    def __init__(self, index: LexicalIndex):
        self.index = index
        chunks = index.chunks
        self._names = self._document_names(chunks)
        self._headings = [path_headings(chunk.section) for chunk in chunks]
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
