"""Course certificates: a certificate may rest on the passed topics of a whole course.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.alter_column("attempt_id", existing_type=sa.Integer(), nullable=True)
        batch.add_column(sa.Column("course", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("completion_event_ids", sa.JSON(), nullable=True))
        batch.create_unique_constraint("uq_certificates_user_course", ["user", "course"])


def downgrade() -> None:
    with op.batch_alter_table("certificates") as batch:
        batch.drop_constraint("uq_certificates_user_course", type_="unique")
        batch.drop_column("completion_event_ids")
        batch.drop_column("course")
        batch.alter_column("attempt_id", existing_type=sa.Integer(), nullable=False)
