"""Storage models: users, quiz attempts and answers, evidence events and their chain head, API keys,
and the durable delivery of chat updates (inbox, outbox, numbered options, worker heartbeats).

All times are UTC. They are stored without a zone (the same on SQLite and PostgreSQL)
and always come back as timezone-aware UTC datetimes; naive values given to the
models are taken as UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

GENESIS_HASH = "0" * 64


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A UTC timestamp stored without zone and returned timezone-aware."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value, dialect):
        if value is not None:
            value = value.replace(tzinfo=UTC)
        return value


class Base(DeclarativeBase):
    """Declarative base of every table."""

    # Named constraints, so later migrations can drop or alter them (SQLite batch mode needs names).
    metadata = MetaData(
        naming_convention={
            "ix": "ix_%(table_name)s_%(column_0_name)s",
            "uq": "uq_%(table_name)s_%(column_0_N_name)s",
            "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
            "pk": "pk_%(table_name)s",
        }
    )
    type_annotation_map: ClassVar = {datetime: UTCDateTime()}


class User(Base):
    """A pseudonymous user (HMAC of channel + channel user id) and the unit they registered."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    pseudonym: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class QuizAttempt(Base):
    """One quiz run by one user: the questions drawn, the option order shown, progress and score."""

    __tablename__ = "quiz_attempts"
    # Added in 0003: the database itself keeps one open attempt per user, whatever races.
    __table_args__ = (
        Index("uq_quiz_attempts_open_user", "user", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(200))  # snapshot of the user's unit at start
    topic: Mapped[str | None] = mapped_column(String(64))  # None = mixed topics
    question_ids: Mapped[list[str]] = mapped_column(JSON)
    # For each question, the original option indices in the order shown to the user.
    option_orders: Mapped[list[list[int]]] = mapped_column(JSON)
    current_index: Mapped[int] = mapped_column(default=0)
    score: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)  # open|completed|abandoned|expired
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Set by the quiz engine from its own clock on every change (no onupdate: a frozen test
    # clock would otherwise be overridden by the wall clock whenever the value repeats).
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]

    answers: Mapped[list[QuizAnswer]] = relationship(
        back_populates="attempt", order_by="QuizAnswer.position", cascade="all, delete-orphan"
    )


class QuizAnswer(Base):
    """A user's answer to one question of an attempt (``chosen_option`` is the bank's original index)."""

    __tablename__ = "quiz_answers"
    __table_args__ = (UniqueConstraint("attempt_id", "question_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    attempt_id: Mapped[int] = mapped_column(ForeignKey("quiz_attempts.id", ondelete="CASCADE"))
    question_id: Mapped[str] = mapped_column(String(64), index=True)
    topic: Mapped[str] = mapped_column(String(64))
    position: Mapped[int]
    chosen_option: Mapped[int]
    correct: Mapped[bool]
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    attempt: Mapped[QuizAttempt] = relationship(back_populates="answers")


class EvidenceEvent(Base):
    """One append-only participation event, chained to the previous one by hash.

    Ids are assigned by :class:`bot.evidence.EvidenceLog` as a gapless sequence, so
    they are not auto-incremented by the database.
    """

    __tablename__ = "evidence_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    created_at: Mapped[datetime] = mapped_column(index=True)
    event_type: Mapped[str] = mapped_column(String(32), index=True)
    user: Mapped[str] = mapped_column(String(64), index=True)
    channel: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(200))
    data: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Added in 0003: HMAC of ``hash`` under the evidence key (None: written before seals existed).
    seal: Mapped[str | None] = mapped_column(String(64))


class EvidenceHead(Base):
    """The single row naming the last event of the chain.

    It is updated in the same transaction as each append, so deleting the newest
    events is detectable, and its row lock serialises concurrent appends.
    """

    __tablename__ = "evidence_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)  # always 1
    last_id: Mapped[int] = mapped_column(default=0)
    last_hash: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)
    # Added in 0003: the log's identity, the first line of its checkpoints.
    origin: Mapped[str | None] = mapped_column(String(200))


class ApiKey(Base):
    """An API key of the HTTP service; only its SHA-256 is stored."""

    __tablename__ = "api_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))  # "trainer" | "admin"
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))  # first characters of the key, for listing
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]


# --- Durable delivery of chat updates (issue 10): inbox, outbox, chat options, worker heartbeats ---

# SQLite only auto-increments INTEGER PRIMARY KEY; PostgreSQL gets a 64-bit sequence.
_BIG_ID = BigInteger().with_variant(Integer, "sqlite")
_PENDING = text("processed_at IS NULL")
_UNSENT = text("sent_at IS NULL AND failed_at IS NULL")


class InboxUpdate(Base):
    """A chat update as received, stored before it is acknowledged; processed exactly once.

    ``update_key`` is the platform's identity of the update (unique per channel), so a
    re-delivery is dropped at intake; ``processed_at`` is set in the transaction that
    carries the update's effects and replies.
    """

    __tablename__ = "inbox_updates"
    __table_args__ = (
        UniqueConstraint("channel", "update_key"),
        # The oldest pending update of each chat is found through this partial index.
        Index("ix_inbox_updates_pending_chat", "channel", "chat_key", "id",
              postgresql_where=_PENDING, sqlite_where=_PENDING),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    update_key: Mapped[str] = mapped_column(String(200))
    chat_key: Mapped[str] = mapped_column(String(128))
    payload: Mapped[str] = mapped_column(Text)  # the update's JSON as received
    received_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    processed_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """One Bot API call (a reply) written with the update's effects, sent after commit.

    Sent at least once, in order per chat: a failed call is retried at ``due_at`` with
    backoff; a call the platform refuses for good ends in ``failed_at``.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        Index("ix_outbox_messages_unsent_chat", "channel", "chat_key", "id",
              postgresql_where=_UNSENT, sqlite_where=_UNSENT),
    )

    id: Mapped[int] = mapped_column(_BIG_ID, primary_key=True)
    inbox_id: Mapped[int | None] = mapped_column(_BIG_ID)
    channel: Mapped[str] = mapped_column(String(32))
    chat_key: Mapped[str] = mapped_column(String(128))
    method: Mapped[str] = mapped_column(String(64))
    params: Mapped[str] = mapped_column(Text)  # JSON body of the call
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    due_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_until: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)  # failed attempts so far
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(300))
    # Added in 0007: the announcement this call delivers (None for replies), for its counts.
    announcement_id: Mapped[int | None] = mapped_column(index=True)


class ChatOptions(Base):
    """The numbered options last offered in a text-only chat (Zalo), shared by every worker."""

    __tablename__ = "chat_options"

    channel: Mapped[str] = mapped_column(String(32), primary_key=True)
    chat_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    buttons: Mapped[list[list[str]]] = mapped_column(JSON)  # [[label, payload], ...]
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)


class WorkerHeartbeat(Base):
    """A running worker slot: when it last reported and since when it is busy on one update."""

    __tablename__ = "worker_heartbeats"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)  # host:pid:slot
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    busy_since: Mapped[datetime | None]
    processed: Mapped[int] = mapped_column(default=0)




# --- Added in revision 0003: signed checkpoints of the evidence log, dashboard sessions ---


class EvidenceCheckpoint(Base):
    """A signed checkpoint (size and Merkle root) of the evidence log, as a C2SP signed note."""

    __tablename__ = "evidence_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    origin: Mapped[str] = mapped_column(String(200))
    size: Mapped[int]
    root_hash: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text)


class DashboardSession(Base):
    """A signed-in dashboard session; the cookie holds a random token, stored here as SHA-256.

    Deleting the row (logout, key revoked) ends the session at once.
    """

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]


# --- Unanswered questions (the trainers' inbox) -------------------------------------------


class UnansweredQuestion(Base):
    """A question the assistant could not answer: its redacted text, kept for trainers.

    Unlike the evidence log this table may be edited: a trainer marks questions handled
    once a lesson or document covers them. Phone and ID numbers are removed before storing.
    """

    __tablename__ = "unanswered_questions"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(64))  # pseudonym
    channel: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    handled_at: Mapped[datetime | None] = mapped_column(index=True)
    handled_by: Mapped[str | None] = mapped_column(String(100))


# --- Units added by administrators (migration 0004) ---


class Unit(Base):
    """A unit added through ``POST /v1/admin/units``, listed beside those of ``units.yaml``."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    aliases: Mapped[list[str]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Certificates ------------------------------------------------------------------------


class Certificate(Base):
    """A certificate of a passed quiz attempt; ``display_name`` is the name the person chose to print.

    The name lives only here (never in the evidence log, never beside a raw chat id);
    the evidence log holds a digest of these fields, so an edit is detectable.
    """

    __tablename__ = "certificates"
    __table_args__ = (UniqueConstraint("user", "course"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    # A topic certificate rests on one attempt; a course certificate (``course`` set) on the
    # passed attempts of every topic of the course, whose completion events it lists.
    attempt_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_attempts.id"), unique=True)
    course: Mapped[str | None] = mapped_column(String(64))
    user: Mapped[str] = mapped_column(String(64), index=True)  # pseudonym
    display_name: Mapped[str] = mapped_column(String(100))
    topic: Mapped[str | None] = mapped_column(String(64))
    unit: Mapped[str | None] = mapped_column(String(200))
    score: Mapped[int]  # right answers; for a course, topics passed
    total: Mapped[int]
    completion_event_id: Mapped[int]  # for a course, the newest of its completion events
    completion_event_ids: Mapped[list[int] | None] = mapped_column(JSON)
    issued_at: Mapped[datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(200))


# --- Ratings of answers and the previous question of each user (migration 0008) ----------


class GivenAnswer(Base):
    """A knowledge-base answer shown to someone, kept so that it can be rated.

    Pseudonymous like the unanswered inbox: the asker's pseudonym (empty for the
    anonymous API), the question redacted, the first citation and a short excerpt of
    the answer. ``token`` is the unguessable id the web API hands out.
    """

    __tablename__ = "given_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str | None] = mapped_column(String(200))
    question: Mapped[str] = mapped_column(Text)
    citation: Mapped[str] = mapped_column(String(300))
    excerpt: Mapped[str] = mapped_column(String(300))


class AnswerRating(Base):
    """One person's 👍/👎 on one answer; rating again changes it, never adds a second."""

    __tablename__ = "answer_ratings"
    __table_args__ = (UniqueConstraint("answer_id", "user"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    answer_id: Mapped[int] = mapped_column(ForeignKey("given_answers.id", ondelete="CASCADE"))
    user: Mapped[str] = mapped_column(String(64))  # pseudonym; "" for the anonymous API
    unit: Mapped[str | None] = mapped_column(String(200))
    rating: Mapped[str] = mapped_column(String(8))  # up | down
    rated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class RecentQuestion(Base):
    """The last question each user asked (redacted), the context of a follow-up like "còn Hà Tĩnh thì sao?"."""

    __tablename__ = "recent_questions"

    user: Mapped[str] = mapped_column(String(64), primary_key=True)  # pseudonym
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(default=utcnow)


# --- Announcements (migration 0007) --------------------------------------------------------


class AnnouncementSubscriber(Base):
    """A user who opted in (``/nhanthongbao``) to a unit's announcements on one chat channel.

    ``address`` is the private chat's id sealed with a key derived from the pseudonym
    secret (:mod:`bot.announcements`): the database alone does not link a pseudonym
    to a raw chat id. The unit is the user's current one (``users.unit``).
    """

    __tablename__ = "announcement_subscribers"

    user: Mapped[str] = mapped_column(String(64), primary_key=True)  # pseudonym
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Announcement(Base):
    """A short announcement a trainer sent to a unit's subscribers through the outbox.

    Its deliveries are outbox rows (``outbox_messages.announcement_id``); the counts of
    rows removed by retention are kept here so the totals stay right.
    """

    __tablename__ = "announcements"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(default=0)
    sent_pruned: Mapped[int] = mapped_column(default=0)
    failed_pruned: Mapped[int] = mapped_column(default=0)
