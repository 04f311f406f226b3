"""ASGI middlewares that guard every route: request body limits and Secure cookies.

:class:`BodyGuard` reads the body before the app does, counting the bytes as they
stream in (a missing or lying Content-Length changes nothing): above the limit the
request gets a 413, and a JSON body nested deeper than allowed gets a 400, whatever
the route (API, dashboard, webhooks) would have done with it. The app then receives
the same body, replayed.
"""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import error_response

_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"')
_NOT_BRACKET = bytes(byte for byte in range(256) if byte not in b"[]{}")
_OPENERS = frozenset(b"[{")
_FORM_TYPES = (b"application/x-www-form-urlencoded", b"multipart/form-data")


def json_too_deep(body: bytes, limit: int) -> bool:
    """True when arrays/objects in ``body`` nest deeper than ``limit`` (strings are skipped).

    A linear scan without parsing, so it cannot itself hit Python's recursion limit.
    """
    depth = 0
    for byte in _JSON_STRING.sub(b"", body).translate(None, _NOT_BRACKET):
        if byte in _OPENERS:
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return value
    return None


class BodyGuard:
    """413 for bodies over ``max_bytes``, 400 for JSON nested deeper than ``max_depth``."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_depth: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _header(scope, b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":  # the client went away: let the app see it
                await self.app(scope, _replay([message], receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_bytes:
                await self._too_large(scope, receive, send)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        if self._looks_like_json(scope, body) and json_too_deep(body, self.max_depth):
            response = error_response(
                400, f"Dữ liệu JSON lồng nhau quá sâu (tối đa {self.max_depth} tầng).", "json_too_deep"
            )
            await response(scope, receive, send)
            return
        await self.app(scope, _replay([{"type": "http.request", "body": body, "more_body": False}], receive), send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        limit = f"{self.max_bytes // 1024} KB" if self.max_bytes >= 1024 else f"{self.max_bytes} byte"
        response = error_response(413, f"Dữ liệu gửi lên quá lớn (tối đa {limit}).", "too_large",
                                  headers={"Connection": "close"})
        await response(scope, receive, send)

    @staticmethod
    def _looks_like_json(scope: Scope, body: bytes) -> bool:
        content_type = (_header(scope, b"content-type") or b"").lower()
        if content_type.startswith(_FORM_TYPES):
            return False
        start = body.lstrip()[:1]
        return bool(start) and start[0] in _OPENERS


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A receive that gives ``messages`` first, then defers to the real one (disconnects)."""
    pending = list(messages)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


class SecureCookies:
    """Add ``Secure`` to every cookie the app sets: always, never, or ("auto") over HTTPS only.

    Behind a reverse proxy the scheme comes from ``X-Forwarded-Proto``, which uvicorn
    trusts from the addresses in ``--forwarded-allow-ips`` (default 127.0.0.1).
    """

    def __init__(self, app: ASGIApp, mode: str = "auto") -> None:
        self.app = app
        self.mode = mode

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        secure = scope["type"] == "http" and (
            self.mode == "always" or (self.mode == "auto" and scope.get("scheme") == "https")
        )
        if not secure:
            await self.app(scope, receive, send)
            return

        async def send_secure(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [
                    (name, _with_secure(value) if name.lower() == b"set-cookie" else value)
                    for name, value in message.get("headers", [])
                ]
            await send(message)

        await self.app(scope, receive, send_secure)


def _with_secure(cookie: bytes) -> bytes:
    attributes = [part.strip().lower() for part in cookie.split(b";")[1:]]
    return cookie if b"secure" in attributes else cookie + b"; Secure"
