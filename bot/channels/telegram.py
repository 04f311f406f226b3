"""The assistant on Telegram, with python-telegram-bot v22.

One PTB :class:`~telegram.ext.Application` serves both modes: long polling
(``hocvuso bot telegram``) and the FastAPI webhook (built with ``.updater(None)``;
the route puts updates on ``application.update_queue``). Every text message and
every button press becomes one :class:`IncomingMessage`; replies come back as HTML
with everything escaped, split at Telegram's 4096 characters, with inline keyboards.
"""

from __future__ import annotations

import asyncio
import html
import logging
from collections.abc import Awaitable
from typing import Any

from telegram import (
    Bot,
    BotCommand,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.constants import MessageLimit, ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    AIORateLimiter,
    Application,
    ApplicationBuilder,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    ContextTypes,
    MessageHandler,
    filters,
)
from telegram.request import BaseRequest

from bot import texts
from bot.channels.relay import ChannelNotConfigured, Relay, UserLocks
from bot.channels.splitting import split_text
from bot.messages import Button, Citation, IncomingMessage, Reply

log = logging.getLogger(__name__)

CHANNEL = "telegram"
ALLOWED_UPDATES = [Update.MESSAGE, Update.CALLBACK_QUERY]
MESSAGE_LIMIT = MessageLimit.MAX_TEXT_LENGTH  # 4096
# Updates handled at once; one user's updates still go one after another.
MAX_CONCURRENT_UPDATES = 16

# The command menu shown by Telegram next to the text box: the Vietnamese names
# (the English /start, /quiz, /help still work, Telegram's Start button sends /start).
COMMANDS = [
    BotCommand("batdau", "Bắt đầu, về màn hình chính"),
    BotCommand("tracnghiem", "Làm bài trắc nghiệm 5 câu"),
    BotCommand("chude", "Xem các chủ đề theo khóa học"),
    BotCommand("ketqua", "Xem kết quả bài làm"),
    BotCommand("donvi", "Khai báo đơn vị (xã, phường, cơ quan)"),
    BotCommand("tieptuc", "Làm tiếp bài trắc nghiệm đang dở"),
    BotCommand("huy", "Hủy bài trắc nghiệm đang làm"),
    BotCommand("huongdan", "Hướng dẫn sử dụng"),
]
# Number buttons per keyboard row ("1" … "6"), so a long topic list stays readable.
NUMBERS_PER_ROW = 6


def build_application(
    services, *, polling: bool, request: BaseRequest | None = None
) -> Application:
    """The PTB application answering through ``services.assistant``.

    ``polling=False`` builds it without an updater, for the webhook route.
    ``request`` replaces PTB's HTTP layer (PTB's own offline-testing hook).
    """
    settings = services.settings.telegram
    token = settings.token.get_secret_value()
    if not token:
        raise ChannelNotConfigured("Chưa có mã bot Telegram: đặt biến HOCVUSO_TELEGRAM__TOKEN.")
    builder = (
        ApplicationBuilder()
        .token(token)
        .rate_limiter(AIORateLimiter(max_retries=3))
        .concurrent_updates(UserOrderedProcessor(MAX_CONCURRENT_UPDATES))
        .post_init(set_commands)
    )
    if settings.base_url:
        root = settings.base_url.rstrip("/")
        builder = builder.base_url(f"{root}/bot").base_file_url(f"{root}/file/bot")
    if request is not None:
        builder = builder.request(request)
    if not polling:
        builder = builder.updater(None)
    application = builder.build()

    channel = TelegramChannel(Relay(services))
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & filters.TEXT, channel.on_text)
    )
    application.add_handler(CallbackQueryHandler(channel.on_button))
    application.add_handler(
        MessageHandler(filters.UpdateType.MESSAGE & ~filters.TEXT, channel.on_other)
    )
    application.add_error_handler(channel.on_error)
    return application


def run_polling(application: Application) -> None:
    """Answer Telegram users by long polling until interrupted (Ctrl+C or SIGTERM)."""
    application.run_polling(allowed_updates=ALLOWED_UPDATES)


async def start_for_webhook(services) -> Application:
    """Build, initialise and start the application that the webhook route feeds."""
    application = build_application(services, polling=False)
    await application.initialize()
    try:
        await set_commands(application)
    except TelegramError as error:  # the menu is a convenience; the bot answers without it
        log.warning("telegram command menu not published: %s", error)
    await application.start()
    return application


async def stop_for_webhook(application: Application, grace: float = 30.0) -> None:
    """Finish queued updates (for at most ``grace`` seconds) and release the connections."""
    try:
        await asyncio.wait_for(application.update_queue.join(), timeout=grace)
    except TimeoutError:
        log.warning("telegram: %d updates left unanswered at shutdown", application.update_queue.qsize())
    await application.stop()
    await application.shutdown()


async def set_commands(application: Application) -> None:
    """Publish the command menu with Vietnamese descriptions."""
    await application.bot.set_my_commands(COMMANDS)


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


class TelegramChannel:
    """PTB handlers: Telegram updates in, rendered replies out."""

    def __init__(self, relay: Relay):
        self.relay = relay

    async def on_text(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A text message or command: pass it to the assistant."""
        text = _without_bot_name(update.effective_message.text or "")
        await self._answer(update, context.bot, IncomingMessage(
            channel=CHANNEL, user_id=str(update.effective_user.id), text=text,
            update_id=str(update.update_id),
        ))

    async def on_button(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A button press: stop the spinner, retire the keyboard, pass the payload on."""
        query = update.callback_query
        await _quietly(query.answer(), update)
        replies = await self.relay.replies(IncomingMessage(
            channel=CHANNEL, user_id=str(query.from_user.id), payload=query.data,
            update_id=str(update.update_id),
        ))
        if replies and query.message is not None:
            # One answer per question: the pressed keyboard goes away.
            await _quietly(query.edit_message_reply_markup(reply_markup=None), update)
        await self._send(context.bot, update.effective_chat.id, replies)

    async def on_other(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A photo, sticker, voice note...: the relay answers that only text is read."""
        await self._answer(update, context.bot, IncomingMessage(
            channel=CHANNEL, user_id=str(update.effective_user.id), update_id=str(update.update_id),
        ))

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Log any error that escaped a handler, with the update id."""
        update_id = update.update_id if isinstance(update, Update) else None
        log.error("telegram update %s: %s", update_id, context.error, exc_info=context.error)

    async def _answer(self, update: Update, bot: Bot, msg: IncomingMessage) -> None:
        if update.effective_user is None or update.effective_chat is None:
            return  # channel posts have no user to answer
        await self._send(bot, update.effective_chat.id, await self.relay.replies(msg))

    async def _send(self, bot: Bot, chat_id: int, replies: list[Reply]) -> None:
        for reply in replies:
            for text, keyboard in render(reply):
                await bot.send_message(
                    chat_id, text, parse_mode=ParseMode.HTML, reply_markup=keyboard
                )


class UserOrderedProcessor(BaseUpdateProcessor):
    """Processes updates concurrently, except that one user's updates run in arrival order."""

    def __init__(self, max_concurrent_updates: int):
        super().__init__(max_concurrent_updates)
        self._locks = UserLocks()

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Run ``coroutine`` once earlier updates of the same user are done."""
        user = update.effective_user if isinstance(update, Update) else None
        if user is None:
            await coroutine
            return
        async with self._locks(str(user.id)):
            await coroutine

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to release."""


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


async def _quietly(call: Awaitable[Any], update: Update) -> None:
    # Answering a callback or retiring a keyboard is a courtesy: a failure
    # (query too old, message already edited) must not stop the answer itself.
    try:
        await call
    except TelegramError as error:
        log.info("telegram update %s: %s", update.update_id, error)
