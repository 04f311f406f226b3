"""What a user's message asks for: a command, a quiz choice, a button, or a question.

People type commands with or without the slash and diacritics (``/ketqua``,
``kết quả``, ``ket qua``), Telegram adds ``@BotName`` in groups, and button
payloads come back as short ASCII strings built here. Anything else is a question.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from knowledge.quizbank import Topic
from knowledge.textnorm import fold, nfc, words

# Command names the core dispatches on.
START, HELP, ASK, QUIZ, TOPICS, RESULTS, UNIT, CANCEL = (
    "start", "help", "ask", "quiz", "topics", "results", "unit", "cancel"
)
CHOICE, ANSWER, RESTART, RESUME, QUESTION, UNKNOWN, EMPTY = (
    "choice", "answer", "restart", "resume", "question", "unknown", "empty"
)
CERTIFICATE = "certificate"
RATE = "rate"
SUBSCRIBE, UNSUBSCRIBE = "subscribe", "unsubscribe"


@dataclass(frozen=True)
class Command:
    """A parsed message. ``arg`` is the command's text argument (topic, unit name, question)."""

    name: str
    arg: str = ""
    attempt_id: int | None = None
    position: int | None = None  # 0-based question position in the attempt
    option: int | None = None  # 0-based option index as shown
    answer_id: int | None = None  # the rated answer (``rate``; ``arg`` is "up" or "down")


# Slash commands (folded, without "/" and "@bot"); several spellings per command.
_SLASH = {
    "start": START, "batdau": START, "menu": START,
    "help": HELP, "trogiup": HELP, "huongdan": HELP,
    "quiz": QUIZ, "tracnghiem": QUIZ, "lambai": QUIZ,
    "chude": TOPICS, "topics": TOPICS,
    "ketqua": RESULTS, "results": RESULTS,
    "donvi": UNIT, "unit": UNIT,
    "huy": CANCEL, "cancel": CANCEL, "dung": CANCEL,
    "tieptuc": RESUME, "continue": RESUME,
    "chungnhan": CERTIFICATE, "certificate": CERTIFICATE,
    "nhanthongbao": SUBSCRIBE, "tatthongbao": UNSUBSCRIBE,
}

# Whole messages (folded words) that mean a command without the slash.
_PHRASES = {
    START: {"start", "bat dau", "menu", "xin chao", "chao", "chao ban", "hello", "hi"},
    HELP: {"help", "tro giup", "huong dan", "giup", "giup do", "huong dan su dung"},
    QUIZ: {"quiz", "trac nghiem", "lam bai", "lam trac nghiem", "lam bai trac nghiem", "lam quiz"},
    TOPICS: {"chu de", "chude", "cac chu de", "danh sach chu de", "xem chu de"},
    RESULTS: {"ket qua", "ketqua", "ket qua cua toi", "xem ket qua", "diem cua toi"},
    CANCEL: {"huy", "huy bai", "huy quiz", "huy bai thi", "dung lam bai", "dung quiz"},
    UNIT: {"don vi", "donvi", "dang ky don vi", "khai bao don vi"},
    RESUME: {"tiep tuc", "tieptuc", "lam tiep", "lam tiep bai", "tiep tuc lam bai"},
    CERTIFICATE: {"chung nhan", "chungnhan", "giay chung nhan", "nhan chung nhan", "nhan giay chung nhan"},
    SUBSCRIBE: {"nhan thong bao", "nhanthongbao", "dang ky nhan thong bao", "bat thong bao"},
    UNSUBSCRIBE: {"tat thong bao", "tatthongbao", "thoi nhan thong bao", "huy nhan thong bao",
                  "khong nhan thong bao", "dung nhan thong bao"},
}
_PHRASE_TO_COMMAND = {phrase: name for name, phrases in _PHRASES.items() for phrase in phrases}

# Without a slash, "quiz <topic>" starts a quiz only with these leading words.
_QUIZ_PREFIXES = ("quiz", "trac nghiem", "lam bai trac nghiem", "lam quiz")
# Without a slash, "chứng nhận <tên>" asks for a certificate printed with that name.
_CERTIFICATE_PREFIXES = ("chung nhan", "nhan chung nhan", "giay chung nhan")
# Without a slash, "đơn vị <tên>" registers a unit only when the name starts like a
# unit's name, so "đơn vị nào chủ trì kế hoạch" stays a question.
_UNIT_PREFIXES = ("don vi", "donvi", "dang ky don vi", "khai bao don vi")
_UNIT_KINDS = {
    "xa", "phuong", "thi tran", "dac khu", "thon", "xom", "ban", "ap", "to dan pho", "khu pho",
    "huyen", "quan", "thi xa", "tinh", "thanh pho", "so", "phong", "uy ban", "ubnd", "hdnd",
    "mttq", "truong", "cong an", "hoi", "doan", "chi doan", "chi hoi", "chi bo", "dang uy",
    "co quan", "cong ty", "trung tam", "benh vien", "tram", "van phong", "ban quan ly", "hop tac xa",
}
# Filler words before a topic: "/quiz chủ đề lừa đảo", "quiz về mật khẩu".
_TOPIC_FILLERS = ("chu de", "ve", "bai", "mon")

# Words that talk about the quiz itself ("câu này chọn cái nào", "gợi ý đi"): such a
# message during a quiz is about the pending question, never a question for the documents.
_QUIZ_TALK = (
    "cau nay", "cau do", "cau nao", "cau hoi nay", "cau tren", "dap an", "cai nao", "y nao",
    "phuong an", "goi y", "chon gi", "chon so", "chon cau",
)

_SLASH_RE = re.compile(r"^/(?P<name>[^\s@]+)(?:@\S+)?(?:\s+(?P<arg>.*))?$", re.DOTALL)
_CHOICE_RE = re.compile(r"^(?:(?P<prefix>[^\d\s]\S*(?:\s+\S+)?)\s+)?(?P<choice>[1-9]|[A-Da-d])\s*[.)]?$")
_CHOICE_PREFIXES = {"dap an", "chon", "phuong an"}


def parse_text(text: str) -> Command:
    """Turn typed text into a command; anything that is not a command is a question."""
    text = " ".join(nfc(text).split())
    if not text:
        return Command(EMPTY)
    if match := _SLASH_RE.match(text):
        name = _SLASH.get(fold(match.group("name")))
        arg = (match.group("arg") or "").strip()
        return Command(name, arg) if name else Command(UNKNOWN, match.group("name"))
    if choice := _parse_choice(text):
        return choice
    if text.endswith("?"):
        return Command(QUESTION, text)
    folded = " ".join(words(text))
    if folded in _PHRASE_TO_COMMAND:
        return Command(_PHRASE_TO_COMMAND[folded])
    if arg := _after_prefix(text, _QUIZ_PREFIXES):
        return Command(QUIZ, arg)
    if arg := _after_prefix(text, _CERTIFICATE_PREFIXES):
        return Command(CERTIFICATE, arg)
    # Space out the first colon so "đơn vị: Trường ..." splits like "đơn vị : Trường ...".
    if (arg := _after_prefix(re.sub(r"\s*:\s*", " : ", text, count=1), _UNIT_PREFIXES)) and _looks_like_unit(arg):
        return Command(UNIT, arg.lstrip(":").strip())
    return Command(QUESTION, text)


def refers_to_quiz(text: str) -> bool:
    """True when ``text`` talks about the quiz question itself (see ``_QUIZ_TALK``)."""
    folded = f" {' '.join(words(text))} "
    return any(f" {phrase} " in folded for phrase in _QUIZ_TALK)


def _parse_choice(text: str) -> Command | None:
    """"2", "B", "b)", "đáp án C", "chọn 3" -> the 0-based option index."""
    match = _CHOICE_RE.match(text)
    if not match:
        return None
    prefix = match.group("prefix")
    if prefix and " ".join(words(prefix)) not in _CHOICE_PREFIXES:
        return None
    choice = match.group("choice")
    index = int(choice) - 1 if choice.isdigit() else ord(choice.upper()) - ord("A")
    return Command(CHOICE, option=index)


def _after_prefix(text: str, prefixes: Iterable[str]) -> str:
    """The original text after a leading (folded) prefix phrase, or "" if none matches."""
    tokens = text.split()
    folded = [fold(t).strip(".,:;!") for t in tokens]
    for prefix in sorted(prefixes, key=len, reverse=True):
        size = len(prefix.split())
        if folded[:size] == prefix.split() and len(tokens) > size:
            return " ".join(tokens[size:])
    return ""


def _looks_like_unit(name: str) -> bool:
    """True when ``name`` starts like the name of a unit ("Xã ...", "UBND ...") or follows a colon."""
    if name.startswith(":"):
        return True
    head = words(name)
    return any(" ".join(head[:size]) in _UNIT_KINDS for size in (1, 2, 3))


def match_topics(query: str, topics: Iterable[Topic]) -> list[Topic]:
    """Topics that ``query`` names, diacritic-insensitively: by id, name or keyword.

    An exact id/name/keyword wins; otherwise every topic containing all the
    query's words is returned (the caller asks the user to pick when there are several).
    """
    topics = list(topics)
    query_words = words(query)
    for filler in _TOPIC_FILLERS:
        size = len(filler.split())
        if query_words[:size] == filler.split() and len(query_words) > size:
            query_words = query_words[size:]
    if not query_words:
        return []
    key = " ".join(query_words)
    exact = [t for t in topics if key in _names(t)]
    if exact:
        return exact
    wanted = set(query_words)
    return [t for t in topics if wanted <= {w for name in _names(t) for w in name.split()}]


def _names(topic: Topic) -> set[str]:
    """Every folded way of naming ``topic``: its id (with and without spaces), name and keywords."""
    names = {" ".join(words(topic.id)), "".join(words(topic.id)), " ".join(words(topic.name))}
    names.update(" ".join(words(k)) for k in topic.keywords)
    return names


# Button payloads (ASCII, <= 64 bytes; Telegram's callback_data limit).
def menu_payload(name: str) -> str:
    """Payload of a menu button: ``menu:<command>``."""
    return f"menu:{name}"


def quiz_start_payload(topic: str | None) -> str:
    """Payload that starts a quiz on ``topic`` (None = mixed topics)."""
    return f"quiz:start:{topic}" if topic else "quiz:start"


def quiz_restart_payload(topic: str | None) -> str:
    """Payload that abandons the open attempt and starts a new one on ``topic``."""
    return f"quiz:restart:{topic}" if topic else "quiz:restart"


QUIZ_RESUME_PAYLOAD = "quiz:resume"


def answer_payload(attempt_id: int, position: int, option: int) -> str:
    """Payload of an answer button: attempt, question position and shown option (0-based)."""
    return f"quiz:ans:{attempt_id}:{position}:{option}"


def rating_payload(answer_id: int, rating: str) -> str:
    """Payload of a rating button under an answer: ``rate:<answer id>:up|down``."""
    return f"rate:{answer_id}:{rating}"


_MENU = {START, HELP, ASK, TOPICS, RESULTS, UNIT}
_RATINGS = {"up", "down"}


def parse_payload(payload: str) -> Command:
    """Turn a button payload back into a command (``unknown`` for anything not built here)."""
    parts = payload.strip().split(":")
    if len(parts) == 2 and parts[0] == "menu" and parts[1] in _MENU:
        return Command(parts[1])
    if len(parts) == 3 and parts[0] == "rate" and parts[1].isdigit() and parts[2] in _RATINGS:
        return Command(RATE, parts[2], answer_id=int(parts[1]))
    if parts[0] != "quiz" or len(parts) < 2:
        return Command(UNKNOWN, payload)
    action, rest = parts[1], parts[2:]
    if action in ("start", "restart") and len(rest) <= 1:
        return Command(QUIZ if action == "start" else RESTART, rest[0] if rest else "")
    if action == "resume" and not rest:
        return Command(RESUME)
    if action == "ans" and len(rest) in (2, 3) and all(p.isdigit() for p in rest):
        numbers = [int(p) for p in rest]
        position = numbers[1] if len(numbers) == 3 else None
        return Command(ANSWER, attempt_id=numbers[0], position=position, option=numbers[-1])
    return Command(UNKNOWN, payload)
