"""The assistant core: commands, quiz dialogue, questions and evidence, on a real SQLite database.

The knowledge base here is a tiny real class answering from a few strings (our own
seam); the end-to-end tests with the real knowledge base are in test_learning_chat.py.
"""

from __future__ import annotations

import json
import random
import unicodedata

import pytest
from sqlalchemy import select, text

from bot import texts
from bot.core import Assistant, AssistantUnavailable
from bot.evidence import EvidenceLog
from bot.identity import pseudonym
from bot.messages import IncomingMessage
from bot.units import UnitCatalog, UnitDirectory
from hocvuso.db import Database
from hocvuso.db.models import EvidenceEvent, QuizAttempt, User
from hocvuso.settings import load_settings
from knowledge.records import Answer, Source
from knowledge.textnorm import fold

RAW_ID = "tg-987654321"


class PhraseBook:
    """A knowledge base over a few (keyword, answer, source) entries."""

    ENTRIES = [
        ("vneid", "VNeID là ứng dụng định danh điện tử.", ("02-vneid", "Tài khoản VNeID", "VNeID là gì?", "lesson")),
        (
            "ke hoach",
            "Kế hoạch giao UBND xã chủ trì.",
            ("xa-nghia-trung", "Kế hoạch xã Nghĩa Trung", "II. Nhiệm vụ", "plan"),
        ),
    ]

    # Replies the knowledge base gives without answering (greetings, out of scope...).
    SCOPE = {
        "cam on": "Dạ, Trợ lý rất vui được giúp bà con.",
        "thoi tiet": "Xin lỗi, câu hỏi về thời tiết nằm ngoài các tài liệu Trợ lý có.",
    }

    def __init__(self):
        self.asked: list[str] = []

    def ask(self, question: str) -> Answer:
        self.asked.append(question)
        for keyword, reply in self.SCOPE.items():
            if keyword in fold(question):
                return Answer(answer=reply, found=False)
        for keyword, answer, (doc_id, title, section, kind) in self.ENTRIES:
            if keyword in fold(question):
                source = Source(doc_id=doc_id, title=title, section=section, kind=kind, text=answer, score=1.0)
                return Answer(answer=answer, found=True, sources=[source, source])
        return Answer(answer="", found=False, sources=[])


class BrokenKnowledge:
    def ask(self, question: str) -> Answer:
        raise ConnectionError("chroma is down")


@pytest.fixture
def settings(tmp_path):
    return load_settings(data_dir=tmp_path, max_message_chars=300)


@pytest.fixture
def db(settings):
    database = Database.from_settings(settings)
    yield database
    database.close()


@pytest.fixture
def kb():
    return PhraseBook()


@pytest.fixture
def assistant(kb, db, settings):
    return Assistant(kb, db, settings, rng=random.Random(5))


class Chat:
    """One user talking to the assistant."""

    def __init__(self, assistant: Assistant, user_id: str = RAW_ID, channel: str = "telegram"):
        self.assistant, self.user_id, self.channel = assistant, user_id, channel

    def say(self, text: str):
        return self.assistant.handle(IncomingMessage(self.channel, self.user_id, text=text))

    def press(self, payload: str):
        return self.assistant.handle(IncomingMessage(self.channel, self.user_id, payload=payload))


def logged(db) -> list[tuple[str, str | None, dict]]:
    with db.session() as session:
        return [
            (e.event_type, e.unit, json.loads(e.data))
            for e in session.scalars(select(EvidenceEvent).order_by(EvidenceEvent.id))
        ]


def test_start_shows_the_welcome_and_the_menu(assistant):
    replies = Chat(assistant).say("/start")

    assert [r.text for r in replies] == [texts.WELCOME]
    assert [(b.label, b.payload) for b in replies[0].buttons] == [
        ("Hỏi đáp", "menu:ask"),
        ("Làm bài trắc nghiệm", "quiz:start"),
        ("Chủ đề", "menu:topics"),
        ("Kết quả của tôi", "menu:results"),
        ("Khai báo đơn vị", "menu:unit"),
    ]
    for button in replies[0].buttons:
        assert [r.text for r in Chat(assistant).press(button.payload)] != [texts.STALE_BUTTON]


def test_a_question_is_answered_with_citations_and_logged_without_its_text(assistant, kb, db):
    chat = Chat(assistant)
    chat.say("/donvi Xã Nghĩa Trung")

    replies = chat.say("VNeID la gi?")

    assert kb.asked == ["VNeID la gi?"]
    assert replies[0].text == "VNeID là ứng dụng định danh điện tử."
    assert [(c.title, c.section, c.doc_id, c.kind) for c in replies[0].citations] == [
        ("Tài khoản VNeID", "VNeID là gì?", "02-vneid", "lesson")
    ]
    assert logged(db) == [
        ("unit_registered", "Xã Nghĩa Trung", {"unit": "Xã Nghĩa Trung"}),
        ("question_asked", "Xã Nghĩa Trung", {"answered": True, "sources": ["02-vneid"]}),
        ("lesson_read", "Xã Nghĩa Trung", {"lesson": "02-vneid", "section": "VNeID là gì?"}),
    ]


def test_a_plan_answer_is_not_a_lesson_read_and_an_unanswered_question_says_so(assistant, db):
    chat = Chat(assistant)

    plan = chat.say("kế hoạch của xã giao ai chủ trì")
    unknown = chat.say("giá vàng hôm nay bao nhiêu")

    assert plan[0].citations[0].kind == "plan"
    assert unknown[0].text == texts.NOT_FOUND and unknown[0].citations == []
    assert [(e[0], e[2]) for e in logged(db)] == [
        ("question_asked", {"answered": True, "sources": ["xa-nghia-trung"]}),
        ("question_asked", {"answered": False, "sources": []}),
    ]


@pytest.mark.parametrize("channel", ["terminal", "telegram", "zalo", "web"])
def test_greetings_thanks_and_out_of_scope_keep_the_knowledge_base_reply(assistant, db, channel):
    chat = Chat(assistant, channel=channel)

    thanks = chat.say("cảm ơn nhé")
    weather = chat.say("thoi tiet mai the nao")

    assert [r.text for r in thanks] == [PhraseBook.SCOPE["cam on"]]
    assert [r.text for r in weather] == [PhraseBook.SCOPE["thoi tiet"]]
    assert thanks[0].citations == [] and weather[0].citations == []
    assert [e[2]["answered"] for e in logged(db)] == [False, False]


def _open_quiz(chat: Chat):
    """Start a VNeID quiz; return its first question's reply."""
    _, question = chat.say("/tracnghiem vneid")
    return question


def test_a_message_about_the_quiz_gets_the_pending_question_and_how_to_answer(assistant, kb, db):
    chat = Chat(assistant, channel="zalo")
    question = _open_quiz(chat)

    hint, again = chat.say("câu này chọn cái nào")

    assert hint.text == texts.quiz_pending(len(question.buttons))
    assert again.text == question.text and again.buttons == question.buttons
    assert kb.asked == []  # talk about the quiz is not a question for the documents
    assert chat.say("2")[0].text.startswith(("✅", "❌"))  # the typed number still answers it


def test_an_unanswerable_message_during_a_quiz_gets_the_pending_question(assistant, kb):
    chat = Chat(assistant)
    question = _open_quiz(chat)

    for message in ("giá vàng hôm nay", "cảm ơn"):
        hint, again = chat.say(message)
        assert hint.text == texts.quiz_pending(len(question.buttons))
        assert again.text == question.text
    assert kb.asked == ["giá vàng hôm nay", "cảm ơn"]


def test_a_clear_question_during_a_quiz_is_answered_with_a_reminder(assistant, db):
    chat = Chat(assistant, channel="terminal")
    question = _open_quiz(chat)

    replies = chat.say("VNeID là gì")

    assert len(replies) == 1
    assert replies[0].text == "VNeID là ứng dụng định danh điện tử.\n\n" + texts.quiz_resume_hint(0, 5)
    assert replies[0].citations[0].doc_id == "02-vneid"
    assert chat.say("tiếp tục")[0].text == question.text
    assert [e[0] for e in logged(db)][-2:] == ["question_asked", "lesson_read"]


def test_units_are_matched_to_the_list_and_unlisted_ones_kept_and_flagged(kb, db, settings):
    units = UnitCatalog(UnitDirectory(["Phường Vĩnh Phú", "Xã Vĩnh Phú", "Xã Nghĩa Trung"]))
    chat = Chat(Assistant(kb, db, settings, units=units))

    assert chat.say("/donvi phuong vinh phu")[0].text == texts.unit_registered("Phường Vĩnh Phú")
    assert chat.say("đơn vị xã nghia trung")[0].text == texts.unit_registered("Xã Nghĩa Trung")
    ambiguous = chat.say("/donvi vinh phu")[0].text
    assert ambiguous == texts.unit_ambiguous("vinh phu", ["Phường Vĩnh Phú", "Xã Vĩnh Phú"])
    assert chat.say("/donvi Xã Hưng Lộc")[0].text == texts.unit_unlisted("Xã Hưng Lộc")

    assert [(e[1], e[2]) for e in logged(db)] == [
        ("Phường Vĩnh Phú", {"unit": "Phường Vĩnh Phú"}),
        ("Xã Nghĩa Trung", {"unit": "Xã Nghĩa Trung"}),
        ("Xã Hưng Lộc", {"unit": "Xã Hưng Lộc"}),
    ]


def test_the_raw_user_id_is_never_stored(assistant, db, settings):
    chat = Chat(assistant)
    for message in ("/start", "/donvi Phường Vinh Phú", "vneid?", "/quiz vneid", "1", "/ketqua"):
        chat.say(message)

    with db.engine.connect() as connection:
        dump = "\n".join(
            repr(row)
            for table in ("users", "quiz_attempts", "quiz_answers", "evidence_events")
            for row in connection.execute(text(f"SELECT * FROM {table}"))
        )
    assert RAW_ID not in dump and "987654321" not in dump
    user = pseudonym(settings.pseudonym_secret.get_secret_value(), "telegram", RAW_ID)
    with db.session() as session:
        assert session.scalars(select(User.pseudonym)).all() == [user]
        assert set(session.scalars(select(EvidenceEvent.user))) == {user}


def test_too_long_and_empty_messages_get_a_polite_reply_and_nothing_is_stored(assistant, kb, db):
    replies = Chat(assistant).say("x" * 301)

    assert [r.text for r in replies] == [texts.too_long(300)]
    assert [r.text for r in Chat(assistant).say("")] == [texts.NO_TEXT]
    assert kb.asked == [] and logged(db) == []


def test_a_quiz_runs_question_by_question_with_feedback_and_a_final_score(assistant, db):
    chat = Chat(assistant, channel="zalo")
    chat.say("don vi Xã Nghĩa Trung")

    intro, question = chat.say("quiz mat khau")

    assert intro.text.startswith("Bắt đầu bài trắc nghiệm chủ đề “Mật khẩu mạnh và xác thực hai yếu tố”: 5 câu")
    assert question.text.startswith("Câu 1/5 · Mật khẩu mạnh và xác thực hai yếu tố\n")
    bank = assistant.quiz.bank
    for number in range(1, 6):
        with db.session() as session:
            attempt = session.scalars(select(QuizAttempt)).one()
        index = attempt.current_index
        asked = bank.questions[attempt.question_ids[index]]
        shown = attempt.option_orders[index]
        assert question.text.splitlines()[1] == asked.question
        assert [b.label for b in question.buttons] == [str(n) for n in range(1, len(shown) + 1)]
        assert question.buttons[0].payload == f"quiz:ans:{attempt.id}:{index}:0"
        right = shown.index(asked.correct_index)
        # Odd questions answered by button, even ones typed as a letter; question 2 wrong.
        choice = (right + 1) % len(shown) if number == 2 else right
        replies = chat.press(question.buttons[choice].payload) if number % 2 else chat.say("ABCD"[choice])
        feedback = replies[0]
        if number == 2:
            right_text = asked.options[asked.correct_index]
            assert feedback.text.startswith(f"❌ Chưa đúng. Đáp án đúng là {right + 1}. {right_text}")
        else:
            assert feedback.text.startswith(texts.CORRECT)
        assert asked.explanation in feedback.text
        assert [(c.title, c.section, c.doc_id) for c in feedback.citations] == [
            (asked.lesson_title, asked.section, asked.lesson)
        ]
        question = replies[1]

    assert question.text.startswith("Hoàn thành bài trắc nghiệm: đúng 4/5 câu (80%).\n🎉")
    assert [b.payload for b in question.buttons] == ["quiz:start:mat-khau", "menu:topics", "menu:results"]
    events = logged(db)
    assert [e[0] for e in events] == ["unit_registered", "quiz_started"] + ["quiz_answered"] * 5 + ["quiz_completed"]
    assert {e[1] for e in events} == {"Xã Nghĩa Trung"}
    assert events[-1][2]["score"] == 4 and events[-1][2]["passed"] is True

    results = chat.say("kết quả")[0].text
    assert "Mật khẩu mạnh và xác thực hai yếu tố: 4/5 (đạt)" in results
    assert texts.unit_current("Xã Nghĩa Trung") in results


def test_a_second_quiz_asks_whether_to_abandon_the_open_one(assistant):
    chat = Chat(assistant)
    _, first_question = chat.say("/quiz vneid")

    prompt = chat.say("/quiz lừa đảo")

    assert prompt[0].text == texts.quiz_in_progress(0, 5)
    assert [(b.label, b.payload) for b in prompt[0].buttons] == [
        ("Bỏ bài đang làm", "quiz:restart:lua-dao"),
        ("Tiếp tục", "quiz:resume"),
    ]
    assert chat.press("quiz:resume")[0].text == first_question.text
    intro, question = chat.press("quiz:restart:lua-dao")
    assert "Nhận diện và xử lý lừa đảo trực tuyến" in intro.text
    assert question.text.startswith("Câu 1/5 · Nhận diện và xử lý lừa đảo trực tuyến")
    # The abandoned attempt's buttons are dead now.
    assert [r.text for r in chat.press(first_question.buttons[0].payload)] == [texts.QUIZ_CLOSED]


def test_an_old_button_does_not_answer_the_next_question(assistant):
    chat = Chat(assistant)
    _, question = chat.say("/quiz")
    chat.press(question.buttons[0].payload)

    replies = chat.press(question.buttons[1].payload)

    assert replies[0].text == texts.ALREADY_ANSWERED
    assert replies[1].text.startswith("Câu 2/5 · ")


def test_cancel_typed_choices_without_quiz_and_out_of_range_choices(assistant):
    chat = Chat(assistant)
    assert [r.text for r in chat.say("huy")] == [texts.NO_OPEN_QUIZ]
    assert [r.text for r in chat.say("2")] == [texts.NO_OPEN_QUIZ]

    _, question = chat.say("/quiz")
    count = len(question.buttons)
    assert [r.text for r in chat.say("9")] == [texts.option_out_of_range(count)]
    assert [r.text for r in chat.say("/huy")] == [texts.QUIZ_CANCELLED]
    assert [r.text for r in chat.say("1")] == [texts.NO_OPEN_QUIZ]


def test_topics_unknown_and_ambiguous_topics_offer_quiz_buttons(assistant):
    chat = Chat(assistant)
    bank = assistant.quiz.bank

    listing = chat.say("/chude")[0]
    unknown = chat.say("/quiz nấu ăn")[0]
    ambiguous = chat.say("/quiz an toàn")[0]

    assert sorted(b.payload for b in listing.buttons) == sorted([f"quiz:start:{t}" for t in bank.topics] + ["quiz:start"])
    assert [b.label for b in listing.buttons] == [str(n) for n in range(1, len(bank.topics) + 2)]
    assert unknown.text.startswith(texts.unknown_topic("nấu ăn"))
    assert len(unknown.buttons) == len(listing.buttons)
    assert ambiguous.text.startswith(texts.ambiguous_topic("an toàn"))
    assert 1 < len(ambiguous.buttons) < len(listing.buttons)


def test_unit_prompt_stale_payloads_unknown_commands_and_nfd_input(assistant, db):
    chat = Chat(assistant)

    assert chat.say("/donvi")[0].text == f"{texts.UNIT_PROMPT}\n{texts.unit_current(None)}"
    assert chat.press("quiz:ans:999:0:0")[0].text == texts.QUIZ_CLOSED
    assert chat.press("menu:nothing")[0].text == texts.STALE_BUTTON
    assert chat.say("/abc")[0].text == texts.unknown_command("abc")
    nfd = unicodedata.normalize("NFD", "/donvi Xã Nghĩa Trung")
    assert chat.say(nfd)[0].text == texts.unit_registered("Xã Nghĩa Trung")
    assert logged(db)[-1][1] == "Xã Nghĩa Trung"


def test_failures_of_the_knowledge_base_or_database_raise_assistant_unavailable(db, settings):
    broken_kb = Assistant(BrokenKnowledge(), db, settings)
    with pytest.raises(AssistantUnavailable):
        Chat(broken_kb).say("VNeID là gì?")
    assert Chat(broken_kb).say("/quiz")[1].buttons  # quizzes still work without the knowledge base

    with db.engine.begin() as connection:
        connection.execute(text("DROP TABLE users"))
    with pytest.raises(AssistantUnavailable):
        Chat(Assistant(PhraseBook(), db, settings)).say("/start")


def test_the_evidence_of_a_conversation_verifies(assistant, db):
    chat = Chat(assistant)
    for message in ("/donvi Xã Nghĩa Trung", "vneid?", "/quiz", "1", "2", "/huy", "ke hoach?"):
        chat.say(message)

    assert EvidenceLog(db).verify().ok
