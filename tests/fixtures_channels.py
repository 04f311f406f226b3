"""Fakes at the network edge of the chat channels: local Bot API servers on loopback.

``FakeTelegramApi`` and ``FakeZaloApi`` are real HTTP servers on 127.0.0.1 (random
port, one thread each) that speak just enough of each platform's Bot API for the
bots: they record every call, serve queued updates to ``getUpdates`` and can fail a
method on purpose. Tests point ``HOCVUSO_<CHANNEL>__BASE_URL`` at them.
"""

from __future__ import annotations

import contextlib
import email.policy
import itertools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from email.parser import BytesParser
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest

from bot.messages import IncomingMessage, Reply
from hocvuso.services import Services

BOT_TOKEN = "123456:TEST-token"


class FakeBotApi:
    """A loopback Bot API server: ``POST /bot<token>/<method>``; subclasses answer methods."""

    def __init__(self, token: str = BOT_TOKEN, port: int = 0):
        self.token = token
        self.calls: list[tuple[str, dict]] = []
        self._updates: list[dict] = []
        self._failures: dict[str, list[tuple[int, dict]]] = {}
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The server root, for ``HOCVUSO_<CHANNEL>__BASE_URL``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeBotApi:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        with self._changed:
            self._updates.clear()
            self._changed.notify_all()
        self._server.shutdown()
        self._server.server_close()

    def push_update(self, update: dict) -> None:
        """Queue an update for ``getUpdates``."""
        with self._changed:
            self._updates.append(update)
            self._changed.notify_all()

    def fail_next(self, method: str, status: int, body: dict) -> None:
        """Answer the next call of ``method`` with ``status`` and ``body``."""
        with self._changed:
            self._failures.setdefault(method, []).append((status, body))

    def sent(self, method: str = "sendMessage") -> list[dict]:
        """Parameters of every recorded call of ``method``."""
        with self._changed:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, method: str, count: int, timeout: float = 20.0) -> list[dict]:
        """Wait until ``method`` was called ``count`` times; return those calls."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                calls = [params for name, params in self.calls if name == method]
                if len(calls) >= count:
                    return calls
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{method}: {len(calls)} calls after {timeout} s, expected {count}")
                self._changed.wait(remaining)

    def wait_for_match(self, predicate, after: int, method: str = "sendMessage",
                       timeout: float = 30.0) -> list[dict]:
        """Wait for a ``method`` call past the first ``after`` ones that ``predicate`` accepts;
        return the calls after ``after`` up to and including it."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                calls = [params for name, params in self.calls if name == method][after:]
                for position, params in enumerate(calls):
                    if predicate(params):
                        return calls[: position + 1]
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"no matching {method} after {timeout} s; got {calls}")
                self._changed.wait(remaining)

    def wait_updates_taken(self, timeout: float = 10.0) -> None:
        """Wait until every queued update was handed out by ``getUpdates``."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while self._updates:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(f"{len(self._updates)} updates never fetched")
                self._changed.wait(remaining)

    # -- what subclasses define -------------------------------------------------
    def parse(self, content_type: str, body: bytes) -> dict:
        raise NotImplementedError

    def answer(self, method: str, params: dict) -> tuple[int, dict]:
        raise NotImplementedError

    # -- plumbing -----------------------------------------------------------------
    def _take_updates(self, timeout: float, pick) -> list[dict]:
        """Wait up to ``timeout`` for updates that ``pick(updates)`` selects, and return them."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                chosen = pick(self._updates)
                if chosen:
                    self._changed.notify_all()
                    return chosen
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return []
                self._changed.wait(remaining)

    def _dispatch(self, path: str, content_type: str, body: bytes) -> tuple[int, dict]:
        prefix = f"/bot{self.token}/"
        if not path.startswith(prefix):
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        method = path[len(prefix):]
        params = self.parse(content_type, body)
        with self._changed:
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
        status, answer = failure or self.answer(method, params)
        with self._changed:  # recorded once answered, so waiters see the final call
            self.calls.append((method, params))
            self._changed.notify_all()
        return status, answer

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fake._dispatch(self.path, self.headers.get("Content-Type", ""), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST

            def log_message(self, *args):
                pass

        return Handler


class FakeTelegramApi(FakeBotApi):
    """Telegram's Bot API: JSON, form-encoded or multipart parameters (uploads recorded), ``update_id`` offsets."""

    BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Trợ lý BDHVS", "username": "TroLyBdhvsBot"}

    def __init__(self, token: str = BOT_TOKEN, port: int = 0):
        super().__init__(token, port)
        self._message_ids = itertools.count(1000)

    def parse(self, content_type: str, body: bytes) -> dict:
        if "json" in content_type:
            return json.loads(body or b"{}")
        if content_type.startswith("multipart/form-data"):
            return _multipart(content_type, body)
        params = {}
        for key, value in parse_qsl(body.decode()):
            try:
                params[key] = json.loads(value) if value[:1] in "{[" else value
            except ValueError:
                params[key] = value
        return params

    def answer(self, method: str, params: dict) -> tuple[int, dict]:
        if method == "getMe":
            return 200, {"ok": True, "result": self.BOT_USER}
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            timeout = min(float(params.get("timeout") or 0), 0.5)

            def pick(updates):
                # Telegram confirms updates below the offset: forget them, hand out the rest.
                updates[:] = [u for u in updates if u["update_id"] >= offset]
                return list(updates)

            return 200, {"ok": True, "result": self._take_updates(timeout, pick)}
        if method == "sendMessage":
            # The recorded call also notes the id given to the message, for later button presses.
            params["message_id"] = next(self._message_ids)
            message = {
                "message_id": params["message_id"],
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": self.BOT_USER,
                "text": params.get("text", ""),
            }
            return 200, {"ok": True, "result": message}
        if method == "sendDocument":
            document = params.get("document")
            if not isinstance(document, dict) or not document["content"]:
                return 400, {"ok": False, "error_code": 400, "description": "Bad Request: there is no document"}
            params["message_id"] = next(self._message_ids)
            return 200, {"ok": True, "result": {
                "message_id": params["message_id"], "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"}, "from": self.BOT_USER,
                "document": {"file_name": document["filename"], "mime_type": document["content_type"],
                             "file_id": f"doc{params['message_id']}", "file_unique_id": f"u{params['message_id']}",
                             "file_size": len(document["content"])},
                "caption": params.get("caption", ""),
            }}
        return 200, {"ok": True, "result": True}


def _multipart(content_type: str, body: bytes) -> dict:
    """The fields of a multipart/form-data upload; a file is recorded as {"filename", "content_type", "content"}."""
    message = BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    params: dict = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        content = part.get_payload(decode=True)
        filename = part.get_filename()
        if filename is None:
            params[name] = content.decode()
        else:
            params[name] = {"filename": filename, "content_type": part.get_content_type(), "content": content}
    return params


class FakeZaloApi(FakeBotApi):
    """Zalo's Bot API: JSON bodies, one update per ``getUpdates``, 408 on an empty poll."""

    def __init__(self, token: str = BOT_TOKEN):
        super().__init__(token)
        self._message_ids = itertools.count(1)

    def parse(self, content_type: str, body: bytes) -> dict:
        return json.loads(body or b"{}")

    def answer(self, method: str, params: dict) -> tuple[int, dict]:
        now_ms = int(time.time() * 1000)
        if method == "getMe":
            return 200, {"ok": True, "result": {
                "id": "bot-1", "account_name": "bot.TroLy", "account_type": "BASIC", "can_join_groups": False,
            }}
        if method == "getUpdates":
            timeout = min(float(params.get("timeout") or 0), 0.3)

            def pick(updates):
                return [updates.pop(0)] if updates else []

            taken = self._take_updates(timeout, pick)
            if not taken:
                return 200, {"ok": False, "error_code": 408, "description": "Request timeout"}
            return 200, {"ok": True, "result": taken[0]}
        if method == "sendMessage":
            text = params.get("text", "")
            if not 1 <= len(text) <= 2000:
                return 400, {"ok": False, "error_code": 400, "description": "text must be 1-2000 characters"}
            return 200, {"ok": True, "result": {"message_id": f"m{next(self._message_ids)}", "date": now_ms}}
        if method == "setWebhook":
            return 200, {"ok": True, "result": {"url": params["url"], "updated_at": now_ms}}
        if method == "deleteWebhook":
            return 200, {"ok": True, "result": {"url": "", "updated_at": now_ms}}
        return 404, {"ok": False, "error_code": 404, "description": "Not Found"}


def telegram_text_update(update_id: int, user_id: int, text: str) -> dict:
    """A Telegram update carrying a private text message (commands get their entity)."""
    message = {
        "message_id": update_id,
        "date": int(time.time()),
        "chat": {"id": user_id, "type": "private", "first_name": "Dân"},
        "from": {"id": user_id, "is_bot": False, "first_name": "Dân"},
        "text": text,
    }
    if text.startswith("/"):
        message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
    return {"update_id": update_id, "message": message}


def telegram_button_update(update_id: int, user_id: int, data: str, message_id: int = 1) -> dict:
    """A Telegram update carrying the press of an inline button with ``data``."""
    chat = {"id": user_id, "type": "private", "first_name": "Dân"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cb{update_id}",
            "from": {"id": user_id, "is_bot": False, "first_name": "Dân"},
            "chat_instance": "ci",
            "data": data,
            "message": {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": chat,
                "from": FakeTelegramApi.BOT_USER,
                "text": "câu hỏi",
            },
        },
    }


def zalo_update(message_id: str, user_id: str, text: str | None = None,
                event: str = "message.text.received") -> dict:
    """A Zalo update as documented: event name plus message with sender and chat."""
    message = {
        "message_id": message_id,
        "date": int(time.time() * 1000),
        "from": {"id": user_id, "display_name": "Dân", "is_bot": False},
        "chat": {"id": user_id, "chat_type": "PRIVATE"},
    }
    if text is not None:
        message["text"] = text
    return {"event_name": event, "message": message}


@pytest.fixture(scope="module")
def knowledge_data_dir(tmp_path_factory) -> Path:
    """A data dir holding the real knowledge base, ingested once per test module (lexical only)."""
    from hocvuso.settings import load_settings
    from ingest.pipeline import ingest_paths

    data_dir = tmp_path_factory.mktemp("kb")
    ingest_paths(load_settings(data_dir=data_dir, embedding={"backend": "none"}), progress=False)
    return data_dir


@pytest.fixture
def chat_services(knowledge_data_dir, tmp_path):
    """Services on the real knowledge base and a SQLite database of the test's own, with fake
    Telegram and Zalo Bot APIs on loopback (``fake_telegram``, ``fake_zalo``) and a counter of
    update ids (``update_ids``) for the updates a test sends."""
    from hocvuso.settings import load_settings

    with FakeTelegramApi() as fake_telegram, FakeZaloApi() as fake_zalo:
        settings = load_settings(
            data_dir=knowledge_data_dir, database_url=f"sqlite:///{tmp_path / 'chat.db'}",
            embedding={"backend": "none"}, llm={"base_url": ""},
            telegram={"token": BOT_TOKEN, "base_url": fake_telegram.url},
            zalo={"token": BOT_TOKEN, "base_url": fake_zalo.url},
        )
        built = Services(settings)
        built.fake_telegram, built.fake_zalo = fake_telegram, fake_zalo
        built.update_ids = itertools.count(1)
        yield built
        built.close()


def evidence_rows(database_url: str) -> list[dict]:
    """Every evidence event, in sequence, with its data decoded; and whether the chain verifies."""
    from sqlalchemy import select

    from bot.evidence import EvidenceLog
    from hocvuso.db import Database
    from hocvuso.db.models import EvidenceEvent

    db = Database.from_url(database_url)
    try:
        assert EvidenceLog(db).verify().ok
        with db.session() as session:
            events = session.scalars(select(EvidenceEvent).order_by(EvidenceEvent.id)).all()
            return [{"type": e.event_type, "user": e.user, "channel": e.channel, "data": json.loads(e.data)}
                    for e in events]
    finally:
        db.close()


def lesson_ids(knowledge_dir: Path | None = None) -> set[str]:
    """The doc ids of the lessons (their file stems)."""
    from hocvuso.settings import PACKAGE_KNOWLEDGE_DIR

    return {path.stem for path in ((knowledge_dir or PACKAGE_KNOWLEDGE_DIR) / "lessons").glob("*.md")}


def free_port() -> int:
    """A loopback port nobody listens on (for now)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_serving(base: str, process: subprocess.Popen, timeout: float = 60) -> None:
    """Wait until ``hocvuso serve`` at ``base`` answers /healthz (fail if the process ended first)."""
    import httpx

    deadline = time.monotonic() + timeout
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code in (200, 503):
                return
        except httpx.TransportError:
            pass
        assert time.monotonic() < deadline and process.poll() is None, "the server did not start"
        time.sleep(0.2)


@contextlib.contextmanager
def hocvuso_process(args: list[str], env: dict[str, str]):
    """``hocvuso <args>`` in a subprocess; stopped with SIGINT at the end unless it already ended."""
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("hocvuso")), *args],
        env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        yield process
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
        try:
            _, stderr = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            _, stderr = process.communicate()
        if process.returncode not in (0, 137, -9):
            print(stderr)  # shown by pytest for a failing test


@contextlib.contextmanager
def bot_process(channel: str, env: dict[str, str]):
    """``hocvuso bot <channel>`` in a subprocess; stopped with SIGINT, its exit code checked."""
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("hocvuso")), "bot", channel],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        yield process
    except BaseException:
        process.kill()
        _, stderr = process.communicate(timeout=30)
        print(stderr)  # shown by pytest for the failing test
        raise
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0, stderr


def deliver(services, module, *updates: dict) -> None:
    """Store ``updates`` as the webhook does, process them all, send every reply (in this thread).

    ``module`` is the channel module (``bot.channels.telegram`` or ``bot.channels.zalo``).
    """
    import asyncio

    from bot.delivery import inbox
    from bot.delivery.worker import Worker

    for update in updates:
        inbox.accept(services.db, module.CHANNEL, *module.intake_keys(update), update)
    worker = Worker(services)
    worker.drain()

    async def send_all():
        try:
            while await worker.sender.send_due():
                pass
        finally:
            await worker.sender.close()

    asyncio.run(send_all())


class EchoAssistant:
    """Core-shaped stand-in that echoes and remembers what it was handed."""

    def __init__(self):
        self.seen: list[IncomingMessage] = []

    def handle(self, msg: IncomingMessage) -> list[Reply]:
        self.seen.append(msg)
        return [Reply(f"Đã nhận: {msg.text or msg.payload}")]


class EchoServices(Services):
    """Real settings and database; the echoing stand-in instead of the core."""

    @cached_property
    def assistant(self):
        return EchoAssistant()
