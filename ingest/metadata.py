"""Document metadata read from a plan's outline: issuer, locality, number, date, signer."""

from __future__ import annotations

import re

from ingest.cleaning import is_capitals
from ingest.records import Outline
from knowledge.textnorm import looks_like_name

_MOTTO_RE = re.compile(
    r"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập - Tự do - Hạnh phúc"
)
_NUMBER_RE = re.compile(r"Số:\s*([\w.\-]*/[\wĐđ./\-]+)")
_DATE_RE = re.compile(r"ngày\s*(\d{1,2})?\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})")
_LOCALITY_RE = re.compile(
    r"(?<!\w)(tỉnh|xã|phường|huyện|thành phố)\s+((?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*)(?:\s+[A-ZĐÀ-Ỹ][\wÀ-ỹ]*){0,2})"
)
_ISSUER_RE = re.compile(
    r"((?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Văn phòng|Sở|Ban|Hội đồng)[^,;:]*?)\s+"
    r"(?:ban hành|xây dựng)\s+[Kk]ế hoạch"
)


def find_locality(*texts: str) -> str:
    """The first named locality (``tỉnh Nghệ An``, ``xã Nghĩa Trung``) in the texts, in order."""
    for text in texts:
        match = _LOCALITY_RE.search(text)
        if match:
            return f"{match.group(1)} {match.group(2)}"
    return ""


def _issuer(header: list[str], preamble: list[str], locality: str) -> str:
    capitals = [line for line in header if is_capitals(line) or _MOTTO_RE.search(line)]
    words = " ".join(_MOTTO_RE.sub(" ", " ".join(capitals)).split())
    if words:
        return words
    for paragraph in reversed(preamble):
        match = _ISSUER_RE.search(paragraph)
        if match:
            issuer = match.group(1).replace("UBND", "Ủy ban nhân dân")
            head, _, last = issuer.rpartition(" ")
            # "UBND tỉnh ban hành ...": the plan names its own province only once, elsewhere.
            if last.lower() in {"tỉnh", "xã", "huyện", "phường"} and locality:
                issuer = f"{head} {locality}"
            return issuer
    return ""


def _date(header: list[str]) -> str:
    match = _DATE_RE.search(" ".join(header))
    if not match:
        return ""
    day, month, year = match.groups()
    return f"{int(day)}/{int(month)}/{year}" if day else f"{int(month)}/{year}"


def _signer(signature: list[str]) -> str:
    names = [line for line in signature if looks_like_name(line)]
    return names[-1] if names else ""


def plan_metadata(outline: Outline, text: str) -> dict[str, str]:
    """Title, issuing body, locality, number, date and signer of a plan."""
    locality = find_locality(outline.title, *outline.preamble, text)
    header = " ".join(outline.header)
    number = _NUMBER_RE.search(header)
    return {
        "title": outline.title,
        "issuer": _issuer(outline.header, outline.preamble, locality),
        "locality": locality,
        "number": number.group(1) if number else "",
        "date": _date(outline.header),
        "signer": _signer(outline.signature),
    }


def lesson_metadata(outline: Outline) -> dict[str, str]:
    """Title and topic of a lesson, from its front matter."""
    front = outline.front_matter
    return {
        "title": outline.title,
        "issuer": "",
        "locality": "",
        "number": "",
        "date": "",
        "signer": "",
        "topic": str(front.get("topic") or ""),
    }
