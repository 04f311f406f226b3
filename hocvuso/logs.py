"""Logging that never writes secrets or raw user data, at any level, for any logger.

One filter sits on every handler (so it also sees records of httpx, python-telegram-bot
and uvicorn, which propagate or have handlers of their own) and rewrites each record:

- the configured secrets (bot tokens, webhook secrets, API keys...) by value;
- anything shaped like a Bot API token or a ``/bot<token>/`` URL segment;
- values of fields that carry raw identities or what people wrote: ids, names,
  usernames, phone numbers, message texts, as Python reprs (``first_name='An'``),
  dicts (``'chat_id': 42``) or JSON (``"text": "..."``);
- ``user_id``/``token``/``key`` query parameters in request lines.
"""

from __future__ import annotations

import copy
import logging
import re
from collections.abc import Iterable

HIDDEN = "[ẩn]"
# Fields whose values are raw identities or user text (telegram/zalo payloads, PTB reprs, API params).
_FIELDS = (
    "id|chat_id|user_id|from_id|sender_id|first_name|last_name|username|full_name|display_name|name|"
    "phone_number|text|caption|title|data|query|question|secret_token|token|api_key|password|authorization"
)
_FIELD_VALUE = re.compile(
    rf"""(?P<key>(?<![\w.])['"]?(?:{_FIELDS})['"]?\s*[=:]\s*)"""
    r"""(?P<value>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+)"""
)
_BOT_URL = re.compile(r"/bot[^/\s'\"]+")
_BOT_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
_QUERY = re.compile(r"([?&](?:user_id|token|key|secret)=)[^&\s\"']+", re.IGNORECASE)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """``text`` with secrets and raw user data replaced by ``[ẩn]``."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, HIDDEN)
    text = _BOT_URL.sub("/bot" + HIDDEN, text)
    text = _BOT_TOKEN.sub(HIDDEN, text)
    text = _QUERY.sub(r"\1" + HIDDEN, text)
    return _FIELD_VALUE.sub(lambda match: match.group("key") + HIDDEN, text)


class RedactingFilter(logging.Filter):
    """Rewrite every record passing a handler so that :func:`redact` holds for its output."""

    def __init__(self, secrets: Iterable[str] = ()):
        super().__init__()
        # Longest first, so a secret containing another is hidden whole.
        self.secrets = sorted({s for s in secrets if len(s) >= 4}, key=len, reverse=True)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name == "uvicorn.access" and isinstance(record.args, tuple):
            # uvicorn's access formatter reads the request line from the arguments: keep their shape.
            record.args = tuple(self._clean(arg) if isinstance(arg, str) else arg for arg in record.args)
        else:
            record.msg, record.args = self._clean(record.getMessage()), None
        if record.exc_info:
            record.exc_text = self._clean(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self._clean(record.stack_info)
        return True

    def _clean(self, text: str) -> str:
        return redact(text, self.secrets)


def configured_secrets(settings) -> list[str]:
    """Every secret value the settings hold."""
    values = [
        settings.pseudonym_secret, settings.llm.api_key, settings.api.session_secret, settings.evidence.signing_key,
        settings.telegram.token, settings.telegram.webhook_secret, settings.zalo.token, settings.zalo.webhook_secret,
    ]
    return [value.get_secret_value() for value in values if value.get_secret_value()]


def install(secrets: Iterable[str] = ()) -> None:
    """Put the filter on every handler of the root logger (after ``logging.basicConfig``)."""
    redacting = RedactingFilter(secrets)
    for handler in logging.getLogger().handlers:
        handler.filters = [f for f in handler.filters if not isinstance(f, RedactingFilter)]
        handler.addFilter(redacting)


def uvicorn_config(verbose: bool, secrets: Iterable[str] = ()) -> dict:
    """uvicorn's logging config with the filter on each handler and the root logger included.

    Given to ``uvicorn.run(log_config=...)``, so every worker process applies it too.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"redact": {"()": RedactingFilter, "secrets": list(secrets)}}
    for handler in config["handlers"].values():
        handler["filters"] = ["redact"]
    config["root"] = {"handlers": ["default"], "level": "DEBUG" if verbose else "WARNING"}
    return config
