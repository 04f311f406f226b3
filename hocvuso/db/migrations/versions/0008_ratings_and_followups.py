"""Ratings of answers (the answers shown, the 👍/👎 on them) and each user's previous question.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "given_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("citation", sa.String(length=300), nullable=False),
        sa.Column("excerpt", sa.String(length=300), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_given_answers"),
        sa.UniqueConstraint("token", name="uq_given_answers_token"),
    )
    op.create_index("ix_given_answers_created_at", "given_answers", ["created_at"])
    op.create_table(
        "answer_ratings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("answer_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("unit", sa.String(length=200), nullable=True),
        sa.Column("rating", sa.String(length=8), nullable=False),
        sa.Column("rated_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["answer_id"], ["given_answers.id"], ondelete="CASCADE",
                                name="fk_answer_ratings_answer_id_given_answers"),
        sa.PrimaryKeyConstraint("id", name="pk_answer_ratings"),
        sa.UniqueConstraint("answer_id", "user", name="uq_answer_ratings_answer_id_user"),
    )
    op.create_index("ix_answer_ratings_rated_at", "answer_ratings", ["rated_at"])
    op.create_table(
        "recent_questions",
        sa.Column("user", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("asked_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("user", name="pk_recent_questions"),
    )


def downgrade() -> None:
    op.drop_table("recent_questions")
    op.drop_index("ix_answer_ratings_rated_at", table_name="answer_ratings")
    op.drop_table("answer_ratings")
    op.drop_index("ix_given_answers_created_at", table_name="given_answers")
    op.drop_table("given_answers")
