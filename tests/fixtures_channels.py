"""Fakes at the network edge of the chat channels: local Bot API servers on loopback.

``FakeTelegramApi`` and ``FakeZaloApi`` are real HTTP servers on 127.0.0.1 (random
port, one thread each) that speak just enough of each platform's Bot API for the
bots: they record every call, serve queued updates to ``getUpdates`` and can fail a
method on purpose. Tests point ``HOCVUSO_<CHANNEL>__BASE_URL`` at them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl

BOT_TOKEN = "123456:TEST-token"


class FakeBotApi:
    """A loopback Bot API server: ``POST /bot<token>/<method>``; subclasses answer methods."""

    def __init__(self, token: str = BOT_TOKEN):
        self.token = token
        self.calls: list[tuple[str, dict]] = []
        self._updates: list[dict] = []
        self._failures: dict[str, list[tuple[int, dict]]] = {}
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """The server root, for ``HOCVUSO_<CHANNEL>__BASE_URL``."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeBotApi":
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
            self.calls.append((method, params))
            failures = self._failures.get(method)
            failure = failures.pop(0) if failures else None
            self._changed.notify_all()
        if failure is not None:
            return failure
        return self.answer(method, params)

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                status, answer = fake._dispatch(self.path, self.headers.get("Content-Type", ""), body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        return Handler


class FakeTelegramApi(FakeBotApi):
    """Telegram's Bot API: form-encoded parameters, ``update_id`` offsets, Message results."""

    BOT_USER = {"id": 123456, "is_bot": True, "first_name": "Trợ lý BDHVS", "username": "TroLyBdhvsBot"}

    def __init__(self, token: str = BOT_TOKEN):
        super().__init__(token)
        self._message_ids = itertools.count(1000)

    def parse(self, content_type: str, body: bytes) -> dict:
        if "json" in content_type:
            return json.loads(body or b"{}")
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
            message = {
                "message_id": next(self._message_ids),
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": self.BOT_USER,
                "text": params.get("text", ""),
            }
            return 200, {"ok": True, "result": message}
        return 200, {"ok": True, "result": True}


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
