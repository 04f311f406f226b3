"""The terminal channel: messages from lines of text, replies printed (``hocvuso chat``).

It works piped as well as interactively, so it is both the demo and a way to drive
the whole assistant from a script. Buttons are shown as numbered options; typing
the number presses the button.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot import texts
from bot.channels.numbered import NumberedOptions
from bot.core import AssistantUnavailable
from bot.messages import IncomingMessage, Reply

CHANNEL = "terminal"
USER_PREFIX = "Bạn: "
ASSISTANT_PREFIX = "Trợ lý: "


class TerminalChat:
    """One terminal user's conversation with the assistant."""

    def __init__(self, assistant, user_id: str, write: Callable[[str], None]):
        self.assistant = assistant
        self.user_id = user_id
        self.write = write
        self.options = NumberedOptions()

    def send(self, text: str) -> None:
        """Hand one typed line to the assistant and print its replies."""
        payload = self.options.choose(self.user_id, text)
        msg = IncomingMessage(
            channel=CHANNEL, user_id=self.user_id, text="" if payload else text, payload=payload
        )
        try:
            replies = self.assistant.handle(msg)
        except AssistantUnavailable:
            replies = [Reply(texts.UNAVAILABLE)]
        if not any(reply.buttons for reply in replies):
            self.options.forget(self.user_id)
        for reply in replies:
            self.write(ASSISTANT_PREFIX + self.render(reply) + "\n")

    def render(self, reply: Reply) -> str:
        """A reply as plain text: text, citations, then numbered options (they are answered next)."""
        parts = [reply.text]
        if reply.citations:
            parts.append(texts.citation_text(reply.citations))
        if reply.buttons:
            parts.append(self.options.offer(self.user_id, reply.buttons))
        return "\n".join(part for part in parts if part)


def run_terminal(
    assistant,
    user_id: str,
    lines: Iterable[str],
    write: Callable[[str], None],
    unit: str | None = None,
    echo: bool = False,
) -> int:
    """Chat until ``lines`` run out; return the number of messages sent.

    ``echo`` repeats each input line, so a piped transcript reads like a dialogue.
    """
    chat = TerminalChat(assistant, user_id, write)
    sent = 0
    if unit:
        chat.send(f"/donvi {unit}")
        sent += 1
    for line in lines:
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if echo:
            write(USER_PREFIX + text)
        chat.send(text)
        sent += 1
    return sent
