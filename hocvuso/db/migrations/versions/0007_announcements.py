"""Announcements to a unit's subscribers: subscribers, announcements, the outbox link.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcement_subscribers",
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user", name="pk_announcement_subscribers"),
    )
    op.create_table(
        "announcements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("sent_pruned", sa.Integer(), nullable=False),
        sa.Column("failed_pruned", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_announcements"),
    )
    op.create_index("ix_announcements_created_at", "announcements", ["created_at"])
    op.add_column("outbox_messages", sa.Column("announcement_id", sa.Integer(), nullable=True))
    op.create_index("ix_outbox_messages_announcement_id", "outbox_messages", ["announcement_id"])


def downgrade() -> None:
    op.drop_index("ix_outbox_messages_announcement_id", table_name="outbox_messages")
    with op.batch_alter_table("outbox_messages") as batch:
        batch.drop_column("announcement_id")
    op.drop_index("ix_announcements_created_at", table_name="announcements")
    op.drop_table("announcements")
    op.drop_table("announcement_subscribers")
