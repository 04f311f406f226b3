"""Channel-agnostic messages: what a channel hands to the assistant and what it gets back."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class IncomingMessage:
    """One user action on any channel, normalised.

    ``user_id`` is the channel's raw user id; the assistant turns it into a
    pseudonym at once and never stores or logs it. ``payload`` is set when the
    user pressed a button (its ``Button.payload``), ``text`` otherwise.
    """

    channel: str  # "telegram", "zalo", "terminal", "web"
    user_id: str
    text: str = ""
    payload: str | None = None
    update_id: str | None = None  # the channel's update id, for logs and de-duplication
    # The raw id of the private chat with this user, on channels that can write to it later
    # (announcements); None in group chats and on the terminal and web. Never logged.
    chat_id: str | None = None


@dataclass(frozen=True)
class Button:
    """A choice offered to the user; ``payload`` comes back in ``IncomingMessage.payload``.

    Payloads are ASCII and at most 64 bytes (Telegram's callback_data limit).
    """

    label: str
    payload: str


@dataclass(frozen=True)
class Citation:
    """Where an answer comes from: document title and section path."""

    title: str
    section: str
    doc_id: str = ""
    kind: str = ""
    text: str = ""  # as shown, when set: "Luật Căn cước 2023, Điều 19, khoản 2"


@dataclass
class Reply:
    """One message from the assistant. Text is plain (no markup); channels format it."""

    text: str
    buttons: list[Button] = field(default_factory=list)
    citations: list[Citation] = field(default_factory=list)
    # The code of a certificate whose PDF goes with the text where the channel can send files (Telegram).
    certificate: str = ""
