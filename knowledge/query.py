"""Stage 1, understand: a question as typed -> a ``Query`` in the documents' words.

The question is rewritten word by word from the vocabulary (``vocabulary.yaml``: chat
spellings, spelling variants, abbreviations, everyday wording) and from the short forms
of the documents' own names (``ShortForms``: "NA" -> "Nghệ An", "xã NT" -> "xã Nghĩa
Trung", "VPĐP" -> "Văn phòng Điều phối", derived from each document's place, issuer and
title), then read for what it asks: its scope category, the places and years it names,
and the kind of answer it wants (who, when, how many, a list, an amount, a contact...).
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from knowledge.definitions import asked_subject, asking_words
from knowledge.lexical import expanded_words, query_terms
from knowledge.places import mentioned_places
from knowledge.records import Chunk
from knowledge.scope import classify
from knowledge.textnorm import fold, has_marks, nfc
from knowledge.vocabulary import (
    ABBREVIATION_WORDS,
    CAPITAL_ABBREVIATION_WORDS,
    CHAT_SPELLINGS,
    CONTEXTUAL,
    PHRASES,
    SPELLINGS,
)

# A document symbol ("57-NQ/TW", "923/QĐ-TTg") or a date is one token, never rewritten.
_TOKEN_RE = re.compile(r"\w+(?:[-/.]\w+)+|\w+|[^\w\s]+")
_PLACE_KIND_RE = re.compile(r"^(?:tỉnh|thành phố|xã|phường|huyện|quận|thị xã|thị trấn)\s+", re.IGNORECASE)
PLACE_KINDS = frozenset("tinh tp xa phuong huyen quan".split())
# Function words left out of an initialism ("Văn hóa, Thể thao và Du lịch" -> VHTTDL).
_SKIPPED = frozenset("va cua".split())
MAX_SHORT_WORDS = 5
_YEAR_RE = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")

# What the question asks for, from its folded words (after rewriting).
ASKS = {
    "who": re.compile(r"\b(?:ai|co quan nao|don vi nao|phong nao|so nao|ben nao|noi nao|o dau)\b"),
    "when": re.compile(
        r"\b(?:ngay nao|khi nao|bao gio|thoi gian nao|luc nao|nam nao|thoi han|truoc ngay|han chot|giai doan|"
        r"tu nam nao)\b"
    ),
    # A period: "từ năm nào đến năm nào", "bao lâu".
    "period": re.compile(r"\btu (?:nam )?nao (?:den|toi) (?:nam )?nao\b|\bbao lau\b|\bmay nam\b|\bgiai doan nao\b"),
    "how_many": re.compile(r"\b(?:bao nhieu|may|ty le|phan tram|so luong)\b"),
    "signer": re.compile(r"\b(?:ai|nguoi nao|nguoi) ky\b|\bky (?:boi|ten)\b|\bnguoi ky\b|\bdo ai ky\b"),
    "list": re.compile(
        r"\b(?:gom|bao gom|nhung gi|nhung (?:\w+ ){0,2}nao|cac (?:\w+ ){1,3}nao|nhung noi dung|liet ke|"
        r"cac (?:\w+ ){0,2}(?:gi|la gi))\b"
    ),
    # An amount of money: the documents set none (fees, rewards, budgets, prices).
    "amount": re.compile(
        r"\b(?:bao nhieu|may|bn) (?:tien|dong|trieu|ty|nghin|ngan|phan tram lai)\b|"
        r"\b(?:le phi|phi|kinh phi|muc thuong|tien thuong|luong|gia|lai suat)\b(?: \w+){0,8} (?:bao nhieu|may)\b"
    ),
    # A phone number or hotline.
    "contact": re.compile(
        r"\b(?:so dien thoai|dien thoai|hotline|tong dai|duong day nong)\b(?: \w+){0,6} "
        r"(?:so may|so nao|la so gi|bao nhieu|la gi)\b|\b(?:goi|lien he) (?:so nao|so may)\b"
    ),
    # Where the document was sent: its distribution list.
    "recipients": re.compile(r"\bnoi nhan\b|\bgui (?:toi|den|cho) (?:nhung |cac )?(?:noi|ai|co quan|don vi)\b"),
    # Who holds an office now: dated documents never say.
    "current": re.compile(r"\b(?:hien nay|hien tai|bay gio|duong nhiem|dang giu chuc)\b"),
    # A person's name ("giám đốc sở ... tên gì", "chủ tịch ... là ai").
    "person": re.compile(r"\b(?:ten (?:la )?gi|ten la|ho ten|la ai|ai la)\b"),
}


# The words the patterns above are written with: a pattern's gaps ("(?: \w+){0,6}")
# match content words, which are not part of the frame.
_CUE_WORDS = frozenset(
    word for pattern in ASKS.values() for word in re.findall(r"[a-z]{2,}", re.sub(r"\\[a-z]", " ", pattern.pattern))
)


@dataclass(frozen=True)
class Query:
    """A question read once, for every later stage."""

    text: str  # as asked, NFC
    rewritten: str  # in the documents' words
    words: tuple[str, ...]  # folded words of the rewritten question
    terms: Counter  # search terms (lexical.query_terms)
    category: str | None  # out-of-scope category (scope.classify), or None
    places: dict[str, str]  # places named: folded -> as written
    years: frozenset[int]
    asks: frozenset[str]  # keys of ASKS
    subject: tuple[str, ...] | None  # what "X là gì" asks about
    frame: frozenset[str] = field(default=frozenset())  # terms of the words that say what is asked ("gửi tới những nơi nào")
    rewrites: tuple[tuple[str, str], ...] = field(default=())  # (typed, replaced by), for --explain


def _initials(words: list[str]) -> str:
    return "".join(fold(word)[0] for word in words if fold(word) not in _SKIPPED)


class ShortForms:
    """Initialisms of the documents' own names: places first, then issuers, then titles.

    Built from the chunks' metadata, so a new document brings its own short forms.
    An initialism that stands for two different names is left out.
    """

    def __init__(self, chunks: list[Chunk]):
        tiers: list[dict[str, set[str]]] = [{}, {}, {}]
        for chunk in chunks:
            place = _PLACE_KIND_RE.sub("", nfc(chunk.locality)).strip()
            names = [(0, place), (1, chunk.metadata.get("issuer", "")), (2, chunk.title)]
            for tier, name in names:
                words = re.findall(r"\w+", nfc(name))
                if tier == 0:
                    runs = [words] if len(words) >= 2 else []
                else:
                    runs = [
                        words[i:j]
                        for i in range(len(words))
                        for j in range(i + 2, min(len(words), i + MAX_SHORT_WORDS) + 1)
                    ]
                for run in runs:
                    if fold(run[0]) in _SKIPPED or fold(run[-1]) in _SKIPPED or not all(w.isalpha() for w in run):
                        continue
                    tiers[tier].setdefault(_initials(run), set()).add(self._written(run))
        self._forms: dict[str, str] = {}
        for tier in reversed(tiers):  # places win over issuers, issuers over titles
            for key, names in tier.items():
                if len(names) == 1:
                    self._forms[key] = next(iter(names))
                elif key in self._forms:
                    del self._forms[key]

    @staticmethod
    def _written(run: list[str]) -> str:
        # Capitals as in a sentence: "ỦY BAN NHÂN DÂN" reads "Ủy Ban Nhân Dân".
        return " ".join(w if not w.isupper() else w.capitalize() for w in run)

    def get(self, token: str) -> str | None:
        """The name a short form stands for, or None."""
        return self._forms.get(fold(token))


def _is_shouted(token: str) -> bool:
    """All capitals, like "NA", "HT", "VPĐP": a short form, never an ordinary word."""
    return len(token) >= 2 and token.isalpha() and token.isupper()


def _replacement(token: str, previous: str, short_forms: ShortForms | None, known) -> str | None:
    """What one typed word stands for in the documents' words, or None to keep it.

    Order matters: a word in capitals (or after "tỉnh", "xã") is first a short form of a
    document's name ("ĐT" is Đồng Tháp, "đt" is điện thoại); then chat spellings, spelling
    variants, words read by the word before them, capital-only and plain abbreviations;
    last, a word the corpus never uses may be a short form typed in lower case ("vpdp").
    """
    lowered, folded = token.lower(), fold(token)
    if token.isalpha() and len(token) == 1 and token.isupper():
        return None  # "mục V", "điểm A": not chat
    shouted_or_placed = _is_shouted(token) or previous in PLACE_KINDS
    if short_forms and shouted_or_placed and token not in CAPITAL_ABBREVIATION_WORDS and short_forms.get(token):
        return short_forms.get(token)
    if lowered in CHAT_SPELLINGS:
        return CHAT_SPELLINGS[lowered]
    if lowered in SPELLINGS:
        return SPELLINGS[lowered]
    if folded in CONTEXTUAL:
        entry = CONTEXTUAL[folded]
        return entry["means"] if previous in entry["after"] else entry["default"]
    if token in CAPITAL_ABBREVIATION_WORDS:
        return CAPITAL_ABBREVIATION_WORDS[token]
    if folded in ABBREVIATION_WORDS:
        return ABBREVIATION_WORDS[folded]
    if short_forms and token.isalpha() and known is not None and not known(folded):
        return short_forms.get(token)
    return None


def rewrite(question: str, short_forms: ShortForms | None = None, known=None) -> tuple[str, list[tuple[str, str]]]:
    """The question in the documents' words, and the (typed, replacement) pairs applied.

    ``known(token)`` tells whether the corpus uses a folded word: an unknown lower-case
    word may still be a short form ("vpdp").
    """
    out: list[str] = []
    applied: list[tuple[str, str]] = []
    previous = ""
    for token in _TOKEN_RE.findall(nfc(question)):
        replacement = _replacement(token, previous, short_forms, known)
        if replacement is not None:
            applied.append((token, replacement))
            token = replacement
        out.extend(token.split())
        if token and token[-1].isalnum():
            previous = fold(token.split()[-1])
    return _rewrite_phrases(out, applied), applied


def _rewrite_phrases(words: list[str], applied: list[tuple[str, str]]) -> str:
    """Everyday phrases replaced by the documents' wording, longest first."""
    longest = max((len(key) for key in PHRASES), default=0)
    folded = [fold(word) for word in words]
    out: list[str] = []
    i = 0
    while i < len(words):
        for n in range(min(longest, len(words) - i), 0, -1):
            target = PHRASES.get(tuple(folded[i : i + n]))
            if target:
                applied.append((" ".join(words[i : i + n]), target))
                out.append(target)
                i += n
                break
        else:
            out.append(words[i])
            i += 1
    return " ".join(out)


def typed_with_diacritics(text: str) -> bool:
    """True when most words of a question carry diacritics: its plain words are meant plain."""
    letters = [word for word in re.findall(r"[^\W\d_]+", text) if len(word) > 1]
    return bool(letters) and 2 * sum(has_marks(word) for word in letters) >= len(letters)


def _term_words(term: str) -> set[str]:
    """The folded words of a search term ("~đinh5" -> "dinh", "giao_dich" -> both)."""
    return {re.sub(r"\d+$", "", fold(part.lstrip("~"))) for part in term.split("_")}


def understand(question: str, short_forms: ShortForms | None = None, known=None, plain=None) -> Query:
    """Read a question once: rewritten, its terms, scope, places, years and asks.

    ``plain(word)`` tells whether the corpus writes a word without diacritics; in a
    question typed with diacritics, a plain word the corpus never writes plain ("ly"
    in "ly hôn", where the corpus has only "lý") is another word and is matched as typed.
    """
    text = nfc(question).strip()
    rewritten, applied = rewrite(text, short_forms, known)
    words = re.findall(r"\w+", rewritten)
    written: frozenset[str] = frozenset()
    if plain is not None and typed_with_diacritics(text):
        written = frozenset(
            word.lower() for word in words if word.isalpha() and not has_marks(word) and not plain(word.lower())
        )
    folded = " ".join(fold(word) for word in words)
    asks, frame_words = set(), set()
    for name, pattern in ASKS.items():
        for match in pattern.finditer(folded):
            asks.add(name)
            frame_words.update(word for word in match.group(0).split() if word in _CUE_WORDS)
    terms = query_terms(rewritten, written)
    asking = asking_words(rewritten)
    if asking:
        # "X được định nghĩa thế nào": the words asking for a definition are not searched.
        terms = Counter({term: n for term, n in terms.items() if not _term_words(term) & asking})
    # The frame's words are not content: a passage answering "ai ký" needs not say "ký".
    frame = {term for word in words if fold(word) in frame_words for term in query_terms(word)}
    return Query(
        text=text,
        rewritten=rewritten,
        words=tuple(expanded_words(rewritten)),
        terms=terms,
        category=classify(text),
        places=mentioned_places(rewritten),
        years=frozenset(int(y) for y in _YEAR_RE.findall(rewritten)),
        asks=frozenset(asks),
        subject=asked_subject(rewritten),
        rewrites=tuple(applied),
        frame=frozenset(frame) - {"ai"} if "signer" not in asks else frozenset(frame),
    )
