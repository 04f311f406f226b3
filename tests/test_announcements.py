"""Announcements end to end: users opt in on Telegram and Zalo through the webhooks, a trainer
sends through the API or the dashboard, the app's own worker delivers through the outbox to
the fake Bot APIs on loopback; on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import re
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from fixtures_channels import (
    BOT_TOKEN,
    FakeTelegramApi,
    FakeZaloApi,
    deliver,
    free_port,
    telegram_text_update,
    zalo_update,
)
from sqlalchemy import select

from api.app import create_app
from api.keys import create_key
from bot import announcements, commands, texts
from bot.channels import telegram
from bot.delivery.outbox import Sender
from bot.delivery.retention import prune_delivery
from bot.units import UnitDirectory
from hocvuso.db.models import AnnouncementSubscriber, OutboxMessage, utcnow
from hocvuso.services import Services
from hocvuso.settings import load_settings

SECRET = "bi-mat-webhook"
UNIT = "Xã Nghĩa Trung"
TG_HEADERS = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
ZALO_HEADERS = {"X-Bot-Api-Secret-Token": SECRET}


def make_settings(tmp_path, database_url, telegram_url, zalo_url, **extra):
    return load_settings(
        data_dir=tmp_path, database_url=database_url, embedding={"backend": "none"},
        telegram={"token": BOT_TOKEN, "base_url": telegram_url, "webhook_secret": SECRET},
        zalo={"token": BOT_TOKEN, "base_url": zalo_url, "webhook_secret": SECRET}, **extra,
    )


def wait_until(check, what: str, timeout: float = 20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := check():
            return result
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def test_commands_are_read_with_and_without_slash_or_diacritics():
    for typed in ("/nhanthongbao", "nhận thông báo", "nhan thong bao", "Nhận thông báo", "/nhanthongbao@TroLyBot"):
        assert commands.parse_text(typed).name == commands.SUBSCRIBE, typed
    for typed in ("/tatthongbao", "tắt thông báo", "tat thong bao", "thôi nhận thông báo"):
        assert commands.parse_text(typed).name == commands.UNSUBSCRIBE, typed
    assert commands.parse_text("làm sao nhận thông báo?").name == commands.QUESTION


def test_opted_in_users_of_the_unit_get_the_announcement(tmp_path, database_url):
    with FakeTelegramApi() as tg, FakeZaloApi() as zl:
        services = Services(make_settings(tmp_path, database_url, tg.url, zl.url))
        trainer = create_key(services.db, "Giảng viên Hoa", "trainer")[1]
        with TestClient(create_app(services)) as client:
            updates = iter(range(1, 1000))

            def tg_say(user: int, text: str) -> None:
                response = client.post("/webhooks/telegram", headers=TG_HEADERS,
                                       json=telegram_text_update(next(updates), user, text))
                assert response.status_code == 200

            def zalo_say(user: str, text: str) -> None:
                update = zalo_update(f"m{next(updates)}", user, text)
                assert client.post("/webhooks/zalo", headers=ZALO_HEADERS,
                                   json={"ok": True, "result": update}).status_code == 200

            # 701, 702 and Zalo "z-1" of the unit opt in; 703 of another unit too; 704 of the unit does not;
            # 705 opts in and out again.
            for user, unit in ((701, UNIT), (702, "xa nghia trung"), (703, "Xã Khác"), (704, UNIT), (705, UNIT)):
                tg_say(user, f"/donvi {unit}")
            for user in (701, 702, 703, 705):
                tg_say(user, "/nhanthongbao")
            tg_say(705, "tắt thông báo")
            zalo_say("z-1", f"/donvi {UNIT}")
            zalo_say("z-1", "nhan thong bao")
            confirmations = wait_until(lambda: [m for m in tg.sent() if "sẽ nhận thông báo" in m["text"]]
                                       if len(tg.sent()) >= 10 else None, "the opt-in replies")
            assert {m["chat_id"] for m in confirmations} == {701, 702, 703, 705}
            assert any(m["text"] == texts.ANNOUNCE_OPTED_OUT for m in tg.sent() if m["chat_id"] == 705)
            wait_until(lambda: any("sẽ nhận thông báo" in m["text"] for m in zl.sent()), "the Zalo opt-in reply")

            # Stored: pseudonym, channel and a sealed address; no raw chat id in the database.
            with services.db.session() as session:
                rows = session.scalars(select(AnnouncementSubscriber)).all()
            assert len(rows) == 4 and not any("701" in row.address or "z-1" in row.address for row in rows)

            text = "Chủ nhật này 8 giờ, nhà văn hóa thôn tổ chức <b>buổi hướng dẫn</b> cài VNeID.\n\nMang theo CCCD."
            sent = client.post("/v1/announcements", headers=bearer(trainer), json={"unit": "xa nghia trung",
                                                                                   "text": text})
            assert sent.status_code == 201, sent.text
            body = sent.json()
            assert (body["unit"], body["recipients"], body["created_by"]) == (UNIT, 3, "Giảng viên Hoa")
            assert body["sent"] + body["pending"] == 3

            def finished():
                [row] = client.get("/v1/announcements", headers=bearer(trainer)).json()
                return row if row["sent"] == 3 else None

            row = wait_until(finished, "the announcement delivered")
            assert (row["recipients"], row["sent"], row["pending"], row["failed"]) == (3, 3, 0, 0)

        told = [m for m in tg.sent() if text in m["text"]]
        assert sorted(m["chat_id"] for m in told) == [701, 702]
        assert all("parse_mode" not in m and m["text"] == texts.announcement(UNIT, text) for m in told)
        [to_zalo] = [m for m in zl.sent() if text in m["text"]]
        assert to_zalo["chat_id"] == "z-1"
        services.close()


def test_announcements_are_paced_and_wait_out_a_bot_api_outage(tmp_path, database_url):
    port = free_port()
    services = Services(make_settings(tmp_path, database_url, f"http://127.0.0.1:{port}", "http://127.0.0.1:9",
                                      api={"run_worker": False}))
    secret = services.settings.pseudonym_secret.get_secret_value()
    directory = UnitDirectory([UNIT])
    for number in range(6):
        user = f"tg-{number}"
        _register(services, user, UNIT)
        announcements.opt_in(services.db, secret, user, "telegram", str(9000 + number), UNIT)
    delivery = announcements.announce(services.db, secret, directory, UNIT, "Lịch học tuần sau.", "Giảng viên")
    assert delivery.recipients == 6 and delivery.pending == 6
    with services.db.session() as session:
        due = sorted(session.scalars(select(OutboxMessage.due_at).where(OutboxMessage.announcement_id == delivery.id)))
    gaps = [(b - a).total_seconds() for a, b in zip(due, due[1:], strict=False)]
    assert all(gap == pytest.approx(1 / announcements.RATES["telegram"], abs=1e-3) for gap in gaps)

    offset = timedelta()
    sender = Sender(services.db, services.settings, clock=lambda: utcnow() + offset)

    async def send_rounds(rounds: int) -> None:
        nonlocal offset
        for _ in range(rounds):
            await sender.send_due()
            offset += timedelta(seconds=40)  # past any backoff

    async def outage_then_recovery() -> list[dict]:
        await send_rounds(3)  # the Bot API is down: nothing sent, every message retried
        [row] = announcements.deliveries(services.db)
        assert (row.sent, row.pending, row.failed) == (0, 6, 0)
        with FakeTelegramApi(port=port) as tg:  # back up on the same address
            await send_rounds(3)
            await sender.close()
            return tg.sent()

    sent = asyncio.run(outage_then_recovery())
    assert sorted(m["chat_id"] for m in sent) == [9000 + n for n in range(6)]
    with services.db.session() as session:
        attempts = session.scalars(select(OutboxMessage.attempts)).all()
    assert all(count >= 1 for count in attempts)  # each was tried during the outage
    [row] = announcements.deliveries(services.db)
    assert (row.recipients, row.sent, row.pending, row.failed) == (6, 6, 0, 0)

    # Retention removes the delivered rows (sent on the shifted clock, minutes ahead); the counts stay.
    assert prune_delivery(services.db, -timedelta(hours=1))["outbox"] == 6
    [row] = announcements.deliveries(services.db)
    assert (row.recipients, row.sent, row.pending, row.failed) == (6, 6, 0, 0)
    services.close()


def test_opting_out_cancels_what_was_not_sent_and_group_chats_cannot_opt_in(tmp_path):
    with FakeTelegramApi() as tg:
        services = Services(make_settings(tmp_path, "", tg.url, "", api={"run_worker": False}))
        secret = services.settings.pseudonym_secret.get_secret_value()
        deliver(services, telegram, telegram_text_update(1, 801, f"/donvi {UNIT}"),
                telegram_text_update(2, 801, "/nhanthongbao"))
        group = telegram_text_update(3, 802, "/nhanthongbao")
        group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Thôn 1"}
        deliver(services, telegram, group)
        assert tg.sent()[-1]["text"] == texts.ANNOUNCE_PRIVATE_ONLY

        delivery = announcements.announce(services.db, secret, UnitDirectory([UNIT]), UNIT, "Họp thôn.", "GV")
        # Opting out before the sender got to it: the message is cancelled, counted as failed.
        deliver(services, telegram, telegram_text_update(4, 801, "/tatthongbao"))
        [row] = announcements.deliveries(services.db)
        assert (row.id, row.recipients, row.sent, row.pending, row.failed) == (delivery.id, 1, 0, 0, 1)
        assert not any("Họp thôn." in m["text"] for m in tg.sent())
        assert tg.sent()[-1]["text"] == texts.ANNOUNCE_OPTED_OUT
        deliver(services, telegram, telegram_text_update(5, 801, "tat thong bao"))
        assert tg.sent()[-1]["text"] == texts.ANNOUNCE_NOT_SUBSCRIBED
        services.close()


def test_terminal_users_are_told_announcements_need_telegram_or_zalo(tmp_path):
    services = Services(load_settings(data_dir=tmp_path, embedding={"backend": "none"}))
    from bot.messages import IncomingMessage

    [reply] = services.assistant.handle(IncomingMessage("terminal", "may-1", "nhan thong bao"))
    assert reply.text == texts.ANNOUNCE_PRIVATE_ONLY
    services.close()


def test_bad_announcements_are_refused_in_vietnamese(tmp_path):
    services = Services(load_settings(data_dir=tmp_path, embedding={"backend": "none"}))
    trainer = create_key(services.db, "GV", "trainer")[1]
    with TestClient(create_app(services)) as client:
        empty = client.post("/v1/announcements", headers=bearer(trainer), json={"unit": UNIT, "text": "\x07 \n "})
        assert empty.status_code == 422 and "trống" in empty.json()["detail"]
        long = client.post("/v1/announcements", headers=bearer(trainer), json={"unit": UNIT, "text": "a" * 1001})
        assert long.status_code == 422 and "tối đa 1000 ký tự" in long.json()["detail"]
        nobody = client.post("/v1/announcements", headers=bearer(trainer), json={"unit": UNIT, "text": "Chào"})
        assert nobody.status_code == 422 and "Chưa có người học nào" in nobody.json()["detail"]
        assert client.post("/v1/announcements", json={"unit": UNIT, "text": "Chào"}).status_code == 401
        assert client.get("/v1/announcements", headers=bearer(trainer)).json() == []
    services.close()


def test_the_dashboard_form_sends_with_csrf_and_keeps_the_text_on_refusal(tmp_path):
    services = Services(load_settings(data_dir=tmp_path, embedding={"backend": "none"}))
    secret = services.settings.pseudonym_secret.get_secret_value()
    _register(services, "tg-1", UNIT)
    announcements.opt_in(services.db, secret, "tg-1", "telegram", "4242", UNIT)
    trainer = create_key(services.db, "Giảng viên Lan", "trainer")[1]
    with TestClient(create_app(services)) as client:
        login = client.get("/dashboard/login").text
        client.post("/dashboard/login", data={"key": trainer, "csrf_token": _csrf(login)})
        assert 'id="announcements-open"' in client.get("/dashboard").text
        page = client.get("/dashboard/announcements").text
        assert f"{UNIT} (1 người nhận)" in page

        forged = client.post("/dashboard/announcements", data={"unit": UNIT, "text": "Họp", "csrf_token": "x"})
        assert forged.status_code == 400 and "Họp</textarea>" in forged.text
        too_long = client.post("/dashboard/announcements",
                               data={"unit": UNIT, "text": "b" * 1200, "csrf_token": _csrf(page)})
        assert too_long.status_code == 422 and "b" * 1200 in too_long.text and 'id="announce-error"' in too_long.text

        sent = client.post("/dashboard/announcements", follow_redirects=False,
                           data={"unit": UNIT, "text": "Họp <thôn> tối nay", "csrf_token": _csrf(page)})
        assert sent.status_code == 303
        listing = client.get("/dashboard/announcements").text
        assert "Họp &lt;thôn&gt; tối nay" in listing and "Giảng viên Lan" in listing
        cells = re.findall(r'data-label="(Người nhận|Đã gửi|Đang chờ|Thất bại)">(\d+)<', listing)
        assert cells == [("Người nhận", "1"), ("Đã gửi", "0"), ("Đang chờ", "1"), ("Thất bại", "0")]
    with services.db.session() as session:
        [message] = session.scalars(select(OutboxMessage)).all()
    assert json.loads(message.params) == {"chat_id": 4242, "text": texts.announcement(UNIT, "Họp <thôn> tối nay")}
    services.close()


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _register(services, user: str, unit: str) -> None:
    from hocvuso.db.models import User

    with services.db.session() as session:
        session.add(User(pseudonym=user, channel="telegram", unit=unit))


def test_addresses_are_sealed_to_their_secret_and_channel():
    sealed = announcements.seal("bi-mat-1", "telegram", "123456789")
    assert "123456789" not in sealed and sealed != announcements.seal("bi-mat-1", "telegram", "123456789")
    assert announcements.unseal("bi-mat-1", "telegram", sealed) == "123456789"
    assert announcements.unseal("bi-mat-2", "telegram", sealed) is None  # the secret changed: pseudonyms did too
    assert announcements.unseal("bi-mat-1", "zalo", sealed) is None
