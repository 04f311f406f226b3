"""``/chungnhan <tên>`` on Telegram: the text with the code, then the PDF as a document, uploaded
(multipart ``sendDocument``) by the outbox sender with the PDF drawn at send time, retried
after a Bot API failure, in order after the text; against the fake Bot API on loopback."""

from __future__ import annotations

import asyncio
import io
import re
import time

import pytest
from fixtures_channels import BOT_TOKEN, FakeTelegramApi, telegram_text_update
from pypdf import PdfReader
from sqlalchemy import select

from bot.certificates import Certificates
from bot.channels import telegram, zalo
from bot.delivery import inbox
from bot.delivery.worker import Worker
from bot.evidence import EvidenceLog
from bot.identity import pseudonym
from bot.messages import Reply
from hocvuso.db.models import OutboxMessage
from hocvuso.services import Services
from hocvuso.settings import load_settings

USER = 5151
NAME = "Trần Thị Bình"


@pytest.fixture
def fake():
    with FakeTelegramApi() as server:
        yield server


@pytest.fixture
def services(tmp_path, fake):
    settings = load_settings(data_dir=tmp_path, embedding={"backend": "none"},
                             telegram={"token": BOT_TOKEN, "base_url": fake.url},
                             api={"public_url": "https://hocvuso.example.vn", "run_worker": False})
    built = Services(settings)
    yield built
    built.close()


class Chat:
    """Feeds updates to a worker and runs its sender until the fake Bot API saw what is expected."""

    def __init__(self, services, fake):
        self.services, self.fake, self.updates = services, fake, iter(range(1, 1000))
        self.worker = Worker(services)
        self.loop = asyncio.new_event_loop()  # one loop: the sender's HTTP client lives in it

    def say(self, text: str) -> None:
        update = telegram_text_update(next(self.updates), USER, text)
        inbox.accept(self.services.db, telegram.CHANNEL, *telegram.intake_keys(update), update)
        self.worker.drain()

    def send_until(self, done, timeout: float = 15.0) -> None:
        async def run():
            deadline = time.monotonic() + timeout
            while not done():
                assert time.monotonic() < deadline, "the expected calls never reached the Bot API"
                if not await self.worker.sender.send_due():
                    await asyncio.sleep(0.1)  # a retry waits for its backoff
        self.loop.run_until_complete(run())

    def close(self) -> None:
        self.loop.run_until_complete(self.worker.sender.close())
        self.loop.close()

    def pass_quiz(self) -> None:
        assistant = self.services.assistant
        user = pseudonym(self.services.settings.pseudonym_secret.get_secret_value(), "telegram", str(USER))
        self.say("/tracnghiem vneid")
        while (view := assistant.quiz.current(user)) is not None:
            item = assistant.quiz.bank.questions[view["question_id"]]
            self.say(str(view["options"].index(item.options[item.correct_index]) + 1))


def pdf_text(upload: dict) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(upload["content"])).pages)


def test_the_certificate_pdf_follows_its_text_and_survives_a_bot_api_failure(services, fake):
    chat = Chat(services, fake)
    chat.pass_quiz()
    chat.send_until(lambda: any("Chúc mừng" in m["text"] for m in fake.sent()))
    fake.fail_next("sendDocument", 502, {"ok": False, "error_code": 502, "description": "Bad Gateway"})
    chat.say(f"/chungnhan {NAME}")
    chat.send_until(lambda: len(fake.sent("sendDocument")) == 2)  # the failed upload, then its retry
    chat.close()

    calls = [(method, params) for method, params in fake.calls if method in ("sendMessage", "sendDocument")]
    (text_method, text), (first_method, failed), (second_method, document) = calls[-3:]
    assert (text_method, first_method, second_method) == ("sendMessage", "sendDocument", "sendDocument")
    code = re.search(r"Mã xác minh: (\S+)", text["text"]).group(1)
    assert f"https://hocvuso.example.vn/v1/certificates/{code}/pdf" in text["text"]
    assert failed["document"]["content"]  # the first upload reached the fake, which failed it on purpose
    assert document["chat_id"] == str(USER) and code in document["caption"]
    upload = document["document"]
    assert (upload["filename"], upload["content_type"]) == (f"chung-nhan-{code}.pdf", "application/pdf")
    printed = pdf_text(upload)
    assert NAME in printed and f"Mã xác minh: {code}" in printed and "5/5 câu đúng" in printed
    # The outbox kept the small JSON call, not the PDF.
    with services.db.session() as session:
        stored = session.scalars(select(OutboxMessage).where(OutboxMessage.method == "sendCertificate")).one()
    assert stored.sent_at is not None and stored.attempts == 1 and len(stored.params) < 100


def test_a_certificate_revoked_before_sending_is_not_sent(services, fake):
    chat = Chat(services, fake)
    chat.pass_quiz()
    chat.say(f"/chungnhan {NAME}")  # processed, not yet sent
    with services.db.session() as session:
        stored = session.scalars(select(OutboxMessage).where(OutboxMessage.method == "sendCertificate")).one()
    code = stored.params.split('"code": "')[1].split('"')[0]
    Certificates(services.db, EvidenceLog(services.db), 0.8).revoke(code, "Cấp nhầm")
    chat.send_until(lambda: any("Mã xác minh" in m["text"] for m in fake.sent()))
    chat.send_until(lambda: _finished(services, stored.id))
    chat.close()
    assert fake.sent("sendDocument") == []
    with services.db.session() as session:
        row = session.get(OutboxMessage, stored.id)
    assert row.failed_at is not None and "thu hồi" in row.last_error


def test_zalo_and_terminal_show_the_link_only():
    reply = Reply("Giấy chứng nhận … Mã xác minh: ABCDE-23456", certificate="ABCDE-23456")
    assert zalo.render(reply) == [reply.text]
    assert [text for text, _ in telegram.render(reply)] == [reply.text]  # the document is a call of its own


def _finished(services, message_id: int) -> bool:
    with services.db.session() as session:
        row = session.get(OutboxMessage, message_id)
        return row.sent_at is not None or row.failed_at is not None
