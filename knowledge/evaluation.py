"""Scoring of answers against a question file, as the eval README defines it.

A source is a hit when its text contains a phrase of every ``expect`` group, its kind
matches ``expect_kind`` (``any`` accepts all) and ``doc_hint`` appears in its title or
section. Text is compared in NFC, lower case, en/em dashes as ``-``, without spaces.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from knowledge.textnorm import fold, nfc

_SPACE_RE = re.compile(r"\s+")
KINDS = ("plan", "lesson", "any", "none")


class QuestionFileError(Exception):
    """A question file that cannot be read; the message is shown to the user."""


def comparable(text: str) -> str:
    """Text as the scorer compares it: NFC, lower case, dashes unified, no white space."""
    text = nfc(text).lower().replace("\u2013", "-").replace("\u2014", "-")
    return _SPACE_RE.sub("", text)


def load_questions(path: Path) -> list[dict]:
    """Questions of a JSONL file, one object a line."""
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionFileError(f"không đọc được tệp câu hỏi {path}: {error}") from error
    questions = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except ValueError:
            raise QuestionFileError(f"dòng {number} của {path} không phải JSON hợp lệ") from None
        if not isinstance(item, dict) or not str(item.get("question", "")).strip():
            raise QuestionFileError(f"dòng {number} của {path} thiếu trường 'question'")
        item.setdefault("id", str(number))
        questions.append(item)
    return questions


def contains_all(text: str, groups: list[list[str]]) -> bool:
    """True when ``text`` holds at least one phrase of every group."""
    haystack = comparable(text)
    return all(any(comparable(phrase) in haystack for phrase in group) for group in groups)


def is_hit(source: dict, question: dict) -> bool:
    """True when a source holds the expected passage."""
    expect_kind = question.get("expect_kind", "any")
    if expect_kind != "any" and source.get("kind") != expect_kind:
        return False
    hint = question.get("doc_hint")
    if hint and comparable(hint) not in comparable(f"{source.get('title', '')}{source.get('section', '')}"):
        return False
    return contains_all(source.get("text", ""), question.get("expect", []))


def has_diacritics(text: str) -> bool:
    """True when the text carries Vietnamese diacritics (or đ)."""
    return fold(text) != nfc(text).lower()


def _metrics(pairs: list[tuple[dict, dict]]) -> dict:
    answerable = [(q, a) for q, a in pairs if q.get("expect_kind") != "none"]
    refusals = [(q, a) for q, a in pairs if q.get("expect_kind") == "none"]
    hit1 = hit5 = mrr = answer_ok = 0.0
    for question, answer in answerable:
        sources = answer.get("sources", [])[:10]
        rank = next((i for i, s in enumerate(sources, 1) if is_hit(s, question)), None)
        if rank:
            hit1 += rank == 1
            hit5 += rank <= 5
            mrr += 1 / rank
        answer_ok += bool(answer.get("found")) and contains_all(answer.get("answer", ""), question.get("expect", []))
    n = len(answerable)
    result = {"questions": len(pairs), "answerable": n}
    if n:
        result.update(hit1=hit1 / n, hit5=hit5 / n, mrr10=mrr / n, answer_ok=answer_ok / n)
    if refusals:
        result["refuse"] = sum(not a.get("found") for _, a in refusals) / len(refusals)
    return result


def score(questions: list[dict], answers: list[dict]) -> dict:
    """Scores overall, per expected kind, and for questions typed with and without diacritics."""
    pairs = list(zip(questions, answers))
    report = {"overall": _metrics(pairs)}
    for kind in KINDS:
        subset = [(q, a) for q, a in pairs if q.get("expect_kind") == kind]
        if subset:
            report[f"kind:{kind}"] = _metrics(subset)
    plain = [(q, a) for q, a in pairs if not has_diacritics(q["question"])]
    accented = [(q, a) for q, a in pairs if has_diacritics(q["question"])]
    if plain:
        report["no_diacritics"] = _metrics(plain)
    if accented:
        report["with_diacritics"] = _metrics(accented)
    return report
