"""Stage 4, decide: answer or refuse, from named signals, each kept so a refusal says why.

Signals, measured on the passage the answer would be quoted from (and the names of its
document: title, place, issuer):

* ``coverage``: the IDF-weighted share of the question's content words the passage
  holds (a word the corpus never uses weighs most: "kết hôn", "sổ đỏ");
* ``place``: the question names a place no document is about;
* ``year``: the question names a year the passage does not cover ("2021" for a
  2025–2030 text) and that is not the year of its document's own number, date or
  name ("Luật Viễn thông 2023", "24/2023/QH15");
* ``holder``: the question asks who holds an office now, or a person's name the
  passage does not give (dated documents name signers, never today's office holders);
* ``amount``: the question asks an amount of money no line of the passage states about
  what is asked;
* ``contact``: the question asks a phone number no line of the passage gives about
  what is asked;
* ``kind``: the question asks when, for how long or how many, and the passage holds no
  date, period or number at all.

The answer is refused when any mismatch signal fires or ``coverage`` is below
``MIN_COVERAGE``. The threshold is calibrated on all development sets together with
``benchmarks/calibrate_decision.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from knowledge.composing import ANSWER_PATTERNS, weight
from knowledge.lexical import passage_terms
from knowledge.query import Query
from knowledge.records import Chunk
from knowledge.textnorm import fold, looks_like_name

# Share of the question's weighted content words the passage must hold (calibrated).
MIN_COVERAGE = 0.4

_YEAR_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})(?!\d)")
_RANGE_RE = re.compile(r"(?<!\d)((?:19|20)\d{2})\s*(?:-|–|—|đến(?: năm)?)\s*((?:19|20)\d{2})(?!\d)")
_DATE_RE = re.compile(r"ngày\s+\d{1,2}\s+tháng\s+\d{1,2}\s+năm\s+\d{4}|\d{1,2}/\d{1,2}/\d{4}", re.IGNORECASE)
_MONEY_RE = re.compile(r"\d[\d.,]*\s*(?:đồng|triệu|tỷ|nghìn|ngàn|VNĐ|VND|đ\b)", re.IGNORECASE)
_PHONE_RE = re.compile(r"(?<![\d/.])(?:0\d{9,10}|1[89]00[\s.]?\d{3,4}(?:[\s.]?\d{2,4})?|11[1-5])(?![\d/])")


@dataclass
class Decision:
    """Answer or not, why, and the signals behind it (for logs and ``--explain``)."""

    answer: bool
    reason: str = ""  # a key of scope.MESSAGES when refused
    detail: str = ""  # what the reason is about (a year, a place)
    signals: dict = field(default_factory=dict)


def coverage(query: Query, retriever, chunk: Chunk, held: set[str] | None = None) -> float:
    """IDF-weighted share of the question's content words (not the words saying what is
    asked) held by the passage or its document's names (or by ``held``, when given)."""
    if held is None:
        held = set(retriever.index.terms_of(chunk.id)) | retriever.ranker.names_of(chunk.doc_id)
    words = [t for t in query.terms if "_" not in t and t not in query.frame]
    total = sum(weight(retriever, t) for t in words)
    return sum(weight(retriever, t) for t in words if t in held) / total if total else 1.0


def _stated(query: Query, retriever, chunk: Chunk, pattern: re.Pattern) -> bool:
    """True when a line of the passage gives what ``pattern`` finds (a phone number, an
    amount) about what the question asks: the line, under its section and document,
    holds the question's most specific content word and covers its content words."""
    around = set(passage_terms(chunk.section)) | retriever.ranker.names_of(chunk.doc_id)
    words = [t for t in query.terms if "_" not in t and t not in query.frame]
    rarest = max(words, key=lambda t: weight(retriever, t), default=None)
    for line in chunk.text.split("\n"):
        held = around | set(passage_terms(line))
        if pattern.search(line) and (rarest is None or rarest in held):
            if coverage(query, retriever, chunk, held) >= MIN_COVERAGE:
                return True
    return False


def _years_covered(text: str) -> set[int]:
    # The year of a cited document's date ("ngày 05 tháng 8 năm 2022", "05/8/2022") is
    # not a year the passage is about.
    text = _DATE_RE.sub(" ", text)
    years = {int(y) for y in _YEAR_RE.findall(text)}
    for start, end in _RANGE_RE.findall(text):
        years |= set(range(int(start), int(end) + 1))
    return years


def identity_years(chunk: Chunk) -> set[int]:
    """Years that name the passage's document: of its number ("20/2023/QH15"), its date
    and its short name ("Luật Viễn thông 2023"). A question naming the document by its
    year asks about that document, not about what happened that year."""
    meta = chunk.metadata
    names = " ".join(meta.get(key, "") for key in ("number", "date", "short_name"))
    return {int(year) for year in _YEAR_RE.findall(names)}


def decide(query: Query, retriever, chunk: Chunk | None, min_coverage: float | None = None) -> Decision:
    """Answer from ``chunk`` or refuse, with the signals that decided."""
    min_coverage = MIN_COVERAGE if min_coverage is None else min_coverage
    if chunk is None:
        return Decision(False, "not_found", signals={"passage": None})
    text = f"{chunk.text}\n{chunk.section}\n{chunk.title}"
    signals: dict = {"coverage": round(coverage(query, retriever, chunk), 3)}
    missing_years = sorted(query.years - _years_covered(text) - identity_years(chunk))
    signals["year"] = missing_years
    person = "person" in query.asks and "signer" not in query.asks
    signals["holder"] = "current" in query.asks and bool({"who", "person"} & query.asks) or (
        person and not any(looks_like_name(line) for line in chunk.text.split("\n"))
    )
    signals["amount"] = "amount" in query.asks and not _stated(query, retriever, chunk, _MONEY_RE)
    signals["contact"] = "contact" in query.asks and not _stated(query, retriever, chunk, _PHONE_RE)
    kinds = [name for name in ("when", "period", "how_many") if name in query.asks]
    signals["kind"] = bool(kinds) and not any(ANSWER_PATTERNS[name].search(chunk.text) for name in kinds)
    if missing_years:
        return Decision(False, "year", str(missing_years[0]), signals)
    for reason in ("holder", "amount", "contact"):
        if signals[reason]:
            return Decision(False, reason, signals=signals)
    if signals["kind"]:
        return Decision(False, "not_found", signals=signals)
    if signals["coverage"] < min_coverage:
        return Decision(False, "not_found", signals=signals)
    return Decision(True, signals=signals)


def unknown_place(query: Query, retriever, context: list[Chunk]) -> str | None:
    """A place the question names that no document is about, else None."""
    if not query.places:
        return None
    known = {fold(locality).split(" ", 1)[-1] for locality in retriever.index.localities}
    seen = fold(" ".join(f"{c.text} {c.title}" for c in context))
    unknown = [name for key, name in query.places.items() if key not in known and key not in seen]
    return unknown[0] if unknown else None
