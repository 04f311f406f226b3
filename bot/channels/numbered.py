"""Buttons as numbered options, for channels that show only text (terminal, Zalo).

A reply's buttons become ``[1] label`` lines; the user answers with the number
(or the label's words) and :func:`choose` turns that back into the button's
payload. :class:`NumberedOptions` remembers per chat the options offered last in
memory (terminal); the Zalo worker keeps them in the database (``chat_options``).
"""

from __future__ import annotations

from collections import OrderedDict

from bot import texts
from bot.messages import Button
from knowledge.textnorm import words


def offer_text(buttons: list[Button]) -> str:
    """``buttons`` as numbered lines (or a short hint when they are labelled 1..n)."""
    labels = [button.label for button in buttons]
    if labels == [str(number) for number in range(1, len(labels) + 1)]:
        # Answer buttons labelled 1..n: the options are already numbered in the text.
        return texts.choose_hint(len(labels))
    return "\n".join(f"[{number}] {label}" for number, label in enumerate(labels, start=1))


def choose(buttons: list[Button], text: str) -> str | None:
    """The payload of the button meant by ``text`` ("2", "[2]" or its label's words), or None."""
    choice = text.strip().strip("[]().").strip()
    if choice.isdigit() and 1 <= int(choice) <= len(buttons):
        return buttons[int(choice) - 1].payload
    typed = words(text)
    for button in buttons:
        if typed and words(button.label) == typed:
            return button.payload
    return None


class NumberedOptions:
    """Per-chat memory of the buttons last offered as numbered options, bounded to recent chats."""

    def __init__(self, capacity: int = 10_000):
        self.capacity = capacity
        self._offered: OrderedDict[str, list[Button]] = OrderedDict()

    def offer(self, chat_id: str, buttons: list[Button]) -> str:
        """Remember ``buttons`` as the chat's options and return them as numbered lines."""
        self._offered.pop(chat_id, None)
        self._offered[chat_id] = list(buttons)
        while len(self._offered) > self.capacity:
            self._offered.popitem(last=False)
        return offer_text(buttons)

    def choose(self, chat_id: str, text: str) -> str | None:
        """The payload meant by ``text`` ("2", "[2]" or an option's label), or None."""
        return choose(self._offered.get(chat_id) or [], text)

    def forget(self, chat_id: str) -> None:
        """Drop the chat's options (after a reply that offers none, numbers mean nothing)."""
        self._offered.pop(chat_id, None)
