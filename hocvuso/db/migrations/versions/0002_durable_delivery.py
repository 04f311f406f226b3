"""Durable delivery of chat updates: inbox, outbox, chat options, worker heartbeats.

The inbox's unique (channel, update_key) replaces ``processed_updates`` as the
de-duplication mark; the updates already marked are carried over as processed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
PENDING = sa.text("processed_at IS NULL")
UNSENT = sa.text("sent_at IS NULL AND failed_at IS NULL")


def upgrade() -> None:
    op.create_table(
        "inbox_updates",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("update_key", sa.String(length=200), nullable=False),
        sa.Column("chat_key", sa.String(length=128), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_inbox_updates"),
        sa.UniqueConstraint("channel", "update_key", name="uq_inbox_updates_channel_update_key"),
    )
    op.create_index("ix_inbox_updates_received_at", "inbox_updates", ["received_at"])
    op.create_index("ix_inbox_updates_pending_chat", "inbox_updates", ["channel", "chat_key", "id"],
                    postgresql_where=PENDING, sqlite_where=PENDING)
    op.create_table(
        "outbox_messages",
        sa.Column("id", BIG_ID, nullable=False),
        sa.Column("inbox_id", BIG_ID, nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_key", sa.String(length=128), nullable=False),
        sa.Column("method", sa.String(length=64), nullable=False),
        sa.Column("params", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("due_at", sa.DateTime(), nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("failed_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.String(length=300), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_outbox_messages"),
    )
    op.create_index("ix_outbox_messages_created_at", "outbox_messages", ["created_at"])
    op.create_index("ix_outbox_messages_unsent_chat", "outbox_messages", ["channel", "chat_key", "id"],
                    postgresql_where=UNSENT, sqlite_where=UNSENT)
    op.create_table(
        "chat_options",
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("chat_key", sa.String(length=128), nullable=False),
        sa.Column("buttons", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("channel", "chat_key", name="pk_chat_options"),
    )
    op.create_index("ix_chat_options_updated_at", "chat_options", ["updated_at"])
    op.create_table(
        "worker_heartbeats",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.Column("busy_since", sa.DateTime(), nullable=True),
        sa.Column("processed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_worker_heartbeats"),
    )
    # Updates marked before this revision stay de-duplicated: they enter the inbox as processed.
    op.execute(
        "INSERT INTO inbox_updates (channel, update_key, chat_key, payload, received_at, processed_at) "
        "SELECT channel, update_id, '', '{}', created_at, created_at FROM processed_updates"
    )
    op.drop_index("ix_processed_updates_created_at", table_name="processed_updates")
    op.drop_table("processed_updates")


def downgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("update_id", sa.String(length=128), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_processed_updates"),
        sa.UniqueConstraint("channel", "update_id", name="uq_processed_updates_channel_update_id"),
    )
    op.create_index("ix_processed_updates_created_at", "processed_updates", ["created_at"])
    for table in ("worker_heartbeats", "chat_options", "outbox_messages", "inbox_updates"):
        op.drop_table(table)
