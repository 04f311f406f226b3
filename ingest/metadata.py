"""Document metadata read from an outline: type, number, date, issuer, signer, title, locality.

Each field is read only where documents put it (the header above the type line, the
type and subject lines, the signature block, the grounds); a field that cannot be
read with confidence stays empty, since a wrong value is worse than none.
"""

from __future__ import annotations

import re

from ingest.cleaning import UPPER, is_capitals
from ingest.records import Outline
from ingest.structure import ISSUER_LINE_RE
from knowledge.textnorm import fold, looks_like_name

_MOTTO_RE = re.compile(
    r"CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM|CỘNG HOÀ XÃ HỘI CHỦ NGHĨA VIỆT NAM|Độc lập - Tự do - Hạnh phúc"
)
# "Số: 329/KH-UBND", "Luật số: 24/2018/QH14", "Số 57-NQ/TW": a number, then its symbol.
_NUMBER_RE = re.compile(r"(?:^|\s)(?:[Ll]uật\s+|[Bb]ộ luật\s+)?[Ss]ố:?\s*(\d+[\w.\-]*(?:/[\wĐđ.\-]+)+)")
_DATE_RE = re.compile(r"ngày\s*(\d{1,2})?\s*tháng\s*(\d{1,2})\s*năm\s*(\d{4})")
_PLACE_WORD = rf"[{UPPER}][^\W\d_]*"
_LOCALITY_RE = re.compile(rf"(?<!\w)(tỉnh|xã|phường|huyện|thành phố)\s+({_PLACE_WORD}(?:\s+{_PLACE_WORD}){{0,2}})")
_ISSUER_RE = re.compile(
    r"((?:Ủy ban nhân dân|Uỷ ban nhân dân|UBND|Văn phòng|Sở|Ban|Hội đồng)[^,;:]*?)\s+"
    r"(?:ban hành|xây dựng)\s+[Kk]ế hoạch"
)
# Issuing bodies as written in capitals in headers, and their usual spelling.
_BODIES = {
    "quoc hoi": "Quốc hội",
    "uy ban thuong vu quoc hoi": "Ủy ban Thường vụ Quốc hội",
    "chinh phu": "Chính phủ",
    "thu tuong chinh phu": "Thủ tướng Chính phủ",
    "bo chinh tri": "Bộ Chính trị",
    "ban bi thu": "Ban Bí thư",
    "ban chap hanh trung uong": "Ban Chấp hành Trung ương",
    "ban chap hanh trung uong dang cong san viet nam": "Ban Chấp hành Trung ương Đảng",
    "uy ban nhan dan": "Ủy ban nhân dân",
    "hoi dong nhan dan": "Hội đồng nhân dân",
}
# The issuer a symbol names (its last part): "13/2023/NĐ-CP" -> Chính phủ.
_SYMBOL_ISSUERS = {"cp": "Chính phủ", "ttg": "Thủ tướng Chính phủ", "qh": "Quốc hội", "tw": "Ban Chấp hành Trung ương"}
# The type a symbol's code names: "923/QĐ-TTg" -> Quyết định.
_SYMBOL_TYPES = {
    "nq": "Nghị quyết", "nd": "Nghị định", "qd": "Quyết định", "tt": "Thông tư", "kh": "Kế hoạch",
    "ct": "Chỉ thị", "ctr": "Chương trình", "tb": "Thông báo", "hd": "Hướng dẫn", "bc": "Báo cáo",
}
# National bodies: their documents belong to no locality.
_NATIONAL = ("Quốc hội", "Ủy ban Thường vụ Quốc hội", "Chính phủ", "Thủ tướng Chính phủ", "Bộ Chính trị",
             "Ban Bí thư", "Ban Chấp hành Trung ương", "Ban Chấp hành Trung ương Đảng")
_PLACE_KINDS = ("tỉnh", "xã", "phường", "huyện", "thành phố", "thị xã", "thị trấn", "quận")
_LEGAL_TYPES = ("Luật", "Bộ luật", "Pháp lệnh", "Nghị định", "Nghị quyết", "Quyết định", "Thông tư",
                "Thông tư liên tịch", "Chỉ thị")


def find_locality(*texts: str) -> str:
    """The first named locality (``tỉnh Nghệ An``, ``xã Nghĩa Trung``) in the texts, in order."""
    for text in texts:
        for match in _LOCALITY_RE.finditer(text):
            name = match.group(2)
            if fold(name) != "viet nam":
                return f"{match.group(1)} {name}"
    return ""


def proper_body(capitals: str) -> str:
    """An issuing body written in capitals, in its usual spelling: ``ỦY BAN NHÂN DÂN XÃ
    NGHĨA TRUNG`` -> ``Ủy ban nhân dân xã Nghĩa Trung``; unknown bodies stay as written."""
    if not is_capitals(capitals):
        return capitals
    words = capitals.split()
    for cut in range(len(words), 0, -1):
        body = _BODIES.get(fold(" ".join(words[:cut])))
        if body is None:
            continue
        rest = " ".join(words[cut:])
        for kind in _PLACE_KINDS:
            if fold(rest).startswith(fold(kind) + " "):
                name = rest[len(kind) + 1 :].title()
                return f"{body} {kind} {name}"
        return f"{body} {rest.title()}".strip() if rest else body
    return capitals


def _header_issuer(header: list[str]) -> str:
    """The body named above the motto in the header, in its usual spelling."""
    lines: list[str] = []
    for line in header:
        line = _MOTTO_RE.sub(" ", line).strip()
        if _NUMBER_RE.search(line) or line.startswith(("Số", "Luật số")):
            break
        if is_capitals(line):
            lines.append(line)
    return proper_body(" ".join(" ".join(lines).split())) if lines else ""


def _preamble_issuer(preamble: list[str], locality: str) -> str:
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


def _number(header: list[str]) -> str:
    match = _NUMBER_RE.search(" ".join(header))
    return match.group(1).rstrip(".-") if match else ""


def _symbol_parts(number: str) -> list[str]:
    """The letter codes of a symbol: "13/2023/NĐ-CP" -> ["nd", "cp"]."""
    return [fold(part) for part in re.split(r"[/\-]", number) if part and not part.isdigit()]


def _type_from_number(number: str, header: list[str]) -> str:
    codes = _symbol_parts(number)
    if any(re.fullmatch(r"qh\d*", code) for code in codes) and not set(codes) & set(_SYMBOL_TYPES):
        return "Luật"
    for code in codes:
        if code in _SYMBOL_TYPES:
            return _SYMBOL_TYPES[code]
    # A numbered letter with no type code ("2228/SNV-TĐKT", "V/v ...") is a công văn.
    if number and (codes or any(line.startswith("V/v") for line in header)):
        return "Công văn"
    return ""


def _issuer_from_number(number: str) -> str:
    codes = _symbol_parts(number)
    last = re.sub(r"\d+$", "", codes[-1]) if codes else ""
    return _SYMBOL_ISSUERS.get(last, "")


def short_name(doc_type: str, number: str, date: str, title: str, issuer: str, locality: str) -> str:
    """How an official names the document in a citation: ``Luật Giao dịch điện tử 2023``,
    ``Nghị định 13/2023/NĐ-CP``, ``Kế hoạch tỉnh Nghệ An``."""
    year = date.rsplit("/", 1)[-1] if date else ""
    if doc_type in ("Luật", "Bộ luật", "Pháp lệnh") and title.startswith(doc_type):
        return f"{title} {year}".strip()
    if doc_type and number:
        name = f"{doc_type} {number}"
        return f"{name} {locality}" if locality and doc_type not in _LEGAL_TYPES else name
    if doc_type:
        own = issuer if issuer and not issuer.startswith(("Ủy ban nhân dân", "Hội đồng nhân dân")) else ""
        where = own or locality
        if own and locality and fold(locality.split(" ", 1)[-1]) not in fold(own):
            where = f"{own} {locality}"
        return f"{doc_type} {where}".strip() if where else title
    return title


def plan_metadata(outline: Outline, text: str) -> dict[str, str]:
    """Type, number, date, issuer, signer, title, short name and locality of a document."""
    number = _number(outline.header)
    doc_type = outline.doc_type or _type_from_number(number, outline.header)
    named = next((m.group(1) for m in map(ISSUER_LINE_RE.match, outline.title_lines) if m), "")
    issuer = proper_body(named) if named else _header_issuer(outline.header)
    issuer = issuer or _issuer_from_number(number)
    national = issuer in _NATIONAL
    locality = ""
    if not national:
        locality = find_locality(issuer, outline.title, *outline.preamble[:3])
    if not issuer and not national:
        issuer = _preamble_issuer(outline.preamble, locality)
    date = _date(outline.header)
    return {
        "title": outline.title,
        "short_name": short_name(doc_type, number, date, outline.title, issuer, locality),
        "doc_type": doc_type,
        "issuer": issuer,
        "locality": locality,
        "number": number,
        "date": date,
        "signer": _signer(outline.signature),
    }


def lesson_metadata(outline: Outline) -> dict[str, str]:
    """Title and topic of a lesson, from its front matter."""
    front = outline.front_matter
    return {
        "title": outline.title,
        "short_name": outline.title,
        "doc_type": "Bài học",
        "issuer": "",
        "locality": "",
        "number": "",
        "date": "",
        "signer": "",
        "topic": str(front.get("topic") or ""),
    }
