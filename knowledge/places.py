"""Names of Vietnam's provinces and centrally run cities, and of countries people ask
about, to spot questions about places the knowledge base has no document for ("kế hoạch
của tỉnh Cà Mau", "xin visa đi Hàn Quốc")."""

from __future__ import annotations

import re

from knowledge.textnorm import fold, nfc

# The 63 units before the 2025 merger (the 34 after it keep names from this list).
PROVINCES = """
An Giang|Bà Rịa - Vũng Tàu|Bà Rịa Vũng Tàu|Bạc Liêu|Bắc Giang|Bắc Kạn|Bắc Ninh|Bến Tre|Bình Dương|
Bình Định|Bình Phước|Bình Thuận|Cà Mau|Cao Bằng|Cần Thơ|Đà Nẵng|Đắk Lắk|Đắk Nông|Điện Biên|Đồng Nai|
Đồng Tháp|Gia Lai|Hà Giang|Hà Nam|Hà Nội|Hà Tĩnh|Hải Dương|Hải Phòng|Hậu Giang|Hòa Bình|Hưng Yên|
Khánh Hòa|Kiên Giang|Kon Tum|Lai Châu|Lâm Đồng|Lạng Sơn|Lào Cai|Long An|Nam Định|Nghệ An|Ninh Bình|
Ninh Thuận|Phú Thọ|Phú Yên|Quảng Bình|Quảng Nam|Quảng Ngãi|Quảng Ninh|Quảng Trị|Sóc Trăng|Sơn La|
Tây Ninh|Thái Bình|Thái Nguyên|Thanh Hóa|Thành phố Hồ Chí Minh|Hồ Chí Minh|Sài Gòn|Thừa Thiên Huế|Huế|
Tiền Giang|Trà Vinh|Tuyên Quang|Vĩnh Long|Vĩnh Phúc|Yên Bái
"""
# Countries people ask about (work, study, visas); names that are also Vietnamese words or
# given names ("Anh", "Đức", "Nga", "Mỹ") are left out.
COUNTRIES = """
Hàn Quốc|Nhật Bản|Trung Quốc|Đài Loan|Thái Lan|Campuchia|Lào|Singapore|Malaysia|Hoa Kỳ|Canada|Úc
"""
_NAMES = sorted(
    {name.strip() for name in (PROVINCES + "|" + COUNTRIES).split("|") if name.strip()}, key=len, reverse=True
)
# Folded, some names are also common words ("hai phòng" = two offices, "hòa bình" = peace):
# without diacritics they count only after "tỉnh" or "thành phố".
_COMMON_WORDS = {"hai phong", "hoa binh", "hue", "long an", "ha nam", "an giang", "lao", "uc"}


def _alternation(names) -> str:
    return "|".join(re.escape(name) for name in names)


_ACCENTED_RE = re.compile(r"(?<!\w)(" + _alternation(n.lower() for n in _NAMES) + r")(?!\w)")
_FOLDED_RE = re.compile(
    r"(?<!\w)(?:(?:tinh|thanh pho|tp|xa|phuong|huyen|quan)\s+)?("
    + _alternation(dict.fromkeys(fold(n) for n in _NAMES))
    + r")(?!\w)"
)
# A named commune, ward or district in a question typed with capitals: "xã Hòa Bình".
_LOCAL_RE = re.compile(r"(?<!\w)(?:xã|phường|huyện|quận|thị trấn|thị xã)\s+((?:[A-ZĐÀ-Ỹ][\wÀ-ỹ]*\s?){1,3})")


def mentioned_places(text: str) -> dict[str, str]:
    """Places named in ``text``: folded name -> the name as written.

    Words typed with diacritics must match a name exactly ("Hòa Bình"); words typed
    without them match its folded form ("hoa binh", only after "tỉnh" when it is also
    a common word).
    """
    text = nfc(text)
    lowered = text.lower()  # folding and lower-casing keep NFC offsets
    spans = [match.span(1) for match in _ACCENTED_RE.finditer(lowered)]
    # Words with diacritics masked, so only the words typed without them match folded.
    plain = re.sub(r"\w+", lambda m: m.group() if fold(m.group()) == m.group() else "#" * len(m.group()), lowered)
    spans += [
        match.span(1)
        for match in _FOLDED_RE.finditer(plain)
        if match.group(1) not in _COMMON_WORDS or match.group(0) != match.group(1)
    ]
    spans += [match.span(1) for match in _LOCAL_RE.finditer(text)]
    return {fold(text[a:b]).strip(): text[a:b].strip() for a, b in spans}
