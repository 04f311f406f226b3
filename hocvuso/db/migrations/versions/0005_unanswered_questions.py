"""Unanswered questions: the trainers' inbox of questions the assistant could not answer.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "unanswered_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("handled_at", sa.DateTime(), nullable=True),
        sa.Column("handled_by", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_unanswered_questions"),
    )
    op.create_index("ix_unanswered_questions_created_at", "unanswered_questions", ["created_at"])
    op.create_index("ix_unanswered_questions_handled_at", "unanswered_questions", ["handled_at"])


def downgrade() -> None:
    op.drop_index("ix_unanswered_questions_handled_at", table_name="unanswered_questions")
    op.drop_index("ix_unanswered_questions_created_at", table_name="unanswered_questions")
    op.drop_table("unanswered_questions")
