"""What the assistant does not answer, and the helpful reply it gives instead.

Two kinds of checks: the kind of message (greetings and chit-chat, attempts to get
secrets or to override instructions, everyday topics such as weather, prices, sport
or lottery), decided here from the words of the message; and whether the knowledge
base covers the question at all, decided by the answerer after retrieval.
"""

from __future__ import annotations

import re

from knowledge.textnorm import fold, nfc

HELP = (
    "Trợ lý trả lời các câu hỏi về phong trào Bình dân học vụ số, phong trào thi đua đổi mới sáng tạo "
    "và chuyển đổi số (theo các kế hoạch có trong kho tài liệu) và các bài học kỹ năng số như VNeID, "
    "dịch vụ công trực tuyến, thanh toán số, phòng chống lừa đảo."
)
_AVOID_GUESS = "nên Trợ lý không trả lời để tránh đoán sai."

# The reply for each reason not to answer (``Answer.category``), in the assistant's voice.
MESSAGES = {
    "greeting": "Trợ lý xin chào bà con! " + HELP + " Bà con cứ đặt câu hỏi nhé.",
    "secret": (
        "Xin lỗi bà con, Trợ lý không thể cung cấp mật khẩu, khóa, mã bí mật hay cấu hình của hệ thống. "
        "Trợ lý chỉ trả lời dựa trên các tài liệu công khai của phong trào."
    ),
    "everyday": (
        "Xin lỗi bà con, câu hỏi này (thời tiết, giá cả, thể thao, xổ số, nấu ăn, làm thơ...) nằm ngoài các tài liệu "
        "Trợ lý có. "
        + HELP
    ),
    "not_found": (
        "Xin lỗi bà con, Trợ lý chưa tìm thấy nội dung này trong các kế hoạch và bài học hiện có, "
        + _AVOID_GUESS + " " + HELP
    ),
    "place": (
        "Xin lỗi bà con, kho tài liệu hiện chưa có văn bản của {place}, " + _AVOID_GUESS + " Hiện có: {available}."
    ),
    "year": "Xin lỗi bà con, các tài liệu hiện có không nói về năm {year}, " + _AVOID_GUESS,
    "holder": (
        "Xin lỗi bà con, các văn bản chỉ ghi người ký lúc ban hành, không cho biết ai đang giữ chức vụ hay "
        "họ tên người phụ trách hiện nay, " + _AVOID_GUESS + " Bà con hỏi Ủy ban nhân dân xã, phường nơi mình ở nhé."
    ),
    "amount": (
        "Xin lỗi bà con, các tài liệu hiện có không nêu số tiền, mức phí hay mức thưởng này, " + _AVOID_GUESS
    ),
    "contact": "Xin lỗi bà con, các tài liệu hiện có không ghi số điện thoại hay tổng đài này, " + _AVOID_GUESS,
}

_GREETING_RE = re.compile(
    r"^(?:xin chao|chao|hello|hi|alo|hey|cam on|thank|thanks|tam biet|bye|ok|oke|vang|da|"
    r"ban (?:la ai|ten (?:la )?gi|khoe khong|bao nhieu tuoi|co khoe khong|lam duoc gi|giup duoc gi)|"
    r"chuc ngu ngon|chuc buoi sang)\b"
)
# Words that may follow a greeting without making it a question.
_FILLER = frozenset(
    "ban nhe nha a ad admin oi minh em anh chi co chu bac nhieu rat qua lam nhe nhe you moi nguoi".split()
)
_SECRET_NOUNS = (
    r"mat khau|password|passcode|api ?key|khoa api|khoa bi mat|token|secret|ma bi mat|"
    r"system prompt|prompt|chi dan he thong|cau hinh|bien moi truong|env"
)
_SECRET_REQUEST_RE = re.compile(
    rf"(?:\b(?:{_SECRET_NOUNS})\b.*\b(?:cua (?:ban|he thong|tro ly|admin|quan tri|bot|may chu|server|nguoi khac)|"
    rf"admin|quan tri|quan tri vien|bot|may chu|server|database)\b)|"
    rf"(?:\b(?:cho|dua|gui|tiet lo|cung cap|doc|in|hien|show|reveal|liet ke)\b.*\b(?:system prompt|api ?key|token|secret)\b)|"
    r"(?:\b(?:bo qua|quen|ignore|disregard)\b.*\b(?:huong dan|chi dan|chi thi|instruction|instructions|quy tac|rules)\b)"
)
_EVERYDAY_RE = re.compile(
    r"\b(?:thoi tiet|du bao thoi tiet|nhiet do|troi (?:mua|nang)|(?:mai|hom nay|ngay mai|tuan nay|chieu nay|toi nay) (?:\w+ ){0,3}co (?:mua|nang)|nang nong|bao so|gia vang|ty gia|gia (?:xang|dau|dien|lua|gao|"
    r"ca phe|heo|lon|bitcoin|co phieu|dat|nha|usd|do la)|chung khoan|co phieu|bitcoin|bong da|world cup|"
    r"vo dich|ty so|tran dau|xo so|ket qua xo so|so xo|lo de|phim|ca si|bai hat|cong thuc nau|mon an|"
    r"tu vi|phong thuy|horoscope|lai suat|re nhat|lai (?:thap|cao) nhat|bai tho|lam tho|bai van|cach nau|nau (?:\w+ ){0,2}ngon)\b"
)
_PRICE_RE = re.compile(r"\bgia\b.*\bbao nhieu\b")


def classify(question: str) -> str | None:
    """The out-of-scope category of a message (a key of MESSAGES), or None."""
    text = " ".join(re.findall(r"\w+", fold(nfc(question))))
    if not text:
        return "greeting"
    if _SECRET_REQUEST_RE.search(text):
        return "secret"
    greeting = _GREETING_RE.match(text)
    if greeting and all(word in _FILLER for word in text[greeting.end() :].split()):
        return "greeting"
    if _EVERYDAY_RE.search(text) or _PRICE_RE.search(text):
        return "everyday"
    return None
