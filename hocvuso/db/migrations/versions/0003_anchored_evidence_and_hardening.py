"""Anchored evidence and hardening: event seals, log origin, signed checkpoints, dashboard
sessions, one open quiz attempt per user.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from __future__ import annotations

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("evidence_events", sa.Column("seal", sa.String(length=64), nullable=True))
    op.add_column("evidence_head", sa.Column("origin", sa.String(length=200), nullable=True))
    # The log's identity in its checkpoints: random, so two installations never share one.
    head = sa.table("evidence_head", sa.column("id", sa.Integer), sa.column("origin", sa.String))
    op.execute(head.update().where(head.c.id == 1).values(origin=f"hocvuso.local/minh-chung/{secrets.token_hex(4)}"))
    op.create_table(
        "evidence_checkpoints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("origin", sa.String(length=200), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("root_hash", sa.String(length=64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_evidence_checkpoints"),
    )
    op.create_index("ix_evidence_checkpoints_created_at", "evidence_checkpoints", ["created_at"])
    op.create_table(
        "dashboard_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], name="fk_dashboard_sessions_key_id_api_keys",
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name="pk_dashboard_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_dashboard_sessions_token_hash"),
    )
    op.create_index("ix_dashboard_sessions_key_id", "dashboard_sessions", ["key_id"])
    # Before the unique index: keep each user's newest open attempt, abandon the others
    # (concurrent starts could open several).
    attempts = sa.table("quiz_attempts", sa.column("id", sa.Integer), sa.column("user", sa.String),
                        sa.column("status", sa.String))
    newest = sa.select(sa.func.max(attempts.c.id)).where(attempts.c.status == "open").group_by(attempts.c.user)
    op.execute(
        attempts.update()
        .where(attempts.c.status == "open", attempts.c.id.not_in(newest.scalar_subquery()))
        .values(status="abandoned")
    )
    op.create_index(
        "uq_quiz_attempts_open_user", "quiz_attempts", ["user"], unique=True,
        sqlite_where=sa.text("status = 'open'"), postgresql_where=sa.text("status = 'open'"),
    )


def downgrade() -> None:
    op.drop_index("uq_quiz_attempts_open_user", table_name="quiz_attempts")
    op.drop_table("dashboard_sessions")
    op.drop_table("evidence_checkpoints")
    with op.batch_alter_table("evidence_head") as batch:
        batch.drop_column("origin")
    with op.batch_alter_table("evidence_events") as batch:
        batch.drop_column("seal")
