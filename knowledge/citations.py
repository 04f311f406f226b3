"""Citations the way an official writes them, short enough for a phone.

``Luật Giao dịch điện tử 2023, Điều 35, khoản 1, điểm a`` for a legal text;
``Kế hoạch xã Nghĩa Trung, mục III.1.b`` for a plan; ``<lesson title>, mục «Các bước»``
for a lesson. A pure function of the document's short name, its kind and the
section path of the passage.
"""

from __future__ import annotations

import re

from knowledge.records import SECTION_SEPARATOR

# Sections outside the numbered body, as ingest names them, and how a citation says them.
_PARTS = {
    "Phần mở đầu": "phần mở đầu",
    "Phần kết": "phần kết",
    "Nơi nhận": "nơi nhận",
    "Người ký": "phần chữ ký",
}
_ARTICLE_RE = re.compile(r"^Điều\s+(\d+[a-zđ]?)\.")
_KHOAN_RE = re.compile(r"^(\d{1,2})\.$")
_DIEM_RE = re.compile(r"^([a-zđ])\)$")
_DIVISION_RE = re.compile(r"^(?:Phần|Chương|Mục|Tiểu mục)\s+\S+$")
# Plan headings: "III. TIÊU CHÍ", "I- QUAN ĐIỂM", "1. Tiêu chí", "1.1. Các cơ quan", "b) Đối với".
_MARKER_RE = re.compile(r"^(?:([IVX]{1,4})[.\-]\s|(\d{1,2}(?:\.\d{1,2})*)\.(?:\s|$)|([a-zđ])\)(?:\s|$))")


def _legal(parts: list[str], article: int) -> str:
    """"Điều 35, khoản 1, điểm a" from the article down."""
    words = [f"Điều {_ARTICLE_RE.match(parts[article]).group(1)}"]
    for part in parts[article + 1 :]:
        khoan, diem = _KHOAN_RE.match(part), _DIEM_RE.match(part)
        if khoan:
            words.append(f"khoản {khoan.group(1)}")
        elif diem:
            words.append(f"điểm {diem.group(1)}")
    return ", ".join(words)


def _plan(parts: list[str]) -> str:
    """"mục III.1.b" from the numbered headings of a plan."""
    markers: list[str] = []
    for part in parts:
        match = _MARKER_RE.match(part)
        if not match:
            continue
        marker = next(group for group in match.groups() if group)
        if markers and marker.startswith(markers[-1] + "."):
            markers[-1] = marker  # "1." then "1.1.": the second says both
        else:
            markers.append(marker)
    return f"mục {'.'.join(markers)}" if markers else ""


def locate(section: str, kind: str = "plan") -> str:
    """Where a passage is, in citation words: ``Điều 35, khoản 1``, ``mục III.1.b``."""
    parts = [part for part in section.split(SECTION_SEPARATOR) if part] if section else []
    if not parts:
        return ""
    if parts[0] in _PARTS:
        return _PARTS[parts[0]]
    if kind == "lesson":
        return f"mục «{parts[-1]}»"
    article = next((i for i, part in enumerate(parts) if _ARTICLE_RE.match(part)), None)
    if article is not None:
        return _legal(parts, article)
    divisions = [part for part in parts if _DIVISION_RE.match(part)]
    return _plan(parts) or ", ".join(divisions) or f"mục «{parts[-1]}»"


def citation(short_name: str, section: str, kind: str = "plan") -> str:
    """The citation of a passage: the document's short name and where the passage is."""
    where = locate(section, kind)
    return f"{short_name}, {where}" if where else short_name
