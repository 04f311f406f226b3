"""The assistant on Telegram: update parsing and reply rendering with python-telegram-bot v22.

Updates arrive by webhook (``POST /webhooks/telegram``) or by long polling
(:func:`poll`); either way they are stored in the inbox first (:func:`intake_keys`
names them) and answered later by a worker through :class:`UpdateHandler`, whose
Bot API calls (HTML text with everything escaped, split at Telegram's 4096
characters, inline keyboards) go to the outbox in the same transaction.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import logging
from collections.abc import Callable

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType, MessageLimit, ParseMode
from telegram.error import InvalidToken, TelegramError

from bot import texts
from bot.channels.polling import unless_stopped
from bot.channels.relay import ChannelNotConfigured, Relay
from bot.channels.splitting import split_text
from bot.certificate_documents import SEND_CERTIFICATE
from bot.delivery import inbox
from bot.messages import Button, Citation, IncomingMessage, Reply

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MESSAGE_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
POLL_TIMEOUT_SECONDS = 30

# The command menu shown by Telegram next to the text box: the Vietnamese names
# (the English /start, /quiz, /help still work, Telegram's Start button sends /start).
COMMANDS = [
    BotCommand("batdau", "Bắt đầu, về màn hình chính"),
    BotCommand("tracnghiem", "Làm bài trắc nghiệm 5 câu"),
    BotCommand("chude", "Xem các chủ đề theo khóa học"),
    BotCommand("ketqua", "Xem kết quả bài làm"),
    BotCommand("chungnhan", "Nhận giấy chứng nhận bài đã đạt"),
    BotCommand("donvi", "Khai báo đơn vị (xã, phường, cơ quan)"),
    BotCommand("nhanthongbao", "Nhận thông báo của giảng viên cho đơn vị mình"),
    BotCommand("tatthongbao", "Thôi nhận thông báo"),
    BotCommand("tieptuc", "Làm tiếp bài trắc nghiệm đang dở"),
    BotCommand("huy", "Hủy bài trắc nghiệm đang làm"),
    BotCommand("huongdan", "Hướng dẫn sử dụng"),
]
# Number buttons per keyboard row ("1" … "6"), so a long topic list stays readable.
NUMBERS_PER_ROW = 6


def intake_keys(data: dict) -> tuple[str, str]:
    """(update key, chat key) of a raw update; ValueError when it is not a Telegram update."""
    try:
        update = Update.de_json(data, None)
    except Exception:  # PTB raises whatever the malformed dict provokes
        raise ValueError("not a Telegram update") from None
    chat = update.effective_chat or update.effective_user
    return str(update.update_id), str(chat.id) if chat else ""


class UpdateHandler:
    """One stored Telegram update in, the Bot API calls that answer it out."""

    channel = CHANNEL

    def __init__(self, relay: Relay):
        self.relay = relay

    def process(self, session, data: dict) -> list[tuple[str, dict]]:
        """Answer the update: a text, a button press or anything else (explained as text only)."""
        update = Update.de_json(data, None)
        if update.effective_user is None or update.effective_chat is None:
            return []  # channel posts have no user to answer
        chat_id = update.effective_chat.id
        update_id = str(update.update_id)
        user_id = str(update.effective_user.id)
        # Only a private chat is an address for later messages (announcements).
        private = str(chat_id) if update.effective_chat.type == ChatType.PRIVATE else None
        calls: list[tuple[str, dict]] = []
        query = update.callback_query
        if query is not None:
            calls.append(("answerCallbackQuery", {"callback_query_id": query.id}))  # stop the spinner
            msg = IncomingMessage(channel=CHANNEL, user_id=user_id, payload=query.data, update_id=update_id,
                                  chat_id=private)
        elif update.message is not None and update.message.text is not None:
            msg = IncomingMessage(channel=CHANNEL, user_id=user_id, text=_without_bot_name(update.message.text),
                                  update_id=update_id, chat_id=private)
        elif update.message is not None:  # a photo, sticker, voice note...: the relay explains
            msg = IncomingMessage(channel=CHANNEL, user_id=user_id, update_id=update_id)
        else:
            return []
        replies = self.relay.replies(msg)
        if query is not None and replies and query.message is not None:
            # One answer per question: the pressed keyboard goes away.
            calls.append(("editMessageReplyMarkup", {"chat_id": chat_id, "message_id": query.message.message_id}))
        for reply in replies:
            for text, keyboard in render(reply):
                params = {"chat_id": chat_id, "text": text, "parse_mode": ParseMode.HTML.value}
                if keyboard is not None:
                    params["reply_markup"] = keyboard.to_dict()
                calls.append(("sendMessage", params))
            if reply.certificate:
                # The PDF is drawn when sent (bot.certificate_documents): the outbox keeps only the code.
                calls.append((SEND_CERTIFICATE, {"chat_id": chat_id, "code": reply.certificate}))
        return calls


async def poll(services, notify: Callable[[], None], stop: asyncio.Event) -> None:
    """Long-poll ``getUpdates``; store each batch in the inbox, and only then move the offset.

    Telegram forgets updates below the offset, so the offset moves past an update
    only once it is committed: a crash re-fetches what was not stored.
    """
    async with _bot(services.settings) as bot:
        await bot.delete_webhook()  # polling and webhook exclude each other
        with contextlib.suppress(TelegramError):
            await set_commands(bot)
        offset: int | None = None
        backoff = 1.0
        while not stop.is_set():
            try:
                updates = await unless_stopped(
                    bot.get_updates(offset=offset, timeout=POLL_TIMEOUT_SECONDS, allowed_updates=ALLOWED_UPDATES),
                    stop,
                )
            except InvalidToken:
                raise
            except TelegramError as error:
                log.warning("telegram getUpdates failed (%s): retrying in %.0f s", error, backoff)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), timeout=backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if not updates:
                continue
            await asyncio.to_thread(_store, services.db, [update.to_dict() for update in updates])
            offset = updates[-1].update_id + 1
            notify()


def _store(db, updates: list[dict]) -> None:
    for data in updates:
        update_key, chat_key = intake_keys(data)
        inbox.accept(db, CHANNEL, update_key, chat_key, data)


async def set_commands(bot: Bot) -> None:
    """Publish the command menu with Vietnamese descriptions."""
    await bot.set_my_commands(COMMANDS)


async def publish_commands(settings) -> None:
    """Publish the command menu once (at service start); a failure is only logged."""
    try:
        async with _bot(settings) as bot:
            await set_commands(bot)
    except TelegramError as error:  # the menu is a convenience; the bot answers without it
        log.warning("telegram command menu not published: %s", error)


async def set_webhook(settings, url: str) -> None:
    """Tell Telegram to deliver updates to ``url`` with the configured secret."""
    secret = settings.telegram.webhook_secret.get_secret_value()
    async with _bot(settings) as bot:
        await bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)


async def delete_webhook(settings) -> None:
    """Stop webhook delivery so that long polling works again."""
    async with _bot(settings) as bot:
        await bot.delete_webhook()


def _bot(settings) -> Bot:
    token = settings.telegram.token.get_secret_value()
    if not token:
        raise ChannelNotConfigured("Chưa có mã bot Telegram: đặt biến HOCVUSO_TELEGRAM__TOKEN.")
    if not settings.telegram.base_url:
        return Bot(token)
    root = settings.telegram.base_url.rstrip("/")
    return Bot(token, base_url=f"{root}/bot", base_file_url=f"{root}/file/bot")


def render(reply: Reply) -> list[tuple[str, InlineKeyboardMarkup | None]]:
    """Telegram messages (HTML text, keyboard) for one reply; the keyboard rides on the last."""
    pieces = split_text(reply.text, MESSAGE_LIMIT, size=lambda part: len(_escape(part)))
    blocks = [_escape(piece) for piece in pieces]
    if reply.citations:
        blocks.append(_citations_html(reply.citations))
    if not blocks:
        if not reply.buttons:
            return []  # Telegram refuses empty messages
        blocks = [_escape(texts.CHOOSE)]
    messages = _pack(blocks, MESSAGE_LIMIT)
    keyboard = _keyboard(reply.buttons)
    return [(text, None) for text in messages[:-1]] + [(messages[-1], keyboard)]


def _escape(text: str) -> str:
    return html.escape(text, quote=False)


def _citations_html(citations: list[Citation]) -> str:
    block = f"<b>{_escape(texts.SOURCES)}</b>"
    for citation in citations:
        line = f"• <i>{_escape(citation.text or citation.title)}</i>"
        if citation.section and not citation.text:
            line += f" › {_escape(citation.section)}"
        if len(block) + 1 + len(line) > MESSAGE_LIMIT:
            break  # never cut inside markup; thousands of characters of sources help nobody
        block += "\n" + line
    return block


def _pack(blocks: list[str], limit: int) -> list[str]:
    # Each block already fits; join neighbours while the message stays under the limit.
    messages: list[str] = []
    for block in blocks:
        if messages and len(messages[-1]) + 2 + len(block) <= limit:
            messages[-1] += "\n\n" + block
        else:
            messages.append(block)
    return messages


def _keyboard(buttons: list[Button]) -> InlineKeyboardMarkup | None:
    if not buttons:
        return None
    keys = [InlineKeyboardButton(button.label, callback_data=button.payload) for button in buttons]
    if all(len(button.label) <= 3 for button in buttons):
        # Number buttons: "1" "2" "3" "4" fit on one row, a longer list on rows of six.
        return InlineKeyboardMarkup([keys[i : i + NUMBERS_PER_ROW] for i in range(0, len(keys), NUMBERS_PER_ROW)])
    return InlineKeyboardMarkup([[key] for key in keys])


def _without_bot_name(text: str) -> str:
    # In groups Telegram sends "/quiz@TenBot vneid"; the core knows "/quiz vneid".
    if not text.startswith("/"):
        return text
    command, _, rest = text.partition(" ")
    command = command.split("@", 1)[0]
    return f"{command} {rest}" if rest else command
